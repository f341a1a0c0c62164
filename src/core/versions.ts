// The environments' real versions and how UAT's relates to PROD's. Versions that parse as semver
// (1.4.0, v2.0.0-rc.1) or as the bot's own release names (2026.11.23-1) are ordered; anything else
// (a git SHA, a build id) only compares equal or different, and "different" means "UAT ahead" only
// when UAT's version was deployed after PROD's. Pure: times come in as arguments.

/** One environment's version as recorded: read from the environment or reported by its deploy. */
export interface EnvVersion {
  /** null: unknown (no probe, never read, or the last read failed) */
  version: string | null;
  /** When this version was deployed (or first seen, when the bot did not deploy it). */
  since: Date | null;
  /** When it was last read (or reported). */
  readAt: Date | null;
  /** The last read's failure (then `version` is null). */
  error: string | null;
}

export type VersionRelation =
  /** both known and equal */
  | "same"
  /** UAT runs a newer version than PROD */
  | "uat_ahead"
  /** UAT runs an older version than PROD: re-align UAT before a Flow 1 fix */
  | "uat_behind"
  /** opaque versions that differ, UAT deployed no later than PROD: no order known */
  | "different"
  /** at least one version is unknown */
  | "unknown";

export type VersionScheme = "semver" | "release" | "opaque";

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;
const RELEASE = /^v?(\d{4})\.(\d{2})\.(\d{2})-(\d+)$/;

export function versionScheme(v: string): VersionScheme {
  const s = v.trim();
  if (RELEASE.test(s)) return "release";
  if (SEMVER.test(s)) return "semver";
  return "opaque";
}

const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

/** Semver precedence (semver.org §11): numbers, then a release beats its pre-releases. */
function compareSemver(a: RegExpExecArray, b: RegExpExecArray): number {
  for (let i = 1; i <= 3; i++) {
    const d = Number(a[i]) - Number(b[i]);
    if (d !== 0) return sign(d);
  }
  const pa = a[4];
  const pb = b[4];
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  const xs = pa.split(".");
  const ys = pb.split(".");
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const x = xs[i];
    const y = ys[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return sign(d);
    } else if (nx !== ny) return nx ? -1 : 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Sign of a − b when both are ordered versions of the same scheme; null when they cannot be ordered
 * (opaque, or two different schemes) — then only equality is known.
 */
export function orderVersions(a: string, b: string): number | null {
  const x = a.trim();
  const y = b.trim();
  if (x === y) return 0;
  const sa = versionScheme(x);
  if (sa === "opaque" || sa !== versionScheme(y)) return null;
  if (sa === "semver") return compareSemver(SEMVER.exec(x)!, SEMVER.exec(y)!);
  const ma = RELEASE.exec(x)!;
  const mb = RELEASE.exec(y)!;
  for (let i = 1; i <= 4; i++) {
    const d = Number(ma[i]) - Number(mb[i]);
    if (d !== 0) return sign(d);
  }
  return 0;
}

/** How UAT's version relates to PROD's (see the header for the rules). */
export function relateVersions(
  uat: Pick<EnvVersion, "version" | "since">,
  prod: Pick<EnvVersion, "version" | "since">,
): VersionRelation {
  const u = uat.version?.trim() || null;
  const p = prod.version?.trim() || null;
  if (u === null || p === null) return "unknown";
  const order = orderVersions(u, p);
  if (order === 0) return "same";
  if (order !== null) return order > 0 ? "uat_ahead" : "uat_behind";
  if (uat.since && prod.since && uat.since.getTime() > prod.since.getTime()) return "uat_ahead";
  return "different";
}
