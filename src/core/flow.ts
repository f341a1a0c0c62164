// Which flow a bug takes, from the environments' versions, its severity and any freeze.
import type { FreezeReason } from "./freeze.js";
import { isPipelineEligible, type Severity } from "./model.js";
import { compareVersions } from "./release.js";

export interface FlowChoice {
  kind: "flow1" | "flow2" | "hotfix" | "blocked";
  reason: "same_version" | "uat_ahead" | "uat_behind" | "unknown_versions" | "severity_high" | "frozen";
  /** short zh-TW explanation (raw text, the caller escapes) */
  detail: string;
}

export function selectFlow(
  versions: { uat: string | null; prod: string | null },
  severity: Severity,
  freeze: FreezeReason | null,
): FlowChoice {
  if (!isPipelineEligible(severity)) {
    return { kind: "hotfix", reason: "severity_high", detail: `嚴重度 ${severity}：走緊急 Hotfix，不進排程` };
  }
  if (freeze) return { kind: "blocked", reason: "frozen", detail: `封版中（${freeze.reason}），排程部署暫停` };
  const uat = versions.uat?.trim() || null;
  const prod = versions.prod?.trim() || null;
  if (uat === null || prod === null) {
    return {
      kind: "flow1",
      reason: "unknown_versions",
      detail: `版本不明（UAT ${uat ?? "?"}、PROD ${prod ?? "?"}），預設 Flow 1`,
    };
  }
  const cmp = compareVersions(uat, prod);
  if (cmp === 0) return { kind: "flow1", reason: "same_version", detail: `UAT 與 PROD 同版本（${uat}）` };
  if (cmp > 0) return { kind: "flow2", reason: "uat_ahead", detail: `UAT（${uat}）領先 PROD（${prod}）` };
  return { kind: "flow1", reason: "uat_behind", detail: `UAT（${uat}）落後 PROD（${prod}），走 Flow 1` };
}
