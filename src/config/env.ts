// Env variables: the bot's secrets and basics (token, database, admins, default windows, freeze, webhook,
// analyzer, limits, the drills' simulated clock). Each variable is parsed with its zod schema; a bad one
// becomes a problem line naming it (its value echoed only when not a secret) and reading goes on, so
// every problem is reported at once. PIPELINE_CONFIG is only named here; ./pipeline.ts reads the file.
import { resolve } from "node:path";
import { z } from "zod";
import { oneLine } from "../core/text.js";
import {
  bi,
  DATABASE_ERROR,
  INSTANT_ERROR,
  missingBotTokenHelp,
  required,
  SPEED_ERROR,
  TOKEN_ERROR,
  URL_FIX,
} from "./messages.js";
import type { Defaults } from "./pipeline-targets.js";
import {
  clock,
  commaList,
  hasCredentials,
  intIn,
  isRealDate,
  minutesOf,
  oneOf,
  plainUrl,
  redactUrl,
  timeZone,
} from "./schemas.js";

/** Simulated time: reads `start` at the real instant `anchor` (null = process start) and runs `speed`× real time. */
export interface FakeClockConfig {
  start: Date;
  speed: number;
  anchor: Date | null;
}
/** pglite dir null = in memory */
export type DatabaseConfig = { kind: "postgres"; url: string } | { kind: "pglite"; dir: string | null };
export type AnalyzerConfig =
  | { kind: "none" }
  | { kind: "openai"; url: string; apiKey: string; model: string; timeoutSeconds: number };

/** What env alone configures (Config is this plus the systems and the config folder). */
export interface EnvSettings {
  botToken: string;
  database: DatabaseConfig;
  adminIds: number[];
  telegramApiRoot: string | null;
  webhook: { url: string; secret: string } | null;
  logLevel: string;
  port: number;
  freeze: { hard: boolean; modules: string[]; until: string | null };
  analyzer: AnalyzerConfig;
  hotfixApprovalMinutes: number;
  /** A conversation idle this long ends (「已逾時，已取消」). */
  conversationTimeoutMinutes: number;
  autoRollbackLimit: number;
  outboxPollMs: number;
  /** issue 15: drizzle's named (prepared) statements on Postgres; false for poolers without them (PgBouncer < 1.21). */
  databasePrepare: boolean;
  /** issue 15: LISTEN for freeze changes (the approval reply's freeze cache); false behind a transaction-mode pooler. */
  databaseListen: boolean;
  /** issue 15: long polling handles up to this many updates at once (each chat's in order). */
  pollingConcurrency: number;
  /** Drills and sandbox only: a simulated clock (NIGHTSHIFT_CLOCK_*); null = real time. */
  clock: FakeClockConfig | null;
}

export type EnvReader = ReturnType<typeof envReader>;

/**
 * Parses env[name] with schema; unset (or blank) → fallback; invalid → a problem naming the variable,
 * and fallback. `required` is the bilingual "必填 … / is required …" text. The value is echoed
 * only for non-secrets, with any URL credentials hidden.
 */
export function envReader(env: Record<string, string | undefined>, problems: string[]) {
  return <T, F>(
    name: string,
    schema: z.ZodType<T>,
    fallback: F,
    opts: { secret?: boolean; required?: string | false } = {},
  ): T | F => {
    const raw = env[name]?.trim() || undefined;
    if (raw === undefined) {
      if (opts.required) problems.push(`${name}: ${opts.required}`);
      return fallback;
    }
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    const message = r.error.issues[0]?.message ?? bi("格式不正確", "is invalid");
    const got = opts.secret ? "" : ` — 目前值 / got: ${JSON.stringify(redactUrl(oneLine(raw)))}`;
    problems.push(`${name}: ${message}${got}`);
    return fallback;
  };
}

const TOKEN = /^\d+:[\w-]{20,}$/;
const instant = z.iso.datetime({ offset: true, error: INSTANT_ERROR }).transform((s) => new Date(s));
const speed = z
  .string()
  .regex(/^\d+(\.\d+)?$/, { error: SPEED_ERROR })
  .transform(Number)
  .refine((n) => n >= 0.001 && n <= 100_000, { error: SPEED_ERROR });

/**
 * Reads every env variable but the ones describing the single system of an env-only setup (envSystem
 * in ./load.ts). Also returns what the rest of loading needs: PIPELINE_CONFIG's path and the
 * defaults (time zone, windows, Prometheus) that the file's systems fall back to.
 */
