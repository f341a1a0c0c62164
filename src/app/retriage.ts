// issue 10: 重新分類 under the T1 hold message — a Flow 1 bug held because UAT moved ahead of PROD is
// re-triaged to the flow the versions suggest now (read afresh): Flow 2 while UAT is ahead, Flow 1
// again once they are re-aligned. One transaction: the requeue with its flow, the audit row, the notice.
import type { SystemConfig } from "../config.js";
import { suggestedFlow } from "../core/flow.js";
import type { Actor, PipelineFlow } from "../core/model.js";
import { versionText } from "../i18n/index.js";
import { type ApplyResult, applyEvent, getBug } from "./bugs.js";
import type { Db } from "./db.js";
import { flowFor, refreshVersions, type VersionDeps } from "./env-versions.js";
import { messages } from "./messages.js";

export type RetriageResult =
  | { kind: "applied"; flow: PipelineFlow }
  | { kind: "unknown_versions" }
  | { kind: "not_held" }
  | { kind: "already_handled" }
  | { kind: "refused"; result: Extract<ApplyResult, { kind: "refused" }> };

export async function retriageBug(
  deps: VersionDeps & { db: Db },
  system: SystemConfig,
  input: { bugId: number; rowVersion: number; actor: Extract<Actor, { kind: "user" }> },
): Promise<RetriageResult> {
  const bug = await getBug(deps.db, input.bugId);
  if (!bug || bug.rowVersion !== input.rowVersion) return { kind: "already_handled" };
  if (!bug.held || bug.versionHold === null) return { kind: "not_held" };
  const versions = await refreshVersions(deps, system);
  const flow = bug.severity ? suggestedFlow(flowFor(versions, bug.severity, bug.foundInEnv)) : null;
  if (flow === null) return { kind: "unknown_versions" };
  const uat = versions.uat.version;
  const prod = versions.prod.version;
  const result = await applyEvent(deps.db, {
    bugId: bug.id,
    event: { type: "requeue", flow, versions: { uat, prod } },
    actor: input.actor,
    now: deps.clock(),
    expectedRowVersion: input.rowVersion,
    notify: () => messages(system.groupChatId, versionText.retriagedGroup(bug.id, flow, input.actor.name, uat, prod)),
  });
  if (result.kind === "applied") return { kind: "applied", flow };
  if (result.kind === "refused") return { kind: "refused", result };
  return { kind: "already_handled" };
}
