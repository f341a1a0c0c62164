// Authorization and callback routing shared by the features.
import type { Composer } from "grammy";
import { type CallbackAction, type CallbackPayload, parseCallback } from "../../core/callback-data.js";
import type { Actor } from "../../core/model.js";
import { t } from "../../i18n/zh-tw.js";
import type { BotContext } from "./context.js";

export type AdminActor = Extract<Actor, { kind: "user" }>;

/** The sender if an admin (re-read from the database); otherwise a toast or reply, and null. */
export async function requireAdmin(ctx: BotContext): Promise<AdminActor | null> {
  const actor = await ctx.actor();
  if (actor.kind === "user" && actor.isAdmin) return actor;
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: t.errors.adminOnly });
  else await ctx.reply(t.errors.adminOnly);
  return null;
}

/** Routes our versioned callback_data (`v1:<action>:<id>:<version>`) for the given actions. */
export function onAction(
  composer: Composer<BotContext>,
  actions: readonly CallbackAction[],
  handler: (ctx: BotContext, payload: CallbackPayload) => Promise<unknown>,
): void {
  composer.on("callback_query:data", async (ctx, next) => {
    const payload = parseCallback(ctx.callbackQuery.data);
    if (!payload || !actions.includes(payload.action)) return next();
    await handler(ctx, payload);
  });
}

/** Anything no feature recognised: a toast, nothing written. */
export const unknownButton = (ctx: BotContext) => ctx.answerCallbackQuery({ text: t.errors.unknownButton });

/** The system a chat belongs to: its group's system, else the only one configured, else null (ask). */
export function chatSystemId(ctx: BotContext): string | null {
  const systems = ctx.deps.config.systems;
  const own = systems.find((s) => s.groupChatId === ctx.chat?.id);
  if (own) return own.id;
  return systems.length === 1 ? systems[0]!.id : null;
}

/** Whether the pressed message really carries the pressed button (forged data must not edit it). */
export const pressedButtonShown = (ctx: BotContext): boolean =>
  (ctx.callbackQuery?.message?.reply_markup?.inline_keyboard ?? [])
    .flat()
    .some((b) => "callback_data" in b && b.callback_data === ctx.callbackQuery?.data);
