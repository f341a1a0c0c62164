import type { MiddlewareFn } from "grammy";
import { isKnownUser, recordMember, rememberUser as writeUser } from "../../app/members.js";
import { isAdmin } from "../../app/systems.js";
import { claimUpdate, pruneUpdates } from "../../app/updates.js";
import type { Actor } from "../../core/model.js";
import { conversationText } from "../../i18n/index.js";
import type { BotContext, BotDeps } from "./context.js";
import { commandOf } from "./conversations/common.js";
import { cleanUp } from "./quiet.js";
import { sweepConversations, sweepQuiet, takeEnded } from "./storage.js";

export const displayName = (from: { first_name: string; last_name?: string; username?: string }): string =>
  [from.first_name, from.last_name].filter(Boolean).join(" ") || from.username || "?";

/** Binds deps, a per-update child logger and the actor lookup to the context. */
export function attachDeps(deps: BotDeps): MiddlewareFn<BotContext> {
  return (ctx, next) => {
    ctx.deps = deps;
    ctx.groupSystemId = null; // chats.ts's recognizeChat sets it
    ctx.log = deps.logger.child({ update_id: ctx.update.update_id });
    let cached: Promise<Actor> | null = null;
    ctx.actor = () => {
      cached ??= (async (): Promise<Actor> => {
        const from = ctx.from;
        if (!from) return { kind: "user", id: 0, name: "?", isAdmin: false };
        return {
          kind: "user",
          id: from.id,
          name: displayName(from),
          isAdmin: await isAdmin(deps.db, from.id, deps.config.adminIds),
        };
      })();
      return cached;
    };
    return next();
  };
}

/**
 * Every callback query is answered exactly once: a second answer is dropped, and one the
 * handlers left unanswered is answered empty at the end.
 */
export const answerCallbacksOnce: MiddlewareFn<BotContext> = async (ctx, next) => {
  if (!ctx.callbackQuery) return next();
  let answered = false;
  const answer = ctx.answerCallbackQuery.bind(ctx);
  ctx.answerCallbackQuery = async (...args) => {
    if (answered) return true;
    answered = true;
    return answer(...args);
  };
  await next(); // on a throw, the error boundary answers through the same guarded method
  if (!answered) await ctx.answerCallbackQuery();
};

/** A redelivered update (same update_id) is handled once. */
export const dedupeUpdates: MiddlewareFn<BotContext> = async (ctx, next) => {
  if (!(await claimUpdate(ctx.deps.db, ctx.update.update_id, ctx.deps.clock()))) {
    ctx.log.info("duplicate update ignored");
    return;
  }
  await next();
};

/** Per bot: the name each user was last written with (bounded; a restart writes each user once more). */
const written = new WeakMap<BotDeps, Map<number, string>>();
const WRITTEN_MAX = 10_000;

/** Upserts a group member, only when new or renamed: no write (and no commit to flush) per message. */
async function rememberUser(
  deps: BotDeps,
  from: { id: number; first_name: string; last_name?: string; username?: string },
) {
  const row = { userId: from.id, name: displayName(from), username: from.username ?? null, updatedAt: deps.clock() };
  const seen = written.get(deps) ?? new Map<number, string>();
  written.set(deps, seen);
  const key = `${row.name}\n${row.username ?? ""}`;
  if (seen.get(from.id) === key) return;
  await writeUser(deps.db, row, row.updatedAt);
  if (seen.size >= WRITTEN_MAX) seen.clear();
  seen.set(from.id, key);
}

/** Per bot: the (system, user) memberships already written by this process. */
const members = new WeakMap<BotDeps, Set<string>>();

/** A user seen in a system's group belongs to that system (written once per process). */
async function rememberMember(deps: BotDeps, systemId: string, userId: number) {
  const seen = members.get(deps) ?? new Set<string>();
  members.set(deps, seen);
  const key = `${systemId}:${userId}`;
  if (seen.has(key)) return;
  await recordMember(deps.db, systemId, userId, deps.clock());
  if (seen.size >= WRITTEN_MAX) seen.clear();
  seen.add(key);
}

/**
 * Only the configured group chats, and private chats of people the bot knows (admins and
 * anyone seen in a configured group), reach the features. Group members are remembered.
 */
