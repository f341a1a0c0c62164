// The T1/T2 windows: claim (one replica, once) → wait for a running window of the same system →
// freeze check → pre-deploy checklist → phase → notifications; plus missed-window catch-up and the
// T2 − 30 min approval reminder. Time always comes from deps.clock() or the caller.
import { and, desc, eq, inArray, like, lt, max, ne, or } from "drizzle-orm";
import type { Logger } from "pino";
import { bugs as bugsTable, deployments, windowRuns } from "../../drizzle/schema.js";
import { type Analyzer, createAnalyzer } from "../adapters/analyze/analyzer.js";
import type { Queryable } from "../adapters/db/database.js";
import type { SystemConfig } from "../config.js";
import { freezeFor, isFullyFrozen } from "../core/freeze.js";
import type { Actor, BugEvent, Env, Slot } from "../core/model.js";
import { affectedServices, nextVersion } from "../core/release.js";
import { boundedText, oneLine, tailCodePoints } from "../core/text.js";
import {
  formatDateTime,
  localParts,
  nextT2ForApproval,
  nextWindow,
  windowsBetween,
  zonedInstant,
} from "../core/windows.js";
import {
  approvalReminder,
  deployFailed,
  flow1Prod,
  flow1ProdUnaligned,
  flow1Uat,
  flow2Complete,
  flow2Prod,
  flow2Queued,
  formatWindowTime,
  freezeReasonText,
  frozenBugsSkipped,
  hotfixMerged,
  type ProgressState,
  progressLine,
  reliability,
  waitingForWindow,
  windowMissed,
  windowSkipped,
} from "../i18n/index.js";
import { applyEvent, applyEventManyIn, type BugRow } from "./bugs.js";
import { checklistLines, runChecklist } from "./checklist.js";
import { type DeployDeps, type DeploymentRow, executeRelease } from "./deploy-release.js";
import { freezeVerdict, frozenDays } from "./freeze-state.js";
import { approvalKeyboard, editMessage, messages } from "./messages.js";
import { enqueue, type OutboxDraft } from "./outbox.js";
import { environmentVersions } from "./systems.js";

export interface WindowDeps extends DeployDeps {
  analyzer?: Analyzer;
  /** Waits between checks while another window of the system runs (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** Post-deploy watch (incidents): awaited after each successful window deploy. */
  afterDeploy?: (deployment: DeploymentRow) => Promise<void>;
}

export type WindowRunRow = typeof windowRuns.$inferSelect;
export type Trigger = "schedule" | "catch_up" | "manual";

const MINUTE = 60_000;
const WAIT_POLL_MS = 5_000;
const MAX_WAIT_MS = 3 * 60 * MINUTE;
/** Missed windows older than this are not reported one by one after a long outage. */
const MAX_LOOKBACK_MS = 2 * 24 * 60 * MINUTE;
const REMINDER_LEAD_MS = 30 * MINUTE;
const SLOT_ACTOR: Record<Slot, Actor> = { t1: { kind: "system", name: "T1" }, t2: { kind: "system", name: "T2" } };
const SLOT_STATUSES = {
  t1: ["confirmed", "analyzing", "planned"],
  t2: ["pending_prod", "pending_uat_merge"],
} as const;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------- scheduling ----------

export interface DueWindow {
  slot: Slot;
  at: Date;
  action: "run" | "missed";
}

/**
 * Windows of a system after the last recorded one, up to `now`: each is run if it is at most
 * graceMinutes old and the system's next window has not begun, else reported missed. With no
 * record (a fresh install) only windows within the grace period are considered.
 */
export function dueWindows(system: SystemConfig, now: Date, lastRecorded: Date | null): DueWindow[] {
  const { timezone: tz, windows } = system;
  const grace = windows.graceMinutes * MINUTE;
  const from = new Date(
    lastRecorded ? Math.max(lastRecorded.getTime(), now.getTime() - MAX_LOOKBACK_MS) : now.getTime() - grace - 1,
  );
  const slots: [Slot, string][] = [
    ["t1", windows.t1],
    ["t2", windows.t2],
  ];
  const found = slots.flatMap(([slot, time]) => windowsBetween(from, now, time, tz).map((at) => ({ slot, at })));
  return found
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map(({ slot, at }) => {
      const next = Math.min(...slots.map(([, time]) => nextWindow(at, time, tz, { inclusive: false }).at.getTime()));
      const run = now.getTime() < next && now.getTime() - at.getTime() <= grace;
      return { slot, at, action: run ? "run" : "missed" };
    });
}

