// issue 12: zh-TW text for the watch's round 0 and loud 「未監控」, the post-rollback watch, the
// /rollback problem kinds (the seed's severity branches), escalations and the incident records.
// Renderers return HTML: every argument that may come from a user or a script is escaped here.
import { escapeHtml as e } from "../../core/html.js";
import type { ProblemKind, RollbackWatchResult } from "../../core/incident-kinds.js";
import type { Env } from "../../core/model.js";
import { actorLabel } from "./bot.js";
import { ENV_LABEL } from "./labels.js";

/** A person to mention: a Telegram user id and a display name. */
export interface Mention {
  id: number;
  name: string;
}
const mention = (m: Mention) => `<a href="tg://user?id=${m.id}">${e(m.name)}</a>`;
const mentions = (list: readonly Mention[]) => (list.length ? list.map(mention).join("、") : "（未設定）");

export const PROBLEM_KIND_LABEL: Record<ProblemKind, string> = {
  minor: "輕微 UX 問題",
  functional: "功能回歸",
  data: "資料損毀風險",
};

const WATCH_RESULT_LABEL: Record<RollbackWatchResult, string> = {
  watching: "監控中",
  stable: "穩定",
  unstable: "不穩定（已升級處理）",
  unmonitored: "未監控（沒有設定檢查）",
};

const MIGRATE_STATUS: Record<string, string> = { succeeded: "成功", failed: "失敗", timed_out: "逾時" };