export const onlyKnownChats: MiddlewareFn<BotContext> = async (ctx, next) => {
  const chat = ctx.chat;
  const from = ctx.from;
  if (!chat) return next();
  const group = ctx.groupSystemId;
  if (group) {
    if (from && !from.is_bot) {
      await rememberUser(ctx.deps, from);
      await rememberMember(ctx.deps, group, from.id);
    }
    return next();
  }
  if (chat.type === "private" && from) {
    const actor = await ctx.actor();
    if (actor.kind === "user" && actor.isAdmin) return next();
    if (ctx.deps.config.systems.some((s) => s.adminIds?.includes(from.id))) return next();
    if (await isKnownUser(ctx.deps.db, from.id)) return next();
    if (ctx.callbackQuery) await ctx.answerCallbackQuery();
    ctx.log.info({ chat: chat.id }, "private chat of an unknown user ignored");
    return;
  }
  ctx.log.info({ chat: chat.id }, "update from an unconfigured chat ignored");
  if (ctx.callbackQuery) await ctx.answerCallbackQuery();
};

/**
 * Telegram redelivers an update for at most a day: older claims (and any beyond the newest
 * `rows`) are deleted, so the table stays bounded.
 */
export const PROCESSED_UPDATES_KEEP = { ms: 24 * 60 * 60_000, rows: 50_000 } as const;

export async function pruneProcessedUpdates(
  deps: BotDeps,
  keep: { ms: number; rows: number } = PROCESSED_UPDATES_KEEP,
): Promise<void> {
  await pruneUpdates(deps.db, deps.clock(), keep);
}

/** Bounds the bot's own tables: processed_updates pruned, idle conversations ended (and told). */
export async function botHousekeeping(deps: BotDeps): Promise<void> {
  await pruneProcessedUpdates(deps);
  const ended = await sweepConversations(deps);
  if (ended) deps.logger.info({ ended }, "idle conversations ended");
  const cleaned = await sweepQuiet(deps);
  if (cleaned) deps.logger.info({ cleaned }, "messages of ended conversations deleted");
}

/** Per bot: when housekeeping last ran (by the bot's clock). */
const lastHousekeeping = new WeakMap<BotDeps, number>();
export const HOUSEKEEPING_EVERY_MS = 60_000;

/**
 * After an update, at most once a minute (by the bot's clock): `botHousekeeping`. A bot that gets
 * updates needs no timer for it; main.ts runs it on a timer too, for quiet chats. A failure is
 * logged, never shown: the update itself was handled.
 */
export const housekeeping: MiddlewareFn<BotContext> = async (ctx, next) => {
  await next();
  const { deps } = ctx;
  const now = deps.clock().getTime();
  const last = lastHousekeeping.get(deps);
  if (last !== undefined && now - last < HOUSEKEEPING_EVERY_MS && now >= last) return;
  lastHousekeeping.set(deps, now);
  await botHousekeeping(deps).catch((err: unknown) => ctx.log.warn({ err }, "housekeeping failed"));
};

/**
 * Where conversations end, installed right after the conversations plugin: a conversation the
 * storage found idle too long is announced (「已逾時,已取消」), and any command but /cancel
 * (which says so itself) ends the sender's conversation and is then handled normally.
 */
export const conversationEnds: MiddlewareFn<BotContext> = async (ctx, next) => {
  const timedOut = takeEnded(ctx);
  const inGroup = ctx.chat?.type === "group" || ctx.chat?.type === "supergroup";
  // issue 17: an ended conversation's panel (and deep link) goes; a quiet group is not told.
  const cleanUpEnded = async () =>
    ctx.chat && ctx.from ? cleanUp(ctx, { chatId: ctx.chat.id, userId: ctx.from.id }) : 0;
  if (timedOut?.reason === "timeout" && !((await cleanUpEnded()) > 0 && inGroup)) {
    await ctx.reply(
      conversationText.timedOut({
        ids: timedOut.ids,
        minutes: ctx.deps.config.conversationTimeoutMinutes,
        who: inGroup && ctx.from ? displayName(ctx.from) : null,
      }),
      { parse_mode: "HTML" },
    );
  }
  const command = commandOf(ctx);
  if (command !== null && command !== "cancel") {
    const active = Object.keys(ctx.conversation.active());
    if (active.length > 0) {
      await ctx.conversation.exitAll();
      if (!((await cleanUpEnded()) > 0 && inGroup)) await ctx.reply(conversationText.endedByCommand(active));
    }
  }
  return next();
};
