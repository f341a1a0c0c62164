// issue 10: T1's re-check of Flow 1 bugs against the real versions. A Flow 1 bug goes to UAT only while
// UAT is not ahead of PROD; one whose UAT moved ahead since triage (UAT's version is not the one it was
// triaged on) is held — not deployed — and the group is told why and asked to re-triage (a button).
import { relateVersions } from "../../core/versions.js";
import { versionText } from "../../i18n/index.js";
import { applyEventManyIn, type BugRow } from "../bugs.js";
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
  // One transaction: the machine's version_hold (set-based conditional update + audit rows) and the
  // group's message with a 重新分類 button per bug held.
  const held = await deps.db.transaction(async (tx) => {
    const now = deps.clock();
    const results = await applyEventManyIn(tx, {
      bugs: moved,
      event: { type: "version_hold", uat, prod },
      actor: ctx.actor,
      now,
    });
    const out = results.flatMap((r) => (r.kind === "applied" ? [r.bug] : []));
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
