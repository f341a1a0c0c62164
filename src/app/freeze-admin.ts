// /freeze from chat: stored freezes start and lift (by hand or at `until`), the group is told either way.
// Env freezes (DEPLOY_FREEZE*) and calendar rules are shown but can only change in the deployment config.
import { and, eq, gt, isNull, lte, or } from "drizzle-orm";
import { z } from "zod";
import { freezes } from "../../drizzle/schema.js";
import type { SystemConfig } from "../config.js";
import { type FreezeReason, type FreezeVerdict, periodInstants } from "../core/freeze.js";
import { escapeHtml } from "../core/html.js";
import { boundedText, cleanText, codePointLength, normalizeModule, oneLine } from "../core/text.js";
import { addDays, formatDateTime, localParts, zonedInstant } from "../core/windows.js";
import { describeFreeze, formatWindowTime, freezeReasonText, incidents, plannedFreeze } from "../i18n/index.js";
import { knownModules } from "./bugs.js";
import { reconcileEscalations } from "./escalation.js";
import { freezesChanged } from "./freeze-cache.js";
import { sendFreezeReminders } from "./freeze-reminders.js";
import { freezeVerdict } from "./freeze-state.js";
import { expireHotfixRequests } from "./hotfix.js";
import { actorName, type IncidentDeps, type UserActor } from "./incident-support.js";
import { enqueue, notice } from "./outbox.js";
import { nextWindow } from "./schedule.js";

const T = incidents.freeze;
const P = plannedFreeze;
export type FreezeRow = typeof freezes.$inferSelect;

export type FreezeCommand =
  | { action: "show" }
  | { action: "on"; from?: string; until: string | null; modules: string[]; reason: string }
  | { action: "off"; id: number | null }
  | { action: "invalid"; problem?: string };

const REASON_MAX = 500;
const MODULE_MAX = 64;

/** The pieces of `/freeze …` as read from the text, validated (and made safe) by zod. */
/** "YYYY-MM-DD" or "YYYY-MM-DD H:MM" as typed → "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (a real date-time), else the error. */
const localWhen = (word: "from" | "until") =>
  z
    .string()
    .transform((s, ctx) => {
      const m = /^(\d{4}-\d{2}-\d{2})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(s);
      const hh = m?.[2]?.padStart(2, "0");
      const ok = m && addDays(m[1]!, 0) === m[1] && (hh === undefined || (hh <= "23" && m[3]! <= "59"));
      if (!ok) {
        // an immediate freeze keeps its short message; a planned one names the word and the format
        ctx.issues.push({ code: "custom", message: word === "until" ? T.badDate : P.badDate(word, s), input: s });
        return z.NEVER;
      }
      return hh === undefined ? m[1]! : `${m[1]} ${hh}:${m[3]}`;
    })
    .nullable();

