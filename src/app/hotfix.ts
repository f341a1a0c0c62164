// Emergency hotfix: a high/critical bug goes straight to PROD outside the windows. It runs the same
// pre-deploy checklist as a window (issue 12): a failed item, or a freeze, needs a second, different
// admin, whose approval overrides the failed items (recorded and shown); a record-only hotfix runs it
// as a warning. During Lunar New Year only critical hotfixes, approved by a CTO (`roles.cto`).
// The request row is the claim that makes it run once.
import { and, eq, gt, inArray, lte, ne } from "drizzle-orm";
import { bugEvents, bugs, deployments, hotfixRequests, outbox } from "../../drizzle/schema.js";
import type { SystemConfig } from "../config.js";
import { freezeFor } from "../core/freeze.js";
import { isPipelineEligible, type Severity } from "../core/model.js";
import { affectedServices, isAhead } from "../core/release.js";
import { tailCodePoints } from "../core/text.js";
import { formatDateTime } from "../core/windows.js";
import {
  APPROVE_LABELS,
  cardHtml,
  emergencyHotfix,
  formatWindowTime,
  freezeReasonText,
  gatesText,
  incidents,
  manualHotfixText,
  quietText,
  reliability,
} from "../i18n/index.js";
import { applyEventIn, type BugRow } from "./bugs.js";
import { type ChecklistResult, checklistLines, failedLabels, runChecklist } from "./checklist.js";
import { afterReleaseRecorded } from "./code-host.js";
import type { Queryable, Tx } from "./db.js";
import { acquireEnvLock, EnvBusyError, type EnvLock, executeRelease } from "./deploy-release.js";
import { freezeVerdict } from "./freeze-state.js";
import {
  allocateVersion,
  type DeploymentRow,
  type IncidentDeps,
  systemById,
  type UserActor,
} from "./incident-support.js";
import { advance } from "./lifecycle.js";
import { messages } from "./messages.js";
import { enqueue, notice, noticeEdit } from "./outbox.js";
import { nextWindow } from "./schedule.js";
import { environmentVersions, setEnvironmentVersion } from "./systems.js";
import { adminsToNotify, privateNotices } from "./todo.js";
import { cardOutboxRow } from "./triage.js";
import { watchInBackground } from "./watch.js";

export type HotfixRequestRow = typeof hotfixRequests.$inferSelect;
export type HotfixMode = "run" | "manual";

export interface HotfixInput {
  bugId: number;
  severity: Severity;
  diff: string;
  mode: HotfixMode;
  actor: UserActor;
}

export type HotfixOutcome =
  | { kind: "deployed"; bug: BugRow; deployment: DeploymentRow; mode: HotfixMode }
  | { kind: "failed"; deployment: DeploymentRow }
  | { kind: "awaiting_approval"; request: HotfixRequestRow; freeze: string; failed: string[] }
  | { kind: "refused"; message: string };

const T = incidents.hotfix;
const G = gatesText.hotfix;
const refused = (message: string) => ({ kind: "refused" as const, message });
const approvalKey = (requestId: number) => `hotfix-approval:${requestId}`;

