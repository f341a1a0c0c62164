// Which flow a bug takes, from the environments' versions, its severity and any freeze.
// The choice is a code with its values; src/i18n (flowDetail) says it in words.
import type { FreezeReason } from "./freeze.js";
import { isPipelineEligible, type Severity } from "./model.js";
import { compareVersions } from "./release.js";

export type FlowChoice =
  | { kind: "hotfix"; reason: "severity_high"; severity: Severity }
  | { kind: "blocked"; reason: "frozen"; freeze: FreezeReason }
  | {
      kind: "flow1" | "flow2";
      reason: "same_version" | "uat_ahead" | "uat_behind" | "unknown_versions";
      /** trimmed versions (null = unknown) */
      uat: string | null;
      prod: string | null;
    };

export function selectFlow(
  versions: { uat: string | null; prod: string | null },
  severity: Severity,
  freeze: FreezeReason | null,
): FlowChoice {
  if (!isPipelineEligible(severity)) return { kind: "hotfix", reason: "severity_high", severity };
  if (freeze) return { kind: "blocked", reason: "frozen", freeze };
  const uat = versions.uat?.trim() || null;
  const prod = versions.prod?.trim() || null;
  if (uat === null || prod === null) return { kind: "flow1", reason: "unknown_versions", uat, prod };
  const cmp = compareVersions(uat, prod);
  if (cmp === 0) return { kind: "flow1", reason: "same_version", uat, prod };
  if (cmp > 0) return { kind: "flow2", reason: "uat_ahead", uat, prod };
  return { kind: "flow1", reason: "uat_behind", uat, prod };
}