/** Why a system's last tick failed (the database error), until one succeeds: a window missed meanwhile says so. */
const tickFailures = new WeakMap<object, Map<string, { at: Date; reason: string }>>();

const errorText = (error: unknown): string => {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return boundedText(oneLine(cause instanceof Error ? cause.message : String(cause)), 200);
};

/**
 * What the scheduler calls at each croner fire and at start-up: due windows, missed ones, the
 * reminder. Returns the systems whose tick failed (the database unreachable): the scheduler
 * retries them, and a window that is past its grace period by then is reported with that error.
 */
export async function tick(
  deps: WindowDeps,
  now: Date = deps.clock(),
  systems: readonly SystemConfig[] = deps.config.systems,
): Promise<string[]> {
  const failures = tickFailures.get(deps.db) ?? new Map<string, { at: Date; reason: string }>();
  tickFailures.set(deps.db, failures);
  const failed: string[] = [];
  await Promise.all(
    systems.map(async (system) => {
      try {
        await sendApprovalReminder(deps, system, now);
        const [last] = await deps.db
          .select({ at: max(windowRuns.scheduledFor) })
          .from(windowRuns)
          .where(and(eq(windowRuns.systemId, system.id), ne(windowRuns.trigger, "manual")));
        for (const w of dueWindows(system, now, last?.at ?? null)) {
          if (w.action === "missed") await recordMissed(deps, system, w, now, failures.get(system.id));
          else {
            const trigger = now.getTime() - w.at.getTime() > MINUTE ? "catch_up" : "schedule";
            await runWindow(deps, system, w.slot, { scheduledFor: w.at, trigger });
          }
        }
        failures.delete(system.id);
      } catch (error) {
        deps.logger.error({ err: error, system: system.id }, "scheduler tick failed");
        failed.push(system.id);
        if (!failures.has(system.id)) failures.set(system.id, { at: now, reason: errorText(error) });
      }
    }),
  );
  return failed;
}

async function recordMissed(
  deps: WindowDeps,
  system: SystemConfig,
  w: DueWindow,
  now: Date,
  failure?: { at: Date; reason: string },
): Promise<void> {
  const late = Math.round((now.getTime() - w.at.getTime()) / MINUTE);
  const reason =
    failure && failure.at.getTime() >= w.at.getTime() - MINUTE
      ? reliability.missedDatabase(failure.reason)
      : late > system.windows.graceMinutes
        ? `機器人停機，${late} 分鐘後才恢復`
        : "機器人停機，恢復時下一個視窗已開始";
  await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(windowRuns)
      .values({
        systemId: system.id,
        slot: w.slot,
        scheduledFor: w.at,
        status: "missed",
        summary: reason,
        startedAt: now,
        finishedAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) return;
    const text = windowMissed({
      slot: w.slot,
      scheduledAt: formatDateTime(w.at, system.timezone),
      graceMinutes: system.windows.graceMinutes,
      reason,
    });
    await enqueue(tx, messages(system.groupChatId, text, { dedupeKey: `missed:${row.id}` }), deps.clock());
  });
  deps.logger.warn({ system: system.id, slot: w.slot, at: w.at }, "window missed");
}