/** Checks the bug, then either runs the hotfix now or (during a freeze) asks the group for a second admin. */
export async function requestHotfix(deps: IncidentDeps, input: HotfixInput): Promise<HotfixOutcome> {
  const now = deps.clock();
  if (isPipelineEligible(input.severity)) return refused(T.lowSeverity(input.bugId, input.severity));
  const checklist = await hotfixChecklist(deps, input);
  const created = await deps.db.transaction(async (tx) => {
    // The bug row lock serialises two admins starting a hotfix for the same bug.
    const [bug] = await tx.select().from(bugs).where(eq(bugs.id, input.bugId)).for("update");
    if (!bug) return refused(T.notFound(input.bugId));
    if (bug.status !== "submitted") return refused(T.wrongStatus(bug.id, bug.status));
    const [busy] = await tx
      .select({ id: hotfixRequests.id })
      .from(hotfixRequests)
      .where(
        and(
          eq(hotfixRequests.bugId, bug.id),
          inArray(hotfixRequests.status, ["pending", "approved"]),
          gt(hotfixRequests.expiresAt, now),
        ),
      );
    if (busy) return refused(T.busy(bug.id));
    const system = systemById(deps.config, bug.systemId);
    const verdict = await freezeVerdict(
      { db: tx, config: deps.config, calendarFacts: deps.calendarFacts },
      system,
      now,
    );
    const freeze = freezeFor(verdict, bug.module);
    // issue 12: Lunar New Year takes critical hotfixes only, signed off by a CTO.
    const lunar = verdict.full.some((r) => r.cause.kind === "lunar_new_year");
    if (lunar && input.severity !== "critical") return refused(G.lunarCriticalOnly(bug.id, input.severity));
    if (lunar && system.roles.cto.length === 0) return refused(G.lunarNoCto);
    const failed = checklist ? failedLabels(checklist) : [];
    // A failed item holds a deploy for the second admin; a record-only hotfix is only warned.
    const needsSecond = Boolean(freeze) || lunar || (input.mode === "run" && failed.length > 0);
    const expiresAt = new Date(now.getTime() + deps.config.hotfixApprovalMinutes * 60_000);
    const [request] = await tx
      .insert(hotfixRequests)
      .values({
        bugId: bug.id,
        requestedById: input.actor.id,
        requestedByName: input.actor.name,
        mode: input.mode,
        diff: input.diff,
        severity: input.severity,
        status: needsSecond ? "pending" : "approved",
        checklistFailed: failed.length ? failed : null,
        approverRole: lunar ? "cto" : null,
        expiresAt,
        createdAt: now,
      })
      .returning();
    if (!request) throw new Error("hotfix request not saved");
    await tx.insert(bugEvents).values({
      bugId: bug.id,
      fromStatus: bug.status,
      toStatus: bug.status,
      event: "hotfix_requested",
      actorId: input.actor.id,
      actorName: input.actor.name,
      note:
        T.requestNote(request.id, input.mode, freeze ? freezeReasonText(freeze) : null) +
        (failed.length ? G.requestNote(input.mode, failed) : ""),
      at: now,
    });
    if (needsSecond) {
      const until = formatDateTime(expiresAt, system.timezone);
      const lines = checklist ? checklistLines(checklist) : [];
      const text = freeze
        ? [
            T.approvalRequest({
              requestId: request.id,
              bug: { ...bug, severity: input.severity },
              freeze: freezeReasonText(freeze),
              requester: input.actor.name,
              mode: input.mode,
              until,
            }),
            ...(lunar ? [G.lunarApprover] : []),
            "",
            G.checklistBlock(lines),
          ].join("\n")
        : G.approvalRequest({
            bug: { ...bug, severity: input.severity },
            requester: input.actor.name,
            mode: input.mode,
            until,
            lines,
          });
      const button = { label: T.approveButton, action: "hotfixApprove", id: request.id, version: 0 } as const;
      // issue 17: admins who asked (/notify on) are told in private, the requester not; during
      // Lunar New Year only the CTOs, who alone may approve.
      const notified = (await adminsToNotify(tx, deps.config, system.id)).filter(
        (id) => !lunar || system.roles.cto.includes(id),
      );
      const privately = quietText.notify.hotfix({
        requestId: request.id,
        bug,
        requester: input.actor.name,
        until,
        ctoOnly: lunar,
      });
      await enqueue(
        tx,
        [
          notice(system.groupChatId, text, {
            buttons: [[button]],
            dedupeKey: approvalKey(request.id),
            urgent: true,
          }),
          ...privateNotices(notified, privately, input.actor.id, [[button]]),
        ],
        now,
      );
    }
    return { kind: "created" as const, request, freeze };
  });
  if (created.kind === "refused") return created;
  if (created.request.status === "pending")
    return {
      kind: "awaiting_approval",
      request: created.request,
      freeze: created.freeze ? freezeReasonText(created.freeze) : "",
      failed: created.request.checklistFailed ?? [],
    };
  return executeHotfix(deps, created.request, null);
}

/** The window's checklist for PROD, run before the request is recorded (it runs scripts). */
async function hotfixChecklist(deps: IncidentDeps, input: HotfixInput): Promise<ChecklistResult | null> {
  const [bug] = await deps.db
    .select({ systemId: bugs.systemId, status: bugs.status })
    .from(bugs)
    .where(eq(bugs.id, input.bugId));
  if (bug?.status !== "submitted") return null; // refused in the transaction
  const system = systemById(deps.config, bug.systemId);
  return runChecklist(deps, system, deps.clock(), ["prod"], { hotfix: { requesterName: input.actor.name } });
}