const freezeArgs = z.discriminatedUnion("action", [
  z.object({ action: z.literal("show") }),
  z.object({
    action: z.literal("on"),
    from: localWhen("from"),
    until: localWhen("until"),
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
  } else if (action === "cancel") {
    // cancels a planned freeze: the same as `off <id>`, the id required
    const id = take(/^\s+#?(\d{1,15})/)?.[1] ?? null;
    if (id === null || rest.trim()) return { action: "invalid", problem: P.cancelNeedsId };
    raw = { action: "off", id };
  } else if (action === "on") {
    // from/until: a date, optionally followed by HH:MM (the system's timezone)
    const when = (word: string) => {
      const m = take(new RegExp(`^\\s+${word}\\s+(\\S+)(?:\\s+(\\d{1,2}:\\d{2})(?=\\s|$))?`, "i"));
      return m ? (m[2] ? `${m[1]} ${m[2]}` : m[1]!) : null;
    };
    const from = when("from");
    const until = when("until");
    const modules: string[] = [];
    for (let m = take(/^\s+(?:module|模組)[:：](\S*)/i); m; m = take(/^\s+(?:module|模組)[:：](\S*)/i)) {
      modules.push(...m[1]!.split(/[,,、]/));
    }
    take(/^\s*(?:—+|–|--|-(?=\s|$))/); // the optional separator before the reason
    raw = { action, from, until, modules, reason: rest };
  } else return { action: "invalid" };
  const parsed = freezeArgs.safeParse(raw);
  if (parsed.success) {
    if (parsed.data.action !== "on") return parsed.data;
    const { from, ...rest } = parsed.data;
    return from === null ? rest : { ...rest, from }; // `from` only for a planned freeze
  }
  const issue = parsed.error.issues[0];
  const r = raw as { from?: string | null; until?: string | null };
  if (issue?.path[0] === "until" && r.from != null && r.until != null) {
    return { action: "invalid", problem: P.badDate("until", r.until) };
  }
  return { action: "invalid", problem: issue?.message };
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
  input: { from?: string | null; until: string | null; modules: string[]; reason: string },
  actor: UserActor,
): Promise<AddFreezeResult> {
  const now = deps.clock();
  const tz = system.timezone;
  const from = input.from ?? null;
  let until: Date | null = null;
  let startsAt: Date | null = null;
  if (from !== null) {
    // planned: both ends, a reason, in the future, in order
    if (input.until === null) return { ok: false, message: P.untilRequired };
    if (!input.reason.trim()) return { ok: false, message: P.reasonRequired };
    startsAt = localInstant(from, tz);
    until = localInstant(input.until, tz);
    const nowText = formatDateTime(now, tz);
    if (startsAt <= now) return { ok: false, message: P.fromPast(formatDateTime(startsAt, tz), nowText) };
    if (until <= now) return { ok: false, message: P.untilPast(formatDateTime(until, tz), nowText) };
    if (until <= startsAt)
      return { ok: false, message: P.untilNotAfterFrom(formatDateTime(startsAt, tz), formatDateTime(until, tz)) };
  } else if (input.until !== null) {
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(input.until);
    const real = addDays(input.until.slice(0, 10), 0) === input.until.slice(0, 10);
    until = localInstant(input.until, tz);
    if (!real || (dateOnly ? input.until <= localParts(now, tz).date : until <= now))
      return { ok: false, message: T.badDate };
  }
  if (input.modules.length > 0) {
    // Only modules the system knows (declared in config or seen on its bugs): a typo freezes nothing.
    const known = await knownModules(deps.db, system);
    const unknown = input.modules.filter((m) => !known.includes(m));
    if (unknown.length > 0) return { ok: false, message: T.unknownModule(unknown, known) };
  }
  const base = { systemId: system.id, reason: input.reason, until, startsAt, createdBy: actor.name, createdAt: now };
  const values = input.modules.length
    ? input.modules.map((module) => ({ ...base, scope: "module" as const, module }))
    : [{ ...base, scope: "system" as const, module: null }];
  // what it blocks: the first window at or after its start
  const next = await nextSystemWindow(deps, system, startsAt ? new Date(startsAt.getTime() - 1) : now);
  const rows = await deps.db.transaction(async (tx) => {
    const inserted = await tx.insert(freezes).values(values).returning();
    const scope = inserted.map((r) => `${scopeText(system, r)}（#${r.id}）`).join("、");
    const blocks = blocksLine(system, until, now, input.modules, next);
    const text = startsAt
      ? P.created({
          scope: inserted.map((r) => scopeText(system, r)).join("、"),
          id: inserted[0]!.id,
          reason: input.reason,
          from: formatDateTime(startsAt, tz),
          until: formatDateTime(until!, tz),
          by: actor.name,
          blocks,
        })
      : T.started(scope, input.reason, T.untilText(until && formatDateTime(until, tz)), actor.name, blocks);
    await enqueue(tx, [notice(system.groupChatId, text)], now);
    return inserted;
  });
  freezesChanged(deps.db); // issue 15: this process's freeze cache at once (others: the notification)
  return { ok: true, rows };
}

/** "YYYY-MM-DD" (00:00) or "YYYY-MM-DD HH:MM", local to `tz`, as an instant. */
const localInstant = (local: string, tz: string): Date =>
  zonedInstant(local.slice(0, 10), local.length > 10 ? local.slice(11, 16) : "00:00", tz);

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
          // `off` alone lifts the ones in force; a planned one is cancelled by its id
          id === null
            ? and(eq(freezes.systemId, system.id), or(isNull(freezes.startsAt), lte(freezes.startsAt, now)))
            : eq(freezes.id, id),
          // an expired row is the sweeper's to lift (and announce)
          or(isNull(freezes.until), gt(freezes.until, now)),
        ),
      )
      .returning();
    await enqueue(
      tx,
      rows.map((r) =>
        notice(
          system.groupChatId,
          r.startsAt && r.startsAt > now
            ? P.cancelled(scopeText(system, r), r.id, actor.name)
            : T.lifted(scopeText(system, r), r.id, actor.name),
        ),
      ),
      now,
    );
    return rows;
  });
  if (lifted.length > 0) freezesChanged(deps.db);
  if (lifted.length > 0) return { ok: true, lifted, envReasons };
  if (envReasons.length > 0) return { ok: false, message: T.envCannotLift(envReasons), envReasons };
  return { ok: false, message: id === null ? T.noneToLift : T.notFound(id), envReasons };
}

