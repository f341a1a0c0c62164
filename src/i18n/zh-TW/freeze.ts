// Freezes in words: core/freeze.ts says why (FreezeCause), this file says it in zh-TW.
// Raw text: callers escape (the HTML renderers in this folder do).
import type { FreezeCause, FreezeReason, FreezeVerdict } from "../../core/freeze.js";
import { isFrozenAnywhere } from "../../core/freeze.js";
import { escapeHtml as esc } from "../../core/html.js";
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

// ── issue 12: planned freezes (/freeze on from … until …, config freeze.periods) ──
// Renderers below return HTML: every argument that may come from a user or the config is escaped.
const USAGE_PLANNED =
  "預定封版：/freeze on from YYYY-MM-DD [HH:MM] until YYYY-MM-DD [HH:MM] [module：模組] — 原因（系統時區；until 只寫日期時於當天 00:00 解除）";

export const plannedFreeze = {
  usage: [
    "用法：",
    "/freeze — 目前與預定的封版",
    "/freeze on [until YYYY-MM-DD [HH:MM]] [module：模組] [— 原因] — 立即封版",
    USAGE_PLANNED,
    "/freeze off [編號] — 解除封版；/freeze cancel 編號 — 取消預定封版",
  ].join("\n"),
  /** A date/time that is not one: which word, what was typed. Raw text (the caller escapes it). */
  badDate: (word: "from" | "until", got: string) =>
    `⚠️ ${word} 的日期時間「${got}」看不懂，應為 YYYY-MM-DD 或 YYYY-MM-DD HH:MM（例如 2099-12-24 18:00）。\n${USAGE_PLANNED}`,
  untilRequired: `⚠️ 預定封版需要結束時間 until。\n${USAGE_PLANNED}`,
  reasonRequired: `⚠️ 預定封版需要原因，寫在 — 之後。\n${USAGE_PLANNED}`,
  untilNotAfterFrom: (from: string, until: string) =>
    `⚠️ 結束時間（${until}）必須晚於開始時間（${from}）。只封一天請寫隔天，例如 from 2099-12-24 until 2099-12-25。`,
  fromPast: (from: string, now: string) =>
    `⚠️ 開始時間（${from}）已經過去（現在 ${now}）。要立即封版請用 /freeze on until YYYY-MM-DD — 原因。`,
  untilPast: (until: string, now: string) => `⚠️ 結束時間（${until}）已經過去（現在 ${now}），請指定未來的時間。`,
  cancelNeedsId: "⚠️ 請指定要取消的預定封版編號，例如 /freeze cancel 3（編號見 /freeze）。",
  /** The group, when a planned freeze is created. */
  created: (input: {
    scope: string;
    id: number;
    reason: string;
    from: string;
    until: string;
    by: string;
    blocks: string;
  }) =>
    [
      `🗓️ 已排定封版：${input.scope}（#${input.id}）`,
      `原因：${esc(input.reason)}`,
      `期間：${input.from} 起至 ${input.until}`,
      `設定人：${esc(input.by)}`,
      input.blocks,
      `開始前 24 小時、1 小時、開始與解除時都會在群組通知；取消請用 /freeze cancel ${input.id}`,
    ].join("\n"),
  /** 24 h / 1 h before, at the start, at the end (config periods; stored ones lift through the sweeper). */
  reminder: (input: {
    stage: "24h" | "1h" | "start" | "lift";
    scope: string;
    ref: string;
    reason: string;
    from: string;
    until: string;
  }) => {
    const head = {
      "24h": `⏰ 預定封版將於 24 小時後開始：${input.scope}（${input.ref}）`,
      "1h": `⏰ 預定封版將於 1 小時後開始：${input.scope}（${input.ref}）`,
      start: `🧊 預定封版開始：${input.scope}（${input.ref}）`,
      lift: `✅ 預定封版結束：${input.scope}（${input.ref}）`,
    }[input.stage];
    const period =
      input.stage === "lift" ? `已於 ${input.until} 解除，T1/T2 恢復部署` : `期間：${input.from} 起至 ${input.until}`;
    return [head, `原因：${esc(input.reason)}`, period].join("\n");
  },
  refStored: (id: number) => `#${id}`,
  refConfig: "設定檔",
  cancelled: (scope: string, id: number, by: string) => `🗑️ 已取消預定封版：${scope}（#${id}）· ${esc(by)}`,
  plannedHeader: "🗓️ 預定封版：",
  plannedLine: (input: {
    ref: string;
    scope: string;
    from: string;
    until: string;
    reason: string;
    by: string | null;
  }) =>
    `🗓️ ${input.ref}：${input.scope}，${input.from} 起至 ${input.until}，原因：${esc(input.reason)}${
      input.by ? `（${esc(input.by)}）` : ""
    }`,
  plannedCancelHint: "取消預定封版：/freeze cancel 編號（設定檔的預定封版請修改 PIPELINE_CONFIG）",
};