/** At T2 − 30 min: the bugs still awaiting an approval, once per system and day. */
export async function sendApprovalReminder(deps: WindowDeps, system: SystemConfig, now: Date): Promise<void> {
  const tz = system.timezone;
  const today = localParts(now, tz).date;
  const t2 = zonedInstant(today, system.windows.t2, tz);
  if (now.getTime() < t2.getTime() - REMINDER_LEAD_MS || now >= t2) return;
  const skipDay = await frozenDays(deps, system, system.windows.t2, now);
  if (skipDay(today) !== null) return;
  const waiting = await deps.db
    .select()
    .from(bugsTable)
    .where(
      and(
        eq(bugsTable.systemId, system.id),
        eq(bugsTable.held, false),
        inArray(bugsTable.status, ["deployed_uat", "deployed_prod"]),
      ),
    )
    .orderBy(bugsTable.id);
  const awaitingProd = waiting.filter((b) => b.status === "deployed_uat");
  const awaitingMerge = waiting.filter(
    (b) => b.status === "deployed_prod" && (b.fixFlow === "flow2" || (b.fixFlow === "hotfix" && b.uatAhead === true)),
  );
  if (awaitingProd.length + awaitingMerge.length === 0) return;
  const after = nextWindow(t2, system.windows.t2, tz, { inclusive: false, skipDay }).at;
  const text = approvalReminder({
    awaitingProd,
    awaitingMerge,
    t2: formatWindowTime(t2, now, tz),
    after: formatWindowTime(after, now, tz),
  });
  await enqueue(deps.db, messages(system.groupChatId, text, { dedupeKey: `reminder:${system.id}:${today}` }), now);
}

// ---------- one window ----------

interface Outcome {
  status: "done" | "skipped" | "failed";
  summary: string;
}

interface WindowContext {
  deps: WindowDeps;
  system: SystemConfig;
  run: WindowRunRow;
  slot: Slot;
  chatId: number;
  actor: Actor;
  log: Logger;
  /** Next T2 after an instant, skipping fully frozen days (stored freezes read at window start). */
  nextT2: (after: Date) => Date;
  /** Successful deployments to watch once the window itself is done. */
  deployed: DeploymentRow[];
}

/**
 * Claims the window and runs it. Returns null when another replica (or an earlier tick) already
 * claimed it. Manual runs (/run) pass scheduledFor = now.
 */
export async function runWindow(
  deps: WindowDeps,
  system: SystemConfig,
  slot: Slot,
  opts: { scheduledFor: Date; trigger: Trigger },
): Promise<WindowRunRow | null> {
  const [run] = await deps.db
    .insert(windowRuns)
    .values({
      systemId: system.id,
      slot,
      scheduledFor: opts.scheduledFor,
      status: "running",
      trigger: opts.trigger,
      owner: deps.liveness?.instanceId ?? null,
      startedAt: deps.clock(),
    })
    .onConflictDoNothing()
    .returning();
  if (!run) return null;
  const log = deps.logger.child({ system: system.id, slot, windowRunId: run.id });
  log.info({ trigger: opts.trigger, scheduledFor: opts.scheduledFor }, "window claimed");
  let outcome: Outcome;
  const deployed: DeploymentRow[] = [];
  try {
    const skipDay = await frozenDays(deps, system, system.windows.t2, deps.clock());
    const nextT2 = (after: Date) => nextT2ForApproval(after, system.windows.t2, system.timezone, skipDay).at;
    const ctx: WindowContext = {
      deps,
      system,
      run,
      slot,
      chatId: system.groupChatId,
      actor: SLOT_ACTOR[slot],
      log,
      nextT2,
      deployed,
    };
    outcome = await windowBody(ctx);
  } catch (error) {
    log.error({ err: error }, "window failed");
    outcome = { status: "failed", summary: `錯誤：${error instanceof Error ? error.message : String(error)}` };
  }
  // Retried until it commits (a database outage ends): a live process never leaves a window `running`.
  let done: WindowRunRow | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      [done] = await deps.db
        .update(windowRuns)
        .set({ status: outcome.status, summary: outcome.summary, finishedAt: deps.clock() })
        .where(eq(windowRuns.id, run.id))
        .returning();
      break;
    } catch (err) {
      log.error({ err, attempt }, "recording the window outcome failed; retrying");
      await (deps.sleep ?? realSleep)(Math.min(1_000 * 2 ** (attempt - 1), 30_000));
    }
  }
  log.info(outcome, "window finished");
  // The post-deploy watch (up to 30 min) runs after the window is recorded done, so the next
  // window of the system (or a /run) waits for deploys, not for watches.
  if (deps.afterDeploy) {
    const watch = deps.afterDeploy;
    await Promise.all(
      deployed.map((d) => watch(d).catch((err: unknown) => log.error({ err }, "post-deploy hook failed"))),
    );
  }
  return done ?? run;
}

