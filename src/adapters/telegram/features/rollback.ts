// /rollback <uat|prod> [version] (admin): preview → reason (conversation) → 確認回滾 (one callback,
// claimed in the database). Also 立即回滾 under a failed watch, 重新排入 for held bugs, and
// /history [uat|prod] for the deployments (rollbacks included); /history <id> stays the bug trail.
import { createConversation } from "@grammyjs/conversations";
import { Composer } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import { claimKey } from "../../../app/incident-support.js";
import { fileFollowUpBug, getIncident, type IncidentRow, listIncidents } from "../../../app/incidents.js";
import {
  cancelRollback,
  claimRollbackPlan,
  deploymentHistory,
  historyLines,
  requeueBug,
  rollbackDeployment,
  runRollbackPlan,
} from "../../../app/rollback.js";
import { bugSystemId, deploymentSystemId, rollbackPlanSystemId } from "../../../app/scopes.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../../core/callback-data.js";
import { ENVS, type Env } from "../../../core/model.js";
import { codePointLength } from "../../../core/text.js";
import { formatDateTime } from "../../../core/windows.js";
import { incidentRecords, incidents } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { tellingTelegramErrors } from "../conversations/common.js";
import { rollbackConversation } from "../conversations/incidents.js";
import { canSeeSystem, onAction, requireAdmin, visibleSystemIds } from "../guards.js";
import { movedToPrivate } from "../quiet.js";
import { editHtml, editMarkup, messageHtml, replyHtml } from "../respond.js";
import { chatSystem, inBackground, rollbackText } from "./incident-common.js";

const R = incidents.rollback;
const A = CALLBACK_ACTIONS;
const composer = new Composer<BotContext>();
composer.use(createConversation(tellingTelegramErrors(rollbackConversation), "rollback"));

const isEnv = (s: string | undefined): s is Env => ENVS.includes(s as Env);

onCommand(composer, "rollback", async (ctx) => {
  const system = chatSystem(ctx);
  const admin = await requireAdmin(ctx, system?.id); // a system admin rolls back their own system
  if (!admin) return;
  if (!system) return replyHtml(ctx, incidents.noSystem);
  const [env, version, ...rest] = ctx.match.trim().split(/\s+/);
  const lower = env?.toLowerCase();
  if (!isEnv(lower) || rest.length || (version && codePointLength(version) > 64))
    return replyHtml(ctx, incidents.usage.rollback);
  const args = { systemId: system.id, env: lower, version: version ?? null };
  // issue 17: in a group where answers cannot be deleted, the reason is asked in a private chat.
  if (await movedToPrivate(ctx, "rollback", args)) return;
  await ctx.conversation.enter("rollback", args);
});

onCommand(composer, "history", async (ctx, next) => {
  const arg = ctx.match.trim().toLowerCase();
  if (arg && !isEnv(arg)) return next();
  const system = chatSystem(ctx);
  if (!system) return replyHtml(ctx, incidents.noSystem);
  const rows = (await deploymentHistory(ctx.deps.db, system.id, 30)).filter((d) => !arg || d.env === arg).slice(0, 15);
  await replyHtml(ctx, rows.length ? [R.history, ...historyLines(rows, system.timezone)].join("\n") : R.historyEmpty);
});

/** The pressed message, with a line appended and its buttons removed. */
const pressedHtml = (ctx: BotContext, line: string) => {
  const message = ctx.callbackQuery?.message;
  const text = message && "text" in message ? messageHtml(message.text ?? "", message.entities) : "";
  return `${text}\n\n${line}`;
};

/** Runs a rollback in the background; only refusals are answered in the chat (the group gets the rest). */
function rollInBackground(ctx: BotContext, work: () => ReturnType<typeof rollbackDeployment>) {
  inBackground(ctx, ctx.log, ctx.chat!.id, async () => rollbackText(await work()));
}

onAction(composer, [A.rollbackConfirm, A.rollbackCancel], async (ctx, payload) => {
  const admin = await requireAdmin(ctx, await rollbackPlanSystemId(ctx.deps.db, payload.id));
  if (!admin) return;
  const at = formatDateTime(ctx.deps.clock(), chatSystem(ctx)?.timezone ?? "UTC");
  if (payload.action === A.rollbackCancel) {
    const cancelled = await cancelRollback(ctx.deps, payload.id);
    await ctx.answerCallbackQuery({ text: cancelled ? R.cancelled(admin.name) : R.alreadyHandled });
    if (cancelled) await editHtml(ctx, pressedHtml(ctx, R.cancelled(admin.name)));
    return;
  }
  const stored = await claimRollbackPlan(ctx.deps, payload.id);
  if (typeof stored === "string")
    return ctx.answerCallbackQuery({ text: stored === "outdated" ? R.outdated : R.alreadyHandled });
  await ctx.answerCallbackQuery({ text: R.started(admin.name) });
  await editHtml(ctx, pressedHtml(ctx, `${R.started(admin.name)}（${at}）`));
  const deps = ctx.deps;
  rollInBackground(ctx, () => runRollbackPlan(deps, stored, admin));
});

