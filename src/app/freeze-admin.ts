// /freeze from chat: stored freezes start and lift (by hand or at `until`), the group is told either way.
// Env freezes (DEPLOY_FREEZE*) and calendar rules are shown but can only change in the deployment config.
import { and, eq, gt, isNull, lte, or } from "drizzle-orm";
import { z } from "zod";
import { freezes } from "../../drizzle/schema.js";
import type { SystemConfig } from "../config.js";
import type { FreezeReason, FreezeVerdict } from "../core/freeze.js";
import { escapeHtml } from "../core/html.js";
import { boundedText, cleanText, codePointLength, normalizeModule, oneLine } from "../core/text.js";
import { addDays, formatDateTime, localParts, zonedInstant } from "../core/windows.js";
import { describeFreeze, formatWindowTime, freezeReasonText, incidents } from "../i18n/index.js";
import { knownModules } from "./bugs.js";
import { freezeVerdict } from "./freeze-state.js";
import { expireHotfixRequests } from "./hotfix.js";
import { actorName, type IncidentDeps, type UserActor } from "./incident-support.js";
import { enqueue, notice } from "./outbox.js";
import { nextWindow } from "./schedule.js";

const T = incidents.freeze;
export type FreezeRow = typeof freezes.$inferSelect;

export type FreezeCommand =
  | { action: "show" }
  | { action: "on"; until: string | null; modules: string[]; reason: string }
  | { action: "off"; id: number | null }
  | { action: "invalid"; problem?: string };

const REASON_MAX = 500;
const MODULE_MAX = 64;

/** The pieces of `/freeze …` as read from the text, validated (and made safe) by zod. */
const freezeArgs = z.discriminatedUnion("action", [
  z.object({ action: z.literal("show") }),
  z.object({
    action: z.literal("on"),
    until: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, { error: T.badDate })
      .nullable(),
    modules: z
      .array(
        z
          .string()
          .transform(normalizeModule)
          .refine((m) => m.length > 0, { error: T.badModule })
          .refine((m) => codePointLength(m) <= MODULE_MAX, { error: T.badModule }),
      )
      .transform((ms) => [...new Set(ms)]),
    reason: z.string().transform((r) => boundedText(oneLine(r), REASON_MAX)),
  }),
  z.object({
    action: z.literal("off"),
    id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable(),
  }),
]);

/**
 * `/freeze on [until YYYY-MM-DD] [module:x …] [—] [reason…]`, `/freeze off [id]`, or nothing.
 * Free text after `on` is the reason and the freeze is a full one: a module freeze needs the
 * explicit `module:x` form, so a reason can never be read as a module name.
 */
export function parseFreezeCommand(args: string): FreezeCommand {
  let rest = cleanText(args).trim();
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(m[0].length);
    return m;
  };
  const action = take(/^(\S+)/)?.[1]?.toLowerCase();
  let raw: unknown;
  if (action === undefined) raw = { action: "show" };
  else if (action === "off") {
    const id = take(/^\s+#?(\d{1,15})/)?.[1] ?? null;
    if (rest.trim()) return { action: "invalid" };
    raw = { action, id };
  } else if (action === "on") {
    const until = take(/^\s+until\s+(\S+)/i)?.[1] ?? null;
    const modules: string[] = [];
    for (let m = take(/^\s+(?:module|模組)[:：](\S*)/i); m; m = take(/^\s+(?:module|模組)[:：](\S*)/i)) {
      modules.push(...m[1]!.split(/[,,、]/));
    }
    take(/^\s*(?:—+|–|--|-(?=\s|$))/); // the optional separator before the reason
    raw = { action, until, modules, reason: rest };
  } else return { action: "invalid" };
  const parsed = freezeArgs.safeParse(raw);
  if (parsed.success) return parsed.data;
  return { action: "invalid", problem: parsed.error.issues[0]?.message };
}

const scopeText = (system: SystemConfig, row: Pick<FreezeRow, "scope" | "module">) =>
  row.scope === "module" && row.module ? T.scopeModule(row.module) : T.scopeSystem(system.name);

