// zh-TW text for incidents: /hotfix, /rollback, /freeze, /oncall, the checklist and the post-deploy watch.
// Renderers return HTML: every argument that may come from a user is escaped here.
import { escapeHtml as e } from "../../core/html.js";
import type { Env, Severity } from "../../core/model.js";
import { actorLabel, zhTW } from "./bot.js";
import { ENV_LABEL } from "./labels.js";

/** A deployment's status as the chat shows it. */
export const DEPLOYMENT_STATUS: Record<string, string> = {
  running: "執行中",
  succeeded: "成功",
  failed: "失敗",
  timed_out: "逾時",
  interrupted: "中斷",
  rolled_back: "已回滾",
};
const deploymentStatus = (status: string) => DEPLOYMENT_STATUS[status] ?? "未知";
/** A deployment's kind as the chat shows it. */
const DEPLOYMENT_KIND: Record<string, string> = {
  pipeline: "排程發佈",
  hotfix: "緊急修正",
  rollback: "回滾",
  uat_merge: "Merge UAT",
};
/** A bug's status as the chat shows it (the bot's one status map). */
const BUG_STATUS: Record<string, string> = zhTW.labels.status;
/** The rollback preview lists this many bugs at most (it is one message). */
const PLAN_BUGS = 30;
const bugLine = (bug: { id: number; severity: Severity | null; title: string }) =>
  `#${bug.id} [${bug.severity ?? "?"}] ${e(bug.title)}`;

