// The pre-deploy checklist's items and details, and the record of a manual hotfix deploy.
import { ENV_LABEL } from "./labels.js";

type Env = keyof typeof ENV_LABEL;

export const checklistText = {
  labels: {
    backup: "備份",
    monitoring: "監控",
    oncall: "值班",
    freeze: "封版檢查",
    rollback_path: "回滾路徑",
    tests: "測試全數通過",
    security: "資安稽核",
    approvals: "人工核准",
    budget: "預算",
    secrets: "機密與環境變數",
  },
  notConfigured: "未設定，略過",
  noOncall: (day: string) => `${day} 未設定值班（/oncall me）`,
  notFrozen: "未封版",
  missingDeploy: (env: Env) => `${ENV_LABEL[env]} 部署目標`,
  missingRollback: (env: Env) => `${ENV_LABEL[env]} 回滾目標`,
  rollsBackTo: (env: Env, version: string | null) => `${ENV_LABEL[env]} 可回滾至 ${version ?? "（首次部署）"}`,
  missing: (what: readonly string[]) => `未設定：${what.join("、")}`,
  noDeploy: "本視窗無部署",
  line: (ok: boolean, label: string, detail: string) => `${ok ? "✓" : "✗"} ${label}：${detail}`,
} as const;

export const manualHotfixText = {
  reason: (bugId: number) => `hotfix #${bugId}（手動部署）`,
  output: "手動部署，由機器人記錄",
} as const;

export const closeRejectUsage = (command: "close" | "reject") => `/${command} <id> <原因>`;
