// Authorization and callback routing shared by the features.
import type { Composer } from "grammy";
import { memberSystemIds } from "../../app/members.js";
import { systemRegistry } from "../../app/systems.js";
import { type CallbackAction, type CallbackPayload, parseCallback } from "../../core/callback-data.js";
import type { Actor } from "../../core/model.js";
import { t } from "../../i18n/index.js";
import type { BotContext } from "./context.js";

export type AdminActor = Extract<Actor, { kind: "user" }>;

/** Whether the sender is one of `systemId`'s admins in the config (`systems[].adminIds`). */
const systemAdmin = (ctx: BotContext, systemId: string | null | undefined): boolean =>
  Boolean(systemId && ctx.from && systemRegistry(ctx.deps.config).find(systemId)?.adminIds?.includes(ctx.from.id));

/**
 * Whether the sender may act as an admin on `systemId`: a global admin (ADMIN_IDS or the admins
 * table, re-read from the database on every update) anywhere, a system admin on their system only.
 * Without a system, only global admins.
 */
export async function isAdminFor(ctx: BotContext, systemId?: string | null): Promise<boolean> {
  const actor = await ctx.actor();
  return actor.kind === "user" && (actor.isAdmin || systemAdmin(ctx, systemId));
}

/**
 * The sender if an admin of `systemId` (see isAdminFor); otherwise a toast or reply, and null.
 * Without `systemId` only global admins pass: a system admin is never let through by default.
 */
export async function requireAdmin(ctx: BotContext, systemId?: string | null): Promise<AdminActor | null> {
  const actor = await ctx.actor();
  if (actor.kind === "user" && (actor.isAdmin || systemAdmin(ctx, systemId))) return { ...actor, isAdmin: true };
  return refuseAdmin(ctx);
}

/** requireAdmin's refusal: a toast (a button) or a reply, and null. */
export async function refuseAdmin(ctx: BotContext): Promise<null> {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: t.errors.adminOnly });
  else await ctx.reply(t.errors.adminOnly);
  return null;
}

/**
 * requireAdmin for a subject whose system the use case reads itself (issue 15: in its transaction,
 * so the subject is read once): the sender and `allows(systemId)`, requireAdmin's rule for that
 * system (null: the subject is gone, global admins only). Refused now, as requireAdmin would for
 * any system, when the sender is not a user or administers no system; otherwise a refusal by
 * `allows` is the caller's to report (refuseAdmin), after writing nothing.
 */
export async function requireAdminOfSubject(
  ctx: BotContext,
): Promise<{ actor: AdminActor; allows: (systemId: string | null) => boolean } | null> {
  const actor = await ctx.actor();
  if (actor.kind === "user" && actor.isAdmin) return { actor: { ...actor, isAdmin: true }, allows: () => true };
  if (actor.kind !== "user" || !ctx.deps.config.systems.some((s) => systemAdmin(ctx, s.id))) return refuseAdmin(ctx);
  return { actor: { ...actor, isAdmin: true }, allows: (systemId) => systemAdmin(ctx, systemId) };
}

/**
 * The systems the sender may act on as an admin: every system for a global admin, else those
 * listing them in `systems[].adminIds` (empty for a member).
 */
export async function adminSystemIds(ctx: BotContext): Promise<string[]> {
  const systems = ctx.deps.config.systems;
  const actor = await ctx.actor();
  if (actor.kind === "user" && actor.isAdmin) return systems.map((s) => s.id);
  return systems.filter((s) => systemAdmin(ctx, s.id)).map((s) => s.id);
}

/**
 * For actions across systems (the /triage queue, `/approve_* all` in private): the sender and the
 * systems they administer, or a refusal (as requireAdmin) and null when they administer none.
 */
export async function requireSomeAdmin(ctx: BotContext): Promise<{ actor: AdminActor; systemIds: string[] } | null> {
  const systemIds = await adminSystemIds(ctx);
  const actor = await requireAdmin(ctx, systemIds[0] ?? null);
  return actor ? { actor, systemIds } : null;
}

/**
 * The systems whose bugs the sender may see in this chat. A system's group sees that system only
 * (whoever asks: the whole group reads the answer). In private: a global admin sees every system;
 * anyone else the systems whose group they have been seen in, plus those they administer. With a
 * single system, everyone the bot lets in sees it.
 */
export async function visibleSystemIds(ctx: BotContext): Promise<string[]> {
  const systems = ctx.deps.config.systems;
  if (ctx.groupSystemId) return [ctx.groupSystemId];
  if (ctx.chat?.type !== "private" || !ctx.from) return [];
  if (systems.length === 1) return [systems[0]!.id];
  const actor = await ctx.actor();
  if (actor.kind === "user" && actor.isAdmin) return systems.map((s) => s.id);
  const member = new Set(await memberSystemIds(ctx.deps.db, ctx.from.id));
  return systems.filter((s) => member.has(s.id) || systemAdmin(ctx, s.id)).map((s) => s.id);
}

export const canSeeSystem = async (ctx: BotContext, systemId: string): Promise<boolean> =>
  (await visibleSystemIds(ctx)).includes(systemId);

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

/**
 * The system a chat belongs to: its group's system (a migrated supergroup included), else the only
 * one configured, else null (ask).
 */
export function chatSystemId(ctx: BotContext): string | null {
  if (ctx.groupSystemId) return ctx.groupSystemId;
  const systems = ctx.deps.config.systems;
  return systems.length === 1 ? systems[0]!.id : null;
}

/** Whether the pressed message really carries the pressed button (forged data must not edit it). */
export const pressedButtonShown = (ctx: BotContext): boolean =>
  (ctx.callbackQuery?.message?.reply_markup?.inline_keyboard ?? [])
    .flat()
    .some((b) => "callback_data" in b && b.callback_data === ctx.callbackQuery?.data);
