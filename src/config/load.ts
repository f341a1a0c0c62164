// loadConfig: env (./env.ts), then the systems — from the PIPELINE_CONFIG file (./pipeline.ts) or, without
// one, the single system that GROUP_CHAT_ID and the UAT_… and PROD_… variables describe. Every problem is
// collected first; if there is any, one ConfigError lists them all.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { type EnvReader, type EnvSettings, envReader, readEnv } from "./env.js";
import { CHAT_ID_ERROR, ConfigError, PATH_ERROR, required, URL_ERROR, URL_FIX } from "./messages.js";
import { defaultWatch, type EnvConfig, loadPipelineFile, type SystemConfig } from "./pipeline.js";
import { defaultGates } from "./pipeline-gates.js";
import { readCodeHostEnv } from "./pipeline-github.js";
import type { Defaults, Target } from "./pipeline-targets.js";
import { envVersionProbe } from "./pipeline-versions.js";
import { INT, plainUrl, resolveCommand } from "./schemas.js";

export interface Config extends EnvSettings {
  /** issue 13: SLACK_WEBHOOK_URL (systems without their own notify.slack); absent when unset. */
  slackWebhookUrl?: string | null;
  /** Folder of PIPELINE_CONFIG (relative commands resolve against it), else cwd. */
  configDir: string;
  systems: SystemConfig[];
}

export function loadConfig(
  env: Record<string, string | undefined>,
  io: { readFile?: (path: string) => string; cwd?: string } = {},
): Config {
  const cwd = io.cwd ?? process.cwd();
  const readFile = io.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const problems: string[] = [];
  const read = envReader(env, problems);
  const { settings, missingBotToken, pipelinePath, defaults } = readEnv(env, cwd, read, problems);

  let configDir = cwd;
  let systems: SystemConfig[];
  if (pipelinePath !== null) {
    const file = resolve(cwd, pipelinePath);
    configDir = dirname(file);
    systems = loadPipelineFile(file, { env, readFile, defaults, problems });
  } else systems = envSystem(read, defaults, cwd);

  const codeHost = readCodeHostEnv(env, problems); // issue 13
  if (problems.length > 0) throw new ConfigError(problems, missingBotToken);
  return { ...settings, configDir, systems, ...codeHost };
}

/** Without PIPELINE_CONFIG: one system, "default", in GROUP_CHAT_ID, with the UAT_… and PROD_… commands and URLs. */
function envSystem(read: EnvReader, defaults: Defaults, cwd: string): SystemConfig[] {
  const groupChatId = read(
    "GROUP_CHAT_ID",
    z
      .string()
      .regex(INT, { error: CHAT_ID_ERROR })
      .transform(Number)
      .refine((n) => Number.isSafeInteger(n) && n !== 0, { error: CHAT_ID_ERROR }),
    null,
    {
      required: required(
        "未設定 PIPELINE_CONFIG 時 — 團隊群組的聊天室 id，例如 -1001234567890（或在 PIPELINE_CONFIG 描述各系統）",
        "when PIPELINE_CONFIG is not set — the team group's chat id, e.g. -1001234567890 (or describe systems in PIPELINE_CONFIG)",
      ),
    },
  );
  const envConfig = (prefix: "UAT" | "PROD"): EnvConfig => {
    const command = (name: string): Target | null => {
      const path = read(name, z.string().regex(/^\S+$/, { error: PATH_ERROR }), null);
      return path === null ? null : { type: "command", command: resolveCommand([path], cwd), timeoutSeconds: 900 };
    };
    const health = read(`${prefix}_HEALTH_URL`, plainUrl(URL_ERROR, URL_FIX), null);
    const version = envVersionProbe(read(`${prefix}_VERSION_URL`, plainUrl(URL_ERROR, URL_FIX), null));
    return {
      ...(version ? { version } : {}),
      url: read(`${prefix}_URL`, plainUrl(URL_ERROR, URL_FIX), null),
      deploy: command(`${prefix}_DEPLOY_COMMAND`),
      rollback: command(`${prefix}_ROLLBACK_COMMAND`),
      health: health === null ? null : { type: "http", url: health, expectStatus: 200, timeoutSeconds: 30 },
      watch: defaultWatch(defaults, prefix === "UAT" ? "uat" : "prod"),
    };
  };
  const environments = { uat: envConfig("UAT"), prod: envConfig("PROD") };
  if (groupChatId === null) return [];
  return [
    {
      id: "default",
      name: "預設系統",
      groupChatId,
      timezone: defaults.timezone,
      windows: defaults.windows,
      services: [],
      environments,
      ...defaultGates(),
      freeze: { holidays: null, lunarNewYear: false, monthEnd: null },
    },
  ];
}
