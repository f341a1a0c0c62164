// The pre-deploy checklist that runs before every window and every hotfix (issue 12: the seed's whole
// list): backup, monitoring, on-call, freeze check, rollback path, all tests passing, security audit,
// human approvals, budget, secrets. Each item passes, fails or is not configured (⚠️ 未設定, never ✓);
// `checklist.strict` makes not configured a failure. Any failure skips the window; a hotfix needs the
// second admin's approval to override it.
import { inArray } from "drizzle-orm";
import { bugEvents } from "../../drizzle/schema.js";
import type { Check, Config, SystemConfig } from "../config.js";
import { type FreezeVerdict, isFullyFrozen } from "../core/freeze.js";
import type { Actor, Env } from "../core/model.js";
import { formatDateTime, localParts } from "../core/windows.js";
import { checklistText, describeFreeze, freezeReasonText, gatesText } from "../i18n/index.js";
import type { ApplyResult } from "./bugs.js";
import type { Queryable } from "./db.js";
import { freezeVerdict } from "./freeze-state.js";
import { messages } from "./messages.js";
import { getOncall } from "./oncall.js";
import { enqueue } from "./outbox.js";
import type { Calendar, RunCheck } from "./ports.js";
import { environmentVersions } from "./systems.js";

export const CHECKLIST_KEYS = [
  "backup",
  "monitoring",
  "oncall",
  "freeze",
  "rollback_path",
  "tests",
  "security",
  "approvals",
  "budget",
  "secrets",
] as const;
export type ChecklistKey = (typeof CHECKLIST_KEYS)[number];
export type ItemStatus = "pass" | "fail" | "unset";

export interface ChecklistItem {
  key: ChecklistKey;
  status: ItemStatus;
  /** Counts as passed: pass, or not configured when the checklist is not strict. */
  ok: boolean;
  detail: string;
}

export interface ChecklistResult {
  ok: boolean;
  strict: boolean;
  items: ChecklistItem[];
  freeze: FreezeVerdict;
}

/** A commit's combined status on the code host (GitHub: success, failure, error, pending). */
export interface CommitStatusAnswer {
  state: "success" | "failure" | "error" | "pending";
  sha: string;
  /** e.g. "12 checks" or the failing context's name. */
  detail?: string;
}

/**
 * Optional port (implemented by the GitHub adapter, issue 13): the combined status of `sha` (null:
 * the head of the branch the system deploys) in the repository the system links; null when the
 * system links none. Throws when the code host cannot be reached.
 */
export type CommitStatusPort = (system: SystemConfig, sha: string | null) => Promise<CommitStatusAnswer | null>;

export interface ChecklistDeps {
  db: Queryable;
  config: Pick<Config, "freeze" | "configDir">;
  runCheck: RunCheck;
  calendarFacts: Calendar;
  commitStatus?: CommitStatusPort;
}

/** A bug the window (or hotfix) would deploy: its approvals are counted for the environment it goes to. */
export interface ChecklistBug {
  id: number;
  status: string;
  reporterId: number;
  /** T1 deploys only flow1 bugs to UAT (flow2 bugs queue for PROD). */
  fixFlow?: string | null;
}

export interface ChecklistOptions {
  /** The bugs going out, to count their approvals (none: the approvals item has nothing to count). */
  bugs?: readonly ChecklistBug[];
  /** A hotfix: the requester is the first approver; a second admin approves the request itself. */
  hotfix?: { requesterName: string };
  /** The release's commit for the code host's status (null/absent: the branch head). */
  sha?: string | null;
}

export const CHECKLIST_LABELS: Record<ChecklistKey, string> = checklistText.labels;
const G = gatesText.checklist;

/**
 * @param envs the environments this window will deploy to (their targets must exist).
 * @param windowAt the window's scheduled instant: on-call is looked up for its local date.
 */
