// /start and /help: what the bot does and the commands for this user's role.
import { Composer } from "grammy";
import { t } from "../../../i18n/index.js";
import { ADMIN_COMMANDS, type Command, DESCRIPTIONS, MEMBER_COMMANDS, onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { adminSystemIds, isAdminFor } from "../guards.js";
import { replyHtml } from "../respond.js";

const composer = new Composer<BotContext>();

onCommand(composer, ["start", "help"], async (ctx) => {
  // Admin commands for whoever may use some here: any admin in private, the group's system's admins in a group.
  const admin =
    ctx.chat.type === "private" ? (await adminSystemIds(ctx)).length > 0 : await isAdminFor(ctx, ctx.groupSystemId);
  const list = (commands: readonly Command[]) => commands.map((c) => t.help.line(c, DESCRIPTIONS[c]));
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