export const incidents = {
  noSystem: "請在系統的群組中使用這個指令。",
  usage: {
    hotfix: "用法：/hotfix &lt;bug 編號&gt;（或只打 /hotfix 新建一個緊急 bug）",
    rollback: "用法：/rollback &lt;uat|prod&gt; [版本]",
    freeze:
      "用法：/freeze on [until YYYY-MM-DD] [原因]（全面封版）、/freeze on [until YYYY-MM-DD] module：模組 [原因]（只封該模組）、/freeze off [編號]、/freeze",
    oncall: "用法：/oncall me 或 /oncall @帳號",
  },
  hotfix: {
    askTitle: "🚨 緊急修正：請輸入 bug 標題（/cancel 取消）",
    askSeverity: "請選擇嚴重度：",
    askDiff: "請貼上修正內容（diff 或說明），會記錄在這個 bug 的修正紀錄中：",
    askMode: "要怎麼部署到 PROD?",
    modeRun: "🚀 立即執行 PROD 部署",
    modeManual: "✍️ 已手動部署，僅記錄",
    cancel: "取消",
    cancelled: "已取消緊急修正。",
    /** After the second admin's approval (or with no freeze): what happens now. */
    running: (id: number, mode: "run" | "manual") =>
      mode === "run" ? `⏳ 正在部署 #${id} 的緊急修正到 PROD…` : `⏳ 正在記錄 #${id} 的手動部署…`,
    /** Right after the conversation: a freeze may still ask for a second admin, the result follows. */
    accepted: (id: number) => `⏳ 已收到 #${id} 的緊急修正，處理中，結果稍後回覆。`,
    deployed: (id: number, version: string) => `✅ #${id} 已部署到 PROD（${e(version)}），已通知群組。`,
    recorded: (id: number) => `✅ 已記錄 #${id} 的手動部署，已通知群組。`,
    failed: (id: number, status: string) =>
      `❌ #${id} 緊急修正部署失敗（${deploymentStatus(status)}），bug 維持原狀態，已通知群組。`,
    failedGroup: (bug: { id: number; severity: Severity | null; title: string }, status: string, output: string) =>
      [
        `❌ 緊急修正部署失敗 — PROD`,
        `Bug: ${bugLine(bug)}`,
        `結果：${deploymentStatus(status)}`,
        output ? `<pre>${e(output)}</pre>` : "",
      ]
        .filter(Boolean)
        .join("\n"),
    notFound: (id: number) => `找不到 #${id}。`,
    wrongStatus: (id: number, status: string) =>
      `#${id} 目前是 ${BUG_STATUS[status] ?? status}，只有 ${BUG_STATUS.submitted} 的 bug 可以走緊急修正。`,
    lowSeverity: (id: number, severity: string) => `#${id} 是 ${severity}，低/中嚴重度請走一般流程。`,
    busy: (id: number) => `#${id} 已有進行中的緊急修正申請。`,
    awaiting: (id: number, freeze: string, until: string) =>
      `🧊 目前封版（${e(freeze)}）：#${id} 的緊急修正需要另一位管理員核准，已發到群組，期限 ${until}。`,
    approvalRequest: (input: {
      requestId: number;
      bug: { id: number; severity: Severity | null; title: string };
      freeze: string;
      requester: string;
      mode: "run" | "manual";
      until: string;
    }) =>
      [
        `🧊 封版中的緊急修正 — 需要第二位管理員核准`,
        `Bug: ${bugLine(input.bug)}`,
        `封版原因：${e(input.freeze)}`,
        `申請人：${e(input.requester)}`,
        `方式：${input.mode === "run" ? "立即執行 PROD 部署" : "已手動部署，僅記錄"}`,
        `期限：${input.until}（逾時自動取消）`,
      ].join("\n"),
    approveButton: "✅ 核准緊急修正",
    ownRequest: "不能核准自己的申請，需要另一位管理員",
    expired: "此申請已逾時",
    alreadyHandled: "此申請已處理",
    approvedLine: (name: string, at: string) => `✅ ${e(name)} 已於 ${at} 核准`,
    expiredLine: "⌛ 逾時未核准，已取消，未部署",
    expiredGroup: (requestId: number, bugId: number) =>
      `⌛ 緊急修正申請 #${requestId}（bug #${bugId}）在期限內沒有第二位管理員核准，已取消，未部署任何內容。`,
    followUpAhead: "是 — UAT 領先 PROD，需 cherry-pick 至 UAT：點「批准 Merge UAT」排入下次 T2",
    followUpSame: "否 — UAT 與 PROD 同版本，請一併更新 UAT",
    followUpBehind: (uat: string, prod: string) =>
      `否 — UAT（${uat}）落後 PROD（${prod}），不需 cherry-pick;UAT 下次更新到 PROD 的版本時會包含此修正`,
    followUpUnknown: "請確認 — 不知道 UAT 或 PROD 目前的版本，請人工確認 UAT 是否需要 cherry-pick",
    /** Under the bug's group card once the hotfix is done (its 確認/拒絕 buttons removed). */
    cardLine: (mode: "run" | "manual", version: string, admin: string, at: string) =>
      `🚨 緊急修正已${mode === "run" ? "部署 PROD" : "手動部署 PROD，已記錄"}（${e(version)}）· ${e(admin)} · ${at}`,
    requestNote: (requestId: number, mode: "run" | "manual", frozen: string | null) =>
      `申請 #${requestId}（${mode === "run" ? "立即部署" : "手動部署，僅記錄"}）${frozen ? `;封版中（${frozen}），需要第二位管理員核准` : ""}`,
    expiredNote: (requestId: number, requester: string) =>
      `${requester} 的申請 #${requestId} 逾時，沒有第二位管理員核准`,
    doneNote: (requestId: number, mode: "run" | "manual", requester: string, approver: string | null) =>
      `申請 #${requestId}（${mode === "run" ? "立即部署" : "手動部署"}），申請人 ${requester}${approver ? `，核准人 ${approver}` : ""}`,
  },
  rollback: {
    plan: (input: {
      env: Env;
      from: string;
      to: string;
      releases: { id: number; version: string; at: string }[];
      bugs: { id: number; severity: Severity | null; title: string; status: string }[];
    }) =>
      [
        `⚠️ 回滾預覽 — ${ENV_LABEL[input.env]}`,
        `目前版本：${e(input.from)} → 回滾至：${e(input.to)}`,
        `將撤回的發佈：${input.releases.map((r) => `${e(r.version)}（${r.at}）`).join("、")}`,
        input.bugs.length
          ? `受影響的 bug（將退回原狀態並暫停）：\n${input.bugs
              .slice(0, PLAN_BUGS)
              .map((b) => `• ${bugLine(b)} — ${BUG_STATUS[b.status] ?? b.status}`)
              .join("\n")}${input.bugs.length > PLAN_BUGS ? `\n…等共 ${input.bugs.length} 個` : ""}`
          : "受影響的 bug：無",
      ].join("\n"),
    askReason: "請輸入回滾原因（什麼壞了），/cancel 取消：",
    confirmPrompt: (reason: string) => `原因:${e(reason)}\n確認要執行回滾嗎？`,
    confirm: "⚠️ 確認回滾",
    cancel: "取消",
    cancelled: (name: string) => `已由 ${e(name)} 取消回滾。`,
    started: (name: string) => `⏳ ${e(name)} 已確認，回滾執行中…`,
    alreadyHandled: "此回滾已處理",
    outdated: "此回滾預覽已過期，請重新 /rollback",
    noVersion: (env: Env) => `${ENV_LABEL[env]} 目前沒有已知版本，無法回滾。`,
    noTarget: (env: Env) => `${ENV_LABEL[env]} 沒有上一個成功的版本可回滾。`,
    unknownVersion: (env: Env, version: string) => `${ENV_LABEL[env]} 的部署紀錄中找不到版本 ${e(version)}。`,
    sameVersion: (version: string) => `目前已經是 ${e(version)}。`,
    noRollbackTarget: (env: Env) => `${ENV_LABEL[env]} 未設定回滾目標（rollback）。`,
    changed: "環境版本已變更，請重新 /rollback。",
    nextSteps: (bugIds: number[]) =>
      bugIds.length
        ? `調查原因並修正;${bugIds.map((id) => `#${id}`).join("、")} 已退回並暫停，修正後請按「重新排入」`
        : "調查原因並修正",
    failedGroup: (env: Env, target: string, status: string, output: string, oncall: string | null) =>
      [
        `🚨 回滾失敗 — ${ENV_LABEL[env]}`,
        `回滾至:${e(target)}`,
        `結果：${deploymentStatus(status)}`,
        `請立即人工處理${oncall ? `（值班：${e(oncall)}）` : ""}。`,
        output ? `<pre>${e(output)}</pre>` : "",
      ]
        .filter(Boolean)
        .join("\n"),
    stable: (env: Env, version: string) => `✅ 回滾後檢查 — ${ENV_LABEL[env]} ${e(version)}：穩定`,
    unstable: (env: Env, version: string, problems: string[], oncall: string | null) =>
      [
        `🚨 回滾後仍不穩定 — ${ENV_LABEL[env]} ${e(version)}`,
        ...problems.map((p) => `✗ ${e(p)}`),
        `不再自動回滾，請升級處理${oncall ? `（值班：${e(oncall)}）` : ""}。`,
      ].join("\n"),
    requeueButton: (id: number) => `重新排入 #${id}`,
    requeued: (id: number, name: string) => `#${id} 已由 ${e(name)} 重新排入。`,
    autoActor: "系統自動回滾",
    fromWatch: (name: string) => `部署後監控失敗，${name} 決定回滾`,
    history: "🗂 最近的部署",
    historyEmpty: "還沒有部署紀錄。",
    historyLine: (d: {
      id: number;
      env: Env;
      kind: string;
      status: string;
      version: string;
      at: string;
      actor: string;
      reason: string | null;
      rollsBackId: number | null;
    }) =>
      `${d.kind === "rollback" ? "⚠️" : d.status === "succeeded" ? "✅" : d.status === "rolled_back" ? "↩️" : "❌"} #${d.id} ${d.at} ${ENV_LABEL[d.env]} ${d.kind === "rollback" ? `回滾 → ${e(d.version)}${d.rollsBackId ? `（撤回 #${d.rollsBackId}）` : ""}` : `${DEPLOYMENT_KIND[d.kind] ?? "部署"} ${e(d.version)}`} · ${deploymentStatus(d.status)} · ${e(actorLabel(d.actor))}${d.reason ? ` · ${e(d.reason)}` : ""}`,
  },
  watch: {
    progress: (env: Env, version: string, elapsed: number, total: number, status: string) =>
      `🔭 ${ENV_LABEL[env]} ${e(version)} 部署後監控 · 第 ${elapsed}/${total} 分鐘 · ${e(status)}`,
    allOk: "檢查正常",
    starting: "開始",
    failedStatus: "發現問題",
    summaryOk: (env: Env, version: string, minutes: number, rounds: number) =>
      `✅ ${ENV_LABEL[env]} ${e(version)} 監控 ${minutes} 分鐘結束：${rounds} 輪檢查全部正常，解除監控。`,
    summaryWarn: (env: Env, version: string, minutes: number, warnings: string[]) =>
      [
        `⚠️ ${ENV_LABEL[env]} ${e(version)} 監控 ${minutes} 分鐘結束，期間有警示：`,
        ...warnings.map((w) => `• ${e(w)}`),
      ].join("\n"),
    breach: (env: Env, version: string, problems: string[]) =>
      [`⚠️ ${ENV_LABEL[env]} ${e(version)} 監控警示：`, ...problems.map((p) => `• ${e(p)}`)].join("\n"),
    failed: (env: Env, version: string, problems: string[]) =>
      [`🚨 ${ENV_LABEL[env]} ${e(version)} 部署後檢查失敗：`, ...problems.map((p) => `✗ ${e(p)}`)].join("\n"),
    autoRollback: "→ 依設定自動回滾。",
    ask: "→ 需要管理員決定是否回滾。",
    limitReached: (limit: number) => `→ 已連續自動回滾 ${limit} 次，不再自動回滾，請人工處理。`,
    noPrevious: "→ 沒有可回滾的上一個版本，請人工處理。",
    afterRollback: "→ 這已是回滾後的版本，不再自動回滾，請升級處理。",
    rollbackNow: "立即回滾",
    smoke: "smoke 測試",
    nothing: (env: Env, version: string) =>
      `ℹ️ ${ENV_LABEL[env]} ${e(version)}：未設定部署後檢查（健康檢查、smoke、Prometheus），略過監控。`,
    health: "健康檢查",
    prometheus: "Prometheus",
  },
  freeze: {
    started: (scope: string, reason: string, until: string, by: string, blocks: string) =>
      [`🧊 封版開始：${scope}`, `原因:${e(reason) || "（未填）"}`, `期間：${until}`, `設定人：${e(by)}`, blocks].join(
        "\n",
      ),
    lifted: (scope: string, id: number, by: string) => `✅ 封版解除：${scope}（#${id}）· ${e(by)}`,
    autoLifted: (scope: string, id: number) => `✅ 封版到期自動解除：${scope}（#${id}）`,
    scopeSystem: (name: string) => `整個系統 ${e(name)}`,
    scopeModule: (module: string) => `模組 ${e(module)}`,
    untilText: (at: string | null) => (at ? `至 ${at}` : "至手動解除"),
    blocksWindows: (when: string) => `→ 擋下視窗：從 ${when} 起，封版期間 T1/T2 都不部署`,
    skipsModules: (modules: readonly string[], when: string) =>
      `→ 下次視窗略過模組 ${modules.map(e).join("、")} 的 bug：${when}（其他 bug 照常部署）`,
    liftsBefore: "→ 下一個視窗前就解除，不擋下任何視窗",
    unknownModule: (unknown: readonly string[], known: readonly string[]) =>
      `⚠️ 不認得模組 ${unknown.map(e).join("、")}，未設定封版。${
        known.length
          ? `這個系統已知的模組：${known.map(e).join("、")}。`
          : "這個系統還沒有已知的模組（bug 的模組，或設定檔的 modules）。"
      }`,
    badModule: "模組名稱不可空白且最多 64 個字，例如 module：financial。",
    envCannotLift: (reasons: string[]) =>
      `環境變數的封版（${reasons.map(e).join("、")}）無法從聊天室解除，請修改部署設定後重啟。`,
    noneToLift: "沒有可解除的 /freeze 封版。",
    notFound: (id: number) => `找不到進行中的封版 #${id}。`,
    badDate: "日期格式應為 YYYY-MM-DD，且必須晚於今天。",
    header: (name: string) => `🧊 ${e(name)} 封版狀態`,
    none: "目前沒有封版。",
  },
  oncall: {
    set: (day: string, name: string) => `✅ ${day} 的值班：${e(name)}`,
    show: (day: string, name: string | null) =>
      name ? `👮 ${day} 的值班：${e(name)}` : `${day} 尚未設定值班（/oncall me）`,
    unknownUser: (username: string) => `不認識 @${e(username)}：請對方先在群組中說句話。`,
  },
} as const;
