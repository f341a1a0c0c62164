// issue 11: the provider state platform targets build on. A Vercel PROD promote needs the preview
// deployment UAT validated; rollbacks need what the version to return to recorded (a Vercel deployment
// id, a Worker version id, a Northflank build); every deploy sees what is live now (recorded as the
// "before" of this release). Read from deployments.provider_state of succeeded rows only: a failed or
// interrupted release never becomes something to promote or return to.
import { and, desc, eq, isNotNull } from "drizzle-orm";
import { deployments } from "../../drizzle/schema.js";
import type { Env } from "../core/model.js";
import type { Queryable } from "./db.js";
import type { ProviderHistory } from "./ports.js";
import { environmentVersions } from "./systems.js";

async function stateOf(q: Queryable, systemId: string, env: Env, version: string | null) {
  if (!version) return null;
  const [row] = await q
    .select({ state: deployments.providerState })
    .from(deployments)
    .where(
      and(
        eq(deployments.systemId, systemId),
        eq(deployments.env, env),
        eq(deployments.status, "succeeded"),
        eq(deployments.version, version),
        isNotNull(deployments.providerState),
      ),
    )
    .orderBy(desc(deployments.id))
    .limit(1);
  return row?.state ?? null;
}

export async function providerHistory(
  q: Queryable,
  req: { systemId: string; env: Env; version: string; targetVersion: string | null },
): Promise<ProviderHistory> {
  const versions = await environmentVersions(q, req.systemId);
  const current = await stateOf(q, req.systemId, req.env, versions[req.env]);
  const target = await stateOf(q, req.systemId, req.env, req.targetVersion);
  const uat =
    req.env === "prod" && versions.uat === req.version ? await stateOf(q, req.systemId, "uat", req.version) : null;
  return { current, target, uat };
}
