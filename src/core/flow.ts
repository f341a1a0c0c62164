// Which flow a bug takes, from the environments' versions, where the bug was found, its severity and
// any freeze. The choice is a code with its values; src/i18n (flowDetail) says it in words.
//
// | UAT vs PROD                  | found in PROD (or not said) | found in UAT |
// |------------------------------|-----------------------------|--------------|
// | same version                 | Flow 1                      | Flow 1       |
// | UAT ahead                    | Flow 2                      | Flow 1       |
// | UAT behind (re-align UAT)    | admin chooses               | admin chooses|
// | different, order unknown     | admin chooses               | admin chooses|
// | a version unknown            | admin chooses               | admin chooses|
//
// Confirming the other flow than the one suggested is an override and needs a reason (needsOverride).
import type { FreezeReason } from "./freeze.js";
import { type Env, isPipelineEligible, type PipelineFlow, type Severity } from "./model.js";
import { relateVersions, type VersionRelation } from "./versions.js";

export type FlowReason =
  | "same_version"
  | "uat_ahead"
  | "uat_ahead_found_in_uat"
  | "uat_behind"
  | "different"
  | "unknown_versions";

export type FlowChoice =
  | { kind: "hotfix"; reason: "severity_high"; severity: Severity }
  | { kind: "blocked"; reason: "frozen"; freeze: FreezeReason }
  | {
      /** choose: nothing is suggested, the admin must pick a flow explicitly */
      kind: "flow1" | "flow2" | "choose";
      reason: FlowReason;
      relation: VersionRelation;
      /** trimmed versions (null = unknown) */
      uat: string | null;
      prod: string | null;
    };

/** A version as the caller knows it: a string, or with when it was deployed (opaque versions need it). */
export type VersionInput = string | null | { version: string | null; since: Date | null };

const asVersion = (v: VersionInput) =>
  v === null || typeof v === "string"
    ? { version: v?.trim() || null, since: null }
    : { ...v, version: v.version?.trim() || null };

export function selectFlow(
  versions: { uat: VersionInput; prod: VersionInput },
  severity: Severity,
  freeze: FreezeReason | null,
  foundIn: Env | null = null,
): FlowChoice {
  if (!isPipelineEligible(severity)) return { kind: "hotfix", reason: "severity_high", severity };
  if (freeze) return { kind: "blocked", reason: "frozen", freeze };
  const uat = asVersion(versions.uat);
  const prod = asVersion(versions.prod);
  const relation = relateVersions(uat, prod);
  const base = { relation, uat: uat.version, prod: prod.version };
  switch (relation) {
    case "same":
      return { kind: "flow1", reason: "same_version", ...base };
    case "uat_ahead":
      return foundIn === "uat"
        ? { kind: "flow1", reason: "uat_ahead_found_in_uat", ...base }
        : { kind: "flow2", reason: "uat_ahead", ...base };
    case "uat_behind":
      return { kind: "choose", reason: "uat_behind", ...base };
    case "different":
      return { kind: "choose", reason: "different", ...base };
    case "unknown":
      return { kind: "choose", reason: "unknown_versions", ...base };
  }
}

/** The flow suggested by a choice, or null when the admin must choose. */
export const suggestedFlow = (c: FlowChoice): PipelineFlow | null =>
  c.kind === "flow1" || c.kind === "flow2" ? c.kind : null;

/** Whether confirming `flow` contradicts the versions (the other flow was suggested): a reason is needed. */
export const needsOverride = (c: FlowChoice, flow: PipelineFlow): boolean => {
  const suggested = suggestedFlow(c);
  return suggested !== null && suggested !== flow;
};
