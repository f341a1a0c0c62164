// 批准推 PROD / 批准 Merge UAT: buttons under the pipeline notifications (per bug and 全部批准),
// and /approve_prod <id|all>, /approve_uat <id|all>. The use case is app/approvals.ts.
import { Composer } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import {
  APPROVAL,
  type ApprovalKind,
  type ApprovalResult,
  approve,
  awaitingApproval,
  deploymentForApproval,
} from "../../../app/approvals.js";
import { getBug } from "../../../app/bugs.js";
import { partialApprovals } from "../../../app/partial-approval.js";
import { bugSystemId } from "../../../app/scopes.js";
import { systemRegistry } from "../../../app/systems.js";
import { CALLBACK_ACTIONS, type CallbackPayload, parseCallback } from "../../../core/callback-data.js";
import { formatWindowTime, t, versionText } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import {
  type AdminActor,
  chatSystemId,
  onAction,
  pressedButtonShown,
  refuseAdmin,
  requireAdmin,
  requireAdminOfSubject,
  requireSomeAdmin,
} from "../guards.js";
import { at } from "../render.js";
import { commandArgs, editHtml, editMarkup, messageHtml, replyHtml } from "../respond.js";

const A = CALLBACK_ACTIONS;
const KIND: Record<string, ApprovalKind> = {
  [A.approveProd]: "prod",
  [A.approveProdAll]: "prod",
  [A.approveUatMerge]: "uat_merge",
  [A.approveUatMergeAll]: "uat_merge",
};
const SINGLE: readonly string[] = [A.approveProd, A.approveUatMerge];

function run(
  ctx: BotContext,
  actor: AdminActor,
  kind: ApprovalKind,
  bugIds: number[],
  versions?: Record<number, number>,
  allowed?: (systemId: string | null) => boolean,
) {
  return approve(ctx.deps.db, {
    kind,
    bugIds,
    actor,
    now: ctx.deps.clock(),
    config: ctx.deps.config,
    calendarFacts: ctx.deps.calendarFacts,
    ...(versions ? { expectedRowVersions: versions } : {}),
    ...(allowed ? { allowed } : {}),
  });
}

/** 「已批准 … 將於 今晚 22:00(11/21)…」, one line per distinct run time, plus the refusals. */
function summary(ctx: BotContext, kind: ApprovalKind, results: ApprovalResult[]): string {
  const now = ctx.deps.clock();
  const byTime = new Map<string, { ids: number[]; skipped: { date: string; reason: string }[] }>();
  const frozen: number[] = [];
  const lines: string[] = [];
  for (const { bugId, result, runsAt } of results) {
    if (result.kind === "applied" && !runsAt) frozen.push(bugId);
    else if (result.kind === "applied" && runsAt) {
      const when = formatWindowTime(runsAt.at, now, runsAt.tz);
      const group = byTime.get(when) ?? { ids: [], skipped: runsAt.skipped };
      group.ids.push(bugId);
      byTime.set(when, group);
    } else if (result.bug) lines.push(t.approvals.notApproved(bugId, result.bug.status));
    else lines.push(t.errors.notFound(bugId));
  }
  const approved = [...byTime].map(
    ([when, g]) =>
      t.approvals.approved(kind, g.ids, when) + (g.skipped.length ? `\n${t.approvals.skipped(g.skipped)}` : ""),
  );
  return [...approved, ...(frozen.length ? [t.approvals.frozen(kind, frozen)] : []), ...lines].join("\n");
}

/** The pressed message's buttons without the approvals of `ids`; none once no per-bug approval is left. */
function remainingButtons(ctx: BotContext, ids: number[]): InlineKeyboardButton[][] {
  const single = (b: InlineKeyboardButton) => {
    const p = "callback_data" in b ? parseCallback(b.callback_data) : null;
    return p !== null && SINGLE.includes(p.action) ? p : null;
  };
  const before = ctx.callbackQuery?.message?.reply_markup?.inline_keyboard ?? [];
  const rows = before
    .map((row) => row.filter((b) => !ids.includes(single(b)?.id ?? -1)))
    .filter((row) => row.length > 0);
  // The batch button goes with the last per-bug one.
  return before.flat().some(single) && !rows.flat().some(single) ? [] : rows;
}

/** The pressed message, stamped with who approved what, minus the buttons that are done. */
async function stamp(ctx: BotContext, kind: ApprovalKind, actor: AdminActor, ids: number[], all: boolean) {
  const message = ctx.callbackQuery?.message;
  if (!message) return;
  const tz = systemRegistry(ctx.deps.config).find(ctx.groupSystemId)?.timezone ?? "Asia/Taipei";
  const text = "text" in message && message.text ? messageHtml(message.text, message.entities) : "";
  const line = t.approvals.stamp(kind, ids, actor.name, at(ctx.deps.clock(), tz));
  await editHtml(ctx, text ? `${text}\n\n${line}` : line, { inline_keyboard: all ? [] : remainingButtons(ctx, ids) });
}