export type ClaimResult =
  | { kind: "claimed"; request: HotfixRequestRow }
  | { kind: "own_request" }
  | { kind: "not_cto" }
  | { kind: "expired" }
  | { kind: "already_handled" };

/** A second admin's approval, claimed in the database so that a double press deploys once. */
export async function claimHotfixApproval(
  deps: IncidentDeps,
  requestId: number,
  approver: UserActor,
): Promise<ClaimResult> {
  const now = deps.clock();
  const approvedBy = { approvedById: approver.id, approvedByName: approver.name };
  const mayApprove = and(gt(hotfixRequests.expiresAt, now), ne(hotfixRequests.requestedById, approver.id));
  // issue 12: during Lunar New Year the second approver must be one of the system's CTOs.
  const [asked] = await deps.db.select().from(hotfixRequests).where(eq(hotfixRequests.id, requestId));
  if (asked?.approverRole === "cto" && asked.requestedById !== approver.id) {
    const [bug] = await deps.db.select({ systemId: bugs.systemId }).from(bugs).where(eq(bugs.id, asked.bugId));
    if (bug && !systemById(deps.config, bug.systemId).roles.cto.includes(approver.id)) return { kind: "not_cto" };
  }
  const [claimed] = await advance(
    deps.db,
    "hotfix_requests",
    requestId,
    ["pending"],
    "approved",
    approvedBy,
    mayApprove,
  );
  if (claimed) return { kind: "claimed", request: claimed };
  const [request] = await deps.db.select().from(hotfixRequests).where(eq(hotfixRequests.id, requestId));
  if (!request || !["pending", "expired"].includes(request.status)) return { kind: "already_handled" };
  if (request.status === "pending" && request.expiresAt > now) return { kind: "own_request" };
  await expireHotfixRequests(deps);
  return { kind: "expired" };
}

/** Runs a hotfix whose second approval was claimed. */
export const runApprovedHotfix = (deps: IncidentDeps, request: HotfixRequestRow, approver: UserActor) =>
  executeHotfix(deps, request, approver);

/** Pending requests past their deadline: expired, nothing deployed, the group told (once). */
export async function expireHotfixRequests(deps: IncidentDeps): Promise<HotfixRequestRow[]> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const due = lte(hotfixRequests.expiresAt, now);
    const expired = await advance(tx, "hotfix_requests", null, ["pending"], "expired", {}, due);
    for (const request of expired) {
      const [bug] = await tx.select().from(bugs).where(eq(bugs.id, request.bugId));
      if (!bug) continue;
      const system = systemById(deps.config, bug.systemId);
      await tx.insert(bugEvents).values({
        bugId: bug.id,
        fromStatus: bug.status,
        toStatus: bug.status,
        event: "hotfix_expired",
        actorName: "system:hotfix",
        note: T.expiredNote(request.id, request.requestedByName),
        at: now,
      });
      await enqueue(
        tx,
        [
          ...(await editApproval(tx, system, request.id, T.expiredLine)),
          notice(system.groupChatId, T.expiredGroup(request.id, bug.id), {
            dedupeKey: `hotfix-expired:${request.id}`,
          }),
        ],
        now,
      );
    }
    return expired;
  });
}

async function executeHotfix(
  deps: IncidentDeps,
  request: HotfixRequestRow,
  approver: UserActor | null,
): Promise<HotfixOutcome> {
  const [found] = await deps.db.select().from(bugs).where(eq(bugs.id, request.bugId));
  if (!found) return { kind: "refused", message: T.notFound(request.bugId) };
  const system = systemById(deps.config, found.systemId);
  // One change at a time on PROD: wait for a window deploy or rollback in progress (the group is
  // told once); versions are read only once the environment is ours.
  let lock: EnvLock;
  try {
    lock = await acquireEnvLock(deps, { system, env: "prod", holder: reliability.holders.hotfix });
  } catch (err) {
    if (err instanceof EnvBusyError) return refused(err.message);
    throw err;
  }
  let outcome: HotfixOutcome;
  try {
    outcome = await hotfixLocked(deps, request, approver, system, lock);
  } finally {
    await lock.release().catch((err: unknown) => deps.logger.error({ err }, "environment lock not released"));
  }
  // issue 12: every PROD deploy gets the post-deploy watch, a hotfix too (started once the lock is free).
  if (outcome.kind === "deployed") watchInBackground(deps, outcome.deployment);
  return outcome;
}