export const incidentRecords = {
  /** The post-deploy watch with nothing to check: loud, and the group sees it. */
  unmonitored: (env: Env, version: string) =>
    [
      `🚨 ${ENV_LABEL[env]} ${e(version)}：未監控`,
      "這次部署沒有任何部署後檢查（健康檢查、smoke、Prometheus 都未設定），沒有人知道它是否正常。",
      "請在設定檔的 environments 加上 health 或 watch.smoke，並手動確認服務狀態。",
    ].join("\n"),
  /** The watch's summary, edited into its one message. */
  summaryFailed: (env: Env, version: string, elapsed: number, total: number) =>
    `🔭 ${ENV_LABEL[env]} ${e(version)} 部署後監控 · 第 ${elapsed}/${total} 分鐘 · 發現問題，監控結束（見下一則）`,

  kind: {
    ask: "這是哪一種問題？",
    minor: `🟡 ${PROBLEM_KIND_LABEL.minor}`,
    functional: `🟠 ${PROBLEM_KIND_LABEL.functional}`,
    data: `🔴 ${PROBLEM_KIND_LABEL.data}`,
    cancel: "取消",
    cancelled: "已取消回滾。",
    chosen: (kind: ProblemKind) => `問題類型：${PROBLEM_KIND_LABEL[kind]}`,
    minorAdvice: [
      "💡 輕微 UX 問題通常不需要回滾：建議持續監控，並用 /report 回報、排入下一個視窗正式修正。",
      "仍要回滾嗎？",
    ].join("\n"),
    rollbackAnyway: "仍要回滾",
    keepRunning: "不回滾，排程修正",
    keptRunning: "👍 不回滾：請用 /report 回報這個問題，排入下一個視窗修正，並持續留意監控。",
    useButtons: "請按上面的按鈕選擇。",
  },
  confirmPrompt: (kind: ProblemKind, reason: string) =>
    `問題類型：${PROBLEM_KIND_LABEL[kind]}\n原因：${e(reason)}\n確認要執行回滾嗎？`,

  rollbackWatch: {
    progress: (env: Env, version: string, elapsed: number, total: number, status: string) =>
      `🔭 回滾後監控 ${ENV_LABEL[env]} ${e(version)} · 第 ${elapsed}/${total} 分鐘 · ${e(status)}`,
    stable: (input: { incidentId: number; env: Env; version: string; minutes: number; rounds: number }) =>
      [
        `✅ 回滾後監控結束 — ${ENV_LABEL[input.env]} ${e(input.version)}：穩定（${input.minutes} 分鐘，${input.rounds} 輪檢查正常）`,
        `已記錄於事故 #${input.incidentId}（/incident ${input.incidentId}）。`,
        "下一步：排程正式修正 — 按下方按鈕建立後續修正 bug，排入一般流程。",
      ].join("\n"),
    unmonitored: (incidentId: number, env: Env, version: string) =>
      [
        `🚨 回滾後未監控 — ${ENV_LABEL[env]} ${e(version)}`,
        "沒有設定健康檢查或 smoke，無法確認回滾後是否穩定，請人工確認。",
        `事故 #${incidentId}：排程正式修正 — 按下方按鈕建立後續修正 bug。`,
      ].join("\n"),
    unstable: (input: {
      incidentId: number;
      env: Env;
      version: string;
      problems: string[];
      oncall: Mention | null;
      admins: Mention[];
    }) =>
      [
        `🚨 回滾後仍不穩定 — ${ENV_LABEL[input.env]} ${e(input.version)}（事故 #${input.incidentId}）`,
        ...input.problems.map((p) => `✗ ${e(p)}`),
        "不再自動回滾，請立即升級處理。",
        `值班：${input.oncall ? mention(input.oncall) : "（未設定）"}`,
        `管理員：${mentions(input.admins)}`,
      ].join("\n"),
    followUpButton: "🐞 建立後續修正 bug",
  },

  /** A data-corruption rollback: escalated at once to on-call, admins and DBAs. */
  dataEscalation: (input: {
    incidentId: number;
    env: Env;
    version: string;
    reason: string;
    oncall: Mention | null;
    admins: Mention[];
    dbas: Mention[];
    migrateDown: "none" | "running" | "succeeded" | "failed" | "timed_out";
    output: string;
  }) =>
    [
      `🔴 資料損毀風險 — ${ENV_LABEL[input.env]} 已回滾至 ${e(input.version)}（事故 #${input.incidentId}）`,
      `原因：${e(input.reason)}`,
      `值班：${input.oncall ? mention(input.oncall) : "（未設定）"}`,
      `管理員：${mentions(input.admins)}`,
      `DBA：${mentions(input.dbas)}`,
      input.migrateDown === "none"
        ? "資料庫降版（migrateDown）：未設定，請 DBA 人工評估是否需要降版與資料修復。"
        : input.migrateDown === "running"
          ? "資料庫降版（migrateDown）：執行中…"
          : `資料庫降版（migrateDown）：${MIGRATE_STATUS[input.migrateDown] ?? "未知"}`,
      input.output ? `<pre>${e(input.output)}</pre>` : "",
      "請立即確認資料狀態。",
    ]
      .filter(Boolean)
      .join("\n"),

  followUp: {
    title: (incidentId: number, reason: string) => `事故 #${incidentId} 後續修正：${reason}`,
    description: (input: {
      incidentId: number;
      env: Env;
      from: string;
      to: string;
      kind: ProblemKind;
      reason: string;
    }) =>
      [
        `事故 #${input.incidentId}：${ENV_LABEL[input.env]} ${input.from} 回滾至 ${input.to}`,
        `問題類型：${PROBLEM_KIND_LABEL[input.kind]}`,
        `原因：${input.reason}`,
      ].join("\n"),
    filed: (incidentId: number, bugId: number, name: string) =>
      `🐞 ${e(name)} 已為事故 #${incidentId} 建立後續修正 bug #${bugId}（/bug ${bugId}）。`,
    already: (bugId: number) => `已建立過後續修正 bug #${bugId}`,
    toast: (bugId: number) => `已建立 bug #${bugId}`,
  },

  record: {
    usage: "用法：/incident &lt;編號&gt;（/incidents 列出最近的事故）",
    notFound: (id: number) => `找不到事故 #${id}。`,
    none: "還沒有事故紀錄。",
    listHeader: (system: string) => `🗂 ${e(system)} 最近的事故`,
    listLine: (i: {
      id: number;
      env: Env;
      at: string;
      kind: ProblemKind;
      from: string;
      to: string;
      watch: RollbackWatchResult | null;
      reason: string;
    }) =>
      `#${i.id} ${i.at} ${ENV_LABEL[i.env]} ${e(i.from)} → ${e(i.to)} · ${PROBLEM_KIND_LABEL[i.kind]} · ${i.watch ? WATCH_RESULT_LABEL[i.watch] : "—"} · ${e(i.reason)}`,
    show: (i: {
      id: number;
      env: Env;
      kind: ProblemKind;
      deployedVersion: string;
      deployedAt: string | null;
      targetVersion: string;
      rolledBackAt: string;
      actor: string;
      reason: string;
      rollbackStatus: string;
      watch: RollbackWatchResult | null;
      watchDetail: string | null;
      migrateDown: string | null;
      bugIds: number[];
      followUpBugId: number | null;
    }) =>
      [
        `🚨 事故 #${i.id} — ${ENV_LABEL[i.env]}`,
        `部署的版本：${e(i.deployedVersion)}${i.deployedAt ? `（${i.deployedAt}）` : ""}`,
        `回滾至：${e(i.targetVersion)}（${i.rolledBackAt}，${i.rollbackStatus === "succeeded" ? "成功" : "失敗"}）`,
        `問題類型：${PROBLEM_KIND_LABEL[i.kind]}`,
        `什麼壞了：${e(i.reason)}`,
        `執行人：${e(actorLabel(i.actor))}`,
        `回滾後監控：${i.watch ? WATCH_RESULT_LABEL[i.watch] : "—"}${i.watchDetail ? `（${e(i.watchDetail)}）` : ""}`,
        ...(i.migrateDown ? [`資料庫降版：${MIGRATE_STATUS[i.migrateDown] ?? "未知"}`] : []),
        `受影響的 bug：${i.bugIds.length ? i.bugIds.map((id) => `#${id}`).join("、") : "無"}`,
        `後續修正 bug：${i.followUpBugId ? `#${i.followUpBugId}` : "尚未建立"}`,
      ].join("\n"),
  },
} as const;
