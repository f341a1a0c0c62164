// issue 17: /todo in a private chat — what waits for this admin now, newest first, each with the
// button of the existing handler (one callback codec); a member sees their own reports' states.
// /notify on|off — an admin's private notifications (a stored preference; the notices go through
// the outbox).
import { Composer, InlineKeyboard } from "grammy";
import { adminTodo, memberTodo, notifyEnabled, setNotify, type TodoItem } from "../../../app/todo.js";
import { CALLBACK_ACTIONS, type CallbackAction, encodeCallback } from "../../../core/callback-data.js";
import { formatDateTime } from "../../../core/windows.js";
import { quietText, t } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { adminSystemIds } from "../guards.js";
import { replyHtml } from "../respond.js";

const Q = quietText.todo;
/** Items shown at once: their lines and one button each stay well within one message. */
const SHOWN = 15;

const composer = new Composer<BotContext>();

function line(
  item: TodoItem,
  tzOf: (systemId: string) => string,
): { text: string; button: [string, CallbackAction, number, number] } {
  const { bug } = item;
  switch (item.kind) {
    case "triage":
      return {
        text: Q.triage(bug.id, bug.title),
        button: [`${t.buttons.confirm} #${bug.id}`, CALLBACK_ACTIONS.confirm, bug.id, bug.rowVersion],
      };
    case "approveProd":
      return {
        text: Q.approveProd(bug.id, bug.title, item.cutoff ? formatDateTime(item.cutoff, item.tz) : null),
        button: [t.buttons.approveProd(bug.id), CALLBACK_ACTIONS.approveProd, bug.id, bug.rowVersion],
      };
    case "approveUat":
      return {
        text: Q.approveUat(bug.id, bug.title),
        button: [t.buttons.approveUatMerge(bug.id), CALLBACK_ACTIONS.approveUatMerge, bug.id, bug.rowVersion],
      };
    case "hotfix": {
      const tz = tzOf(bug.systemId);
      return {
        text: Q.hotfix(
          item.request.id,
          bug.id,
          item.request.requestedByName,
          formatDateTime(item.request.expiresAt, tz),
        ),
        button: [Q.hotfixButton(bug.id), CALLBACK_ACTIONS.hotfixApprove, item.request.id, 0],
      };
    }
    case "held":
      return {
        text: Q.held(bug.id, bug.title),
        button: [Q.requeueButton(bug.id), CALLBACK_ACTIONS.requeue, bug.id, bug.rowVersion],
      };
  }
}

onCommand(composer, "todo", async (ctx) => {
  if (ctx.chat.type !== "private") return void (await replyHtml(ctx, Q.privateOnly));
  const { deps } = ctx;
  const systemIds = await adminSystemIds(ctx);
  if (systemIds.length === 0) {
    const mine = await memberTodo(deps.db, ctx.from!.id);
    const lines = mine.map((b) => Q.mine(b.id, b.title, b.status));
    return void (await replyHtml(ctx, mine.length ? [Q.mineHeader, ...lines].join("\n") : Q.mineNothing));
  }
  const items = await adminTodo(deps, { id: ctx.from!.id, systemIds }, deps.clock());
  if (items.length === 0) return void (await replyHtml(ctx, Q.nothing));
  const tzOf = (id: string) => deps.config.systems.find((s) => s.id === id)?.timezone ?? "UTC";
  const shown = items.slice(0, SHOWN).map((item) => line(item, tzOf));
  const keyboard = new InlineKeyboard();
  for (const { button } of shown) {
    const [label, action, id, version] = button;
    keyboard.text(label, encodeCallback({ action, id, version })).row();
  }
  const more = items.length > SHOWN ? [Q.more(items.length - SHOWN)] : [];
  await replyHtml(ctx, [Q.header, ...shown.map((s) => s.text), ...more].join("\n"), keyboard);
});

onCommand(composer, "notify", async (ctx) => {
  const { deps } = ctx;
  if ((await adminSystemIds(ctx)).length === 0) return void (await replyHtml(ctx, quietText.notify.adminsOnly));
  const arg = ctx.match.trim().toLowerCase();
  if (arg !== "on" && arg !== "off") {
    return void (await replyHtml(ctx, quietText.notify.usage(await notifyEnabled(deps.db, ctx.from!.id))));
  }
  await setNotify(deps.db, ctx.from!.id, arg === "on", deps.clock());
  await replyHtml(ctx, arg === "on" ? quietText.notify.on : quietText.notify.off);
});

export { composer as todoFeature };
