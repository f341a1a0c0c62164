// issue 17: keeping the team group quiet. Whether the bot may delete others' messages in a group
// (getChatMember of the bot, cached per chat), the deep link that moves a conversation to a private
// chat when it may not, and the cleanup of what a conversation leaves behind (src/app/quiet.ts keeps
// the list in the database, so a restart or a timeout still cleans up).
import { randomBytes } from "node:crypto";
import type { Api, Context } from "grammy";
import { z } from "zod";
import { createDeepLink, type DeepLink, type Leftover, rememberLeftover, takeLeftovers } from "../../app/quiet.js";
import { quietText } from "../../i18n/index.js";
import type { BotContext, BotDeps } from "./context.js";
import { displayName } from "./middleware.js";

/** How long a group's answer to getChatMember is trusted (a my_chat_member update forgets it at once). */
export const RIGHTS_TTL_MS = 10 * 60_000;
/** deleteMessage refuses messages older than 48 h; a margin keeps the bot from asking in vain. */
const DELETE_WINDOW_MS = 47 * 3600_000;

const rights = new WeakMap<BotDeps, Map<number, { can: boolean; at: number }>>();

/** https://core.telegram.org/bots/api#chatmember — only what decides the right to delete. */
const BotMember = z.looseObject({ status: z.string(), can_delete_messages: z.boolean().optional() });

export const isGroupChat = (chat: { type: string } | undefined): boolean =>
  chat?.type === "group" || chat?.type === "supergroup";

/**
 * Whether the bot may delete members' messages in this chat: always in a private chat; in a group
 * only as its creator or an administrator with can_delete_messages (cached for RIGHTS_TTL_MS).
 */
export async function mayDeleteIn(
  deps: BotDeps,
  api: Api,
  me: { id: number },
  chat: { id: number; type: string },
): Promise<boolean> {
  if (chat.type === "private") return true;
  const cache = rights.get(deps) ?? new Map<number, { can: boolean; at: number }>();
  rights.set(deps, cache);
  const now = deps.clock().getTime();
  const hit = cache.get(chat.id);
  if (hit && now - hit.at < RIGHTS_TTL_MS && now >= hit.at) return hit.can;
  let can = false;
  try {
    // https://core.telegram.org/bots/api#getchatmember
    const member = BotMember.parse(await api.getChatMember(chat.id, me.id));
    can = member.status === "creator" || (member.status === "administrator" && member.can_delete_messages === true);
  } catch (err) {
    deps.logger.warn({ err, chat: chat.id }, "getChatMember for the bot failed: answers are not deleted");
  }
  cache.set(chat.id, { can, at: now });
  return can;
}

/** The bot's rights in a chat changed (my_chat_member): ask again next time. */
export function forgetRights(deps: BotDeps, chatId: number): void {
  rights.get(deps)?.delete(chatId);
}

/**
 * Deletes a member's message when the bot may (the right, and under 48 h old); never throws — a
 * message that stays is not worth failing a conversation for.
 */
export async function deleteAnswer(octx: BotContext, message: { chatId: number; messageId: number; date: number }) {
  const { deps } = octx;
  if (deps.clock().getTime() - message.date * 1000 > DELETE_WINDOW_MS) return false;
  const chat = { id: message.chatId, type: message.chatId < 0 ? "supergroup" : "private" };
  if (!(await mayDeleteIn(deps, octx.api, octx.me, chat))) return false;
  return deleteQuietly(octx, { chatId: message.chatId, messageId: message.messageId });
}

/** Deletes one of the bot's own messages (any chat, under 48 h); false when Telegram refused. */
export async function deleteQuietly(ctx: Pick<BotContext, "api" | "log">, m: Leftover): Promise<boolean> {
  try {
    // https://core.telegram.org/bots/api#deletemessage
    await ctx.api.deleteMessage(m.chatId, m.messageId);
    return true;
  } catch (err) {
    ctx.log.info({ err, chat: m.chatId, message: m.messageId }, "message not deleted");
    return false;
  }
}

/** Deletes what the (chat, user) conversation left (its question message, a deep link in the group). */
export async function cleanUp(ctx: BotContext, owner: { chatId: number; userId: number }): Promise<number> {
  const left = await takeLeftovers(ctx.deps.db, owner);
  for (const m of left) await deleteQuietly(ctx, m);
  return left.length;
}

/** A short nonce for a deep link ([a-z0-9]{10}). */
const nonce = (): string => Array.from(randomBytes(10), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");

/**
 * In a group where the bot may not delete answers, a conversation moves to the member's private chat:
 * the group gets one message with a deep link (https://core.telegram.org/bots/features#deep-linking,
 * `https://t.me/<bot>?start=<payload>`), deleted when the private conversation ends or the link
 * expires. Returns true when it moved (the caller then does nothing more in the group).
 */
export async function movedToPrivate(ctx: BotContext, kind: DeepLink["kind"], args: Record<string, unknown>) {
  if (!isGroupChat(ctx.chat) || !ctx.from) return false;
  if (await mayDeleteIn(ctx.deps, ctx.api, ctx.me, ctx.chat!)) return false;
  const { db, clock } = ctx.deps;
  const payload = await createDeepLink(
    db,
    { kind, userId: ctx.from.id, groupChatId: ctx.chat!.id, args },
    nonce(),
    clock(),
  );
  const sent = await ctx.reply(quietText.deepLink(displayName(ctx.from)), {
    parse_mode: "HTML",
    reply_markup: {
      inline_keyboard: [[{ text: quietText.deepLinkButton, url: `https://t.me/${ctx.me.username}?start=${payload}` }]],
    },
  });
  await rememberLeftover(
    db,
    { chatId: ctx.from.id, userId: ctx.from.id }, // the private conversation it starts owns it
    { chatId: sent.chat.id, messageId: sent.message_id },
    clock(),
  );
  return true;
}

export type { Context };
