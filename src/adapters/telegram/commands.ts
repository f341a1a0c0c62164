// The command menu: what members and admins see, registered with setMyCommands (admins in their own scopes).
import type { Api } from "grammy";
import type { BotCommand } from "grammy/types";
import type { Logger } from "pino";
import { adminIds } from "../../app/systems.js";
import type { Config } from "../../config.js";
import { t } from "../../i18n/index.js";
import type { Db } from "../db/database.js";

type Command = keyof typeof t.commands;

export const MEMBER_COMMANDS: readonly Command[] = [
  "start",
  "help",
  "report",
  "bugs",
  "bug",
  "history",
  "status",
  "version",
  "cancel",
];
export const ADMIN_COMMANDS: readonly Command[] = [
  "triage",
  "approve_prod",
  "approve_uat",
  "close",
  "reject",
  "hotfix",
  "rollback",
  "freeze",
  "run",
  "oncall",
];

export const botCommands = (admin: boolean): BotCommand[] =>
  [...MEMBER_COMMANDS, ...(admin ? ADMIN_COMMANDS : [])].map((command) => ({
    command,
    description: t.commands[command],
  }));

/**
 * Members' commands everywhere; admins' in each admin's private chat and, per group, for that
 * admin only. A failure is logged and the bot goes on (the commands still work when typed).
 */
export async function registerCommands(api: Api, db: Db, config: Config, logger: Logger): Promise<void> {
  const attempt = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (err) {
      logger.warn({ err, scope: what }, "setMyCommands failed");
    }
  };
  await attempt("default", () => api.setMyCommands(botCommands(false), { scope: { type: "default" } }));
  const admins = await adminIds(db, config.adminIds).catch(() => config.adminIds);
  for (const id of admins) {
    await attempt(`admin ${id}`, () => api.setMyCommands(botCommands(true), { scope: { type: "chat", chat_id: id } }));
    for (const s of config.systems) {
      await attempt(`admin ${id} in ${s.id}`, () =>
        api.setMyCommands(botCommands(true), { scope: { type: "chat_member", chat_id: s.groupChatId, user_id: id } }),
      );
    }
  }
}
