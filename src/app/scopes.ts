// Which system a chat button's subject belongs to (a bug, a release, a hotfix request, a rollback
// plan): the Telegram layer checks a system admin's rights against it. Null when the subject is gone.
import { eq, sql } from "drizzle-orm";
import { bugs, deployments, hotfixRequests, rollbackPlans } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";
import { prepared } from "./hot-path.js";

export async function bugSystemId(q: Queryable, bugId: number): Promise<string | null> {
  const [row] = await prepared(q, "bug_system", (d) =>
    d
      .select({ systemId: bugs.systemId })
      .from(bugs)
      .where(eq(bugs.id, sql.placeholder("id"))),
  ).execute({ id: bugId });
  return row?.systemId ?? null;
}

export async function deploymentSystemId(q: Queryable, deploymentId: number): Promise<string | null> {
  const [row] = await q
    .select({ systemId: deployments.systemId })
    .from(deployments)
    .where(eq(deployments.id, deploymentId));
  return row?.systemId ?? null;
}

export async function hotfixRequestSystemId(q: Queryable, requestId: number): Promise<string | null> {
  const [row] = await q
    .select({ systemId: bugs.systemId })
    .from(hotfixRequests)
    .innerJoin(bugs, eq(bugs.id, hotfixRequests.bugId))
    .where(eq(hotfixRequests.id, requestId));
  return row?.systemId ?? null;
}

/** The system of a prepared rollback plan (stored by app/rollback.ts's prepareRollback). */
export async function rollbackPlanSystemId(q: Queryable, planId: number): Promise<string | null> {
  const [row] = await q
    .select({ systemId: rollbackPlans.systemId })
    .from(rollbackPlans)
    .where(eq(rollbackPlans.id, planId));
  return row?.systemId ?? null;
}
