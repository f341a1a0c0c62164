// Configuration, the one import path for the rest of the bot. src/config/ holds how it is read: env
// variables (env.ts), the PIPELINE_CONFIG file (pipeline.ts, pipeline-targets.ts, pipeline-refs.ts),
// shared zod helpers (schemas.ts), the bilingual problem lines and ConfigError (messages.ts), and
// loadConfig tying them together (load.ts). The config types are the zod output of those schemas.
// Everything in src/config/ is read at start-up only; nothing there talks to Telegram or the database.
export type { AnalyzerConfig, DatabaseConfig, EnvSettings, FakeClockConfig } from "./config/env.js";
export { type Config, loadConfig } from "./config/load.js";
export { bi, ConfigError, formatConfigError, missingBotTokenHelp } from "./config/messages.js";
export {
  type EnvConfig,
  envNamesIn,
  type ServiceConfig,
  type SystemConfig,
  type SystemFreezeConfig,
  type WatchConfig,
  type WindowsConfig,
} from "./config/pipeline.js";
export type { Check, PrometheusConfig, Target } from "./config/pipeline-targets.js";
export type { VersionProbe } from "./config/pipeline-versions.js";
export { hasCredentials, isLoopbackUrl, redactUrl } from "./config/schemas.js";
