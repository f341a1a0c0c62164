// Freezes in words: core/freeze.ts says why (FreezeCause), this file says it in zh-TW.
// Raw text: callers escape (the HTML renderers in this folder do).
import type { FreezeCause, FreezeReason, FreezeVerdict } from "../../core/freeze.js";
import { isFrozenAnywhere } from "../../core/freeze.js";
import { formatDateTime } from "../../core/windows.js";

/** One freeze cause as a short phrase (env causes keep the variable an operator set). */
export function freezeCauseText(cause: FreezeCause): string {
  switch (cause.kind) {
    case "env_hard":
      return "DEPLOY_FREEZE=true";
    case "env_module":
      return `DEPLOY_FREEZE_MODULES=${cause.module}`;
    case "env_until":
      return `DEPLOY_FREEZE_UNTIL=${cause.until}`;
    case "stored":
      return cause.text;
    case "planned":
      return cause.text;
    case "holiday":
      return `國定假日：${cause.name}`;
    case "lunar_new_year":
      return "農曆新年封版";
    case "month_end":
      return "月底結帳封版";
  }
}

/** Why a freeze holds, as a short phrase (skipped days, a blocked flow, a skipped window). */
export const freezeReasonText = (r: FreezeReason): string => freezeCauseText(r.cause);

const SOURCE_LABEL: Record<FreezeReason["source"], string> = {
  env: "環境變數",
  stored: "/freeze",
  calendar: "行事曆",
  config: "設定檔預定封版",
};

function untilText(until: string | null, tz: string | undefined): string {
  if (until === null) return "至解除為止";
  if (/^\d{4}-\d{2}-\d{2}$/.test(until)) return `至 ${until} 00:00 解除`;
  return `至 ${tz ? formatDateTime(new Date(until), tz) : until}`;
}

const line = (r: FreezeReason, tz: string | undefined): string =>
  `${freezeReasonText(r)}（${SOURCE_LABEL[r.source]}${r.id === undefined ? "" : ` #${r.id}`}，${untilText(r.until, tz)}）`;

/** Raw (unescaped) zh-TW lines for chat; `tz` renders stored ISO instants as local time. */
export function describeFreeze(v: FreezeVerdict, tz?: string): string[] {
  if (!isFrozenAnywhere(v)) return ["目前沒有封版。"];
  const lines = v.full.map((r) => `🧊 全面封版：${line(r, tz)}`);
  for (const [module, reasons] of Object.entries(v.modules)) {
    for (const r of reasons) lines.push(`🧊 模組 ${module} 封版：${line(r, tz)}`);
  }
  return lines;
}
