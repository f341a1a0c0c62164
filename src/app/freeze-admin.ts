// /freeze from chat: stored freezes start and lift (by hand or at `until`), the group is told either way.
// Env freezes (DEPLOY_FREEZE*) and calendar rules are shown but can only change in the deployment config.
import { and, eq, gt, isNull, lte, or } from "drizzle-orm";
import { freezes } from "../../drizzle/schema.js";
import type { SystemConfig } from "../config.js";
import { describeFreeze, type FreezeReason, type FreezeVerdict } from "../core/freeze.js";
import { escapeHtml } from "../core/html.js";
import { addDays, formatDateTime, formatWindowTime, localParts, nextWindow, zonedInstant } from "../core/windows.js";
import { incidents } from "../i18n/incidents.js";
import { freezeVerdict } from "./freeze-state.js";
import { expireHotfixRequests } from "./hotfix.js";
import { actorName, type IncidentDeps, type UserActor } from "./incident-support.js";
import { enqueue, htmlMessage } from "./outbox.js";

const T = incidents.freeze;
export type FreezeRow = typeof freezes.$inferSelect;

export type FreezeCommand =
  | { action: "show" }
  | { action: "on"; until: string | null; modules: string[]; reason: string }
  | { action: "off"; id: number | null }
  | { action: "invalid" };

/** `on [until YYYY-MM-DD] [module…] [— reason]`, `off [id]`, or nothing. */
export function parseFreezeCommand(args: string): FreezeCommand {
  const [head = "", ...reasonParts] = args.trim().split(/\s*(?:—|--)\s*/);
  const reason = reasonParts.join(" — ").trim();
  const tokens = head.split(/\s+/).filter(Boolean);
  const action = tokens.shift()?.toLowerCase();
  if (action === undefined) return reason ? { action: "invalid" } : { action: "show" };
  if (action === "off") {
    if (tokens.length === 0) return { action: "off", id: null };
    const id = /^#?(\d{1,15})$/.exec(tokens[0]!)?.[1];
    return id && tokens.length === 1 ? { action: "off", id: Number(id) } : { action: "invalid" };
  }
  if (action !== "on") return { action: "invalid" };
  let until: string | null = null;
  if (tokens[0]?.toLowerCase() === "until") {
    until = tokens[1] ?? "";
    tokens.splice(0, 2);
  }
  return { action: "on", until, modules: [...new Set(tokens.map((m) => m.toLowerCase()))], reason };
}

const scopeText = (system: SystemConfig, row: Pick<FreezeRow, "scope" | "module">) =>
  row.scope === "module" && row.module ? T.scopeModule(row.module) : T.scopeSystem(system.name);

/** The next T1 or T2 of the system after `now`. */
function nextSystemWindow(system: SystemConfig, now: Date): Date {
  const tz = system.timezone;
  const t1 = nextWindow(now, system.windows.t1, tz, { inclusive: false }).at;
  const t2 = nextWindow(now, system.windows.t2, tz, { inclusive: false }).at;
  return t1 < t2 ? t1 : t2;
}

const untilInstant = (until: string | null, tz: string): Date | null =>
  until === null ? null : /^\d{4}-\d{2}-\d{2}$/.test(until) ? zonedInstant(until, "00:00", tz) : new Date(until);

function blocksLine(system: SystemConfig, until: Date | null, now: Date): string {
  const next = nextSystemWindow(system, now);
  return until === null || until > next ? T.blocksNext(formatWindowTime(next, now, system.timezone)) : T.liftsBefore;
}

export type AddFreezeResult = { ok: true; rows: FreezeRow[] } | { ok: false; message: string };

export async function addFreeze(
  deps: IncidentDeps,
  system: SystemConfig,
  input: { until: string | null; modules: string[]; reason: string },
  actor: UserActor,
): Promise<AddFreezeResult> {
  const now = deps.clock();
  const tz = system.timezone;
  let until: Date | null = null;
  if (input.until !== null) {
    const real = /^\d{4}-\d{2}-\d{2}$/.test(input.until) && addDays(input.until, 0) === input.until;
    if (!real || input.until <= localParts(now, tz).date) return { ok: false, message: T.badDate };
    until = zonedInstant(input.until, "00:00", tz);
  }
  const base = { systemId: system.id, reason: input.reason, until, createdBy: actor.name, createdAt: now };
  const values = input.modules.length
    ? input.modules.map((module) => ({ ...base, scope: "module" as const, module }))
    : [{ ...base, scope: "system" as const, module: null }];
  const rows = await deps.db.transaction(async (tx) => {
    const inserted = await tx.insert(freezes).values(values).returning();
    const scope = inserted.map((r) => `${scopeText(system, r)}（#${r.id}）`).join("、");
    const text = T.started(
      scope,
      input.reason,
      T.untilText(until && formatDateTime(until, tz)),
      actor.name,
      blocksLine(system, until, now),
    );
    await enqueue(tx, [htmlMessage(system.groupChatId, text)], now);
    return inserted;
  });
  return { ok: true, rows };
}

