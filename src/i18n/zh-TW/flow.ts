// The suggested flow's explanation (core/flow.ts decides, this file says why), raw text.
import type { FlowChoice } from "../../core/flow.js";
import { freezeReasonText } from "./freeze.js";

export function flowDetail(c: FlowChoice): string {
  if (c.kind === "hotfix") return `嚴重度 ${c.severity}：走緊急 Hotfix，不進排程`;
  if (c.kind === "blocked") return `封版中（${freezeReasonText(c.freeze)}），排程部署暫停`;
  switch (c.reason) {
    case "unknown_versions":
      return `版本不明（UAT ${c.uat ?? "?"}、PROD ${c.prod ?? "?"}），預設 Flow 1`;
    case "same_version":
      return `UAT 與 PROD 同版本（${c.uat}）`;
    case "uat_ahead":
      return `UAT（${c.uat}）領先 PROD（${c.prod}）`;
    case "uat_behind":
      return `UAT（${c.uat}）落後 PROD（${c.prod}），走 Flow 1`;
  }
}