/** The next T1 or T2 of the system after `now`, whatever the freezes (what a freeze would block). */
async function nextSystemWindow(deps: IncidentDeps, system: SystemConfig, now: Date): Promise<Date> {
  const t1 = (await nextWindow(deps, system, "t1", now, { freezes: "ignore" }))!.at;
  const t2 = (await nextWindow(deps, system, "t2", now, { freezes: "ignore" }))!.at;
  return t1 < t2 ? t1 : t2;
}

const untilInstant = (until: string | null, tz: string): Date | null =>
  until === null ? null : /^\d{4}-\d{2}-\d{2}$/.test(until) ? zonedInstant(until, "00:00", tz) : new Date(until);

/**
 * What a freeze blocks, exactly: a full freeze blocks the windows (the next one named); a module
 * freeze only makes the next window skip that module's bugs; one lifting before it blocks nothing.
 */
function blocksLine(
  system: SystemConfig,
  until: Date | null,
  now: Date,
  modules: readonly string[],
  next: Date,
): string {
  if (until !== null && until <= next) return T.liftsBefore;
  const when = formatWindowTime(next, now, system.timezone);
  return modules.length ? T.skipsModules(modules, when) : T.blocksWindows(when);
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
  if (input.modules.length > 0) {
    // Only modules the system knows (declared in config or seen on its bugs): a typo freezes nothing.
    const known = await knownModules(deps.db, system);
    const unknown = input.modules.filter((m) => !known.includes(m));
    if (unknown.length > 0) return { ok: false, message: T.unknownModule(unknown, known) };
  }
  const base = { systemId: system.id, reason: input.reason, until, createdBy: actor.name, createdAt: now };
  const values = input.modules.length
    ? input.modules.map((module) => ({ ...base, scope: "module" as const, module }))
    : [{ ...base, scope: "system" as const, module: null }];
  const next = await nextSystemWindow(deps, system, now);
  const rows = await deps.db.transaction(async (tx) => {
    const inserted = await tx.insert(freezes).values(values).returning();
    const scope = inserted.map((r) => `${scopeText(system, r)}（#${r.id}）`).join("、");
    const text = T.started(
      scope,
      input.reason,
      T.untilText(until && formatDateTime(until, tz)),
      actor.name,
      blocksLine(system, until, now, input.modules, next),
    );
    await enqueue(tx, [notice(system.groupChatId, text)], now);
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
    .map(freezeReasonText);
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
      rows.map((r) => notice(system.groupChatId, T.lifted(scopeText(system, r), r.id, actor.name))),
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
        .map((s) => notice(s.groupChatId, T.autoLifted(scopeText(s, r), r.id))),
    );
    await enqueue(tx, drafts, now);
    return rows;
  });
}

const allReasons = (v: FreezeVerdict): FreezeReason[] => [...v.full, ...Object.values(v.modules).flat()];

/** `/freeze` with no arguments: every active freeze, its source and exactly what it blocks (HTML). */
export async function freezeOverview(deps: IncidentDeps, system: SystemConfig): Promise<string> {
  const now = deps.clock();
  const verdict = await freezeVerdict(deps, system, now);
  // describeFreeze lists full freezes, then module freezes by module: the same order as here.
  const entries = [
    ...verdict.full.map((reason) => ({ reason, modules: [] as string[] })),
    ...Object.entries(verdict.modules).flatMap(([module, reasons]) =>
      reasons.map((reason) => ({ reason, modules: [module] })),
    ),
  ];
  if (entries.length === 0) return `${T.header(system.name)}\n${T.none}`;
  const lines = describeFreeze(verdict, system.timezone);
  const next = await nextSystemWindow(deps, system, now);
  const body = lines.map(
    (line, i) =>
      `${escapeHtml(line)}\n   ${blocksLine(system, untilInstant(entries[i]!.reason.until, system.timezone), now, entries[i]!.modules, next)}`,
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
