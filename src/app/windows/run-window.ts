// One window: claim it (one replica, once) → wait for a running window of the same system →
// freeze check → pre-deploy checklist → the slot's phase; then record the outcome and run the
// post-deploy watches.
import { and, eq, inArray, lt, or } from "drizzle-orm";
import { bugs as bugsTable, windowRuns } from "../../../drizzle/schema.js";
import type { SystemConfig } from "../../config.js";
import { freezeFor, isFullyFrozen } from "../../core/freeze.js";
import type { Env, Slot } from "../../core/model.js";
import { formatDateTime } from "../../core/windows.js";
import { freezeReasonText, frozenBugsSkipped, waitingForWindow, windowSkipped, windowText } from "../../i18n/index.js";
import { announceChecklist, checklistLines, runChecklist } from "../checklist.js";
import type { DeploymentRow } from "../deploy-release.js";
import { refreshVersions } from "../env-versions.js";
import { activeStoredFreezes, freezeVerdict } from "../freeze-state.js";
import { advance } from "../lifecycle.js";
import { messages } from "../messages.js";
import { enqueue } from "../outbox.js";
import {
  MINUTE,
  type Outcome,
  realSleep,
  SLOT_ACTOR,
  type Trigger,
  type WindowContext,
  type WindowDeps,
  type WindowRunRow,
} from "./context.js";
import { phaseT1 } from "./phase-t1.js";
import { phaseT2 } from "./phase-t2.js";

const WAIT_POLL_MS = 5_000;
const MAX_WAIT_MS = 3 * 60 * MINUTE;
const SLOT_STATUSES = {
  t1: ["confirmed", "analyzing", "planned"],
  t2: ["pending_prod", "pending_uat_merge"],
} as const;

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
    const ctx: WindowContext = {
      deps,
      system,
      run,
      slot,
      chatId: system.groupChatId,
      actor: SLOT_ACTOR[slot],
      log,
      stored: await activeStoredFreezes(deps.db, deps.clock()),
      deployed,
    };
    outcome = await windowBody(ctx);
  } catch (error) {
    log.error({ err: error }, "window failed");
    outcome = {
      status: "failed",
      summary: windowText.failed(error instanceof Error ? error.message : String(error)),
    };
  }
  // Retried until it commits (a database outage ends): a live process never leaves a window `running`.
  let done: WindowRunRow | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const patch = { summary: outcome.summary, finishedAt: deps.clock() };
      // From `failed` too: recovery may have taken this live process for dead (see core/lifecycles.ts).
      [done] = await advance(deps.db, "window_runs", run.id, ["running", "failed"], outcome.status, patch);
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
  if (!(await waitForEarlierWindow(ctx))) return skip(ctx, windowText.waitedTooLong);

  const freeze = await freezeVerdict(deps, system, deps.clock());
  if (isFullyFrozen(freeze)) return skip(ctx, windowText.frozen(freeze.full.map(freezeReasonText)));

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
    const reasons = [
      ...new Set(frozen.map((b) => windowText.moduleReason(b.module, freezeReasonText(freezeFor(freeze, b.module)!)))),
    ];
    await enqueue(deps.db, messages(ctx.chatId, frozenBugsSkipped({ slot, bugs: frozen, reasons })), deps.clock());
  }
  if (bugs.length === 0)
    return { status: "done", summary: frozen.length ? windowText.onlyFrozen : windowText.nothingToDo };

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
  const checklist = await runChecklist(deps, system, at, envs, { bugs });
  if (!checklist.ok) return skip(ctx, windowText.checklistFailed, checklistLines(checklist));
  await announceChecklist(deps, system, ctx.run, checklist); // issue 12: one message listing every item

  await refreshVersions(deps, system); // issue 10: the real versions, read before every window phase
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
