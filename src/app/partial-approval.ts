// issue 10: only some bugs of a UAT release approved for PROD. PROD will then get a release without
// the others, so UAT and PROD differ afterwards: the approval reply says which UAT version was split,
// what PROD gets, and what follows (the next Flow 1 bugs need the versions re-aligned, or Flow 2).
import { and, desc, eq, sql } from "drizzle-orm";
import { bugs, deployments } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";
import { prepared } from "./hot-path.js";

export interface PartialApproval {
  uatVersion: string;
  /** bugs of that UAT release approved (now or before) */
  approved: number[];
  /** bugs of that UAT release still waiting on UAT */
  left: number[];
}

/** The UAT releases of `approvedIds` whose bugs are not all approved for PROD. */
export async function partialApprovals(
  q: Queryable,
  systemId: string,
  approvedIds: readonly number[],
): Promise<PartialApproval[]> {
  if (approvedIds.length === 0) return [];
  // issue 15: one statement (it runs after every PROD approval press): the releases, newest first,
  // each joined with the statuses of its bugs (a row per bug; one row with no bug when none is left).
  const rows = await prepared(q, "partial_approvals", (d) =>
    d
      .select({
        id: deployments.id,
        version: deployments.version,
        bugIds: deployments.bugIds,
        bugId: bugs.id,
        status: bugs.status,
      })
      .from(deployments)
      .leftJoin(bugs, sql`${bugs.id} = any(${deployments.bugIds})`)
      .where(
        and(
          eq(deployments.systemId, sql.placeholder("system")),
          eq(deployments.env, "uat"),
          eq(deployments.kind, "pipeline"),
          eq(deployments.status, "succeeded"),
          sql`${deployments.bugIds} && ${sql.placeholder("ids")}::bigint[]`,
        ),
      )
      .orderBy(desc(deployments.id)),
  ).execute({ system: systemId, ids: `{${approvedIds.join(",")}}` });
  const releases = new Map<number, { version: string; bugIds: number[]; bugs: { id: number; status: string }[] }>();
  for (const r of rows) {
    const release = releases.get(r.id) ?? { version: r.version, bugIds: r.bugIds, bugs: [] };
    releases.set(r.id, release);
    if (r.bugId !== null && r.status !== null) release.bugs.push({ id: r.bugId, status: r.status });
  }
  const out: PartialApproval[] = [];
  const seen = new Set<number>();
  for (const d of releases.values()) {
    const mine = d.bugIds.filter((id) => approvedIds.includes(id) && !seen.has(id));
    if (mine.length === 0) continue;
    for (const id of mine) seen.add(id);
    const left = d.bugs
      .filter((r) => r.status === "deployed_uat")
      .map((r) => r.id)
      .sort((a, b) => a - b);
    if (left.length === 0) continue;
    const approved = d.bugs
      .filter((r) => r.status !== "deployed_uat")
      .map((r) => r.id)
      .sort((a, b) => a - b);
    out.push({ uatVersion: d.version, approved, left });
  }
  return out;
}