onAction(composer, [A.rollbackNow], async (ctx, payload) => {
  const admin = await requireAdmin(ctx, await deploymentSystemId(ctx.deps.db, payload.id));
  if (!admin) return;
  // One press wins (the rollback itself is claimed again per release inside).
  if (!(await claimKey(ctx.deps.db, `rollback-now:${payload.id}`, { by: admin.name }, ctx.deps.clock())))
    return ctx.answerCallbackQuery({ text: R.alreadyHandled });
  await ctx.answerCallbackQuery({ text: R.started(admin.name) });
  await editMarkup(ctx);
  const deps = ctx.deps;
  rollInBackground(ctx, () => rollbackDeployment(deps, payload.id, admin, R.fromWatch(admin.name)));
});

onAction(composer, [A.requeue], async (ctx, payload) => {
  const admin = await requireAdmin(ctx, await bugSystemId(ctx.deps.db, payload.id));
  if (!admin) return;
  const result = await requeueBug(ctx.deps, { bugId: payload.id, rowVersion: payload.version, actor: admin });
  if (result.kind !== "applied") return ctx.answerCallbackQuery({ text: incidents.rollback.alreadyHandled });
  await ctx.answerCallbackQuery({ text: R.requeued(payload.id, admin.name) });
  const mine = encodeCallback(payload);
  const markup = ctx.callbackQuery?.message?.reply_markup as InlineKeyboardMarkup | undefined;
  const rest = (markup?.inline_keyboard ?? []).filter(
    (row) => !row.some((b) => "callback_data" in b && b.callback_data === mine),
  );
  await editMarkup(ctx, { inline_keyboard: rest });
  await replyHtml(ctx, R.requeued(payload.id, admin.name));
});

// issue 12: incident records — /incident <id>, /incidents, and 建立後續修正 bug under a stable
// post-rollback watch (one bug per incident, however often it is pressed).
const IR = incidentRecords.record;

const incidentView = (row: IncidentRow, tz: string) =>
  IR.show({
    id: row.id,
    env: row.env,
    kind: row.problemKind,
    deployedVersion: row.deployedVersion,
    deployedAt: row.deployedAt ? formatDateTime(row.deployedAt, tz) : null,
    targetVersion: row.targetVersion,
    rolledBackAt: formatDateTime(row.createdAt, tz),
    actor: row.actorName,
    reason: row.reason,
    rollbackStatus: row.rollbackStatus,
    watch: row.watchResult,
    watchDetail: row.watchDetail,
    migrateDown: row.migrateDownStatus,
    bugIds: row.bugIds,
    followUpBugId: row.followUpBugId,
  });

const timezoneOf = (ctx: BotContext, systemId: string) =>
  ctx.deps.config.systems.find((s) => s.id === systemId)?.timezone ?? "UTC";

onCommand(composer, "incident", async (ctx) => {
  const arg = ctx.match.trim();
  const id = /^#?\d{1,15}$/.test(arg) ? Number(arg.replace("#", "")) : null;
  if (id === null) return replyHtml(ctx, IR.usage);
  const row = await getIncident(ctx.deps.db, id);
  // Another system's incident is "not found" here (as /bug does).
  if (!row || !(await canSeeSystem(ctx, row.systemId))) return replyHtml(ctx, IR.notFound(id));
  await replyHtml(ctx, incidentView(row, timezoneOf(ctx, row.systemId)));
});

onCommand(composer, "incidents", async (ctx) => {
  const systemIds = await visibleSystemIds(ctx);
  const rows = await listIncidents(ctx.deps.db, systemIds);
  if (rows.length === 0) return replyHtml(ctx, IR.none);
  const names = systemIds.map((id) => ctx.deps.config.systems.find((s) => s.id === id)?.name ?? id).join("、");
  const lines = rows.map((r) =>
    IR.listLine({
      id: r.id,
      env: r.env,
      at: formatDateTime(r.createdAt, timezoneOf(ctx, r.systemId)),
      kind: r.problemKind,
      from: r.deployedVersion,
      to: r.targetVersion,
      watch: r.watchResult,
      reason: r.reason,
    }),
  );
  await replyHtml(ctx, [IR.listHeader(names), ...lines].join("\n"));
});

onAction(composer, [A.incidentFollowUp], async (ctx, payload) => {
  const incident = await getIncident(ctx.deps.db, payload.id);
  const admin = await requireAdmin(ctx, incident?.systemId ?? null);
  if (!admin) return;
  if (!incident) return ctx.answerCallbackQuery({ text: R.outdated });
  const result = await fileFollowUpBug(ctx.deps, payload.id, admin);
  const F = incidentRecords.followUp;
  if (result.kind === "not_found") return ctx.answerCallbackQuery({ text: R.outdated });
  // The press that filed it removes the button; a concurrent second press only hears so.
  if (result.kind === "already") return ctx.answerCallbackQuery({ text: F.already(result.bugId) });
  await ctx.answerCallbackQuery({ text: F.toast(result.bug.id) });
  await editMarkup(ctx);
  await replyHtml(ctx, F.filed(payload.id, result.bug.id, admin.name));
});

export { composer as rollbackFeature };