async function hotfixLocked(
  deps: IncidentDeps,
  request: HotfixRequestRow,
  approver: UserActor | null,
  system: SystemConfig,
  lock: EnvLock,
): Promise<HotfixOutcome> {
  const [bug] = await deps.db.select().from(bugs).where(eq(bugs.id, request.bugId));
  if (!bug) return { kind: "refused", message: T.notFound(request.bugId) };
  const before = await environmentVersions(deps.db, system.id);
  const uatAhead = before.uat !== null && before.prod !== null && isAhead(before.uat, before.prod);
  const followUp =
    before.uat === null || before.prod === null
      ? T.followUpUnknown
      : uatAhead
        ? T.followUpAhead
        : before.uat === before.prod
          ? T.followUpSame
          : T.followUpBehind(before.uat, before.prod);
  let moved = null as BugRow | null; // set by onOutcome (a cast: TS does not see closure writes)

  // Runs in the transaction that records the deployment's outcome.
  const onOutcome = async (tx: Tx, deployment: DeploymentRow) => {
    const now = deps.clock();
    if (deployment.status !== "succeeded") {
      await advance(tx, "hotfix_requests", request.id, ["approved"], "failed");
      const text = T.failedGroup(
        { ...bug, severity: request.severity },
        deployment.status,
        tailCodePoints(deployment.output, 1500),
      );
      await enqueue(tx, messages(system.groupChatId, text, { urgent: true }), now);
      return;
    }
    const card = await cardOutboxRow(tx, bug.id);
    const gateLine = await recordChecklistGate(tx, request, approver, now);
    // issue 17: with UAT ahead the merge back awaits an admin; those who asked are told in private.
    const notified = uatAhead ? await adminsToNotify(tx, deps.config, system.id) : [];
    const cutoff = notified.length ? await mergeCutoff(deps, tx, system, bug.module, now) : "";
    const applied = await applyEventIn(tx, {
      bugId: bug.id,
      event: { type: "hotfix", severity: request.severity, diff: request.diff },
      actor: { kind: "user", id: request.requestedById, name: request.requestedByName, isAdmin: true },
      now,
      releaseId: deployment.id,
      // A second approver is only recorded for a request made during a freeze.
      context: {
        freeze: request.approvedById !== null ? { reason: "frozen when requested" } : null,
        secondApproverId: request.approvedById,
      },
      note: T.doneNote(request.id, request.mode, request.requestedByName, request.approvedByName),
      notify: (updated) => {
        const text = emergencyHotfix({
          env: "prod",
          bug: updated,
          at: formatDateTime(now, system.timezone),
          admin: request.requestedByName,
          followUp,
        });
        // The bug's group card stops asking 確認/拒絕: it shows the hotfix and loses its buttons.
        const cardEdit = card
          ? [
              noticeEdit(
                card.chatId,
                card.id,
                `${cardHtml(updated, system)}\n\n${T.cardLine(request.mode, deployment.version, request.requestedByName, formatDateTime(now, system.timezone))}`,
                { buttons: [] },
              ),
            ]
          : [];
        // Row version after this event: uatAhead is written below without a bump.
        const merge = {
          label: APPROVE_LABELS.uatMerge,
          action: "approveUatMerge",
          id: updated.id,
          version: updated.rowVersion,
        } as const;
        const shown = gateLine ? `${text}\n${gateLine}` : text;
        const privately = quietText.notify.mergeDue({ version: deployment.version, bugs: [updated], cutoff });
        return [
          ...cardEdit,
          ...messages(system.groupChatId, shown, uatAhead ? { buttons: [[merge]] } : {}),
          ...privateNotices(notified, privately, request.requestedById, [[merge]]),
        ];
      },
    });
    if (applied.kind !== "applied") {
      deps.logger.error({ bugId: bug.id, applied }, "hotfix deployed but the bug could not be moved");
      await advance(tx, "hotfix_requests", request.id, ["approved"], "failed");
      return;
    }
    await tx.update(bugs).set({ uatAhead }).where(eq(bugs.id, bug.id));
    await advance(tx, "hotfix_requests", request.id, ["approved"], "done");
    if (approver)
      await enqueue(
        tx,
        await editApproval(
          tx,
          system,
          request.id,
          T.approvedLine(approver.name, formatDateTime(now, system.timezone)) + (gateLine ? `\n${gateLine}` : ""),
        ),
        now,
      );
    moved = { ...applied.bug, uatAhead };
  };

  const services = affectedServices(system.services, [bug.services]);
  const deployment =
    request.mode === "run"
      ? (
          await executeRelease(
            deps,
            {
              system,
              env: "prod",
              kind: "hotfix",
              bugIds: [bug.id],
              services,
              version: await allocateVersion(deps.db, system, deps.clock()),
              actorName: request.requestedByName,
              reason: `hotfix #${bug.id}`,
              lock,
            },
            onOutcome,
          )
        ).deployment
      : await recordManualDeploy(deps, system, { bug, services, actorName: request.requestedByName }, onOutcome);
  if (deployment.status !== "succeeded") return { kind: "failed", deployment };
  return moved ? { kind: "deployed", bug: moved, deployment, mode: request.mode } : refused(T.alreadyHandled);
}

