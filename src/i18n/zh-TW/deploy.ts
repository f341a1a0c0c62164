// Words the release engine writes into a deployment's output.
import type { Env } from "../../core/model.js";

const ENV_LABEL: Record<Env, string> = { uat: "UAT", prod: "PROD" };

export const deployText = {
  /** The environment has no deploy (or rollback) target configured. */
  missingTarget: (env: Env, rollback: boolean) =>
    `[nightshift] 未設定 ${ENV_LABEL[env]} ${rollback ? "回滾" : "部署"}目標`,
};
