// The suggested flow's explanation (core/flow.ts decides, this file says why), raw text.
import type { FlowChoice } from "../../core/flow.js";
import { freezeReasonText } from "./freeze.js";
import { versionText } from "./versions.js";

export function flowDetail(c: FlowChoice): string {
  if (c.kind === "hotfix") return `嚴重度 ${c.severity}：走緊急 Hotfix，不進排程`;
  if (c.kind === "blocked") return `封版中（${freezeReasonText(c.freeze)}），排程部署暫停`;
  return versionText.detail(c);
}