async function windowBody(ctx: WindowContext): Promise<Outcome> {
  const { deps, system, slot } = ctx;
  if (!(await waitForEarlierWindow(ctx))) return skip(ctx, "前一個視窗執行超過 3 小時仍未結束");

  const freeze = await freezeVerdict(deps, system, deps.clock());
  if (isFullyFrozen(freeze)) return skip(ctx, `封版中：${freeze.full.map(freezeReasonText).join("、")}`);

  const candidates = await deps.db
    .select()
    .from(bugsTable)
    .where(
      and(
        eq(bugsTable.systemId, system.id),
        eq(bugsTable.held, false),
        inArray(bugsTable.status, [...SLOT_STATUSES[slot]]),
        // high/critical never enter the windows, except a hotfix's cherry-pick back to UAT
        or(
          inArray(bugsTable.severity, ["low", "medium"]),
          and(eq(bugsTable.fixFlow, "hotfix"), eq(bugsTable.status, "pending_uat_merge")),
        ),
      ),
    )
    .orderBy(bugsTable.id);
  const frozen = candidates.filter((b) => freezeFor(freeze, b.module));
  const bugs = candidates.filter((b) => !freezeFor(freeze, b.module));
  if (frozen.length) {
    const reasons = [...new Set(frozen.map((b) => `${b.module}：${freezeReasonText(freezeFor(freeze, b.module)!)}`))];
    await enqueue(deps.db, messages(ctx.chatId, frozenBugsSkipped({ slot, bugs: frozen, reasons })), deps.clock());
  }
  if (bugs.length === 0)
    return { status: "done", summary: frozen.length ? "僅有封版模組的 bug，已略過" : "無待處理 bug" };

  const envs: Env[] =
    slot === "t1"
      ? bugs.some((b) => b.fixFlow === "flow1")
        ? ["uat"]
        : []
      : [
          ...(bugs.some((b) => b.status === "pending_prod") ? (["prod"] as const) : []),
          ...(bugs.some((b) => b.status === "pending_uat_merge") ? (["uat"] as const) : []),
        ];
  const at = ctx.run.trigger === "manual" ? deps.clock() : ctx.run.scheduledFor;
  const checklist = await runChecklist(deps, system, at, envs);
  if (!checklist.ok) return skip(ctx, "部署前檢查未通過", checklistLines(checklist));

  return slot === "t1" ? phaseT1(ctx, bugs) : phaseT2(ctx, bugs);
}

/** No overlap: wait for a window of the same system claimed before this one. */
async function waitForEarlierWindow(ctx: WindowContext): Promise<boolean> {
  const { deps, run } = ctx;
  const sleep = deps.sleep ?? realSleep;
  const started = deps.clock().getTime();
  let told = false;
  for (;;) {
    const [other] = await deps.db
      .select()
      .from(windowRuns)
      .where(and(eq(windowRuns.systemId, run.systemId), eq(windowRuns.status, "running"), lt(windowRuns.id, run.id)))
      .limit(1);
    if (!other) return true;
    if (!told) {
      told = true;
      const text = waitingForWindow({ slot: ctx.slot, waitingFor: other.slot });
      await enqueue(deps.db, messages(ctx.chatId, text, { dedupeKey: `wait:${run.id}` }), deps.clock());
      ctx.log.info({ waitingFor: other.id }, "waiting for an earlier window");
    }
    if (deps.clock().getTime() - started > MAX_WAIT_MS) return false;
    await sleep(WAIT_POLL_MS);
  }
}

async function skip(ctx: WindowContext, reason: string, detail: string[] = []): Promise<Outcome> {
  const text = windowSkipped({
    slot: ctx.slot,
    scheduledAt: formatDateTime(ctx.run.scheduledFor, ctx.system.timezone),
    reason,
    detail,
  });
  await enqueue(ctx.deps.db, messages(ctx.chatId, text, { dedupeKey: `skipped:${ctx.run.id}` }), ctx.deps.clock());
  return { status: "skipped", summary: [reason, ...detail].join("\n") };
}