/** Stored freezes whose `until` has passed: lifted once, each group told. */
export async function autoLiftFreezes(deps: IncidentDeps): Promise<FreezeRow[]> {
  const now = deps.clock();
  const lifted = await deps.db.transaction(async (tx) => {
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
  if (lifted.length > 0) freezesChanged(deps.db);
  return lifted;
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
  const planned = await plannedLines(deps, system, now);
  if (entries.length === 0) return [T.header(system.name), T.none, ...planned].join("\n");
  const lines = describeFreeze(verdict, system.timezone);
  const next = await nextSystemWindow(deps, system, now);
  const body = lines.map(
    (line, i) =>
      `${escapeHtml(line)}\n   ${blocksLine(system, untilInstant(entries[i]!.reason.until, system.timezone), now, entries[i]!.modules, next)}`,
  );
  return [T.header(system.name), ...body, ...planned].join("\n");
}

/** The planned freezes not started yet (stored and config), soonest first, as HTML lines; [] when none. */
async function plannedLines(deps: IncidentDeps, system: SystemConfig, now: Date): Promise<string[]> {
  const tz = system.timezone;
  const stored = await deps.db
    .select()
    .from(freezes)
    .where(
      and(
        isNull(freezes.liftedAt),
        gt(freezes.startsAt, now),
        or(isNull(freezes.systemId), eq(freezes.systemId, system.id)),
      ),
    );
  const items = [
    ...stored.map((r) => ({
      at: r.startsAt!,
      line: P.plannedLine({
        ref: P.refStored(r.id),
        scope: scopeText(system, r),
        from: formatDateTime(r.startsAt!, tz),
        until: r.until ? formatDateTime(r.until, tz) : "—",
        reason: r.reason,
        by: r.createdBy,
      }),
    })),
    ...(system.freeze.periods ?? []).flatMap((p) => {
      const { from, until } = periodInstants(p, tz);
      if (from <= now) return [];
      return [
        {
          at: from,
          line: P.plannedLine({
            ref: P.refConfig,
            scope: periodScope(system, p.modules),
            from: formatDateTime(from, tz),
            until: formatDateTime(until, tz),
            reason: p.reason,
            by: null,
          }),
        },
      ];
    }),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  if (items.length === 0) return [];
  return ["", P.plannedHeader, ...items.map((i) => i.line), P.plannedCancelHint];
}

/** A config period's scope in words (HTML). */
export const periodScope = (system: SystemConfig, modules: readonly string[]): string =>
  modules.length ? modules.map((m) => T.scopeModule(m)).join("、") : T.scopeSystem(system.name);

/**
 * The periodic chores: expire unapproved hotfix requests, lift freezes past their `until`, the
 * planned freezes' reminders, critical bugs' escalation and pins (both idempotent, from the database).
 */
export async function sweepIncidents(deps: IncidentDeps): Promise<void> {
  await expireHotfixRequests(deps);
  await autoLiftFreezes(deps);
  await sendFreezeReminders(deps, deps.clock());
  await reconcileEscalations(deps);
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
