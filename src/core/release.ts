// Release naming (2026.11.21-1), version comparison, service dependency order and release notes.

export interface ServiceDecl {
  name: string;
  dependsOn: string[];
}

export class ServiceGraphError extends Error {
  override readonly name = "ServiceGraphError";
  constructor(
    readonly kind: "cycle" | "unknown_dependency" | "duplicate",
    /** the cycle (first name repeated at the end), or [service, missing dependency], or [duplicate] */
    readonly services: string[],
    message: string,
  ) {
    super(message);
  }
}

const VERSION_RE = /^v?(\d{4})\.(\d{2})\.(\d{2})-(\d+)$/i;
const NUMERIC_RE = /^\d+(?:[.-]\d+)*$/;

export function versionName(localDate: string, seq: number): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(localDate)) throw new RangeError(`not a YYYY-MM-DD date: ${localDate}`);
  if (!Number.isInteger(seq) || seq < 1) throw new RangeError(`release sequence must be a positive integer: ${seq}`);
  return `${localDate.replaceAll("-", ".")}-${seq}`;
}

/** The next release name of that local date: highest existing sequence of the date + 1. */
export function nextVersion(localDate: string, existing: string[]): string {
  const prefix = localDate.replaceAll("-", ".");
  let max = 0;
  for (const v of existing) {
    const m = VERSION_RE.exec(v.trim());
    if (m && `${m[1]}.${m[2]}.${m[3]}` === prefix) max = Math.max(max, Number(m[4]));
  }
  return versionName(localDate, max + 1);
}

const normalize = (v: string): string => v.trim().replace(/^v(?=\d)/i, "");

/**
 * Sign of a − b. Our `YYYY.MM.DD-N` scheme and dotted numerics (1.2.10 > 1.2.9, optional `v`)
 * compare segment by segment, a missing segment counting as 0; anything else falls back to
 * a numeric-aware localeCompare.
 */
export function compareVersions(a: string, b: string): number {
  const x = normalize(a);
  const y = normalize(b);
  if (x === y) return 0;
  if (NUMERIC_RE.test(x) && NUMERIC_RE.test(y)) {
    const xs = x.split(/[.-]/).map(Number);
    const ys = y.split(/[.-]/).map(Number);
    for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
      const d = (xs[i] ?? 0) - (ys[i] ?? 0);
      if (d !== 0) return Math.sign(d);
    }
    return 0;
  }
  return Math.sign(x.localeCompare(y, "en", { numeric: true }));
}

export const isAhead = (a: string, b: string): boolean => compareVersions(a, b) > 0;

/** Topological order, dependencies first; ties keep declaration order. */
export function dependencyOrder(services: ServiceDecl[]): string[] {
  const byName = new Map<string, ServiceDecl>();
  for (const s of services) {
    if (byName.has(s.name)) throw new ServiceGraphError("duplicate", [s.name], `service "${s.name}" is declared twice`);
    byName.set(s.name, s);
  }
  for (const s of services) {
    for (const d of s.dependsOn) {
      if (!byName.has(d)) {
        throw new ServiceGraphError(
          "unknown_dependency",
          [s.name, d],
          `service "${s.name}" depends on unknown service "${d}"`,
        );
      }
    }
  }
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < services.length) {
    const next = services.find((s) => !done.has(s.name) && s.dependsOn.every((d) => done.has(d)));
    if (!next) {
      const cycle = findCycle(
        services.filter((s) => !done.has(s.name)),
        byName,
      );
      throw new ServiceGraphError("cycle", cycle, `service dependency cycle: ${cycle.join(" → ")}`);
    }
    done.add(next.name);
    order.push(next.name);
  }
  return order;
}

/** Every remaining service has an unplaced dependency, so walking first dependencies must revisit one. */
function findCycle(remaining: ServiceDecl[], byName: Map<string, ServiceDecl>): string[] {
  const left = new Set(remaining.map((s) => s.name));
  const path: string[] = [];
  let current = remaining[0]!;
  while (!path.includes(current.name)) {
    path.push(current.name);
    current = byName.get(current.dependsOn.find((d) => left.has(d))!)!;
  }
  return [...path.slice(path.indexOf(current.name)), current.name];
}

/**
 * Services a release touches, in dependency order. A bug with no services means all of them;
 * a system without services yields []. Names not declared are kept, after the declared ones.
 */
export function affectedServices(all: ServiceDecl[], bugServices: string[][]): string[] {
  const order = dependencyOrder(all);
  if (order.length === 0) return [];
  if (bugServices.some((s) => s.length === 0)) return order;
  const wanted = new Set(bugServices.flat().map((s) => s.trim()));
  return [...order.filter((s) => wanted.has(s)), ...[...wanted].filter((s) => s && !order.includes(s))];
}

/** `[backend] Fix: <title> (#12)` per service per bug; `[all]` for a bug without services. Raw text. */
export function releaseNotes(bugs: { id: number; title: string; services: string[] }[]): string[] {
  return bugs.flatMap((bug) => {
    const title = bug.title.replace(/\s+/g, " ").trim();
    const services = bug.services.length > 0 ? [...new Set(bug.services)] : ["all"];
    return services.map((s) => `[${s}] Fix: ${title} (#${bug.id})`);
  });
}
