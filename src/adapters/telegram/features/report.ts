// /report enters the report conversation; /cancel leaves any conversation (installed before them).
import { Composer } from "grammy";
import { t } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";

const cancel = new Composer<BotContext>();
onCommand(cancel, "cancel", async (ctx) => {
  const active = Object.keys(ctx.conversation.active()).length > 0;
  await ctx.conversation.exitAll();
  await ctx.reply(active ? t.cancel.done : t.cancel.nothing);
});

const composer = new Composer<BotContext>();
onCommand(composer, "report", async (ctx) => {
  await ctx.conversation.exitAll(); // /report again starts over
  await ctx.conversation.enter("report");
});

export { cancel as cancelFeature, composer as reportFeature };
