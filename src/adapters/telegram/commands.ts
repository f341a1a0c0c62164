// The bot's commands, in one table: who each is for (members, or admins), its handler registration
// (`onCommand`, used by every feature) and the menus registered with setMyCommands (members'
// everywhere; admins' in each admin's private chat and, per group, for that admin only).
//
// Why a table rather than @grammyjs/commands' CommandGroup: admins here are per user and per system
// (ADMIN_IDS and the admins table, re-read from the database on every update, plus
// systems[].adminIds for one system's group), so the admin menu goes to `chat` and `chat_member`
// scopes computed at registration; and a non-admin typing an admin command must be answered
// 「只有管理員可以操作」, not ignored as a command out of scope — CommandGroup routes a command by
// the scopes it was added to. The handlers also need their order across features (/history is
// shared by the bug trail and the deployments). The table keeps one source for both.
import type { Api, CommandMiddleware, Composer } from "grammy";
import type { BotCommand } from "grammy/types";
import type { Logger } from "pino";
import { currentChatId } from "../../app/outbox.js";
import { adminIds } from "../../app/systems.js";
import type { Config } from "../../config.js";
import { quietText, t } from "../../i18n/index.js";
import type { Db } from "../db/database.js";
import type { BotContext } from "./context.js";

/** Every command's menu description (issue 17's /todo and /notify live in i18n/zh-TW/quiet.ts). */
export const DESCRIPTIONS = { ...t.commands, ...quietText.commands };
export type Command = keyof typeof DESCRIPTIONS;
type Audience = "member" | "admin";

/** Every command, in menu order, and whose menu lists it. */
export const COMMANDS = {
  start: "member",
  help: "member",
  report: "member",
  bugs: "member",
  bug: "member",
  history: "member",
  status: "member",
  version: "member",
  incident: "member", // issue 12
  incidents: "member", // issue 12
  link: "member", // issue 13
  release: "member", // issue 13
  cancel: "member",
  todo: "member", // issue 17: an admin's queue; a member's own reports
  triage: "admin",
  approve_prod: "admin",
  approve_uat: "admin",
  close: "admin",
  reject: "admin",
  hotfix: "admin",
  rollback: "admin",
  freeze: "admin",
  run: "admin",
  oncall: "admin",
  notify: "admin", // issue 17
} as const satisfies Record<Command, Audience>;

const of = (audience: Audience): readonly Command[] =>
  (Object.keys(COMMANDS) as Command[]).filter((c) => COMMANDS[c] === audience);

export const MEMBER_COMMANDS: readonly Command[] = of("member");
export const ADMIN_COMMANDS: readonly Command[] = of("admin");

const handled = new Set<Command>();

/** The commands some feature handles (filled as the features are imported). */
export const handledCommands = (): ReadonlySet<Command> => handled;

/** Registers a command handler; only commands of the table can be handled. */
export function onCommand(
  composer: Composer<BotContext>,
  names: Command | readonly Command[],
  ...middleware: CommandMiddleware<BotContext>[]
): void {
  const list = typeof names === "string" ? [names] : [...names];
  for (const name of list) handled.add(name);
  composer.command(list, ...middleware);
}

export const botCommands = (admin: boolean): BotCommand[] =>
  [...MEMBER_COMMANDS, ...(admin ? ADMIN_COMMANDS : [])].map((command) => ({
    command,
    description: DESCRIPTIONS[command],
  }));

/**
 * Members' commands everywhere; admins' in each admin's private chat and, per group, for that
 * admin only: a global admin in every system's group, a system admin (systems[].adminIds) in their
 * system's group (its supergroup once migrated). A failure is logged and the bot goes on (the
 * commands still work when typed).
 */
export async function registerCommands(api: Api, db: Db, config: Config, logger: Logger): Promise<void> {
  const attempt = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (err) {
      logger.warn({ err, scope: what }, "setMyCommands failed");
    }
  };
  const groups = new Map<string, number>();
  for (const s of config.systems) groups.set(s.id, await currentChatId(db, s.groupChatId).catch(() => s.groupChatId));
  await attempt("default", () => api.setMyCommands(botCommands(false), { scope: { type: "default" } }));
  const global = await adminIds(db, config.adminIds).catch(() => config.adminIds);
  const perSystem = config.systems.flatMap((s) => (s.adminIds ?? []).map((id) => ({ id, systemId: s.id })));
  const admins = [...new Set([...global, ...perSystem.map((a) => a.id)])];
  for (const id of admins) {
    await attempt(`admin ${id}`, () => api.setMyCommands(botCommands(true), { scope: { type: "chat", chat_id: id } }));
    for (const s of config.systems) {
      if (!global.includes(id) && !perSystem.some((a) => a.id === id && a.systemId === s.id)) continue;
      const chatId = groups.get(s.id) ?? s.groupChatId;
      await attempt(`admin ${id} in ${s.id}`, () =>
        api.setMyCommands(botCommands(true), { scope: { type: "chat_member", chat_id: chatId, user_id: id } }),
      );
    }
  }
}
