// /start and /help: what the bot does and the commands for this user's role.
import { Composer } from "grammy";
import { t } from "../../../i18n/index.js";
import { ADMIN_COMMANDS, MEMBER_COMMANDS } from "../commands.js";
import type { BotContext } from "../context.js";
import { replyHtml } from "../respond.js";

const composer = new Composer<BotContext>();

composer.command(["start", "help"], async (ctx) => {
  const actor = await ctx.actor();
  const admin = actor.kind === "user" && actor.isAdmin;
  const list = (commands: readonly (keyof typeof t.commands)[]) => commands.map((c) => t.help.line(c, t.commands[c]));
  await replyHtml(
    ctx,
    [
      t.help.intro,
      "",
      t.help.member,
      ...list(MEMBER_COMMANDS),
      ...(admin ? ["", t.help.admin, ...list(ADMIN_COMMANDS)] : []),
    ].join("\n"),
  );
});

export { composer as startFeature };