export type LiftResult =
  | { ok: true; lifted: FreezeRow[]; envReasons: string[] }
  | { ok: false; message: string; envReasons: string[] };

/** Lifts one stored freeze (by id) or all of this system's; says when only env freezes remain. */
export async function liftFreezes(
  deps: IncidentDeps,
  system: SystemConfig,
  id: number | null,
  actor: UserActor,
): Promise<LiftResult> {
  const now = deps.clock();
  const verdict = await freezeVerdict(deps, system, now);
  const envReasons = allReasons(verdict)
    .filter((r) => r.source === "env")
    .map((r) => r.reason);
  const lifted = await deps.db.transaction(async (tx) => {
    const rows = await tx
      .update(freezes)
      .set({ liftedAt: now, liftedBy: actorName(actor) })
      .where(
        and(
          isNull(freezes.liftedAt),
          id === null ? eq(freezes.systemId, system.id) : eq(freezes.id, id),
          // an expired row is the sweeper's to lift (and announce)
          or(isNull(freezes.until), gt(freezes.until, now)),
        ),
      )
      .returning();
    await enqueue(
      tx,
      rows.map((r) => htmlMessage(system.groupChatId, T.lifted(scopeText(system, r), r.id, actor.name))),
      now,
    );
    return rows;
  });
  if (lifted.length > 0) return { ok: true, lifted, envReasons };
  if (envReasons.length > 0) return { ok: false, message: T.envCannotLift(envReasons), envReasons };
  return { ok: false, message: id === null ? T.noneToLift : T.notFound(id), envReasons };
}

/** Stored freezes whose `until` has passed: lifted once, each group told. */
export async function autoLiftFreezes(deps: IncidentDeps): Promise<FreezeRow[]> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const rows = await tx
      .update(freezes)
      .set({ liftedAt: now, liftedBy: "system:auto" })
      .where(and(isNull(freezes.liftedAt), lte(freezes.until, now)))
      .returning();
    const drafts = rows.flatMap((r) =>
      deps.config.systems
        .filter((s) => r.systemId === null || s.id === r.systemId)
        .map((s) => htmlMessage(s.groupChatId, T.autoLifted(scopeText(s, r), r.id))),
    );
    await enqueue(tx, drafts, now);
    return rows;
  });
}

const allReasons = (v: FreezeVerdict): FreezeReason[] => [...v.full, ...Object.values(v.modules).flat()];

/** `/freeze` with no arguments: every active freeze, its source and the next window it blocks (HTML). */
export async function freezeOverview(deps: IncidentDeps, system: SystemConfig): Promise<string> {
  const now = deps.clock();
  const verdict = await freezeVerdict(deps, system, now);
  const reasons = allReasons(verdict);
  if (reasons.length === 0) return `${T.header(system.name)}\n${T.none}`;
  const lines = describeFreeze(verdict, system.timezone);
  // describeFreeze lists full freezes, then module freezes: the same order as allReasons.
  const body = lines.map(
    (line, i) => `${escapeHtml(line)}\n   ${blocksLine(system, untilInstant(reasons[i]!.until, system.timezone), now)}`,
  );
  return [T.header(system.name), ...body].join("\n");
}

/** The periodic chores: expire unapproved hotfix requests, lift freezes past their `until`. */
export async function sweepIncidents(deps: IncidentDeps): Promise<void> {
  await expireHotfixRequests(deps);
  await autoLiftFreezes(deps);
}

/** Runs sweepIncidents every `intervalMs` until stopped (main.ts). */
export function startIncidentTimers(deps: IncidentDeps, intervalMs = 30_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepIncidents(deps)
      .catch((err: unknown) => deps.logger.error({ err }, "incident sweep failed"))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
