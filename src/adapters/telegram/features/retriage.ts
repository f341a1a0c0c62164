// issue 10: 🔁 重新分類 under T1's hold message (a Flow 1 bug held because UAT moved ahead of PROD).
import { Composer } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import { retriageBug } from "../../../app/retriage.js";
import { bugSystemId } from "../../../app/scopes.js";
import { systemRegistry } from "../../../app/systems.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../../core/callback-data.js";
import { t, versionText } from "../../../i18n/index.js";
import type { BotContext } from "../context.js";
import { onAction, requireAdmin } from "../guards.js";
import { editMarkup } from "../respond.js";

const composer = new Composer<BotContext>();

onAction(composer, [CALLBACK_ACTIONS.retriage], async (ctx, payload) => {
  const systemId = await bugSystemId(ctx.deps.db, payload.id);
  const admin = await requireAdmin(ctx, systemId);
  if (!admin) return;
  const system = systemRegistry(ctx.deps.config).find(systemId);
  if (!system) return ctx.answerCallbackQuery({ text: t.errors.outdated });
  const result = await retriageBug(ctx.deps, system, { bugId: payload.id, rowVersion: payload.version, actor: admin });
  if (result.kind === "unknown_versions") return ctx.answerCallbackQuery({ text: versionText.retriageUnknown });
  if (result.kind === "refused") return ctx.answerCallbackQuery({ text: t.refusals[result.result.reason] });
  if (result.kind !== "applied") return ctx.answerCallbackQuery({ text: t.errors.outdated });
  await ctx.answerCallbackQuery({ text: versionText.retriaged(payload.id, result.flow, admin.name) });
  // This bug's button goes; the others stay.
  const mine = encodeCallback(payload);
  const markup = ctx.callbackQuery?.message?.reply_markup as InlineKeyboardMarkup | undefined;
  const rest = (markup?.inline_keyboard ?? []).filter(
    (row) => !row.some((b) => "callback_data" in b && b.callback_data === mine),
  );
  await editMarkup(ctx, { inline_keyboard: rest });
});

export { composer as retriageFeature };
