// Start-up recovery: a deployment still `running` belongs to a process that died mid-deploy.
// It becomes `interrupted` and the group is alerted once; nothing is re-run automatically.
import { eq, inArray } from "drizzle-orm";
import { bugs, deployments, windowRuns } from "../../drizzle/schema.js";
import type { Db } from "../adapters/db/database.js";
import type { Config } from "../config.js";
import { formatDateTime } from "../core/windows.js";
import { deploymentInterrupted } from "../i18n/templates.js";
import type { DeploymentRow } from "./deploy-release.js";
import { messages } from "./messages.js";
import { enqueue } from "./outbox.js";

export async function recoverInterrupted(deps: {
  db: Db;
  config: Pick<Config, "systems">;
  clock: () => Date;
}): Promise<DeploymentRow[]> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const stuck = await tx
      .update(deployments)
      .set({ status: "interrupted", finishedAt: now })
      .where(eq(deployments.status, "running"))
      .returning();
    await tx
      .update(windowRuns)
      .set({ status: "failed", summary: "執行中斷(機器人重啟)", finishedAt: now })
      .where(eq(windowRuns.status, "running"));
    for (const d of stuck) {
      const system = deps.config.systems.find((s) => s.id === d.systemId);
      if (!system) continue;
      const bugRows = d.bugIds.length ? await tx.select().from(bugs).where(inArray(bugs.id, d.bugIds)) : [];
      const text = deploymentInterrupted({
        env: d.env,
        version: d.version,
        bugs: bugRows.sort((a, b) => a.id - b.id),
        startedAt: formatDateTime(d.startedAt, system.timezone),
      });
      await enqueue(tx, messages(system.groupChatId, text, { dedupeKey: `interrupted:${d.id}` }));
    }
    return stuck;
  });
}
