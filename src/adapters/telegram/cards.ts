// Decisions on a bug card (confirm, reject, close) and the card messages they leave behind.
import type { InlineKeyboardMarkup } from "grammy/types";
import { type ApplyResult, applyEvent, type BugRow, getBug } from "../../app/bugs.js";
import type { OutboxDraft } from "../../app/outbox.js";
import { systemRegistry } from "../../app/systems.js";
import { cardKey, cardOutboxRow, nextSubmitted } from "../../app/triage.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../core/callback-data.js";
import type { BugEvent } from "../../core/model.js";
import { t } from "../../i18n/index.js";
import { liveChatId } from "./chats.js";
import type { BotContext, BotDeps } from "./context.js";
import { htmlMessage } from "./drafts.js";
import { linkButton } from "./features/code-host.js";
import { type AdminActor, pressedButtonShown } from "./guards.js";
import { at, bugCard, cardKeyboard, systemView } from "./render.js";
import { editHtml, HTML, NO_BUTTONS } from "./respond.js";

/** The card posted to the group when a bug is reported (one per bug, by its dedupe key). */
export function groupCardDraft(deps: BotDeps, bug: BugRow): OutboxDraft[] {
  const system = systemRegistry(deps.config).find(bug.systemId);
  if (!system) return [];
  const keyboard = cardKeyboard(bug, linkButton(system, bug)); // issue 13: 連結 GitHub
  return [
    htmlMessage(system.groupChatId, bugCard(bug, systemView(deps.config, bug.systemId)), {
      dedupeKey: cardKey(bug.id),
      ...(keyboard ? { replyMarkup: keyboard } : {}),
    }),
  ];
}

/** A bug's card with the buttons it offers now, plus 略過 when walking the /triage queue. */
export function cardMessage(
  deps: BotDeps,
  bug: BugRow,
  queue = false,
): { html: string; markup?: InlineKeyboardMarkup } {
  const keyboard = cardKeyboard(bug, queue ? (kb) => kb.row().text(t.buttons.skip, queueSkipData(bug.id)) : undefined);
  return {
    html: bugCard(bug, systemView(deps.config, bug.systemId)),
    ...(keyboard ? { markup: { inline_keyboard: keyboard.inline_keyboard } } : {}),
  };
}

export const queueSkipData = (bugId: number): string =>
  encodeCallback({ action: CALLBACK_ACTIONS.queueSkip, id: bugId, version: 0 });

/** The next card of the /triage queue (bugs of `systemIds`) after `afterId`, or the "nothing left" text. */
export async function queueMessage(
  deps: BotDeps,
  systemIds: readonly string[],
  afterId = 0,
): Promise<{ html: string; markup?: InlineKeyboardMarkup }> {
  let next = await nextSubmitted(deps.db, systemIds, afterId);
  if (!next.bug && afterId > 0) next = await nextSubmitted(deps.db, systemIds, 0);
  if (!next.bug) return { html: t.triage.queueEmpty };
  const card = cardMessage(deps, next.bug, true);
  return { ...card, html: `${t.triage.queueHeader(next.left)}\n\n${card.html}` };
}

/**
 * Stale button: say so and show the card as it is now while it still asks for a decision. A card
 * already decided is left alone: whoever decided edits it (directly or through the outbox).
 */
export async function outdated(ctx: BotContext, bug: BugRow | null): Promise<void> {
  await ctx.answerCallbackQuery({ text: t.errors.outdated });
  if (!bug || !pressedButtonShown(ctx)) return;
  const card = cardMessage(ctx.deps, bug);
  if (card.markup) await editHtml(ctx, card.html, card.markup);
}

export type DecisionEvent = Extract<BugEvent, { type: "confirm" | "reject" | "close" }>;

export interface Decision {
  kind: ApplyResult["kind"];
  /** applied: the card with who decided */
  html: string;
  /** refused: why, as plain text */
  reason?: string;
  /** stale, but the bug still asks for a decision: the card as it is now */
  current?: { html: string; markup?: InlineKeyboardMarkup };
  /** from the /triage queue: the next card */
  next?: { html: string; markup?: InlineKeyboardMarkup };
}

const decisionLine = (event: DecisionEvent, who: string, when: string): string =>
  event.type === "confirm"
    ? t.triage.confirmed(who, event.severity, event.flow, when)
    : event.type === "reject"
      ? t.triage.rejected(who, event.reason, when)
      : t.triage.closed(who, event.reason, when);

/**
 * Applies a decision and renders what the chat shows. When it was taken elsewhere than on the
 * group card (private chat, a command), the group card is edited through the outbox too.
 * JSON-safe, so conversations can run it in `external`.
 */
export async function decide(
  deps: BotDeps,
  input: {
    bugId: number;
    rowVersion?: number;
    event: DecisionEvent;
    actor: AdminActor;
    /** the message the button sits under, if any */
    pressed?: { chatId: number; messageId: number };
    /** from the /triage queue: the systems it walks (the next card is shown) */
    queue?: readonly string[] | undefined;
  },
): Promise<Decision> {
  const now = deps.clock();
  const card = await cardOutboxRow(deps.db, input.bugId);
  // The card was sent before its group became a supergroup: compare where it is now.
  const cardChat = card ? await liveChatId(deps, card.chatId) : null;
  const onGroupCard =
    card !== null &&
    input.pressed?.chatId === cardChat &&
    card.sentMessageId !== null &&
    input.pressed.messageId === card.sentMessageId;
  let html = "";
  const result = await applyEvent(deps.db, {
    bugId: input.bugId,
    event: input.event,
    actor: input.actor,
    now,
    ...(input.rowVersion === undefined ? {} : { expectedRowVersion: input.rowVersion }),
    notify: (bug) => {
      const view = systemView(deps.config, bug.systemId);
      html = `${bugCard(bug, view)}\n\n${decisionLine(input.event, input.actor.name, at(now, view.timezone))}`;
      if (!card || onGroupCard) return [];
      return [
        {
          chatId: card.chatId,
          method: "editMessageText",
          editsOutboxId: card.id,
          payload: { text: html, ...HTML, reply_markup: NO_BUTTONS },
        },
      ];
    },
  });
  if (result.kind === "refused") return { kind: "refused", html: "", reason: t.refusals[result.reason] };
  if (result.kind === "already_handled") {
    // Re-read: after a lost race the result carries the row as it was before the winner's commit.
    const bug = await getBug(deps.db, input.bugId);
    const card = bug ? cardMessage(deps, bug) : null;
    return { kind: "already_handled", html: "", ...(card?.markup ? { current: card } : {}) };
  }
  return {
    kind: "applied",
    html,
    ...(input.queue ? { next: await queueMessage(deps, input.queue, input.bugId) } : {}),
  };
}
