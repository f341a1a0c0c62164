// Timezone window math for T1/T2. Pure: every instant comes in as an argument.

export interface LocalParts {
  /** YYYY-MM-DD */
  date: string;
  /** HH:MM */
  time: string;
  /** 0 = Sunday */
  weekday: number;
}

export interface WindowResult {
  at: Date;
  /** the local date the window belongs to */
  date: string;
  skipped: { date: string; reason: string }[];
}

export type SkipDay = (localDate: string) => string | null;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The local wall clock at `ms`, expressed as if it were UTC milliseconds (seconds precision). */
function wallClock(ms: number, tz: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(ms)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
}

const offsetAt = (ms: number, tz: string): number => wallClock(ms, tz) - Math.floor(ms / 1000) * 1000;

function parseDate(date: string): [number, number, number] {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function parseTime(time: string): [number, number] {
  const m = TIME_RE.exec(time);
  if (!m) throw new RangeError(`not an HH:MM time: ${time}`);
  return [Number(m[1]), Number(m[2])];
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
const isoDate = (utc: Date): string =>
  `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())}`;

export function localParts(instant: Date, tz: string): LocalParts {
  const wall = new Date(wallClock(instant.getTime(), tz));
  return {
    date: isoDate(wall),
    time: `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`,
    weekday: wall.getUTCDay(),
  };
}

export function addDays(date: string, n: number): string {
  const [y, m, d] = parseDate(date);
  return isoDate(new Date(Date.UTC(y, m - 1, d + n)));
}

/**
 * The UTC instant of a local date and time. In a DST gap (the wall time never happens) it is
 * the first instant after the gap; in an overlap (it happens twice) the earlier one.
 */
export function zonedInstant(date: string, time: string, tz: string): Date {
  const [y, mo, d] = parseDate(date);
  const [h, mi] = parseTime(time);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const offsets = new Set([offsetAt(wall - 24 * HOUR, tz), offsetAt(wall, tz), offsetAt(wall + 24 * HOUR, tz)]);
  const exact = [...offsets].map((o) => wall - o).filter((t) => wallClock(t, tz) === wall);
  if (exact.length > 0) return new Date(Math.min(...exact));
  // Gap: find the first instant whose wall clock is at or past the wanted time (the transition).
  let lo = wall - Math.max(...offsets);
  let hi = wall - Math.min(...offsets);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (wallClock(mid, tz) >= wall) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/**
 * The next occurrence of local `slotTime` at or after (`inclusive`, the default) or strictly
 * after `after`. Days for which `skipDay` gives a reason are passed over and listed.
 */
export function nextWindow(
  after: Date,
  slotTime: string,
  tz: string,
  opts: { inclusive?: boolean; skipDay?: SkipDay; maxDays?: number } = {},
): WindowResult {
  const { inclusive = true, skipDay, maxDays = 400 } = opts;
  parseTime(slotTime);
  const start = localParts(after, tz).date;
  const skipped: { date: string; reason: string }[] = [];
  // Start a day early: a slot in a DST gap just before midnight can land on the next local date.
  for (let i = -1; i <= maxDays; i++) {
    const date = addDays(start, i);
    const at = zonedInstant(date, slotTime, tz);
    if (inclusive ? at < after : at <= after) continue;
    const reason = skipDay?.(date) ?? null;
    if (reason !== null) {
      skipped.push({ date, reason });
      continue;
    }
    return { at, date, skipped };
  }
  throw new RangeError(`no ${slotTime} window within ${maxDays} days after ${after.toISOString()} (${tz})`);
}

/** `2026-11-21 22:05` in local time. */
export function formatDateTime(at: Date, tz: string): string {
  const local = localParts(at, tz);
  return `${local.date} ${local.time}`;
}

/** Every occurrence of `slotTime` in (from, to], oldest first. */
export function windowsBetween(from: Date, to: Date, slotTime: string, tz: string): Date[] {
  parseTime(slotTime);
  if (to <= from) return [];
  const out: Date[] = [];
  const last = addDays(localParts(to, tz).date, 1);
  for (let date = addDays(localParts(from, tz).date, -1); date <= last; date = addDays(date, 1)) {
    const at = zonedInstant(date, slotTime, tz);
    if (at > from && at <= to) out.push(at);
  }
  return out;
}
