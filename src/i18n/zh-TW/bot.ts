// The bot's own words: commands, cards, buttons, triage, approvals, /status, /help (other areas: own files).
// Functions return HTML: every string argument is escaped here, so callers pass raw values.

import type { FlowChoice } from "../../core/flow.js";
import { escapeHtml as e } from "../../core/html.js";
import type { RefusalReason } from "../../core/machine.js";
import type { Env, FixFlow, Severity, Status } from "../../core/model.js";
import { headCodePoints } from "../../core/text.js";
import { formatDateTime } from "../../core/windows.js";
import { codeHost, codeHostCommands } from "./code-host.js";
import { flowDetail } from "./flow.js";
import { ENV_LABEL } from "./labels.js";
import { versionText } from "./versions.js";

const STATUS: Record<Status, string> = {
  submitted: "🆕 待確認",
  confirmed: "🔵 已確認",
  analyzing: "🟣 分析中",
  planned: "📝 已規劃",
  deployed_uat: "🧪 已部署 UAT",
  pending_prod: "⏳ 待部署 PROD",
  deployed_prod: "🚀 已部署 PROD",
  pending_uat_merge: "⏳ 待 Merge UAT",
  uat_merged: "✅ 已 Merge UAT",
  closed: "✔️ 已關閉",
  rejected: "🚫 已拒絕",
};
const SEVERITY: Record<Severity, string> = {
  low: "🟢 low",
  medium: "🟡 medium",
  high: "🟠 high",
  critical: "🔴 critical",
};
const FLOW: Record<FixFlow, string> = { flow1: "Flow 1（先 UAT）", flow2: "Flow 2（先 PROD）", hotfix: "緊急 Hotfix" };
/** What happened to a bug (bug_events.event) as the history shows it. */
const EVENT: Record<string, string> = {
  report: "回報",
  confirm: "確認",
  reject: "拒絕",
  close: "關閉",
  hotfix: "緊急修正",
  hotfix_requested: "申請緊急修正",
  hotfix_expired: "緊急修正申請逾時",
  start_analysis: "開始分析",
  record_analysis: "記錄分析",
  deploy_uat_ok: "部署 UAT",
  queue_prod: "排入 PROD 佇列",
  approve_prod: "批准推 PROD",
  deploy_prod_ok: "部署 PROD",
  approve_uat_merge: "批准 Merge UAT",
  uat_merge_ok: "Merge UAT",
  rollback: "回滾",
  requeue: "重新排入",
  version_hold: "版本不符暫停",
  link: "連結 GitHub", // issue 13
};
/** Who did it: internal actor names (system:T1, system:auto-rollback …) as the chat shows them. */
export function actorLabel(name: string): string {
  if (!name.startsWith("system:")) return name;
  const known: Record<string, string> = {
    T1: "T1 排程",
    T2: "T2 排程",
    "auto-rollback": "系統自動回滾",
    hotfix: "系統（緊急修正）",
    auto: "系統（到期自動）",
  };
  return known[name.slice("system:".length)] ?? "系統";
}
/** Notes the engine writes in its own shorthand, as the history shows them. */
function noteLabel(note: string): string {
  return note
    .replace(
      /severity=(low|medium|high|critical) flow=(flow1|flow2)/g,
      (_, s: Severity, f: FixFlow) => `${SEVERITY[s]} · ${FLOW[f]}`,
    )
    .replace(/severity=(low|medium|high|critical)/g, (_, s: Severity) => SEVERITY[s])
    .replace(/^rollback #(\d+) to (\S+): /, "回滾 #$1 至 $2：")
    .replace(/\banalysis failed\b/g, "AI 分析失敗");
}
/** A window run's status (/status). */
const WINDOW_STATUS: Record<string, string> = {
  running: "執行中",
  done: "完成",
  skipped: "已跳過",
  failed: "失敗",
  missed: "未執行",
};

export const zhTW = {
  labels: { status: STATUS, severity: SEVERITY, flow: FLOW, env: ENV_LABEL },
  errors: {
    generic: "⚠️ 發生錯誤，請稍後再試。",
    unavailable: "⚠️ 系統暫時無法使用，請稍後再試。",
    adminOnly: "只有管理員可以操作",
    noSystemAccess: "你還不屬於任何系統：請先在系統的群組中說句話，再私訊回報。",
    outdated: "此按鈕已過期",
    unknownButton: "無法辨識的按鈕",
    notFound: (id: number) => `找不到 #${id}。`,
    busy: "你有進行中的對話，請先完成或傳送 /cancel。",
    usage: (usage: string) => `用法：<code>${e(usage)}</code>`,
    refused: (id: number, why: string) => `⚠️ #${id} 無法執行：${e(why)}`,
    alreadyHandled: "已由其他人處理",
  },
  /** Plain text (toasts): why the state machine refused. */
  refusals: {
    wrong_status: "目前的狀態不能這樣做",
    not_admin: "只有管理員可以操作",
    not_system: "只能由排程執行",
    severity_not_eligible: "high/critical 不進排程，請走 /hotfix",
    wrong_flow: "此 bug 的流程不適用",
    frozen: "封版中",
    held: "回滾後暫停中，需先重新排入",
    not_held: "此 bug 沒有被暫停",
    needs_second_admin: "封版期間需要第二位管理員批准",
    invalid: "無效的操作",
  } satisfies Record<RefusalReason, string>,
  card: {
    title: (id: number, title: string) => `🐞 <b>#${id} ${e(title)}</b>`,
    status: (status: Status) => `狀態：${STATUS[status]}`,
    system: (name: string) => `系統：${e(name)}`,
    severity: (s: Severity | null) => `嚴重度：${s ? SEVERITY[s] : "未定"}`,
    env: (env: Env | null) => `發現環境：${env ? ENV_LABEL[env] : "未填"}`,
    flow: (flow: FixFlow | null) => `流程：${flow ? FLOW[flow] : "未定"}`,
    services: (list: string[]) => `服務：${list.length ? e(list.join(", ")) : "—"}`,
    module: (module: string | null) => `模組：${module ? e(module) : "—"}`,
    reporter: (name: string, at: string) => `回報：${e(name)} · ${e(at)}`,
    held: "⏸ 回滾後暫停，等待管理員重新排入",
    description: (text: string) => `<blockquote>${e(text)}</blockquote>`,
    truncated: "…（內容過長，已截斷）",
  },
  buttons: {
    confirm: "✅ 確認",
    reject: "🚫 拒絕",
    skip: "略過 ▶",
    approveProd: (id: number) => `批准推 PROD #${id}`,
    approveUatMerge: (id: number) => `批准 Merge UAT #${id}`,
    prev: "◀ 上一頁",
    next: "下一頁 ▶",
    back: "↩ 返回",
    reselect: "↩ 重選嚴重度",
    submitConfirm: "✔️ 確認分類",
    hotfix: "🚨 改走 /hotfix",
    submit: "📨 送出",
    cancel: "取消",
    done: "完成 ✓",
    uncertain: "不確定",
    selected: (label: string) => `✅ ${label}`,
  },
  triage: {
    chooseSeverity: "請選擇嚴重度：",
    suggestion: (flow: FixFlow, choice: FlowChoice) =>
      `建議流程：<b>${FLOW[flow]}</b> — ${e(flowDetail(choice))}\n可切換流程後按「確認分類」。`,
    mustHotfix: (id: number, severity: Severity) =>
      `⚠️ 嚴重度 ${SEVERITY[severity]} 不進排程，必須走緊急 Hotfix：<code>/hotfix ${id}</code>`,
    useHotfix: (id: number) => `請傳送 <code>/hotfix ${id}</code> 處理此 bug。`,
    confirmed: (who: string, severity: Severity, flow: FixFlow, at: string) =>
      `✅ ${e(who)} 已確認 · ${SEVERITY[severity]} · ${FLOW[flow]} · ${e(at)}`,
    rejected: (who: string, reason: string, at: string) => `🚫 ${e(who)} 已拒絕 · 原因：${e(reason)} · ${e(at)}`,
    closed: (who: string, reason: string, at: string) => `✔️ ${e(who)} 已關閉 · 原因：${e(reason)} · ${e(at)}`,
    askRejectReason: (id: number) => `請輸入拒絕 #${id} 的原因（或 /cancel）：`,
    queueEmpty: "🎉 沒有待確認的 bug。",
    privateOnly: "請在與我的私訊中使用 /triage。",
    queueHeader: (left: number) => `📥 待確認：${left} 筆`,
  },
  approvals: {
    approved: (kind: "prod" | "uat_merge", ids: number[], when: string) =>
      kind === "prod"
        ? `✅ 已批准推 PROD：${ids.map((id) => `#${id}`).join(" ")}\n⏳ 將於 ${e(when)} 部署至 PROD。`
        : `✅ 已批准 Merge UAT：${ids.map((id) => `#${id}`).join(" ")}\n⏳ 將於 ${e(when)} Merge 至 UAT。`,
    frozen: (kind: "prod" | "uat_merge", ids: number[]) =>
      `✅ 已批准${kind === "prod" ? "推 PROD" : " Merge UAT"}：${ids.map((id) => `#${id}`).join(" ")}\n🧊 封版中，解除後的第一個 T2 執行。`,
    skipped: (days: { date: string; reason: string }[]) =>
      `（跳過封版日：${days.map((d) => `${e(d.date)} ${e(d.reason)}`).join("、")}）`,
    stamp: (kind: "prod" | "uat_merge", ids: number[], who: string, at: string) =>
      `✅ ${ids.map((id) => `#${id}`).join(" ")} 已由 ${e(who)} ${kind === "prod" ? "批准推 PROD" : "批准 Merge UAT"} · ${e(at)}`,
    notApproved: (id: number, status: Status) => `#${id} 目前為 ${STATUS[status]}，無法批准。`,
    none: (kind: "prod" | "uat_merge") =>
      kind === "prod" ? "沒有等待批准推 PROD 的 bug（已部署 UAT）。" : "沒有等待批准 Merge UAT 的 bug。",
    toast: (n: number) => `已批准 ${n} 筆`,
  },
  report: {
    chooseSystem: "要回報哪個系統？",
    askTitle: "🐞 回報 bug：請輸入<b>標題</b>（/cancel 取消）",
    askDescription: "請描述問題：怎麼重現、看到什麼、預期什麼（傳送 - 略過）",
    askEnv: "在哪個環境發現？",
    askSeverity: "嚴重度？",
    askServices: "影響哪些服務？（可複選，選好按「完成」）",
    askModule: "哪個模組？請選擇已知的模組，或按「➕ 新增模組」（也可以直接輸入名稱）",
    noModule: "不指定",
    newModule: "➕ 新增模組",
    askNewModule: "請輸入新模組的名稱：",
    confirmNewModule: (name: string) =>
      `「${e(name)}」不是這個系統已知的模組。要新增這個模組嗎？（或改選下方已知的模組）`,
    addModule: (name: string) => `➕ 新增模組「${name}」`,
    badModule: "模組名稱不可空白，請重新輸入。",
    summaryTitle: (title: string) => `🐞 <b>${e(title)}</b>`,
    tooLong: (max: number) => `太長了，請在 ${max} 字以內。`,
    useButtons: "請按上方的按鈕選擇。",
    summary: (lines: string[]) => `📋 <b>確認送出？</b>\n${lines.join("\n")}`,
    chosen: (question: string, answer: string) => `${question} ${e(answer)}`,
    created: (id: number) => `✅ 已建立 #${id}，已通知群組等待管理員確認。`,
    cancelled: "已取消回報。",
  },
  cancel: { done: "已取消目前的對話。", nothing: "目前沒有進行中的對話。" },
  list: {
    header: (filter: string | null, page: number, pages: number, total: number) =>
      `📋 <b>Bug 列表</b>${filter ? `（${e(filter)}）` : ""} · 第 ${page}/${pages} 頁 · 共 ${total} 筆`,
    line: (id: number, severity: Severity | null, title: string, status: Status) =>
      `#${id} ${severity ? `[${severity}] ` : ""}${e(title)} — ${STATUS[status]}`,
    empty: "沒有符合的 bug。",
    badStatus: (given: string, valid: readonly string[]) =>
      `不認得狀態「${e(given)}」。可用：${valid.map((s) => `<code>${s}</code>`).join(" ")}`,
  },
  history: {
    header: (id: number, title: string) => `🕘 <b>#${id} ${e(title)}</b> 歷程`,
    line: (at: string, from: Status | null, to: Status, event: string, who: string, note: string | null) =>
      `${e(at)} · ${from && from !== to ? `${STATUS[from]} → ` : ""}${STATUS[to]} · ${e(EVENT[event] ?? event)} · ${e(actorLabel(who))}${note ? ` · ${e(noteLabel(note))}` : ""}`,
  },
  status: {
    header: (name: string, id: string) => `📊 <b>${e(name)}</b>(${e(id)})`,
    versions: (uat: string | null, prod: string | null) =>
      `UAT：${e(uat ?? "未知版本")} · PROD：${e(prod ?? "未知版本")}`,
    counts: (parts: [Status, number][]) =>
      parts.length ? parts.map(([s, n]) => `${STATUS[s]} ${n}`).join(" · ") : "目前沒有 bug",
    next: (slot: "T1" | "T2", when: string) => `下次 ${slot}：${e(when)}`,
    noNext: (slot: "T1" | "T2") => `下次 ${slot}：封版中，解除後才會排定`,
    skipped: (days: { date: string; reason: string }[]) =>
      `  ↳ 跳過：${days.map((d) => `${e(d.date)} ${e(d.reason)}`).join("、")}`,
    freeze: (line: string) => e(line),
    lastWindow: (slot: string, at: string, status: string, summary: string | null) =>
      `上次視窗：${e(slot.toUpperCase())} ${e(at)} · ${e(WINDOW_STATUS[status] ?? status)}${summary ? ` · ${e(summary)}` : ""}`,
    noWindow: "上次視窗：尚無紀錄",
  },
  help: {
    intro:
      "🌙 <b>Nightshift</b> 管理 bug 修復的部署流程：回報 → 管理員確認 → T1 部署 UAT/排隊 PROD → 驗收批准 → T2 部署 PROD / Merge UAT。",
    member: "你可以使用的指令：",
    admin: "管理員指令：",
    line: (command: string, description: string) => `/${command} — ${e(description)}`,
  },
  commands: {
    start: "開始使用與說明",
    help: "指令說明",
    report: "回報 bug",
    bugs: "bug 列表（可加狀態）",
    bug: "查看 bug:/bug <id>",
    history: "bug 歷程：/history <id>",
    status: "系統狀態、版本與下次部署時間",
    cancel: "取消目前的對話",
    triage: "逐筆確認待處理的 bug",
    approve_prod: "批准推 PROD：/approve_prod <id|all>",
    approve_uat: "批准 Merge UAT：/approve_uat <id|all>",
    close: "關閉 bug:/close <id> <原因>",
    reject: "拒絕 bug:/reject <id> <原因>",
    hotfix: "緊急 Hotfix",
    rollback: "回滾：/rollback <uat|prod> [版本]",
    freeze: "封版狀態與設定",
    run: "立即執行視窗：/run t1|t2",
    oncall: "設定今晚值班：/oncall @user|me",
    version: "Nightshift 與各環境版本",
    incident: "查看事故：/incident <編號>",
    incidents: "最近的事故（回滾紀錄）",
    ...codeHostCommands, // issue 13: /link, /release
  },
  run: {
    usage: "用法：/run t1 或 /run t2（多個系統時加上系統 id，例如 /run t1 crm）",
    started: (admin: string, slot: string, system: string) =>
      `▶️ ${e(admin)} 手動執行 ${slot}（${e(system)}）：封版檢查 → 部署前檢查 → 執行，結果會發到群組。`,
    nothing: (slot: string, system: string) => `ℹ️ 手動執行 ${slot}（${e(system)}）完成：無待處理 bug。`,
  },
  version: {
    app: (version: string) => `🌙 Nightshift ${e(version)}`,
    system: (name: string, uat: string | null, prod: string | null) =>
      `${e(name)}：UAT ${e(uat ?? "未知版本")} · PROD ${e(prod ?? "未知版本")}`,
  },
} as const;

export type Strings = typeof zhTW;

/** What a bug card shows (a BugRow fits). */
export interface CardBug {
  id: number;
  title: string;
  status: Status;
  severity: Severity | null;
  foundInEnv: Env | null;
  fixFlow: FixFlow | null;
  services: string[];
  module: string | null;
  reporterName: string;
  createdAt: Date;
  held: boolean;
  description: string;
  // issue 10 (optional: cards built by hand in tests may leave them out)
  flowOverrideReason?: string | null;
  versionHold?: string | null;
  /** issue 13: linked GitHub issue and pull request numbers. */
  githubIssue?: number | null;
  githubPull?: number | null;
}

const DESCRIPTION_LIMIT = 2500;

/** The bug card (group card, /bug, /triage), HTML. */
export function cardHtml(bug: CardBug, system: { name: string; timezone: string }): string {
  const c = zhTW.card;
  const description = bug.description.trim();
  const lines = [
    c.title(bug.id, bug.title),
    `${c.status(bug.status)} · ${c.system(system.name)}`,
    `${c.severity(bug.severity)} · ${c.env(bug.foundInEnv)} · ${c.flow(bug.fixFlow)}`,
    `${c.services(bug.services)} · ${c.module(bug.module)}`,
    c.reporter(bug.reporterName, formatDateTime(bug.createdAt, system.timezone)),
    ...(bug.held ? [bug.versionHold ? versionText.heldForVersions(bug.versionHold) : c.held] : []),
    ...(bug.flowOverrideReason ? [versionText.triage.overrideLine(bug.flowOverrideReason)] : []),
    ...[codeHost.cardLine(bug.githubIssue, bug.githubPull)].filter((l) => l !== null), // issue 13
  ];
  if (description) {
    const head = headCodePoints(description, DESCRIPTION_LIMIT);
    lines.push(c.description(head) + (head.length < description.length ? c.truncated : ""));
  }
  return lines.join("\n");
}
export const t: Strings = zhTW;