async function onButton(ctx: BotContext, p: CallbackPayload): Promise<void> {
  const batch = !SINGLE.includes(p.action);
  // A system admin approves their system's bugs and releases only. A release's system is read
  // here (with its bugs); a bug's is checked on the bug as the approval's transaction reads it
  // (issue 15: each read once).
  const release = batch ? await deploymentForApproval(ctx.deps.db, p.id) : null;
  const scope: { actor: AdminActor; allows?: (systemId: string | null) => boolean } | null = batch
    ? await requireAdmin(ctx, release?.systemId).then((actor) => actor && { actor })
    : await requireAdminOfSubject(ctx);
  if (!scope) return;
  const { actor, allows } = scope;
  const kind = KIND[p.action]!;
  const ids = batch ? (release?.bugIds ?? null) : [p.id];
  if (!ids) return void (await ctx.answerCallbackQuery({ text: t.errors.outdated }));
  const versions = batch ? undefined : { [p.id]: p.version };
  const results = await run(ctx, actor, kind, ids, versions, allows);
  if (results.some((r) => r.result.kind === "forbidden")) return void (await refuseAdmin(ctx));
  const applied = results.filter((r) => r.result.kind === "applied").map((r) => r.bugId);
  if (applied.length === 0) {
    // Lost a race (the bug is now where this button sends it) or the button is stale. Re-read:
    // a lost race reports the row as it was before the winner committed.
    const first = results[0]?.result;
    const current = first ? await getBug(ctx.deps.db, results[0]!.bugId) : null;
    const refused = first?.kind === "refused" && first.reason !== "wrong_status" ? t.refusals[first.reason] : null;
    if (refused || batch || current?.status === APPROVAL[kind].to) {
      return void (await ctx.answerCallbackQuery({ text: refused ?? t.errors.alreadyHandled }));
    }
    await ctx.answerCallbackQuery({ text: t.errors.outdated });
    if (pressedButtonShown(ctx)) await editMarkup(ctx, { inline_keyboard: remainingButtons(ctx, [p.id]) });
    return;
  }
  await ctx.answerCallbackQuery({ text: t.approvals.toast(applied.length) });
  await stamp(ctx, kind, actor, applied, batch);
  const approved = results.filter((r) => r.result.kind === "applied");
  await replyHtml(ctx, summary(ctx, kind, approved) + (await partialNote(ctx, kind, approved)));
}

/** issue 10: a UAT release approved only in part — which version PROD gets and what follows (HTML, or ""). */
async function partialNote(ctx: BotContext, kind: ApprovalKind, results: ApprovalResult[]): Promise<string> {
  if (kind !== "prod") return "";
  const bySystem = new Map<string, number[]>();
  for (const r of results)
    if (r.result.kind === "applied")
      bySystem.set(r.result.bug.systemId, [...(bySystem.get(r.result.bug.systemId) ?? []), r.bugId]);
  const notes: string[] = [];
  for (const [systemId, ids] of bySystem)
    for (const p of await partialApprovals(ctx.deps.db, systemId, ids)) notes.push(versionText.partial(p));
  return notes.length ? `\n\n${notes.join("\n\n")}` : "";
}

const composer = new Composer<BotContext>();
onAction(composer, [A.approveProd, A.approveUatMerge, A.approveProdAll, A.approveUatMergeAll], onButton);

for (const [command, kind] of [
  ["approve_prod", "prod"],
  ["approve_uat", "uat_merge"],
] as const) {
  onCommand(composer, command, async (ctx) => {
    const [arg] = commandArgs(ctx);
    const id = arg && /^#?\d{1,15}$/.test(arg) ? Number(arg.replace("#", "")) : null;
    // Checked against the bug's system (one id), the group's (all, in a group) or, in private,
    // every system the sender administers.
    const scope =
      id !== null
        ? { systemIds: [(await bugSystemId(ctx.deps.db, id)) ?? chatSystemId(ctx)] }
        : ctx.chat.type === "private"
          ? await requireSomeAdmin(ctx)
          : { systemIds: [chatSystemId(ctx)] };
    if (!scope) return; // refused (requireSomeAdmin said so)
    const actor = "actor" in scope ? scope.actor : await requireAdmin(ctx, scope.systemIds[0]);
    if (!actor) return;
    const all = async (): Promise<number[]> => {
      const sender = await ctx.actor();
      if (ctx.chat.type === "private" && sender.kind === "user" && sender.isAdmin)
        return awaitingApproval(ctx.deps.db, kind); // a global admin: every system
      const out: number[] = [];
      for (const s of scope.systemIds) if (s) out.push(...(await awaitingApproval(ctx.deps.db, kind, s)));
      return out.sort((a, b) => a - b);
    };
    const ids = arg === "all" ? await all() : id !== null ? [id] : null;
    if (!ids) return void (await replyHtml(ctx, t.errors.usage(`/${command} <id|all>`)));
    if (ids.length === 0) return void (await replyHtml(ctx, t.approvals.none(kind)));
    const results = await run(ctx, actor, kind, ids);
    await replyHtml(ctx, summary(ctx, kind, results) + (await partialNote(ctx, kind, results)));
  });
}

export { composer as approvalsFeature };
