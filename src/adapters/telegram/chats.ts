// Which system's group an update comes from, following supergroup migrations: Telegram gives an
// upgraded group a new chat id, the configuration keeps the old one. The mapping lives in
// chat_migrations (recorded here from the migrate_to/migrate_from service messages, and by the
// outbox when Telegram answers 400 with migrate_to_chat_id); found mappings are cached per bot.
import type { MiddlewareFn } from "grammy";
import { migratedFrom } from "../../app/chats.js";
import { currentChatId, recordChatMigration } from "../../app/outbox.js";
import type { Config } from "../../config.js";
import type { BotContext, BotDeps } from "./context.js";

/** Per bot: a migrated chat id → the system whose configured group it became (a migration is permanent). */
const moved = new WeakMap<BotDeps, Map<number, string>>();
const MOVED_MAX = 1_000;

const configured = (config: Config, chatId: number | undefined): string | null =>
  chatId === undefined ? null : (config.systems.find((s) => s.groupChatId === chatId)?.id ?? null);

/** The system whose group `chatId` is: configured, or a group that migrated from a configured one. */
export async function systemOfChat(deps: BotDeps, chatId: number | undefined): Promise<string | null> {
  const direct = configured(deps.config, chatId);
  if (direct || chatId === undefined || chatId > 0) return direct;
  const cache = moved.get(deps) ?? new Map<number, string>();
  moved.set(deps, cache);
  const hit = cache.get(chatId);
  if (hit) return hit;
  // A miss asks the database each time: the outbox may have recorded the move meanwhile.
  const found = (await migratedFrom(deps.db, chatId)).map((old) => configured(deps.config, old)).find(Boolean);
  if (!found) return null;
  if (cache.size >= MOVED_MAX) cache.clear();
  cache.set(chatId, found);
  return found;
}

/** The chat a stored chat id (a card's, a pressed message's) is now: direct Bot API calls follow moves too. */
export const liveChatId = (deps: BotDeps, chatId: number): Promise<number> => currentChatId(deps.db, chatId);

/**
 * Sets `ctx.groupSystemId`, and records a migration when its service message arrives: in the old
 * group `migrate_to_chat_id`, in the new supergroup `migrate_from_chat_id`. Only a known group's
 * move is recorded.
 */
export const recognizeChat: MiddlewareFn<BotContext> = async (ctx, next) => {
  const message = ctx.message;
  const to = message?.migrate_to_chat_id;
  const from = message?.migrate_from_chat_id;
  const move =
    to !== undefined && ctx.chatId !== undefined
      ? { oldId: ctx.chatId, newId: to }
      : from !== undefined && ctx.chatId !== undefined
        ? { oldId: from, newId: ctx.chatId }
        : null;
  if (move) {
    const system = await systemOfChat(ctx.deps, move.oldId);
    if (system) {
      await recordChatMigration(ctx.deps.db, move.oldId, move.newId, ctx.deps.clock());
      ctx.log.info({ ...move, system }, "group migrated to a supergroup");
    }
  }
  ctx.groupSystemId = await systemOfChat(ctx.deps, ctx.chatId);
  return next();
};
