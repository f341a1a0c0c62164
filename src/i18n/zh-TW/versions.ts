// Real versions (issue 10): reading an environment's version, /status, the flow choice made on them,
// the T1 re-check, and partial approvals. HTML unless said raw; every outside value escaped here.
import type { FlowChoice } from "../../core/flow.js";
import { escapeHtml as e } from "../../core/html.js";
import type { Env, PipelineFlow } from "../../core/model.js";
import { ENV_LABEL } from "./labels.js";

const FLOW_NAME: Record<PipelineFlow, string> = { flow1: "Flow 1（先 UAT）", flow2: "Flow 2（先 PROD）" };
const ids = (list: readonly number[]) => list.map((id) => `#${id}`).join(" ");

export const versionText = {
  /** Why a version read failed (raw; stored, then shown through readFailed). */
  readFailure: {
    empty: "回應是空的",
    notAVersion: (head: string) => `回應不像版本號（${head}…）`,
    tooLarge: "回應過大，未讀完",
    notJson: "回應不是 JSON",
    noField: (path: string) => `JSON 中沒有「${path}」（或不是字串／數字）`,
  },
  /** 「無法讀取 UAT 版本：…」 (HTML). */
  readFailed: (env: Env, error: string) => `無法讀取 ${ENV_LABEL[env]} 版本：${e(error)}`,
  /** One environment on /status (HTML): real version and when it was read. */
  statusLine: (
    env: Env,
    v: { version: string | null; readAt: string | null; error: string | null; probe: boolean },
  ): string => {
    const label = `${ENV_LABEL[env]}：`;
    if (v.error !== null) return `⚠️ ${versionText.readFailed(env, v.error)}`;
    if (v.version === null) return `${label}版本不明${v.probe ? "" : "（未設定版本讀取方式）"}`;
    return `${label}<code>${e(v.version)}</code>${v.readAt ? `（${e(v.readAt)} 讀取）` : ""}`;
  },
  /** Why the suggestion is what it is (raw). */
  detail: (c: Extract<FlowChoice, { uat: string | null }>): string => {
    const uat = c.uat ?? "?";
    const prod = c.prod ?? "?";
    switch (c.reason) {
      case "same_version":
        return `UAT 與 PROD 同版本（${uat}）`;
      case "uat_ahead":
        return `UAT（${uat}）領先 PROD（${prod}）：先修 PROD，再 Merge 回 UAT`;
      case "uat_ahead_found_in_uat":
        return `UAT（${uat}）領先 PROD（${prod}），問題在 UAT 發現：在 UAT 修正`;
      case "uat_behind":
        return `UAT（${uat}）落後 PROD（${prod}）：建議先將 UAT 同步到 PROD 的版本，請明確選擇流程`;
      case "different":
        return `UAT（${uat}）與 PROD（${prod}）版本不同，無法判斷先後：請明確選擇流程`;
      case "unknown_versions":
        return `版本不明（UAT ${uat}、PROD ${prod}）：請明確選擇流程`;
    }
  },
  triage: {
    /** Under the severity: the versions and what they suggest (HTML). */
    suggestion: (c: Extract<FlowChoice, { uat: string | null }>, failures: string[]) =>
      [
        ...failures.map((f) => `⚠️ ${f}`),
        c.kind === "choose"
          ? `❓ ${e(versionText.detail(c))}\n請選擇流程後按「確認分類」。`
          : `建議流程：<b>${FLOW_NAME[c.kind]}</b> — ${e(versionText.detail(c))}\n可切換流程後按「確認分類」。`,
      ].join("\n"),
    foundIn: (env: Env | null) => `發現環境：${env ? ENV_LABEL[env] : "未填"}（可修正）`,
    foundInButton: (env: Env, selected: boolean) => `${selected ? "✅ " : ""}發現於 ${ENV_LABEL[env]}`,
    /** Toast: 確認分類 before choosing a flow while nothing is suggested. */
    chooseFirst: "版本不明或無法比較，請先選擇流程",
    /** Asked in a conversation when the chosen flow contradicts the versions (HTML). */
    askOverrideReason: (id: number, flow: PipelineFlow, c: Extract<FlowChoice, { uat: string | null }>) =>
      `⚠️ #${id} 選擇 <b>${FLOW_NAME[flow]}</b> 與版本不符（${e(versionText.detail(c))}）。\n要強制使用請輸入原因（或 /cancel 取消）：`,
    overrideCancelled: "已取消，未確認分類。",
    overrideEmpty: "原因不可空白，請重新輸入（或 /cancel）：",
    /** The card line of an override (HTML). */
    overrideLine: (reason: string) => `⚠️ 強制流程，原因：${e(reason)}`,
    /** The card line of the versions the flow was chosen on (HTML). */
    versionsLine: (uat: string | null, prod: string | null) =>
      `分類時版本：UAT ${e(uat ?? "不明")} · PROD ${e(prod ?? "不明")}`,
  },
  /** T1: Flow 1 bugs not deployed because UAT moved ahead since triage (HTML). */
  t1Held: (bugs: readonly { id: number; title: string }[], uat: string, prod: string) =>
    [
      `⏸ T1 未部署 Flow 1：${ids(bugs.map((b) => b.id))}`,
      `UAT（<code>${e(uat)}</code>）在分類後已領先 PROD（<code>${e(prod)}</code>），先部署 UAT 再推 PROD 可能帶入未驗證的變更。`,
      ...bugs.map((b) => `• #${b.id} ${e(b.title)}`),
      "請管理員重新分類（改走 Flow 2），或先讓 UAT 與 PROD 版本對齊。",
    ].join("\n"),
  retriageButton: (id: number) => `🔁 重新分類 #${id}`,
  /** The window's summary part (raw). */
  t1HeldSummary: (list: string) => `UAT 已領先 PROD，暫停 Flow 1：${list}`,
  /** The card line of a bug held for versions (HTML). */
  heldForVersions: (uat: string) => `⏸ UAT 已領先 PROD（${e(uat)}），等待重新分類`,
  /** Toasts and replies of the re-triage button (raw). */
  retriaged: (id: number, flow: PipelineFlow, who: string) => `#${id} 已由 ${who} 重新分類為 ${FLOW_NAME[flow]}`,
  retriageNotNeeded: "版本已對齊，無需重新分類",
  retriageUnknown: "目前版本不明，無法重新分類；請先修正版本讀取",
  /** Group message after a re-triage (HTML). */
  retriagedGroup: (id: number, flow: PipelineFlow, who: string, uat: string | null, prod: string | null) =>
    `🔁 #${id} 已由 ${e(who)} 重新分類為 <b>${FLOW_NAME[flow]}</b>（UAT ${e(uat ?? "不明")} · PROD ${e(prod ?? "不明")}），將於下一個 T1 處理。`,
  /** Only some bugs of a UAT release approved for PROD (HTML lines appended to the approval reply / T2). */
  partial: (p: { uatVersion: string; approved: number[]; left: number[] }) =>
    [
      `ℹ️ UAT 版本 <code>${e(p.uatVersion)}</code> 只批准了部分 bug：${ids(p.approved)}（未批准：${ids(p.left)}）。`,
      "PROD 將部署只含已批准修正的新版本，部署後 UAT 與 PROD 版本不同：之後的 Flow 1 bug 需先讓版本對齊，或改走 Flow 2。",
    ].join("\n"),
  /** After 「UAT 與 PROD 版本未對齊」 at T2 (HTML). */
  unalignedFollows: "👉 之後的 Flow 1 bug 需先讓 UAT 與 PROD 版本對齊，或改走 Flow 2。",
  /** T2 PROD release of a partial approval (HTML). */
  partialProd: (p: { prodVersion: string; uatVersion: string; left: number[] }) =>
    `ℹ️ PROD 取得 <code>${e(p.prodVersion)}</code>（不含 ${ids(p.left)}），UAT 仍為 <code>${e(p.uatVersion)}</code>：兩環境版本不同，之後的 Flow 1 bug 需先讓版本對齊，或改走 Flow 2。`,
};
