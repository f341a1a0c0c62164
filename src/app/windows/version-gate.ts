// issue 10: T1's re-check of Flow 1 bugs against the real versions. A Flow 1 bug goes to UAT only while
// UAT is not ahead of PROD; one whose UAT moved ahead since triage (UAT's version is not the one it was
// triaged on) is held — not deployed — and the group is told why and asked to re-triage (a button).
import { and, eq, sql } from "drizzle-orm";
import { bugEvents, bugs as bugsTable } from "../../../drizzle/schema.js";
import { relateVersions } from "../../core/versions.js";
import { versionText } from "../../i18n/index.js";
import type { BugRow } from "../bugs.js";
import { recordedVersions } from "../env-versions.js";
import { messages } from "../messages.js";
import { enqueue } from "../outbox.js";
import type { WindowContext } from "./context.js";

/** The Flow 1 bugs that may go to UAT now; the others are held (one transaction, audited, told). */
export async function gateFlow1(ctx: WindowContext, flow1: BugRow[]): Promise<{ deploy: BugRow[]; held: BugRow[] }> {
  if (flow1.length === 0) return { deploy: [], held: [] };
  const { deps, system } = ctx;
  const v = await recordedVersions(deps.db, system);
  if (relateVersions(v.uat, v.prod) !== "uat_ahead") return { deploy: flow1, held: [] };
  const uat = v.uat.version!;
  const prod = v.prod.version!;
  const moved = flow1.filter((b) => b.triageUatVersion !== uat);
  if (moved.length === 0) return { deploy: flow1, held: [] };
  const held = await deps.db.transaction(async (tx) => {
    const now = deps.clock();
    const out: BugRow[] = [];
    for (const b of moved) {
      const [row] = await tx
        .update(bugsTable)
        .set({ held: true, versionHold: uat, rowVersion: sql`${bugsTable.rowVersion} + 1`, updatedAt: now })
        .where(and(eq(bugsTable.id, b.id), eq(bugsTable.status, b.status), eq(bugsTable.rowVersion, b.rowVersion)))
        .returning();
      if (!row) continue;
      await tx.insert(bugEvents).values({
        bugId: b.id,
        fromStatus: b.status,
        toStatus: row.status,
        event: "version_hold",
        actorId: null,
        actorName: `system:${ctx.actor.name}`,
        note: `uat=${uat} prod=${prod} triage_uat=${b.triageUatVersion ?? "unknown"}`,
        at: now,
      });
      out.push(row);
    }
    if (out.length)
      await enqueue(
        tx,
        messages(ctx.chatId, versionText.t1Held(out, uat, prod), {
          buttons: out.map((b) => [
            { label: versionText.retriageButton(b.id), action: "retriage", id: b.id, version: b.rowVersion },
          ]),
          dedupeKey: `version-hold:${ctx.run.id}`,
        }),
        now,
      );
    return out;
  });
  const heldIds = new Set(held.map((b) => b.id));
  return { deploy: flow1.filter((b) => !heldIds.has(b.id) && !moved.includes(b)), held };
}
