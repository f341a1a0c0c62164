// Triage from the card: 確認 opens the severity/flow menu, 拒絕 asks for a reason; /triage walks the queue.
import { Composer } from "grammy";
import { getBug } from "../../../app/bugs.js";
import { CALLBACK_ACTIONS, parseCallback } from "../../../core/callback-data.js";
import { t } from "../../../i18n/index.js";
import { outdated, queueMessage } from "../cards.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { onAction, pressedButtonShown, requireAdmin, requireSomeAdmin } from "../guards.js";
import { showTriage, triageMenu } from "../menus/triage.js";
import { editHtml, replyHtml } from "../respond.js";

const composer = new Composer<BotContext>();
composer.use(triageMenu); // here rather than in bot.ts: its hotfix button enters a conversation registered by an earlier feature

/** Whether the pressed card is a /triage queue card (it carries the 略過 button). */
const fromQueue = (ctx: BotContext): boolean =>
  ctx.callbackQuery?.message?.reply_markup?.inline_keyboard
    .flat()
    .some((b) => "callback_data" in b && parseCallback(b.callback_data)?.action === CALLBACK_ACTIONS.queueSkip) ??
  false;

onAction(composer, [CALLBACK_ACTIONS.confirm, CALLBACK_ACTIONS.reject], async (ctx, p) => {
  const bug = await getBug(ctx.deps.db, p.id);
  if (!(await requireAdmin(ctx, bug?.systemId))) return; // a system admin triages their system's bugs
  if (!bug || bug.rowVersion !== p.version || bug.status !== "submitted") return outdated(ctx, bug);
  const queue = fromQueue(ctx);
  if (p.action === CALLBACK_ACTIONS.confirm) {
    await ctx.answerCallbackQuery();
    return showTriage(ctx, bug, { id: bug.id, rv: bug.rowVersion, sev: null, flow: null, env: bug.foundInEnv, queue });
  }
  if (Object.keys(ctx.conversation.active()).length > 0) return ctx.answerCallbackQuery({ text: t.errors.busy });
  await ctx.answerCallbackQuery();
  const message = ctx.callbackQuery!.message!;
  await ctx.conversation.enter("reject", {
    bugId: bug.id,
    rowVersion: bug.rowVersion,
    chatId: message.chat.id,
    messageId: message.message_id,
    queue,
  });
});

onAction(composer, [CALLBACK_ACTIONS.queueSkip], async (ctx, p) => {
  const admin = await requireSomeAdmin(ctx);
  if (!admin) return;
  if (!pressedButtonShown(ctx)) return ctx.answerCallbackQuery({ text: t.errors.outdated });
  await ctx.answerCallbackQuery();
  const next = await queueMessage(ctx.deps, admin.systemIds, p.id);
  await editHtml(ctx, next.html, next.markup);
});

onCommand(composer, "triage", async (ctx) => {
  const admin = await requireSomeAdmin(ctx); // the queue holds the systems the sender administers
  if (!admin) return;
  if (ctx.chat.type !== "private") return replyHtml(ctx, t.triage.privateOnly);
  const first = await queueMessage(ctx.deps, admin.systemIds);
  await replyHtml(ctx, first.html, first.markup);
});

export { composer as triageFeature };
