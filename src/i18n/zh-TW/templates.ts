// The zh-TW pipeline notifications (spec/dual-env-deploy-workflow.txt, "Telegram Notification
// Templates") and the engine's own messages. Pure: every field comes in formatted; every
// user-supplied string is escaped here, so callers pass raw text.
import { escapeHtml } from "../../core/html.js";
import type { Env, Slot } from "../../core/model.js";
import { codeHost } from "./code-host.js";
import { ENV_LABEL } from "./labels.js";
import { PLATFORM_LABEL, type PlatformName } from "./platforms.js";

export interface BugLine {
  id: number;
  severity: string | null;
  title: string;
  /** issue 13: linked GitHub issue and pull request, shown after the title. */
  githubIssue?: number | null;
  githubPull?: number | null;
}

const SLOT_LABEL: Record<Slot, string> = { t1: "T1", t2: "T2" };

/** User text on one line: a title cannot add lines to a template. */
const inline = (text: string): string => escapeHtml(text.replace(/\s+/g, " ").trim());

/** `• #<id> [<severity>] <title>` — the one bullet every template uses. */
export const bugBullet = (bug: BugLine): string =>
  `• #${bug.id} [${bug.severity ?? "?"}] ${inline(bug.title)}${codeHost.linksSuffix(bug.githubIssue, bug.githubPull)}`;
const bullets = (bugs: readonly BugLine[]): string[] => bugs.map(bugBullet);

const lines = (...parts: (string | string[])[]): string => parts.flat().join("\n");

/** nextT2 / t2: formatted with formatWindowTime (e.g. 今晚 22:00(11/21)). */
export const flow1Uat = (p: { bugs: readonly BugLine[]; version: string; uatUrl: string | null; nextT2: string }) =>
  lines(
    "🔧 Bug Fix Pipeline — Flow 1 已部署 UAT",
    bullets(p.bugs),
    `📦 Release: ${escapeHtml(p.version)}`,
    `✅ 請驗收 UAT:${p.uatUrl ? escapeHtml(p.uatUrl) : "（未設定 UAT 網址）"}`,
    "確認後請點「批准推 PROD」。",
    `下次 T2 時間:${p.nextT2}`,
  );

export const flow1Prod = (p: { bugs: readonly BugLine[] }) =>
  lines("🚀 Bug Fix Pipeline — Flow 1 已部署 PROD", bullets(p.bugs), "✅ Flow 1 完成。UAT 與 PROD 版本已對齊。");

/**
 * Flow 1 PROD release that did not carry the whole UAT release (only some bugs approved, or mixed
 * with Flow 2 fixes): the spec's 「版本已對齊」 would be false, so it says what is and is not aligned.
 */
export const flow1ProdUnaligned = (p: { bugs: readonly BugLine[]; prodVersion: string; uatVersion: string | null }) =>
  lines(
    "🚀 Bug Fix Pipeline — Flow 1 已部署 PROD",
    bullets(p.bugs),
    `✅ 以上修正已上 PROD，PROD 現為 ${escapeHtml(p.prodVersion)}。`,
    `⚠️ UAT 與 PROD 版本未對齊：UAT 仍為 ${p.uatVersion ? escapeHtml(p.uatVersion) : "未知版本"}（UAT 上還有未推到 PROD 的內容）。`,
  );

/** t2: the run's date and time (formatDateTime); tonight=false when the next T2 is another day. */
export const flow2Queued = (p: { bugs: readonly BugLine[]; t2: string; tonight: boolean }) =>
  lines(
    "🔧 Bug Fix Pipeline — Flow 2 已排隊部署 PROD",
    bullets(p.bugs),
    `⏳ ${p.tonight ? "今晚" : "下次"} T2(${p.t2})自動部署至 PROD。`,
    "部署後請驗收,確認後點「批准 Merge UAT」。",
  );

export const flow2Prod = (p: { bugs: readonly BugLine[]; nextT2: string }) =>
  lines(
    "🚀 Bug Fix Pipeline — Flow 2 已部署 PROD",
    bullets(p.bugs),
    "⚠️ 請登入 PROD 驗收。",
    "確認正常後點「批准 Merge UAT」。",
    `下次 T2 時間:${p.nextT2}`,
  );