// ---------- T1: analysis, Flow 1 → UAT, Flow 2 → queued for PROD ----------

async function phaseT1(ctx: WindowContext, bugs: BugRow[]): Promise<Outcome> {
  const { deps } = ctx;
  const summary: string[] = [];
  const planned: BugRow[] = [];
  const analyzer = deps.analyzer ?? createAnalyzer(deps.config.analyzer);
  for (const bug of bugs) {
    const b = bug.status === "planned" ? bug : await analyze(ctx, analyzer, bug);
    if (b?.status === "planned") planned.push(b);
  }
  const analysed = bugs.length - bugs.filter((b) => b.status === "planned").length;
  if (analysed) summary.push(`分析 ${analysed} 個`);

  const flow2 = planned.filter((b) => b.fixFlow === "flow2");
  if (flow2.length) {
    const queued = await deps.db.transaction(async (tx) => {
      const applied = await applyAll(tx, ctx, flow2, { type: "queue_prod" });
      if (applied.length) {
        const now = deps.clock();
        const t2 = ctx.nextT2(now);
        const tz = ctx.system.timezone;
        const text = flow2Queued({
          bugs: applied,
          t2: formatDateTime(t2, tz),
          tonight: localParts(t2, tz).date === localParts(now, tz).date,
        });
        await enqueue(tx, messages(ctx.chatId, text), now);
      }
      return applied;
    });
    summary.push(`Flow 2 排隊 PROD：${ids(queued)}`);
  }

  let failed = false;
  const flow1 = planned.filter((b) => b.fixFlow === "flow1");
  if (flow1.length) {
    const { deployment, applied } = await deployRelease(ctx, {
      env: "uat",
      kind: "pipeline",
      bugs: flow1,
      version: await allocateVersion(ctx),
      event: (releaseId) => ({ type: "deploy_uat_ok", releaseId }),
      notify: (applied, d) =>
        messages(
          ctx.chatId,
          flow1Uat({
            bugs: applied,
            version: d.version,
            uatUrl: ctx.system.environments.uat.url,
            nextT2: nextT2Text(ctx),
          }),
          { replyMarkup: approvalKeyboard("prod", applied, d.id) },
        ),
    });
    failed = deployment.status !== "succeeded";
    summary.push(releaseSummary(deployment, applied));
  }
  return { status: failed ? "failed" : "done", summary: summary.join(";") || "無待處理 bug" };
}

async function analyze(ctx: WindowContext, analyzer: Analyzer, bug: BugRow): Promise<BugRow | null> {
  const { deps } = ctx;
  let current = bug;
  if (bug.status === "confirmed") {
    const started = await applyEvent(deps.db, {
      bugId: bug.id,
      event: { type: "start_analysis" },
      actor: ctx.actor,
      now: deps.clock(),
    });
    if (started.kind !== "applied") return null;
    current = started.bug;
  }
  let event: Extract<BugEvent, { type: "record_analysis" }>;
  let note: string | undefined;
  try {
    const a = await analyzer.analyze({
      id: current.id,
      title: current.title,
      description: current.description,
      severity: current.severity,
      foundInEnv: current.foundInEnv,
      services: current.services,
      module: current.module,
    });
    event = {
      type: "record_analysis",
      rootCause: a?.rootCause ?? null,
      fixPlan: a ? `${a.fixPlan}\n\n風險：${a.risk}` : null,
      failed: false,
    };
    if (!a) note = "未設定 AI 分析";
  } catch (error) {
    ctx.log.warn({ err: error, bugId: bug.id }, "analysis failed");
    event = { type: "record_analysis", rootCause: null, fixPlan: null, failed: true };
    note = `AI 分析失敗：${error instanceof Error ? error.message : String(error)}`;
  }
  const recorded = await applyEvent(deps.db, {
    bugId: current.id,
    event,
    actor: ctx.actor,
    now: deps.clock(),
    ...(note ? { note } : {}),
  });
  return recorded.kind === "applied" ? recorded.bug : null;
}

