// Conversation state in the kv table, keyed by chat AND user, so that in a group another
// member's message never answers someone else's prompt.
//
// Conversations end: a state idle for `conversationTimeoutMinutes` (by the injected clock, so it
// holds across restarts and under a test's fake clock) is removed, and its user told
// 「已逾時,已取消」 — on their next update (`takeEnded`) or by `sweepConversations`, whichever
// comes first. A state is bounded: past `STATE_LIMITS` it is dropped instead of written.
import type { ConversationData, ConversationStorage, VersionedState } from "@grammyjs/conversations";
import type { Context } from "grammy";
import {
  conversationKeyOf,
  deleteConversation,
  dropIdleConversation,
  othersActive,
  readConversation,
  sweepIdleConversations,
  writeConversation,
} from "../../app/conversation-store.js";
import { userNames } from "../../app/members.js";
import type { OutboxDraft } from "../../app/outbox.js";
import { deletions, pruneDeepLinks, sweepLeftovers, takeLeftovers } from "../../app/quiet.js";
import { cleanText } from "../../core/text.js";
import { conversationText } from "../../i18n/index.js";
import type { BotContext, BotDeps } from "./context.js";
import { htmlMessage } from "./drafts.js";

/** Bump whenever conversation code changes: old replay logs then start over instead of replaying wrongly. */
export const CONVERSATION_STORAGE_VERSION = 5; // 5: /report asks for GitHub links (issue 13); 4: /rollback asks the kind of problem (issue 12)

/**
 * Bounds of one stored conversation. Every update replays the whole log, so it must stay small:
 * invalid answers are never logged (they are skipped), and a log past these bounds ends the
 * conversation (「步驟太多」) instead of slowing every later update.
 */
export const STATE_LIMITS = { operations: 150, chars: 256 * 1024 } as const;

export const conversationKey = (ctx: Context): string | undefined =>
  ctx.chatId !== undefined && ctx.from ? conversationKeyOf(ctx.chatId, ctx.from.id) : undefined;

type State = VersionedState<ConversationData>;

/** The names of the conversations in a stored state (report, hotfix, …). */
export const conversationIds = (value: unknown): string[] => {
  const state = (value as Partial<State> | null)?.state;
  return state && typeof state === "object" ? Object.keys(state) : [];
};

const operations = (state: State): number =>
  Object.values(state.state ?? {})
    .flat()
    .reduce((n, s) => n + (s.replay?.send?.length ?? 0), 0);

/**
 * The replay log holds the updates as received: a NUL or a lone surrogate in a user's message would
 * make Postgres refuse the whole write (jsonb). Such strings are cleaned as the answers are (the
 * conversations read answers through `cleanText`, so a replay takes the same path).
 */
const UNSAFE_IN_JSONB = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;
const cleanStrings = (value: unknown): unknown => {
  if (typeof value === "string") return cleanText(value);
  if (Array.isArray(value)) return value.map(cleanStrings);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanText(k), cleanStrings(v)]));
  return value;
};

export const idleLimitMs = (deps: BotDeps): number => deps.config.conversationTimeoutMinutes * 60_000;

/** How a conversation of this update's sender ended while the storage read or wrote it. */
export interface Ended {
  reason: "timeout" | "too_big";
  ids: string[];
}
const ended = new WeakMap<object, Ended>();

/** The conversation this update found expired (once), for the reply that says so. */
export function takeEnded(ctx: object): Ended | undefined {
  const found = ended.get(ctx);
  ended.delete(ctx);
  return found;
}

// "context" storage rather than "key": the plugin's key storage turns an undefined key into "undefined".
export function kvConversationStorage(): ConversationStorage<BotContext, ConversationData> {
  return {
    type: "context",
    version: CONVERSATION_STORAGE_VERSION,
    adapter: {
      read: async (ctx) => {
        const key = conversationKey(ctx);
        if (!key) return undefined;
        const { db } = ctx.deps;
        const row = await readConversation(db, key);
        if (!row) return undefined;
        const cutoff = new Date(ctx.deps.clock().getTime() - idleLimitMs(ctx.deps));
        if (row.updatedAt >= cutoff) return row.value as State;
        // Idle too long. Whoever deletes it (this update or the sweep) tells the user.
        if (await dropIdleConversation(db, key, cutoff))
          ended.set(ctx, { reason: "timeout", ids: conversationIds(row.value) });
        return undefined;
      },
      write: async (ctx, written) => {
        const key = conversationKey(ctx);
        if (!key) return;
        const json = JSON.stringify(written);
        const state = UNSAFE_IN_JSONB.test(json) ? (cleanStrings(written) as State) : written;
        if (operations(state) > STATE_LIMITS.operations || json.length > STATE_LIMITS.chars) {
          await deleteConversation(ctx.deps.db, key);
          ctx.log.warn({ key, ids: conversationIds(state) }, "conversation state over its bound: ended");
          await ctx.reply(conversationText.tooManySteps).catch((err: unknown) => {
            ctx.log.warn({ err }, "could not tell the user the conversation ended");
          });
          return;
        }
        await writeConversation(ctx.deps.db, key, state, ctx.deps.clock());
      },
      delete: async (ctx) => {
        const key = conversationKey(ctx);
        if (key) await deleteConversation(ctx.deps.db, key);
      },
    },
  };
}

/** Whether someone other than the sender has a live conversation in this chat (their buttons are not stale). */
export async function othersInConversation(ctx: BotContext): Promise<boolean> {
  if (ctx.chatId === undefined || !ctx.from) return false;
  const cutoff = new Date(ctx.deps.clock().getTime() - idleLimitMs(ctx.deps));
  return othersActive(ctx.deps.db, ctx.chatId, conversationKey(ctx)!, cutoff);
}

/**
 * Ends every conversation idle past the limit: its state is deleted and 「已逾時,已取消」 goes to
 * its chat through the outbox, in one transaction (a conversation that answers meanwhile is kept).
 * Returns how many ended. Run periodically (main.ts) and from the bot's housekeeping.
 */
export async function sweepConversations(deps: BotDeps): Promise<number> {
  const now = deps.clock();
  const cutoff = new Date(now.getTime() - idleLimitMs(deps));
  const minutes = deps.config.conversationTimeoutMinutes;
  return sweepIdleConversations(deps.db, cutoff, now, async (ended, tx) => {
    const names = await userNames(
      tx,
      ended.filter((o) => o.chatId < 0).map((o) => o.userId),
    );
    const drafts: OutboxDraft[] = [];
    for (const o of ended) {
      // issue 17: what the conversation left goes; a quiet group (it left a panel) is not told.
      const left = await takeLeftovers(tx, { chatId: o.chatId, userId: o.userId });
      drafts.push(...deletions(left));
      if (o.chatId < 0 && left.some((m) => m.chatId === o.chatId)) continue;
      drafts.push(
        htmlMessage(
          o.chatId,
          conversationText.timedOut({
            ids: conversationIds(o.value),
            minutes,
            who: o.chatId < 0 ? (names.get(o.userId) ?? null) : null,
          }),
        ),
      );
    }
    return drafts;
  });
}

/** issue 17: deep links never followed and leftovers of conversations gone are taken away. */
export async function sweepQuiet(deps: BotDeps): Promise<number> {
  const now = deps.clock();
  const cutoff = new Date(now.getTime() - idleLimitMs(deps));
  await pruneDeepLinks(deps.db, cutoff);
  return sweepLeftovers(deps.db, cutoff, now);
}
