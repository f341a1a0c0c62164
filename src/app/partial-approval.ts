// issue 10: only some bugs of a UAT release approved for PROD. PROD will then get a release without
// the others, so UAT and PROD differ afterwards: the approval reply says which UAT version was split,
// what PROD gets, and what follows (the next Flow 1 bugs need the versions re-aligned, or Flow 2).
import { and, arrayOverlaps, desc, eq, inArray } from "drizzle-orm";
import { bugs, deployments } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";

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
  const releases = await q
    .select()
    .from(deployments)
    .where(
      and(
        eq(deployments.systemId, systemId),
        eq(deployments.env, "uat"),
        eq(deployments.kind, "pipeline"),
        eq(deployments.status, "succeeded"),
        arrayOverlaps(deployments.bugIds, [...approvedIds]),
      ),
    )
    .orderBy(desc(deployments.id));
  const out: PartialApproval[] = [];
  const seen = new Set<number>();
  for (const d of releases) {
    const mine = d.bugIds.filter((id) => approvedIds.includes(id) && !seen.has(id));
    if (mine.length === 0) continue;
    for (const id of mine) seen.add(id);
    const rows = await q.select({ id: bugs.id, status: bugs.status }).from(bugs).where(inArray(bugs.id, d.bugIds));
    const left = rows
      .filter((r) => r.status === "deployed_uat")
      .map((r) => r.id)
      .sort((a, b) => a - b);
    if (left.length === 0) continue;
    const approved = rows
      .filter((r) => r.status !== "deployed_uat")
      .map((r) => r.id)
      .sort((a, b) => a - b);
    out.push({ uatVersion: d.version, approved, left });
  }
  return out;
}