export const flow2Complete = (p: { bugs: readonly BugLine[] }) =>
  lines("✅ Bug Fix Pipeline — Flow 2 完成", bullets(p.bugs), "🎉 Fix 已同步至 UAT。Flow 2 全流程完成。");

/** An Emergency Hotfix cherry-picked back to UAT at T2 (not a Flow 2: no 「Flow 2 完成」). */
export const hotfixMerged = (p: { bugs: readonly BugLine[]; version: string }) =>
  lines(
    "✅ Emergency Hotfix 已同步至 UAT",
    bullets(p.bugs),
    `🍒 緊急修正已 cherry-pick 至 UAT（${escapeHtml(p.version)}），UAT 與 PROD 都已包含此修正。`,
  );

/** at: formatDateTime; followUp: e.g. "是 — UAT 領先 PROD,需 cherry-pick 至 UAT…". */
export const emergencyHotfix = (p: { env: Env; bug: BugLine; at: string; admin: string; followUp: string }) =>
  lines(
    `🚨 Emergency Hotfix — ${ENV_LABEL[p.env]}`,
    `Bug: #${p.bug.id} [${p.bug.severity ?? "?"}] ${inline(p.bug.title)}`,
    `時間:${p.at}`,
    `部署人:${inline(p.admin)}`,
    "狀態:已部署,請立即驗收",
    `需要跟進:${inline(p.followUp)}`,
  );

export const rollbackExecuted = (p: {
  env: Env;
  reason: string;
  toVersion: string;
  at: string;
  admin: string;
  next: string;
}) =>
  lines(
    `⚠️ Rollback 執行 — ${ENV_LABEL[p.env]}`,
    `原因:${inline(p.reason)}`,
    `回滾至:${inline(p.toVersion)}`,
    `時間:${p.at}`,
    `執行人:${inline(p.admin)}`,
    "狀態:已回滾,正在監控",
    `下一步:${inline(p.next)}`,
  );

// ---------- the engine's own messages ----------

/** scheduledAt: formatDateTime; detail: raw lines (e.g. checklist results), escaped here. */
export const windowSkipped = (p: { slot: Slot; scheduledAt: string; reason: string; detail?: readonly string[] }) =>
  lines(
    `⏸️ ${SLOT_LABEL[p.slot]} 視窗已跳過（${p.scheduledAt}）`,
    `原因:${inline(p.reason)}`,
    (p.detail ?? []).map((l) => escapeHtml(l)),
    "待處理的 bug 留在原狀態，下次視窗再處理。",
  );

export const windowMissed = (p: { slot: Slot; scheduledAt: string; graceMinutes: number; reason: string }) =>
  lines(
    `⚠️ ${SLOT_LABEL[p.slot]} 視窗未執行（${p.scheduledAt}）`,
    `原因:${escapeHtml(p.reason)}（補跑寬限 ${p.graceMinutes} 分鐘）`,
    "待處理的 bug 留在原狀態，下次視窗再處理;如需立即執行請用 /run。",
  );

export const frozenBugsSkipped = (p: { slot: Slot; bugs: readonly BugLine[]; reasons: readonly string[] }) =>
  lines(
    `🧊 ${SLOT_LABEL[p.slot]} 略過封版模組的 bug（其餘照常處理）：`,
    bullets(p.bugs),
    `封版：${p.reasons.map(inline).join("、")}`,
  );

export const waitingForWindow = (p: { slot: Slot; waitingFor: Slot }) =>
  `⏳ ${SLOT_LABEL[p.slot]} 等待 ${SLOT_LABEL[p.waitingFor]} 完成後開始（不重疊執行）…`;

const DEPLOY_STATUS: Record<string, string> = {
  failed: "失敗",
  timed_out: "逾時，已終止",
  interrupted: "中斷",
};