/** The T2 a merge back approved now would ride (its module's freezes skipped), as the chat says it. */
async function mergeCutoff(
  deps: IncidentDeps,
  tx: Tx,
  system: SystemConfig,
  module: string | null,
  now: Date,
): Promise<string> {
  const schedule = { db: tx, config: deps.config, calendarFacts: deps.calendarFacts };
  const next =
    (await nextWindow(schedule, system, "t2", now, { module })) ??
    (await nextWindow(schedule, system, "t2", now, { freezes: "ignore" })); // frozen throughout: the scheduled one
  return next ? formatWindowTime(next.at, now, system.timezone) : "";
}

/**
 * The checklist's failed items of a request that deploys anyway: overridden by the second admin's
 * approval, or (record-only) a warning. Recorded in the bug's history; the line the group is shown.
 */
async function recordChecklistGate(
  tx: Tx,
  request: HotfixRequestRow,
  approver: UserActor | null,
  now: Date,
): Promise<string | null> {
  const failed = request.checklistFailed ?? [];
  if (failed.length === 0) return null;
  const override = approver !== null && request.mode === "run";
  const [bug] = await tx.select({ status: bugs.status }).from(bugs).where(eq(bugs.id, request.bugId));
  await tx.insert(bugEvents).values({
    bugId: request.bugId,
    fromStatus: bug?.status ?? null,
    toStatus: bug?.status ?? "submitted",
    event: override ? "checklist_override" : "checklist_warning",
    actorId: override ? approver.id : request.requestedById,
    actorName: override ? approver.name : request.requestedByName,
    note: override ? G.overrideNote(request.id, approver.name, failed) : G.warningNote(failed),
    at: now,
  });
  return override ? G.overridden(approver.name, failed) : G.warning(failed);
}

/** A deploy an admin made by hand: recorded as a succeeded hotfix release. */
async function recordManualDeploy(
  deps: IncidentDeps,
  system: SystemConfig,
  input: { bug: BugRow; services: string[]; actorName: string },
  onOutcome: (tx: Tx, deployment: DeploymentRow) => Promise<void>,
): Promise<DeploymentRow> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const versions = await environmentVersions(tx, system.id);
    const version = await allocateVersion(tx, system, now);
    const [row] = await tx
      .insert(deployments)
      .values({
        systemId: system.id,
        env: "prod",
        kind: "hotfix",
        status: "succeeded",
        version,
        previousVersion: versions.prod,
        services: input.services,
        bugIds: [input.bug.id],
        actorName: input.actorName,
        reason: manualHotfixText.reason(input.bug.id),
        output: manualHotfixText.output,
        startedAt: now,
        finishedAt: now,
      })
      .returning();
    await setEnvironmentVersion(tx, system.id, "prod", version, now);
    await onOutcome(tx, row!);
    await afterReleaseRecorded(tx, system, row!, now); // issue 13: release notes, linked issue closed
    return row!;
  });
}

/** An edit of the approval message (removing its button), if it was sent through the outbox. */
async function editApproval(tx: Queryable, system: SystemConfig, requestId: number, line: string) {
  const [sent] = await tx
    .select()
    .from(outbox)
    .where(eq(outbox.dedupeKey, approvalKey(requestId)));
  if (!sent) return [];
  const text = `${String(sent.payload.text)}\n\n${line}`;
  return [noticeEdit(system.groupChatId, sent.id, text, { buttons: [] })];
}
