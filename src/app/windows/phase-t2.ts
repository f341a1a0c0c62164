// T2: the PROD release of the approved bugs (Flow 1 promotes the UAT version when it can), then
// the merge back to UAT (Flow 2 and hotfixes).
import { and, desc, eq } from "drizzle-orm";
import { deployments } from "../../../drizzle/schema.js";
import {
  flow1Prod,
  flow1ProdUnaligned,
  flow2Complete,
  flow2Prod,
  formatWindowTime,
  hotfixMerged,
  quietText,
  versionText,
} from "../../i18n/index.js";
import type { BugRow } from "../bugs.js";
import { approvalKeyboard, messages } from "../messages.js";
import { environmentVersions } from "../systems.js";
import { adminsToNotify, privateNotices } from "../todo.js";
import { allocateVersion } from "../versions.js";
import { nextT2, type Outcome, type WindowContext } from "./context.js";
import { deployRelease, releaseSummary } from "./release-step.js";

export async function phaseT2(ctx: WindowContext, bugs: BugRow[]): Promise<Outcome> {
  const { deps } = ctx;
  const summary: string[] = [];
  let failed = false;
  const prod = bugs.filter((b) => b.status === "pending_prod");
  if (prod.length) {
    const uatVersion = (await environmentVersions(deps.db, ctx.system.id)).uat;
    const { deployment, applied } = await deployRelease(ctx, {
      env: "prod",
      kind: "pipeline",
      bugs: prod,
      version: await prodVersion(ctx, prod),
      event: (releaseId) => ({ type: "deploy_prod_ok", releaseId }),
      notify: async (applied, d, tx) => {
        const flow1 = applied.filter((b) => b.fixFlow === "flow1");
        const others = applied.filter((b) => b.fixFlow !== "flow1");
        const now = deps.clock();
        const t2 = others.length ? formatWindowTime(await nextT2(ctx, now, others), now, ctx.system.timezone) : "";
        const buttons = approvalKeyboard("uatMerge", others, d.id);
        // issue 17: admins who asked (/notify on) are told in private that the merge approval awaits them.
        const notified = others.length ? await adminsToNotify(tx, deps.config, ctx.system.id) : [];
        return [
          // 「版本已對齊」 only when PROD now runs the version UAT runs.
          ...(flow1.length
            ? messages(
                ctx.chatId,
                d.version === uatVersion
                  ? flow1Prod({ bugs: flow1 })
                  : flow1ProdUnaligned({ bugs: flow1, prodVersion: d.version, uatVersion }) +
                      `\n${versionText.unalignedFollows}`, // issue 10: what follows
              )
            : []),
          ...(others.length
            ? messages(ctx.chatId, flow2Prod({ bugs: others, nextT2: t2 }), { replyMarkup: buttons })
            : []),
          ...privateNotices(
            notified,
            quietText.notify.mergeDue({ version: d.version, bugs: others, cutoff: t2 }),
            undefined,
            buttons,
          ),
        ];
      },
    });
    failed ||= deployment.status !== "succeeded";
    summary.push(releaseSummary(deployment, applied));
  }
  const merge = bugs.filter((b) => b.status === "pending_uat_merge");
  if (merge.length) {
    const { deployment, applied } = await deployRelease(ctx, {
      env: "uat",
      kind: "uat_merge",
      bugs: merge,
      version: await allocateVersion(deps.db, ctx.system, deps.clock()),
      event: (releaseId) => ({ type: "uat_merge_ok", releaseId }),
      notify: async (applied, d) => {
        const hotfixes = applied.filter((b) => b.fixFlow === "hotfix");
        const flow2 = applied.filter((b) => b.fixFlow !== "hotfix");
        return [
          ...(flow2.length ? messages(ctx.chatId, flow2Complete({ bugs: flow2 })) : []),
          ...(hotfixes.length ? messages(ctx.chatId, hotfixMerged({ bugs: hotfixes, version: d.version })) : []),
        ];
      },
    });
    failed ||= deployment.status !== "succeeded";
    summary.push(releaseSummary(deployment, applied));
  }
  return { status: failed ? "failed" : "done", summary: summary.join(";") };
}

/**
 * A Flow 1 PROD release that carries every bug of the UAT release now on UAT promotes that
 * version (UAT and PROD aligned); anything else gets a new version.
 */
async function prodVersion(ctx: WindowContext, bugs: BugRow[]): Promise<string> {
  const { deps } = ctx;
  const uat = (await environmentVersions(deps.db, ctx.system.id)).uat;
  if (uat && bugs.every((b) => b.fixFlow === "flow1")) {
    const [onUat] = await deps.db
      .select()
      .from(deployments)
      .where(
        and(
          eq(deployments.systemId, ctx.system.id),
          eq(deployments.env, "uat"),
          eq(deployments.status, "succeeded"),
          eq(deployments.version, uat),
        ),
      )
      .orderBy(desc(deployments.id))
      .limit(1);
    if (onUat && onUat.bugIds.length > 0 && onUat.bugIds.every((id) => bugs.some((b) => b.id === id))) {
      return onUat.version;
    }
  }
  return allocateVersion(deps.db, ctx.system, deps.clock());
}