export async function runChecklist(
  deps: ChecklistDeps,
  system: SystemConfig,
  windowAt: Date,
  envs: readonly Env[],
  opts: ChecklistOptions = {},
): Promise<ChecklistResult> {
  const cfg = system.checklist;
  const run = (c: Check) => deps.runCheck(c, { cwd: deps.config.configDir });
  const item = (key: ChecklistKey, status: ItemStatus, detail: string): ChecklistItem => ({
    key,
    status,
    ok: status === "pass" || (status === "unset" && !cfg.strict),
    detail,
  });
  const unset = (key: ChecklistKey) => item(key, "unset", G.notConfigured(cfg.strict));
  const configured = async (key: ChecklistKey, c: Check | null): Promise<ChecklistItem> => {
    if (!c) return unset(key);
    const r = await run(c);
    return item(key, r.ok ? "pass" : "fail", r.detail);
  };

  const day = localParts(windowAt, system.timezone).date;
  const pending = [
    configured("backup", cfg.backup),
    monitoringItem(),
    getOncall(deps.db, system.id, day),
    freezeVerdict(deps, system, windowAt),
    environmentVersions(deps.db, system.id),
    testsItem(),
    securityItem(),
    approvalsItem(),
    budgetItem(),
    secretsItem(),
  ] as const;
  // Every check script has exited before an error of another item (a database query) propagates.
  await Promise.allSettled(pending);
  const [backup, monitoring, onDuty, freeze, versions, tests, security, approvals, budget, secrets] =
    await Promise.all(pending);

  const oncallItem = onDuty ? item("oncall", "pass", onDuty.name) : item("oncall", "fail", checklistText.noOncall(day));
  const freezeItem = isFullyFrozen(freeze)
    ? item("freeze", "fail", freeze.full.map(freezeReasonText).join("、"))
    : item(
        "freeze",
        "pass",
        Object.keys(freeze.modules).length ? describeFreeze(freeze).join(" ") : checklistText.notFrozen,
      );

  const missing: string[] = [];
  const notes: string[] = [];
  for (const env of envs) {
    const target = system.environments[env];
    if (!target.deploy) missing.push(checklistText.missingDeploy(env));
    if (!target.rollback) missing.push(checklistText.missingRollback(env));
    notes.push(checklistText.rollsBackTo(env, versions[env] ?? null));
  }
  const rollbackItem = missing.length
    ? item("rollback_path", "fail", checklistText.missing(missing))
    : item("rollback_path", "pass", notes.join(";") || checklistText.noDeploy);

  const items = [backup, monitoring, oncallItem, freezeItem, rollbackItem, tests, security, approvals, budget, secrets];
  return { ok: items.every((i) => i.ok), strict: cfg.strict, items, freeze };

  /** Fails when an environment's watch has nothing to check; else the monitoring check, if any. */
  async function monitoringItem(): Promise<ChecklistItem> {
    const blind = envs.filter((env) => {
      const e = system.environments[env];
      return !e.health && !e.watch.smoke && !e.watch.prometheus;
    });
    if (blind.length) return item("monitoring", "fail", G.unwatched(blind));
    if (cfg.monitoring) return configured("monitoring", cfg.monitoring);
    if (envs.length === 0) return unset("monitoring");
    return item("monitoring", "pass", G.watched(envs.map((env) => [env, watchedBy(system, env)] as const)));
  }

  async function testsItem(): Promise<ChecklistItem> {
    if (cfg.tests) return configured("tests", cfg.tests);
    if (!deps.commitStatus) return unset("tests");
    try {
      const answer = await deps.commitStatus(system, opts.sha ?? null);
      if (!answer) return unset("tests");
      return item("tests", answer.state === "success" ? "pass" : "fail", G.commitStatus(answer));
    } catch (err) {
      return item("tests", "fail", G.commitStatusUnreachable(err instanceof Error ? err.message : String(err)));
    }
  }

  async function securityItem(): Promise<ChecklistItem> {
    if (!cfg.security) return unset("security");
    const r = await run(cfg.security);
    const findings = severeFindings(r.detail);
    if (!r.ok) return item("security", "fail", r.detail);
    return findings > 0 ? item("security", "fail", G.severeFindings(r.detail)) : item("security", "pass", r.detail);
  }

  async function budgetItem(): Promise<ChecklistItem> {
    if (!cfg.budget) return unset("budget");
    const r = await run(cfg.budget);
    if (!r.ok) return item("budget", "fail", r.detail);
    const m = /spend=(\d+(?:\.\d+)?)\s+limit=(\d+(?:\.\d+)?)/.exec(r.detail);
    if (!m) return item("budget", "fail", G.budgetUnreadable);
    const [spend, limit] = [Number(m[1]), Number(m[2])];
    return item("budget", spend <= limit ? "pass" : "fail", G.budget(m[1]!, m[2]!, spend <= limit));
  }

  async function secretsItem(): Promise<ChecklistItem> {
    const { check, requiredEnv, missingEnv } = cfg.secrets;
    if (!check && !requiredEnv) return unset("secrets");
    const parts: string[] = [];
    let failed = false;
    if (check) {
      const r = await run(check);
      failed ||= !r.ok;
      parts.push(r.detail);
    }
    if (requiredEnv)
      for (const env of envs) {
        const absent = missingEnv[env];
        failed ||= absent.length > 0;
        parts.push(absent.length ? G.envMissing(env, absent) : G.envSet(env, requiredEnv[env].length));
      }
    return item("secrets", failed ? "fail" : "pass", parts.join(";") || G.envNothingToCheck);
  }

  async function approvalsItem(): Promise<ChecklistItem> {
    const rules = envs.flatMap((env) => {
      const n = cfg.approvals[env];
      return n === null ? [] : [[env, n] as const];
    });
    if (rules.length === 0) return unset("approvals");
    if (opts.hotfix) {
      const n = Math.max(...rules.map(([, k]) => k));
      return n <= 1
        ? item("approvals", "pass", G.hotfixRequester(opts.hotfix.requesterName))
        : item("approvals", "fail", G.hotfixNeedsSecond(n));
    }
    const short: string[] = [];
    const fine: string[] = [];
    for (const [env, n] of rules) {
      const going = (opts.bugs ?? []).filter((b) => goesTo(b, env));
      const approvers = await approversOf(deps.db, going, env);
      for (const bug of going) {
        const names = (approvers.get(bug.id) ?? []).map((a) => a.name);
        if (names.length >= n) fine.push(G.approved(bug.id, env, names));
        else short.push(G.needsApprovals(bug.id, env, n, names));
      }
    }
    if (short.length) return item("approvals", "fail", short.join(";"));
    return item("approvals", "pass", fine.join(";") || G.nothingToApprove);
  }
}