// ---------- T2: PROD release, then the UAT merge ----------

async function phaseT2(ctx: WindowContext, bugs: BugRow[]): Promise<Outcome> {
  const summary: string[] = [];
  let failed = false;
  const prod = bugs.filter((b) => b.status === "pending_prod");
  if (prod.length) {
    const uatVersion = (await environmentVersions(ctx.deps.db, ctx.system.id)).uat;
    const { deployment, applied } = await deployRelease(ctx, {
      env: "prod",
      kind: "pipeline",
      bugs: prod,
      version: await prodVersion(ctx, prod),
      event: (releaseId) => ({ type: "deploy_prod_ok", releaseId }),
      notify: (applied, d) => {
        const flow1 = applied.filter((b) => b.fixFlow === "flow1");
        const others = applied.filter((b) => b.fixFlow !== "flow1");
        return [
          // 「版本已對齊」 only when PROD now runs the version UAT runs.
          ...(flow1.length
            ? messages(
                ctx.chatId,
                d.version === uatVersion
                  ? flow1Prod({ bugs: flow1 })
                  : flow1ProdUnaligned({ bugs: flow1, prodVersion: d.version, uatVersion }),
              )
            : []),
          ...(others.length
            ? messages(ctx.chatId, flow2Prod({ bugs: others, nextT2: nextT2Text(ctx) }), {
                replyMarkup: approvalKeyboard("uatMerge", others, d.id),
              })
            : []),
        ];
      },
    });
    failed ||= deployment.status !== "succeeded";
    summary.push(releaseSummary(deployment, applied));
  }
  const merge = bugs.filter((b) => b.status === "pending_uat_merge");
  if (merge.length) {
    const { deployment, applied } = await deployRelease(ctx, {
      env: "uat",
      kind: "uat_merge",
      bugs: merge,
      version: await allocateVersion(ctx),
      event: (releaseId) => ({ type: "uat_merge_ok", releaseId }),
      notify: (applied, d) => {
        const hotfixes = applied.filter((b) => b.fixFlow === "hotfix");
        const flow2 = applied.filter((b) => b.fixFlow !== "hotfix");
        return [
          ...(flow2.length ? messages(ctx.chatId, flow2Complete({ bugs: flow2 })) : []),
          ...(hotfixes.length ? messages(ctx.chatId, hotfixMerged({ bugs: hotfixes, version: d.version })) : []),
        ];
      },
    });
    failed ||= deployment.status !== "succeeded";
    summary.push(releaseSummary(deployment, applied));
  }
  return { status: failed ? "failed" : "done", summary: summary.join(";") };
}

// ---------- a release inside a window ----------

interface ReleaseSpec {
  env: Env;
  kind: "pipeline" | "uat_merge";
  bugs: BugRow[];
  version: string;
  event: (releaseId: number) => BugEvent;
  notify: (applied: BugRow[], deployment: DeploymentRow) => OutboxDraft[];
}

