// Labels shared by every zh-TW text file: one definition each.
import type { Env } from "../../core/model.js";

/** An environment as the chat names it. */
export const ENV_LABEL: Record<Env, string> = { uat: "UAT", prod: "PROD" };
