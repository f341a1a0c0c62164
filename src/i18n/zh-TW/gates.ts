// issue 12: zh-TW text of the gates before a PROD change — the pre-deploy checklist's new items,
// the checklist message posted when a window starts, a hotfix's checklist override by the second
// admin, and Lunar New Year's critical-only hotfixes signed off by a CTO. HTML: outside text escaped.
import { escapeHtml as e } from "../../core/html.js";
import type { Env, Slot } from "../../core/model.js";
import { ENV_LABEL } from "./labels.js";

const SLOT: Record<Slot, string> = { t1: "T1", t2: "T2" };
const WATCHED = { health: "健康檢查", smoke: "煙霧測試", prometheus: "Prometheus 指標" } as const;
const COMMIT_STATE = { success: "通過", failure: "失敗", error: "錯誤", pending: "尚在執行" } as const;
const envs = (list: readonly Env[]) => list.map((x) => ENV_LABEL[x]).join("、");

export const gatesText = {
  /** One checklist line: ✓ pass, ✗ fail (and not configured under strict), ⚠️ not configured. Raw: callers escape. */
  line: (status: "pass" | "fail" | "unset", ok: boolean, label: string, detail: string) =>
    `${status === "pass" ? "✓" : status === "unset" && ok ? "⚠️" : "✗"} ${label}：${detail}`,
  checklist: {
    notConfigured: (strict: boolean) => (strict ? "未設定（嚴格模式：視為未通過）" : "未設定"),
    unwatched: (list: readonly Env[]) => `${envs(list)} 未監控：部署後沒有健康檢查、煙霧測試或 Prometheus 可檢查`,
    watched: (list: readonly (readonly [Env, readonly (keyof typeof WATCHED)[]])[]) =>
      `部署後監控 ${list.map(([env, what]) => `${ENV_LABEL[env]}（${what.map((w) => WATCHED[w]).join("、")}）`).join("、")}`,
    commitStatus: (a: { state: keyof typeof COMMIT_STATE; sha: string; detail?: string }) =>
      `GitHub 提交 ${a.sha.slice(0, 7)}：${COMMIT_STATE[a.state]}${a.detail ? `（${a.detail}）` : ""}`,
    commitStatusUnreachable: (why: string) => `無法讀取 GitHub 的提交狀態：${why}`,
    severeFindings: (detail: string) => `有嚴重或高風險的發現：${detail}`,
    budget: (spend: string, limit: string, ok: boolean) => `${ok ? "" : "超出預算："}花費 ${spend}／上限 ${limit}`,
    budgetUnreadable: "無法讀取花費與上限（最後一行應為 spend=<數字> limit=<數字>）",
    envMissing: (env: Env, names: readonly string[]) => `${ENV_LABEL[env]} 缺少環境變數：${names.join("、")}`,
    envSet: (env: Env, n: number) => `${ENV_LABEL[env]} 的 ${n} 個必要環境變數皆已設定`,
    envNothingToCheck: "本次無部署環境",
    hotfixRequester: (name: string) => `申請人 ${name}`,
    hotfixNeedsSecond: (n: number) => `需要 ${n} 位管理員：須由第二位管理員核准`,
    approved: (id: number, env: Env, names: readonly string[]) =>
      `#${id} ${ENV_LABEL[env]} 已由 ${names.join("、")} 核准`,
    needsApprovals: (id: number, env: Env, n: number, names: readonly string[]) =>
      `#${id} ${ENV_LABEL[env]} 需要 ${n} 位管理員核准，目前 ${names.length} 位${names.length ? `（${names.join("、")}）` : ""}，回報者本人不計 — 請另一位管理員用 /approve_${env === "prod" ? "prod" : "uat"} ${id} 加簽`,
    nothingToApprove: "沒有待核准的 bug",
  },
  /** Posted when a window starts and its checklist passed (a failed one is in the skip message). */
  windowChecklist: (p: { slot: Slot; scheduledAt: string; lines: readonly string[] }) =>
    [`📋 ${SLOT[p.slot]} 視窗部署前檢查（${p.scheduledAt}）：通過，開始執行`, ...p.lines.map((l) => e(l))].join("\n"),
  cosignNote: (n: number, need: number) => `加簽核准（目前 ${n}/${need} 位）`,
  /** /approve_prod by a further admin on a bug already approved: counted toward the required number. */
  cosigned: (id: number, names: readonly string[]) => `✅ 已加簽 #${id}：目前由 ${names.map(e).join("、")} 核准`,
  hotfix: {
    checklistBlock: (lines: readonly string[]) => ["部署前檢查：", ...lines.map((l) => e(l))].join("\n"),
    awaiting: (id: number, failed: readonly string[], until: string) =>
      `⚠️ 部署前檢查未通過（${failed.map(e).join("、")}）：#${id} 的緊急修正需要另一位管理員核准才能略過，已發到群組，期限 ${until}。`,
    requestNote: (mode: "run" | "manual", failed: readonly string[]) =>
      `；部署前檢查未通過（${failed.join("、")}）${mode === "run" ? "，需要第二位管理員核准略過" : "，僅提醒"}`,
    approvalRequest: (input: {
      bug: { id: number; severity: string | null; title: string };
      requester: string;
      mode: "run" | "manual";
      until: string;
      lines: readonly string[];
    }) =>
      [
        "⚠️ 部署前檢查未通過的緊急修正 — 需要第二位管理員核准略過",
        `Bug: #${input.bug.id} [${e(input.bug.severity ?? "?")}] ${e(input.bug.title)}`,
        `申請人：${e(input.requester)}`,
        `方式：${input.mode === "run" ? "立即執行 PROD 部署" : "已手動部署，僅記錄"}`,
        `期限：${input.until}（逾時自動取消）`,
        "",
        gatesText.hotfix.checklistBlock(input.lines),
      ].join("\n"),
    /** Shown under the approval and the Emergency Hotfix message; recorded in the bug's history. */
    overridden: (approver: string, failed: readonly string[]) =>
      `⚠️ ${e(approver)} 核准略過未通過的部署前檢查：${failed.map(e).join("、")}`,
    overrideNote: (requestId: number, approver: string, failed: readonly string[]) =>
      `申請 #${requestId}：${approver} 核准略過未通過的部署前檢查（${failed.join("、")}）`,
    /** A record-only hotfix: the checklist ran as a warning. */
    warning: (failed: readonly string[]) => `⚠️ 部署前檢查未通過（僅提醒，已手動部署）：${failed.map(e).join("、")}`,
    warningNote: (failed: readonly string[]) => `部署前檢查未通過（僅提醒）：${failed.join("、")}`,
    lunarCriticalOnly: (id: number, severity: string) =>
      `🧧 農曆新年封版期間只接受 critical 的緊急修正：#${id} 是 ${e(severity)}，請等封版結束後走一般流程。`,
    lunarNoCto:
      "🧧 農曆新年封版期間的緊急修正需要 CTO 核准，但這個系統沒有設定 CTO（請在系統設定的角色中加入 CTO 的 Telegram 使用者 ID）。",
    lunarApprover: "核准人：限 CTO（農曆新年封版）",
    ctoOnly: "農曆新年封版期間只有 CTO 可以核准",
  },
} as const;