export function readEnv(
  env: Record<string, string | undefined>,
  cwd: string,
  read: EnvReader,
  problems: string[],
): { settings: EnvSettings; missingBotToken: boolean; pipelinePath: string | null; defaults: Defaults } {
  const has = (name: string) => Boolean(env[name]?.trim());

  const missingBotToken = !has("BOT_TOKEN");
  if (missingBotToken) problems.push(missingBotTokenHelp);
  const botToken = read("BOT_TOKEN", z.string().regex(TOKEN, { error: TOKEN_ERROR }), "", { secret: true });

  const databaseUrl = read(
    "DATABASE_URL",
    z.string().refine((v) => v.startsWith("memory://") || (/^postgres(ql)?:\/\//.test(v) && URL.canParse(v)), {
      error: DATABASE_ERROR,
    }),
    null,
    { secret: true },
  );
  const pgliteDir = read("PGLITE_DIR", z.string(), "./data/pglite");
  const database: DatabaseConfig =
    databaseUrl === null
      ? { kind: "pglite", dir: resolve(cwd, pgliteDir) }
      : databaseUrl.startsWith("memory://")
        ? { kind: "pglite", dir: null }
        : { kind: "postgres", url: databaseUrl };

  const adminIds = read(
    "ADMIN_IDS",
    commaList.pipe(
      z.array(
        z
          .string()
          .regex(/^\d{1,15}$/, {
            error: bi(
              "應為以逗號分隔的 Telegram 使用者 id（正整數），例如 12345678,87654321",
              "expected comma-separated Telegram user ids (positive whole numbers), e.g. 12345678,87654321",
            ),
          })
          .transform(Number),
      ),
    ),
    [],
  );

  const timezone = read("TIMEZONE", timeZone, "Asia/Taipei");
  const t1 = read("T1_TIME", clock, "20:00");
  const t2 = read("T2_TIME", clock, "22:00");
  if (minutesOf(t2) <= minutesOf(t1))
    problems.push(
      `T2_TIME: ${bi(`必須晚於同一天的 T1_TIME（${t1}）`, `must be later than T1_TIME (${t1}) on the same day`)} — 目前值 / got: "${t2}"`,
    );
  const graceMinutes = read("WINDOW_GRACE_MINUTES", intIn(0, 1440), 30);

  const freeze = {
    hard: read(
      "DEPLOY_FREEZE",
      oneOf(["true", "false", "1", "0", "yes", "no"]).transform((s) => ["true", "1", "yes"].includes(s)),
      false,
    ),
    modules: read("DEPLOY_FREEZE_MODULES", commaList, []),
    until: read(
      "DEPLOY_FREEZE_UNTIL",
      z.string().refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && isRealDate(s), {
        error: bi("應為存在的日期 YYYY-MM-DD，例如 2026-02-05", "expected a real date as YYYY-MM-DD, e.g. 2026-02-05"),
      }),
      null,
    ),
  };

  const telegramApiRoot = read(
    "TELEGRAM_API_ROOT",
    plainUrl(
      bi(
        "應為 Bot API 伺服器的 http(s) 網址，例如 http://localhost:8081",
        "expected the http(s) URL of a Bot API server, e.g. http://localhost:8081",
      ),
      ["請移除", "drop them"],
    ).transform((u) => u.replace(/\/+$/, "")),
    null,
  );
  const webhookUrl = read(
    "WEBHOOK_URL",
    z
      .url({
        protocol: /^https$/,
        error: bi(
          "應為 Telegram 連得到的 https:// 網址，例如 https://bot.example.com/telegram",
          "expected an https:// URL that Telegram can reach, e.g. https://bot.example.com/telegram",
        ),
      })
      .refine((u) => !hasCredentials(u), {
        error: bi(
          "網址不可含帳號密碼（user:pass@）— Telegram 以 WEBHOOK_SECRET 驗證，請移除",
          "credentials (user:pass@) are not allowed in the URL — Telegram authenticates with WEBHOOK_SECRET: drop them",
        ),
      }),
    null,
  );
  const webhookSecret = read(
    "WEBHOOK_SECRET",
    z.string().regex(/^[\w-]{1,256}$/, {
      error: bi("應為 1–256 個 A-Z a-z 0-9 _ - 字元", "expected 1–256 characters of A-Z a-z 0-9 _ -"),
    }),
    null,
    {
      secret: true,
      required:
        has("WEBHOOK_URL") &&
        required(
          "設定了 WEBHOOK_URL — 1–256 個 A-Z a-z 0-9 _ - 字元，例如 `openssl rand -hex 32` 的輸出",
          "when WEBHOOK_URL is set — 1–256 characters of A-Z a-z 0-9 _ -, e.g. the output of `openssl rand -hex 32`",
        ),
    },
  );

  const pipelinePath = read("PIPELINE_CONFIG", z.string(), null);
  const logLevel = read("LOG_LEVEL", oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), "info");
  const port = read("PORT", intIn(0, 65535), 8080);

  const analyzerKind = read("ANALYZER", oneOf(["none", "openai"]), "none");
  const openai = analyzerKind === "openai";
  const analyzerUrl = read(
    "ANALYZER_URL",
    plainUrl(
      bi(
        "應為 OpenAI 相容 API 的 http(s) 網址，例如 https://api.openai.com/v1",
        "expected the http(s) base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1",
      ),
      ["金鑰請放在 ANALYZER_API_KEY", "the key goes in ANALYZER_API_KEY"],
    ),
    "",
    {
      required:
        openai &&
        required(
          "ANALYZER=openai 時 — API 網址，例如 https://api.openai.com/v1",
          "when ANALYZER=openai — the API base URL, e.g. https://api.openai.com/v1",
        ),
    },
  );
  const apiKey = read("ANALYZER_API_KEY", z.string(), "", {
    secret: true,
    required: openai && required("ANALYZER=openai 時 — API 金鑰", "when ANALYZER=openai — the API key"),
  });
  const model = read("ANALYZER_MODEL", z.string(), "", {
    required:
      openai && required("ANALYZER=openai 時 — 模型名稱，例如 gpt-4o-mini", "when ANALYZER=openai — e.g. gpt-4o-mini"),
  });
  const analyzerTimeout = read("ANALYZER_TIMEOUT_SECONDS", intIn(1, 3600), 60);
  const analyzer: AnalyzerConfig =
    analyzerKind === "openai"
      ? { kind: "openai", url: analyzerUrl, apiKey, model, timeoutSeconds: analyzerTimeout }
      : { kind: "none" };

  const hotfixApprovalMinutes = read("HOTFIX_APPROVAL_MINUTES", intIn(1, 1440), 30);
  const conversationTimeoutMinutes = read("CONVERSATION_TIMEOUT_MINUTES", intIn(1, 1440), 15);
  const autoRollbackLimit = read("AUTO_ROLLBACK_LIMIT", intIn(0, 100), 1);
  const prometheusUrl = read(
    "PROMETHEUS_URL",
    plainUrl(
      bi("應為 http(s) 網址，例如 http://prometheus:9090", "expected an http(s) URL, e.g. http://prometheus:9090"),
      URL_FIX,
    ),
    null,
  );
  const outboxPollMs = read("OUTBOX_POLL_MS", intIn(50, 60_000), 500);
  // issue 15: prepared hot path, concurrent long polling
  const databasePrepare = read(
    "DATABASE_PREPARE",
    oneOf(["true", "false", "1", "0", "yes", "no"]).transform((s) => ["true", "1", "yes"].includes(s)),
    true,
  );
  const databaseListen = read(
    "DATABASE_LISTEN",
    oneOf(["true", "false", "1", "0", "yes", "no"]).transform((s) => ["true", "1", "yes"].includes(s)),
    true,
  );
  const pollingConcurrency = read("POLLING_CONCURRENCY", intIn(1, 500), 16);
  const fakeClock = readClock(env, read, problems);

  const settings: EnvSettings = {
    botToken,
    database,
    adminIds,
    telegramApiRoot,
    webhook: webhookUrl !== null && webhookSecret !== null ? { url: webhookUrl, secret: webhookSecret } : null,
    logLevel,
    port,
    freeze,
    analyzer,
    hotfixApprovalMinutes,
    conversationTimeoutMinutes,
    autoRollbackLimit,
    outboxPollMs,
    databasePrepare,
    databaseListen,
    pollingConcurrency,
    clock: fakeClock,
  };
  const defaults: Defaults = { timezone, windows: { t1, t2, graceMinutes }, prometheusUrl };
  return { settings, missingBotToken, pipelinePath, defaults };
}

/** NIGHTSHIFT_CLOCK_START/SPEED/ANCHOR: a fast simulated clock for chaos drills and the sandbox, never production. */
function readClock(
  env: Record<string, string | undefined>,
  read: EnvReader,
  problems: string[],
): FakeClockConfig | null {
  const start = read("NIGHTSHIFT_CLOCK_START", instant, null);
  const rate = read("NIGHTSHIFT_CLOCK_SPEED", speed, 1);
  const anchor = read("NIGHTSHIFT_CLOCK_ANCHOR", instant, null);
  if (start !== null) return { start, speed: rate, anchor };
  for (const name of ["NIGHTSHIFT_CLOCK_SPEED", "NIGHTSHIFT_CLOCK_ANCHOR"])
    if (env[name]?.trim() && !env.NIGHTSHIFT_CLOCK_START?.trim())
      problems.push(
        `${name}: ${bi(
          "需要同時設定 NIGHTSHIFT_CLOCK_START（模擬時鐘的起點），例如 2026-11-24T19:55:00+08:00",
          "needs NIGHTSHIFT_CLOCK_START (the simulated instant to start from), e.g. 2026-11-24T19:55:00+08:00",
        )}`,
      );
  return null;
}