/** output: the deployment's captured output (its tail is shown). */
export const deployFailed = (p: {
  env: Env;
  version: string;
  bugs: readonly BugLine[];
  status: string;
  step: string | null;
  output: string;
}) =>
  lines(
    `❌ 部署${DEPLOY_STATUS[p.status] ?? p.status} — ${ENV_LABEL[p.env]}`,
    `📦 Release: ${escapeHtml(p.version)}`,
    bullets(p.bugs),
    p.step ? `失敗步驟：${inline(p.step)}` : [],
    outputTail(p.output),
    "Bug 狀態不變，請檢查後再排程或回滾。",
  );

export const deploymentInterrupted = (p: { env: Env; version: string; bugs: readonly BugLine[]; startedAt: string }) =>
  lines(
    `🛑 部署中斷 — ${ENV_LABEL[p.env]}`,
    `📦 Release: ${escapeHtml(p.version)}`,
    bullets(p.bugs),
    `開始時間：${p.startedAt}`,
    "機器人在部署途中停止，結果不明;不會自動重跑。",
    "請管理員檢查環境後決定重新部署或 /rollback。",
  );

const OUTPUT_TAIL = 800;
function outputTail(output: string): string[] {
  const tail = output.trim().slice(-OUTPUT_TAIL);
  return tail ? ["輸出（末段）：", `<pre>${escapeHtml(tail)}</pre>`] : [];
}

/** t2: formatWindowTime of the cutoff; after: formatWindowTime of the T2 after it. */
export const approvalReminder = (p: {
  awaitingProd: readonly BugLine[];
  awaitingMerge: readonly BugLine[];
  t2: string;
  after: string;
}) =>
  lines(
    `⏰ 尚有 ${p.awaitingProd.length + p.awaitingMerge.length} 個待批准，${p.t2} 截止`,
    p.awaitingProd.length ? ["待「批准推 PROD」：", ...bullets(p.awaitingProd)] : [],
    p.awaitingMerge.length ? ["待「批准 Merge UAT」：", ...bullets(p.awaitingMerge)] : [],
    `截止後才批准的，將於 ${p.after} 執行。`,
  );

export type ProgressState = "running" | "succeeded" | "failed";
const PROGRESS_ICON: Record<ProgressState, string> = { running: "⏳", succeeded: "✅", failed: "❌" };
const PROGRESS_WORD: Record<ProgressState, string> = { running: "部署中", succeeded: "部署完成", failed: "部署失敗" };

/** issue 11: a platform's wait, as the progress line tells it (no English status codes). */
export interface PlatformWait {
  platform: PlatformName;
  stage: "queued" | "building" | "starting";
  /** Whole minutes since the step started. */
  minutes: number;
}
const STAGE_WORD: Record<PlatformWait["stage"], string> = {
  queued: "排隊等候建置",
  building: "建置中",
  starting: "建置完成，等待新版本啟動",
};
/** 「Northflank 建置中（已 4 分鐘）」 */
export const platformWait = (w: PlatformWait) =>
  `${PLATFORM_LABEL[w.platform]} ${STAGE_WORD[w.stage]}（${w.minutes >= 1 ? `已 ${w.minutes} 分鐘` : "未滿 1 分鐘"}）`;

/** 「⏳ T1 部署中 · UAT 2026.11.21-1 · backend 2/3 …」 (+ 「 · Northflank 建置中（已 4 分鐘）」 while waiting) */
export const progressLine = (p: {
  slot: Slot | null;
  env: Env;
  version: string;
  state: ProgressState;
  done: number;
  total: number;
  service: string | null;
  wait?: PlatformWait | null;
}) =>
  [
    `${PROGRESS_ICON[p.state]} ${p.slot ? `${SLOT_LABEL[p.slot]} ` : ""}${PROGRESS_WORD[p.state]}`,
    `${ENV_LABEL[p.env]} ${escapeHtml(p.version)}`,
    `${p.service ? `${inline(p.service)} ` : ""}${p.done}/${p.total}${p.state === "running" ? " …" : ""}`,
    ...(p.state === "running" && p.wait ? [platformWait(p.wait)] : []),
  ].join(" · ");

/** Button labels under the Flow 1 UAT and Flow 2 PROD messages. */
export const APPROVE_LABELS = { prod: "批准推 PROD", uatMerge: "批准 Merge UAT", all: "全部批准" } as const;