/** Deploys, editing one progress message as it goes; on success moves the bugs and sends the template. */
async function deployRelease(
  ctx: WindowContext,
  spec: ReleaseSpec,
): Promise<{ deployment: DeploymentRow; applied: BugRow[] }> {
  const { deps, system, chatId } = ctx;
  const services = affectedServices(
    system.services,
    spec.bugs.map((b) => b.services),
  );
  let progressId: number | undefined;
  let step = { n: 0, total: Math.max(services.length, 1), service: null as string | null };
  const progress = (state: ProgressState) =>
    progressLine({
      slot: ctx.slot,
      env: spec.env,
      version: spec.version,
      state,
      done: state === "succeeded" ? step.total : step.n,
      total: step.total,
      service: state === "succeeded" ? null : step.service,
    });
  let applied: BugRow[] = [];

  const deployment = await executeRelease(deps, {
    system,
    env: spec.env,
    kind: spec.kind,
    bugIds: spec.bugs.map((b) => b.id),
    services,
    version: spec.version,
    windowRunId: ctx.run.id,
    actorName: `system:${ctx.slot.toUpperCase()}`,
    label: reliability.holders.window(ctx.slot),
    onProgress: async (n, total, service) => {
      step = { n, total, service };
      if (progressId === undefined)
        [progressId] = await enqueue(deps.db, messages(chatId, progress("running")), deps.clock());
      else await enqueue(deps.db, [editMessage(chatId, progressId, progress("running"))], deps.clock());
    },
    onOutcome: async (tx, d) => {
      const ok = d.status === "succeeded";
      if (progressId !== undefined)
        await enqueue(tx, [editMessage(chatId, progressId, progress(ok ? "succeeded" : "failed"))], deps.clock());
      if (!ok) {
        const text = deployFailed({
          env: spec.env,
          version: d.version,
          bugs: spec.bugs,
          status: d.status,
          step: step.service,
          // Short enough that the template's own cut never splits a character.
          output: tailCodePoints(d.output, 400),
        });
        await enqueue(tx, messages(chatId, text, { dedupeKey: `deploy-failed:${d.id}` }), deps.clock());
        return;
      }
      applied = await applyAll(tx, ctx, spec.bugs, spec.event(d.id));
      await enqueue(tx, spec.notify(applied, d), deps.clock());
    },
  });

  if (deployment.status === "succeeded") ctx.deployed.push(deployment);
  return { deployment, applied };
}

/** Moves the bugs in the caller's transaction, set-based (a 10,000-bug window is a few statements). */
async function applyAll(tx: Queryable, ctx: WindowContext, bugs: BugRow[], event: BugEvent): Promise<BugRow[]> {
  const results = await applyEventManyIn(tx, { bugs, event, actor: ctx.actor, now: ctx.deps.clock() });
  const applied: BugRow[] = [];
  results.forEach((r, i) => {
    if (r.kind === "applied") applied.push(r.bug);
    else ctx.log.warn({ bugId: bugs[i]!.id, result: r.kind }, `${event.type} not applied`);
  });
  return applied;
}

const ids = (bugs: readonly { id: number }[]) => bugs.map((b) => `#${b.id}`).join(" ");

const releaseSummary = (d: DeploymentRow, applied: BugRow[]) =>
  `${d.env.toUpperCase()} ${d.version} ${d.status === "succeeded" ? `成功：${ids(applied)}` : `失敗（${d.status}）`}`;

const nextT2Text = (ctx: WindowContext): string => {
  const now = ctx.deps.clock();
  return formatWindowTime(ctx.nextT2(now), now, ctx.system.timezone);
};

/** `2026.11.21-N`: the next sequence of the local date among the system's releases. */
async function allocateVersion(ctx: WindowContext): Promise<string> {
  const date = localParts(ctx.deps.clock(), ctx.system.timezone).date;
  const rows = await ctx.deps.db
    .selectDistinct({ version: deployments.version })
    .from(deployments)
    .where(and(eq(deployments.systemId, ctx.system.id), like(deployments.version, `${date.replaceAll("-", ".")}-%`)));
  return nextVersion(
    date,
    rows.map((r) => r.version),
  );
}

/**
 * A Flow 1 PROD release that carries every bug of the UAT release now on UAT promotes that
 * version (UAT and PROD aligned); anything else gets a new version.
 */
async function prodVersion(ctx: WindowContext, bugs: BugRow[]): Promise<string> {
  const uat = (await environmentVersions(ctx.deps.db, ctx.system.id)).uat;
  if (uat && bugs.every((b) => b.fixFlow === "flow1")) {
    const [onUat] = await ctx.deps.db
      .select()
      .from(deployments)
      .where(
        and(
          eq(deployments.systemId, ctx.system.id),
          eq(deployments.env, "uat"),
          eq(deployments.status, "succeeded"),
          eq(deployments.version, uat),
        ),
      )
      .orderBy(desc(deployments.id))
      .limit(1);
    if (onUat && onUat.bugIds.length > 0 && onUat.bugIds.every((id) => bugs.some((b) => b.id === id))) {
      return onUat.version;
    }
  }
  return allocateVersion(ctx);
}
