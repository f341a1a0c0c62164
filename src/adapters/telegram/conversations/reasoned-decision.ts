// A decision on a card that needs a reason typed first (拒絕; a flow confirmed against the versions):
// ask, wait for one line, then decide in `external` as an admin of the bug's system and show the
// outcome on the pressed card. One place for both, so they answer alike.
import type { Context } from "grammy";
import { bugSystemId } from "../../../app/scopes.js";
import { splitMessage } from "../../../core/html.js";
import { t } from "../../../i18n/index.js";
import { type DecisionEvent, decide } from "../cards.js";
import { liveChatId } from "../chats.js";
import { adminSystemIds, isAdminFor } from "../guards.js";
import { HTML, NO_BUTTONS, replyHtml } from "../respond.js";
import { ask, type Convo, waitText } from "./common.js";

export interface ReasonedDecision {
  bugId: number;
  rowVersion: number;
  /** The pressed card (messageId 0: none to edit). */
  chatId: number;
  messageId: number;
  queue: boolean;
  /** The question (HTML). */
  prompt: string;
  /** The event with the reason typed. */
  event: (reason: string) => DecisionEvent;
}

const REASON_LIMIT = 500;

export async function reasonedDecision(conversation: Convo, ctx: Context, args: ReasonedDecision): Promise<void> {
  await ask(ctx, args.prompt);
  const { text: reason, ctx: answer } = await waitText(conversation, REASON_LIMIT, t.report.tooLong(REASON_LIMIT), {
    line: true,
  });
  const decision = await conversation.external(async (octx) => {
    const actor = await octx.actor();
    const systemId = await bugSystemId(octx.deps.db, args.bugId);
    if (actor.kind !== "user" || !(await isAdminFor(octx, systemId))) return null;
    // The card may have moved with its group to a supergroup meanwhile: edit it where it is now.
    const chatId = await liveChatId(octx.deps, args.chatId);
    const result = await decide(octx.deps, {
      bugId: args.bugId,
      rowVersion: args.rowVersion,
      event: args.event(reason),
      actor: { ...actor, isAdmin: true },
      ...(args.messageId ? { pressed: { chatId, messageId: args.messageId } } : {}),
      queue: args.queue ? await adminSystemIds(octx) : undefined,
    });
    return { ...result, chatId };
  });
  if (!decision) return void (await answer.reply(t.errors.adminOnly));
  if (decision.kind === "refused") return void (await answer.reply(decision.reason ?? t.errors.generic));
  const shown = decision.kind === "applied" ? { html: decision.html, markup: NO_BUTTONS } : decision.current;
  if (decision.kind === "already_handled") {
    await answer.reply(decision.current ? t.errors.outdated : t.errors.alreadyHandled);
  }
  if (shown && args.messageId) {
    await answer.api
      .editMessageText(decision.chatId, args.messageId, splitMessage(shown.html)[0]!, {
        ...HTML,
        reply_markup: shown.markup ?? NO_BUTTONS,
      })
      .catch(() => undefined); // the card may be gone or unchanged; the decision stands
  }
  if (decision.next) await replyHtml(answer, decision.next.html, decision.next.markup);
}