/** What an environment's post-deploy watch checks. */
function watchedBy(system: SystemConfig, env: Env): ("health" | "smoke" | "prometheus")[] {
  const e = system.environments[env];
  return [
    ...(e.health ? (["health"] as const) : []),
    ...(e.watch.smoke ? (["smoke"] as const) : []),
    ...(e.watch.prometheus ? (["prometheus"] as const) : []),
  ];
}

/** `critical=1 high=0`, `Critical: 2`, …: the count of critical and high findings a scanner reported. */
export function severeFindings(detail: string): number {
  let total = 0;
  for (const m of detail.matchAll(/\b(critical|high)\b\s*[=:]\s*(\d+)/gi)) total += Number(m[2]);
  return total;
}

/** Which statuses a window sends to an environment (T1: confirmed flow1 bugs to UAT; T2: PROD and the merge). */
function goesTo(bug: ChecklistBug, env: Env): boolean {
  if (env === "prod") return bug.status === "pending_prod";
  return bug.status === "pending_uat_merge" || (bug.status !== "pending_prod" && bug.fixFlow === "flow1");
}

/** The approvals that count for a bug going to `env`, and what restarts the count. */
const APPROVAL_EVENTS: Record<Env, { counts: string[]; resetsAt: string[] }> = {
  prod: { counts: ["approve_prod", "approve_prod_cosign"], resetsAt: ["deployed_uat"] },
  uat: {
    counts: ["confirm", "approve_uat_merge", "approve_uat_merge_cosign"],
    resetsAt: ["submitted", "deployed_prod"],
  },
};

/**
 * Distinct admins who approved each bug for `env` since it last reached the status the approval
 * starts from; the bug's reporter never counts (no self-approval).
 */
