// Shared zod building blocks for env variables and PIPELINE_CONFIG: clocks, time zones, URLs without
// credentials, bounded integers, argv resolution, holiday regions, strict objects that name the allowed
// keys. Pure helpers with no knowledge of which field uses them; wordings come from ./messages.ts.
import { isAbsolute, resolve } from "node:path";
import Holidays from "date-holidays";
import { z } from "zod";
import { CLOCK_ERROR, credentialsError, intError, oneOfError, TZ_ERROR, unknownKeyError } from "./messages.js";

export const INT = /^[+-]?\d+$/;
const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$/;

const canonicalTimeZone = (tz: string): string | null => {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
};
/** An IANA zone, canonicalized ("asia/taipei" → "Asia/Taipei"). */
export const timeZone = z
  .string()
  .refine((tz) => canonicalTimeZone(tz) !== null, { error: TZ_ERROR })
  .transform((tz) => canonicalTimeZone(tz)!);
/** "9:05" → "09:05". */
export const clock = z
  .string()
  .regex(CLOCK, { error: CLOCK_ERROR })
  .transform((s) => s.padStart(5, "0"));
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
const httpUrl = (error: string) => z.url({ protocol: /^https?$/, error });

/** `https://user:pass@host` — credentials in a URL would end up in chat, /status and logs. */
export const hasCredentials = (url: string): boolean => {
  try {
    const u = new URL(url);
    return u.username !== "" || u.password !== "";
  } catch {
    return false;
  }
};
/** The URL as it may be printed: anything between `scheme://` and the last `@` hidden. */
export const redactUrl = (text: string): string => text.replace(/^([a-z][a-z0-9+.-]*:\/\/).*@/i, "$1***@");
/** An http(s) URL without credentials; `fix` says where they go instead (zh, en). */
export const plainUrl = (error: string, fix: [string, string]) =>
  httpUrl(error).refine((u) => !hasCredentials(u), { error: credentialsError(fix) });
/** 127.0.0.0/8, ::1, localhost: plain http stays on this machine. */
export const isLoopbackUrl = (url: string): boolean => {
  try {
    const host = new URL(url).hostname.replace(/\.$/, "").toLowerCase();
    return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  } catch {
    return false;
  }
};

/** Integer given as an env string. */
export const intIn = (min: number, max: number) => {
  const error = intError(min, max);
  return z
    .string()
    .regex(INT, { error })
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, { error });
};
/** Integer given as a JSON number. */
export const jsonInt = (min: number, max: number) => {
  const error = intError(min, max);
  return z.int({ error }).min(min, { error }).max(max, { error });
};
/** One of `values`, case-insensitive. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values, { error: oneOfError(values) }));
/** "a, b,,a" → ["a", "b"]. */
export const commaList = z.string().transform((s) => [
  ...new Set(
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  ),
]);
export const isRealDate = (s: string): boolean => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
};

/** argv[0] containing a "/" and not absolute resolves against base; bare names (looked up in PATH) stay. */
export const resolveCommand = (argv: string[], base: string): string[] =>
  argv.map((arg, i) => (i === 0 && arg.includes("/") && !isAbsolute(arg) ? resolve(base, arg) : arg));

let holidayCountries: Record<string, string> | undefined;
/** "TW", "US-CA", "US-CA-LA": a country (and state/region) known to date-holidays. */
export const isHolidayRegion = (code: string): boolean => {
  const [country = "", state, region, extra] = code.split("-");
  const hd = new Holidays();
  holidayCountries ??= hd.getCountries();
  if (extra !== undefined || !(country in holidayCountries)) return false;
  if (state !== undefined && !(state in (hd.getStates(country) ?? {}))) return false;
  return region === undefined || region in (hd.getRegions(country, state!) ?? {});
};

/** A strict object whose unknown-key problem lists the keys allowed there. */
export const strict = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? unknownKeyError(Object.keys(shape)) : undefined),
  });

/** Adds a problem from inside a transform (it keeps parsing, so every problem is reported at once). */
export const custom = (ctx: { issues: z.core.$ZodRawIssue[] }, path: PropertyKey[], message: string, input?: unknown) =>
  ctx.issues.push({ code: "custom", path, message, input });
