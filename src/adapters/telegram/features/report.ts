// /report enters the report conversation; /cancel leaves any conversation (installed before them).
import { Composer } from "grammy";
import { t } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { cleanUp, deleteAnswer, isGroupChat, movedToPrivate } from "../quiet.js";

const cancel = new Composer<BotContext>();
onCommand(cancel, "cancel", async (ctx) => {
  const active = Object.keys(ctx.conversation.active()).length > 0;
  await ctx.conversation.exitAll();
  // issue 17: what the conversation left goes; in a quiet group so does the /cancel, and nothing is said.
  const cleaned = ctx.from ? await cleanUp(ctx, { chatId: ctx.chat.id, userId: ctx.from.id }) : 0;
  if (isGroupChat(ctx.chat) && cleaned > 0) {
    await deleteAnswer(ctx, { chatId: ctx.chat.id, messageId: ctx.msg.message_id, date: ctx.msg.date });
    return;
  }
  await ctx.reply(active ? t.cancel.done : t.cancel.nothing);
});

const composer = new Composer<BotContext>();
onCommand(composer, "report", async (ctx) => {
  await ctx.conversation.exitAll(); // /report again starts over
  // issue 17: a group where the bot may not delete answers gets a deep link; the questions go private.
  if (await movedToPrivate(ctx, "report", ctx.groupSystemId ? { systemId: ctx.groupSystemId } : {})) return;
  await ctx.conversation.enter("report");
});

export { cancel as cancelFeature, composer as reportFeature };