export async function approversOf(
  q: Queryable,
  going: readonly ChecklistBug[],
  env: Env,
): Promise<Map<number, { id: number; name: string }[]>> {
  const out = new Map<number, { id: number; name: string }[]>();
  if (going.length === 0) return out;
  const rule = APPROVAL_EVENTS[env];
  const rows = await q
    .select({
      bugId: bugEvents.bugId,
      event: bugEvents.event,
      toStatus: bugEvents.toStatus,
      actorId: bugEvents.actorId,
      actorName: bugEvents.actorName,
    })
    .from(bugEvents)
    .where(
      inArray(
        bugEvents.bugId,
        going.map((b) => b.id),
      ),
    )
    .orderBy(bugEvents.id);
  const reporter = new Map(going.map((b) => [b.id, b.reporterId]));
  const seen = new Map<number, Map<number, string>>();
  for (const r of rows) {
    if (rule.counts.includes(r.event)) {
      if (r.actorId === null || r.actorId === reporter.get(r.bugId)) continue;
      const set = seen.get(r.bugId) ?? new Map<number, string>();
      set.set(r.actorId, r.actorName);
      seen.set(r.bugId, set);
    } else if (rule.resetsAt.includes(r.toStatus)) {
      seen.delete(r.bugId);
    }
  }
  for (const [bugId, set] of seen)
    out.set(
      bugId,
      [...set].map(([id, name]) => ({ id, name })),
    );
  return out;
}

/** One line per item: ✓ pass, ✗ fail, ⚠️ not configured (details are ours or tool output — callers escape). */
export const checklistLines = (result: ChecklistResult): string[] =>
  result.items.map((i) => gatesText.line(i.status, i.ok, CHECKLIST_LABELS[i.key], i.detail));

/** A window's passed checklist, posted to the group as it starts (a failed one is in the skip message). */
export async function announceChecklist(
  deps: { db: Queryable; clock: () => Date },
  system: SystemConfig,
  run: { id: number; slot: "t1" | "t2"; scheduledFor: Date },
  result: ChecklistResult,
): Promise<void> {
  const text = gatesText.windowChecklist({
    slot: run.slot,
    scheduledAt: formatDateTime(run.scheduledFor, system.timezone),
    lines: checklistLines(result),
  });
  await enqueue(deps.db, messages(system.groupChatId, text, { dedupeKey: `checklist:${run.id}` }), deps.clock());
}

/** The labels of the items that did not pass (a hotfix override names them). */
export const failedLabels = (result: ChecklistResult): string[] =>
  result.items.filter((i) => !i.ok).map((i) => CHECKLIST_LABELS[i.key]);

/**
 * `/approve_prod <id>` (or 批准) by a further admin on a bug already approved, when its system needs
 * more than one admin for that environment: the approval is added to the bug's history (it counts at
 * the window's checklist). Null when it does not apply (the caller's result stands): no such rule,
 * the bug is not waiting there, the admin is its reporter or has already approved it.
 */
export async function coSign(
  q: Queryable,
  input: { kind: "prod" | "uat_merge"; actor: Actor; now: Date; config?: Pick<Config, "systems"> },
  result: ApplyResult,
): Promise<ApplyResult | null> {
  const { actor } = input;
  if (result.kind === "applied" || !result.bug || actor.kind !== "user") return null;
  const bug = result.bug;
  const env: Env = input.kind === "prod" ? "prod" : "uat";
  const waiting = input.kind === "prod" ? "pending_prod" : "pending_uat_merge";
  const need = input.config?.systems.find((s) => s.id === bug.systemId)?.checklist.approvals[env] ?? null;
  if (bug.status !== waiting || bug.held || need === null || need < 2 || actor.id === bug.reporterId) return null;
  const before = (await approversOf(q, [bug], env)).get(bug.id) ?? [];
  if (before.some((a) => a.id === actor.id)) return null;
  await q.insert(bugEvents).values({
    bugId: bug.id,
    fromStatus: bug.status,
    toStatus: bug.status,
    event: `approve_${input.kind}_cosign`,
    actorId: actor.id,
    actorName: actor.name,
    note: gatesText.cosignNote(before.length + 1, need),
    at: input.now,
  });
  return { kind: "applied", bug, before: bug };
}
