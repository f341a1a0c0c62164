// Configuration: env (secrets and basics) + the optional PIPELINE_CONFIG JSON file (systems, targets, checks).
// loadConfig validates everything with zod, collects every problem, and throws one ConfigError listing them all.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import Holidays from "date-holidays";
import { z } from "zod";
import { normalizeModule, oneLine } from "./core/text.js";

/**
 * `withheldEnv`: env variables named in PIPELINE_CONFIG (`secretEnv`, `authorizationEnv`, any `…Env`)
 * that the command must not receive, on top of the bot's own secrets (set at load; absent when none).
 */
export type Target =
  | { type: "command"; command: string[]; timeoutSeconds: number; withheldEnv?: string[] }
  | { type: "webhook"; url: string; secret: string; secretEnv: string; timeoutSeconds: number };
/** `authorization`: the value of the `Authorization` header, read from `authorizationEnv` at load. */
export type Check =
  | { type: "command"; command: string[]; timeoutSeconds: number; withheldEnv?: string[] }
  | { type: "http"; url: string; expectStatus: number; timeoutSeconds: number; authorization?: string };
export interface PrometheusConfig {
  url: string;
  /** The `Authorization` header, read from `authorizationEnv` at load. */
  authorization?: string;
  errorRate?: string;
  p95?: string;
  memory?: string;
  cpu?: string;
  loginSuccess?: string;
}
export interface WatchConfig {
  minutes: number;
  intervalSeconds: number;
  onFailure: "auto" | "ask";
  smoke: Check | null;
  prometheus: PrometheusConfig | null;
}
export interface EnvConfig {
  url: string | null;
  deploy: Target | null;
  rollback: Target | null;
  health: Check | null;
  watch: WatchConfig;
}
export interface ServiceConfig {
  name: string;
  dependsOn: string[];
  health?: Check | null;
}
export interface WindowsConfig {
  t1: string;
  t2: string;
  graceMinutes: number;
}
export interface SystemFreezeConfig {
  holidays: string | null;
  lunarNewYear: boolean;
  monthEnd: { days: number; modules: string[] } | null;
}
export interface SystemConfig {
  id: string;
  name: string;
  groupChatId: number;
  timezone: string;
  windows: WindowsConfig;
  services: ServiceConfig[];
  environments: { uat: EnvConfig; prod: EnvConfig };
  checklist: { backup: Check | null; monitoring: Check | null };
  freeze: SystemFreezeConfig;
  /** Admins of this system only, beside the global ADMIN_IDS. */
  adminIds?: number[];
  /** Module names the system declares (bugs add theirs); normalized. */
  modules?: string[];
}
/** Simulated time: reads `start` at the real instant `anchor` (null = process start) and runs `speed`× real time. */
export interface FakeClockConfig {
  start: Date;
  speed: number;
  anchor: Date | null;
}
export type DatabaseConfig = { kind: "postgres"; url: string } | { kind: "pglite"; dir: string | null };
export type AnalyzerConfig =
  | { kind: "none" }
  | { kind: "openai"; url: string; apiKey: string; model: string; timeoutSeconds: number };
export interface Config {
  botToken: string;
  /** pglite dir null = in memory */
  database: DatabaseConfig;
  adminIds: number[];
  telegramApiRoot: string | null;
  webhook: { url: string; secret: string } | null;
  logLevel: string;
  port: number;
  freeze: { hard: boolean; modules: string[]; until: string | null };
  analyzer: AnalyzerConfig;
  hotfixApprovalMinutes: number;
  /** A conversation idle this long ends (「已逾時,已取消」). */
  conversationTimeoutMinutes: number;
  autoRollbackLimit: number;
  outboxPollMs: number;
  /** Drills and sandbox only: a simulated clock (NIGHTSHIFT_CLOCK_*); null = real time. */
  clock: FakeClockConfig | null;
  /** Folder of PIPELINE_CONFIG (relative commands resolve against it), else cwd. */
  configDir: string;
  systems: SystemConfig[];
}

export const missingBotTokenHelp = [
  "找不到 BOT_TOKEN（Telegram 機器人權杖）。 / BOT_TOKEN is not set.",
  "取得方式 / How to get one:",
  "  1. 在 Telegram 搜尋並開啟 @BotFather 的對話 / In Telegram, open a chat with @BotFather",
  "  2. 傳送 /newbot，依指示輸入名稱與帳號（帳號需以 bot 結尾） / Send /newbot and answer its questions (the username must end in “bot”)",
  "  3. 複製 BotFather 回覆的權杖，格式如 123456:ABC-DEF... / Copy the token it replies with, e.g. 123456:ABC-DEF...",
  "  4. 帶著權杖啟動 / Start with it:  BOT_TOKEN=123456:ABC... npm start",
  "權杖等同密碼：不要提交到 Git 或貼到群組。 / The token is a password: never commit it or paste it in a chat.",
].join("\n");

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly problems: string[],
    readonly missingBotToken = false,
  ) {
    super(`Invalid configuration:\n${problems.map((p) => `- ${p}`).join("\n")}`);
  }
}

/** Human-readable text for a startup failure; for a missing token alone, just the how-to. */
export function formatConfigError(e: unknown): string {
  if (!(e instanceof ConfigError)) return e instanceof Error ? e.message : String(e);
  if (e.missingBotToken && e.problems.length === 1) return missingBotTokenHelp;
  const n = e.problems.length;
  return [
    `Nightshift 設定有 ${n} 個問題 / configuration has ${n} problem${n === 1 ? "" : "s"}:`,
    ...e.problems.map((p) => `  • ${p.replaceAll("\n", "\n    ")}`),
  ].join("\n");
}

// ---------- shared validators ----------

/** Every problem line reads in zh-TW, then English: `FIELD: 中文 / English`. */
export const bi = (zh: string, en: string): string => `${zh} / ${en}`;
const ADMIN_IDS_ERROR = bi(
  "應為 Telegram 使用者 id（正整數）的陣列，例如 [12345678]",
  "expected Telegram user ids (positive whole numbers), e.g. [12345678]",
);

const INT = /^[+-]?\d+$/;
const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const CLOCK_ERROR = bi('應為 24 小時制的 HH:MM，例如 "20:00"', 'expected HH:MM in 24-hour time, e.g. "20:00"');
const TZ_ERROR = bi(
  '應為 IANA 時區名稱，例如 "Asia/Taipei" 或 "UTC"',
  'expected an IANA time zone, e.g. "Asia/Taipei" or "UTC"',
);

const canonicalTimeZone = (tz: string): string | null => {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
};
const timeZone = z
  .string()
  .refine((tz) => canonicalTimeZone(tz) !== null, { error: TZ_ERROR })
  .transform((tz) => canonicalTimeZone(tz)!);
const clock = z
  .string()
  .regex(CLOCK, { error: CLOCK_ERROR })
  .transform((s) => s.padStart(5, "0"));
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
const httpUrl = (error: string) => z.url({ protocol: /^https?$/, error });

/** `https://user:pass@host` — credentials in a URL would end up in chat, /status and logs. */
export const hasCredentials = (url: string): boolean => {
  try {
    const u = new URL(url);
    return u.username !== "" || u.password !== "";
  } catch {
    return false;
  }
};
/** The URL as it may be printed: anything between `scheme://` and the last `@` hidden. */
export const redactUrl = (text: string): string => text.replace(/^([a-z][a-z0-9+.-]*:\/\/).*@/i, "$1***@");
/** An http(s) URL without credentials; `fix` says where they go instead (zh, en). */
const plainUrl = (error: string, fix: [string, string]) =>
  httpUrl(error).refine((u) => !hasCredentials(u), {
    error: bi(
      `網址不可含帳號密碼（user:pass@）— ${fix[0]}`,
      `credentials (user:pass@) are not allowed in the URL — ${fix[1]}`,
    ),
  });
const URL_FIX: [string, string] = [
  "請移除；需要驗證時改在 PIPELINE_CONFIG 用 authorizationEnv 指定放 Authorization 標頭的環境變數",
  "drop them; if it needs auth, use authorizationEnv in PIPELINE_CONFIG (an env variable holding the Authorization header)",
];
const WEBHOOK_FIX: [string, string] = [
  "webhook 以 secretEnv 的 HMAC 簽章驗證，請移除網址中的帳號密碼",
  "a webhook is authenticated by the HMAC signature of secretEnv: drop them from the URL",
];
/** 127.0.0.0/8, ::1, localhost: plain http stays on this machine. */
export const isLoopbackUrl = (url: string): boolean => {
  try {
    const host = new URL(url).hostname.replace(/\.$/, "").toLowerCase();
    return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  } catch {
    return false;
  }
};

/** Integer given as an env string. */
const intIn = (min: number, max: number) => {
  const error = bi(`應為 ${min} 到 ${max} 的整數`, `expected a whole number from ${min} to ${max}`);
  return z
    .string()
    .regex(INT, { error })
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, { error });
};
/** Integer given as a JSON number. */
const jsonInt = (min: number, max: number) => {
  const error = bi(`應為 ${min} 到 ${max} 的整數`, `expected a whole number from ${min} to ${max}`);
  return z.int({ error }).min(min, { error }).max(max, { error });
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values, { error: bi(`應為下列之一：${values.join("、")}`, `expected one of: ${values.join(", ")}`) }));
const commaList = z.string().transform((s) => [
  ...new Set(
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  ),
]);
const isRealDate = (s: string): boolean => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
};
const CHAT_ID_ERROR = bi(
  "應為 Telegram 聊天室 id：不為 0 的整數（群組為負數，例如 -1001234567890）",
  "expected a Telegram chat id: a non-zero whole number (groups are negative, e.g. -1001234567890)",
);

/** argv[0] containing a "/" and not absolute resolves against base; bare names (looked up in PATH) stay. */
const resolveCommand = (argv: string[], base: string): string[] =>
  argv.map((arg, i) => (i === 0 && arg.includes("/") && !isAbsolute(arg) ? resolve(base, arg) : arg));

let holidayCountries: Record<string, string> | undefined;
/** "TW", "US-CA", "US-CA-LA": a country (and state/region) known to date-holidays. */
const isHolidayRegion = (code: string): boolean => {
  const [country = "", state, region, extra] = code.split("-");
  const hd = new Holidays();
  holidayCountries ??= hd.getCountries();
  if (extra !== undefined || !(country in holidayCountries)) return false;
  if (state !== undefined && !(state in (hd.getStates(country) ?? {}))) return false;
  return region === undefined || region in (hd.getRegions(country, state!) ?? {});
};

// ---------- env ----------

type Problems = string[];

/**
 * Parses env[name] with schema; unset (or blank) → fallback; invalid → a problem naming the variable,
 * and fallback. `required` is the bilingual "必填 … / is required …" text. The value is echoed
 * only for non-secrets, with any URL credentials hidden.
 */
function envReader(env: Record<string, string | undefined>, problems: Problems) {
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
const required = (zh: string, en: string): string => bi(`必填：${zh}`, `is required ${en}`);

const TOKEN = /^\d+:[\w-]{20,}$/;
const TOKEN_ERROR = bi(
  "看起來不是 Telegram 機器人權杖（格式為 <數字>:<英數字、_ 或 ->，例如 123456:ABC-DEF...）— 請到 @BotFather 重新複製（/mybots → API Token）",
  "does not look like a Telegram bot token (expected <digits>:<letters, digits, _ or ->, e.g. 123456:ABC-DEF...) — copy it again from @BotFather (/mybots → API Token)",
);
const DATABASE_ERROR = bi(
  "應為 postgres://user:password@host:5432/db（或 postgresql://）、記憶體內 PGlite 用 memory://，或不設定以使用 PGLITE_DIR 的 PGlite",
  "expected postgres://user:password@host:5432/db (or postgresql://), memory:// for an in-memory PGlite, or leave it unset for PGlite on disk in PGLITE_DIR",
);
const PATH_ERROR = bi(
  "應為一個可執行檔的路徑，不帶參數、不經 shell 執行 — 參數請包進腳本，或在 PIPELINE_CONFIG 用 argv 陣列",
  "expected a path to an executable, run with no arguments and no shell — wrap arguments in a script, or use PIPELINE_CONFIG for argv",
);
const URL_ERROR = bi("應為 http(s) 網址", "expected an http(s) URL");

const INSTANT_ERROR = bi(
  "應為含時區的 ISO 8601 時間，例如 2026-11-24T19:55:00+08:00",
  "expected an ISO 8601 instant with a time zone, e.g. 2026-11-24T19:55:00+08:00",
);
const instant = z.iso.datetime({ offset: true, error: INSTANT_ERROR }).transform((s) => new Date(s));
const SPEED_ERROR = bi(
  "應為 0.001 到 100000 的數字（每實際秒對應的模擬秒數），例如 600",
  "expected a number from 0.001 to 100000 (simulated seconds per real second), e.g. 600",
);
const speed = z
  .string()
  .regex(/^\d+(\.\d+)?$/, { error: SPEED_ERROR })
  .transform(Number)
  .refine((n) => n >= 0.001 && n <= 100_000, { error: SPEED_ERROR });

/** NIGHTSHIFT_CLOCK_START/SPEED/ANCHOR: a fast simulated clock for chaos drills and the sandbox, never production. */
function readClock(
  env: Record<string, string | undefined>,
  read: ReturnType<typeof envReader>,
  problems: Problems,
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

interface Defaults {
  timezone: string;
  windows: WindowsConfig;
  prometheusUrl: string | null;
}

export function loadConfig(
  env: Record<string, string | undefined>,
  io: { readFile?: (path: string) => string; cwd?: string } = {},
): Config {
  const cwd = io.cwd ?? process.cwd();
  const readFile = io.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const problems: Problems = [];
  const read = envReader(env, problems);
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
  const fakeClock = readClock(env, read, problems);

  const defaults: Defaults = { timezone, windows: { t1, t2, graceMinutes }, prometheusUrl };
  let configDir = cwd;
  let systems: SystemConfig[] = [];
  if (pipelinePath !== null) {
    const file = resolve(cwd, pipelinePath);
    configDir = dirname(file);
    systems = loadPipelineFile(file, { env, readFile, defaults, problems });
  } else {
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
      return {
        url: read(`${prefix}_URL`, plainUrl(URL_ERROR, URL_FIX), null),
        deploy: command(`${prefix}_DEPLOY_COMMAND`),
        rollback: command(`${prefix}_ROLLBACK_COMMAND`),
        health: health === null ? null : { type: "http", url: health, expectStatus: 200, timeoutSeconds: 30 },
        watch: defaultWatch(defaults),
      };
    };
    const environments = { uat: envConfig("UAT"), prod: envConfig("PROD") };
    if (groupChatId !== null)
      systems = [
        {
          id: "default",
          name: "預設系統",
          groupChatId,
          timezone,
          windows: defaults.windows,
          services: [],
          environments,
          checklist: { backup: null, monitoring: null },
          freeze: { holidays: null, lunarNewYear: false, monthEnd: null },
        },
      ];
  }

  if (problems.length > 0) throw new ConfigError(problems, missingBotToken);
  return {
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
    clock: fakeClock,
    configDir,
    systems,
  };
}

const defaultWatch = (d: Defaults): WatchConfig => ({
  minutes: 10,
  intervalSeconds: 60,
  onFailure: "auto",
  smoke: null,
  prometheus: d.prometheusUrl === null ? null : { url: d.prometheusUrl },
});

// ---------- PIPELINE_CONFIG ----------

interface FileContext {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
  defaults: Defaults;
  problems: Problems;
}

type Path = readonly PropertyKey[];
const formatPath = (path: Path): string =>
  path.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), "");
const at = (path: Path): string => `PIPELINE_CONFIG${path.length > 0 ? ` ${formatPath(path)}` : ""}: `;

function loadPipelineFile(file: string, ctx: FileContext): SystemConfig[] {
  let text: string;
  let json: unknown;
  try {
    text = ctx.readFile(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : oneLine(err.message);
    ctx.problems.push(
      `PIPELINE_CONFIG: ${bi(
        `無法讀取 ${file}（${err.code === "ENOENT" ? "檔案不存在" : why}）— 相對路徑以工作目錄為準`,
        `cannot read ${file} (${why}) — relative paths resolve against the working directory`,
      )}`,
    );
    return [];
  }
  try {
    json = JSON.parse(text);
  } catch (e) {
    const pos = Number(/at position (\d+)/.exec(String(e))?.[1] ?? Number.NaN);
    const where = Number.isNaN(pos)
      ? ""
      : ` at line ${text.slice(0, pos).split("\n").length}, column ${pos - text.lastIndexOf("\n", pos - 1)}`;
    const detail = (e as Error).message.replace(/\s+/g, " ").slice(0, 200);
    const zhWhere = Number.isNaN(pos)
      ? ""
      : `（第 ${text.slice(0, pos).split("\n").length} 行第 ${pos - text.lastIndexOf("\n", pos - 1)} 欄）`;
    ctx.problems.push(
      `PIPELINE_CONFIG: ${bi(`${file} 不是有效的 JSON${zhWhere}`, `${file} is not valid JSON${where} — ${detail}`)}`,
    );
    return [];
  }
  const r = pipelineSchema(ctx, dirname(file)).safeParse(json, {
    reportInput: true,
    error: (iss) =>
      iss.code === "invalid_type"
        ? iss.input === undefined
          ? bi(`必填，應為${kindZh(iss.expected)}`, `is required — expected ${iss.expected}`)
          : bi(
              `應為${kindZh(iss.expected)}，實際是${kindZh(kindOf(iss.input))}`,
              `expected ${iss.expected}, got ${kindOf(iss.input)}`,
            )
        : undefined,
  });
  for (const iss of r.error?.issues ?? [])
    if (iss.code === "unrecognized_keys")
      for (const key of iss.keys) ctx.problems.push(at([...iss.path, key]) + iss.message);
    else ctx.problems.push(at(iss.path) + iss.message);
  crossCheck(json, (path, message) => ctx.problems.push(at(path) + message));
  return withholdEnv(r.data?.systems ?? [], envNamesIn(json));
}

/** Every env variable named in the file (`secretEnv`, `authorizationEnv`, any key ending in `Env`). */
export function envNamesIn(json: unknown): string[] {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (isRecord(v))
      for (const [k, x] of Object.entries(v)) {
        if (/Env$/.test(k) && typeof x === "string" && x) names.add(x);
        else walk(x);
      }
  };
  walk(json);
  return [...names].sort();
}

/** Command targets and checks get the names to withhold: no command sees another target's secret. */
function withholdEnv(systems: SystemConfig[], names: string[]): SystemConfig[] {
  if (names.length === 0) return systems;
  const cmd = <T extends Target | Check | null | undefined>(x: T): T =>
    x && x.type === "command" ? { ...x, withheldEnv: names } : x;
  const env = (e: EnvConfig): EnvConfig => ({
    ...e,
    deploy: cmd(e.deploy),
    rollback: cmd(e.rollback),
    health: cmd(e.health),
    watch: { ...e.watch, smoke: cmd(e.watch.smoke) },
  });
  return systems.map((s) => ({
    ...s,
    services: s.services.map((x) => ({ ...x, health: cmd(x.health) })),
    environments: { uat: env(s.environments.uat), prod: env(s.environments.prod) },
    checklist: { backup: cmd(s.checklist.backup), monitoring: cmd(s.checklist.monitoring) },
  }));
}

const kindOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
const KINDS_ZH: Record<string, string> = {
  string: "字串",
  number: "數字",
  int: "整數",
  boolean: "true 或 false",
  object: "物件",
  array: "陣列",
  null: "null",
  undefined: "未設定",
};
/** `字串`, ` true 或 false`: a space only before Latin text. */
const kindZh = (kind: string): string => {
  const zh = KINDS_ZH[kind] ?? kind;
  return /^[A-Za-z]/.test(zh) ? ` ${zh}` : zh;
};

const strict = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? bi(
            `不認得的欄位 — 這裡可用的欄位：${Object.keys(shape).join("、")}`,
            `unknown key — allowed keys here: ${Object.keys(shape).join(", ")}`,
          )
        : undefined,
  });

const custom = (ctx: { issues: z.core.$ZodRawIssue[] }, path: PropertyKey[], message: string, input?: unknown) =>
  ctx.issues.push({ code: "custom", path, message, input });

function pipelineSchema({ env, defaults: d }: FileContext, base: string) {
  const text = z
    .string()
    .trim()
    .min(1, { error: bi("不可為空", "must not be empty") });
  const url = plainUrl(URL_ERROR, URL_FIX);
  const webhookUrl = plainUrl(URL_ERROR, WEBHOOK_FIX);
  const argv = z
    .array(text)
    .min(1, {
      error: bi(
        '應為非空的 argv 陣列，例如 ["./deploy/deploy.sh", "uat"]',
        'expected a non-empty argv array, e.g. ["./deploy/deploy.sh", "uat"]',
      ),
    })
    .transform((a) => resolveCommand(a, base));
  const name = z.string().regex(/^[\w.-]{1,64}$/, {
    error: bi("應為 1–64 個 A-Z a-z 0-9 _ . - 字元", "expected 1–64 characters of A-Z a-z 0-9 _ . -"),
  });
  const envName = (example: string) =>
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: bi(`應為環境變數名稱，例如 ${example}`, `expected an env variable name, e.g. ${example}`),
    });
  /** `authorizationEnv` → the header value, read from env now. */
  const authorization = (
    ctx: { issues: z.core.$ZodRawIssue[] },
    name: string | undefined,
  ): { authorization?: string } => {
    if (name === undefined) return {};
    const value = env[name];
    if (value) return { authorization: value };
    custom(
      ctx,
      ["authorizationEnv"],
      bi(
        `環境變數 ${name} 未設定 — 請 export 它或修改 authorizationEnv`,
        `env ${name} is not set — export it or change authorizationEnv`,
      ),
    );
    return {};
  };

  const target = strict({
    command: argv.optional(),
    webhook: webhookUrl.optional(),
    secretEnv: envName("PROD_HOOK_SECRET").optional(),
    allowHttp: z.boolean({ error: bi("應為 true 或 false", "expected true or false") }).optional(),
    timeoutSeconds: jsonInt(1, 86_400).optional(),
  }).transform((t, ctx): Target => {
    const timeoutSeconds = t.timeoutSeconds ?? 900;
    if (t.command && !t.webhook) {
      if (t.secretEnv)
        custom(
          ctx,
          ["secretEnv"],
          bi("只有 webhook 目標可用 secretEnv — 請移除", "only webhook targets take secretEnv — remove it"),
        );
      if (t.allowHttp !== undefined)
        custom(
          ctx,
          ["allowHttp"],
          bi("只有 webhook 目標可用 allowHttp — 請移除", "only webhook targets take allowHttp — remove it"),
        );
      return { type: "command", command: t.command, timeoutSeconds };
    }
    if (t.webhook && !t.command) {
      if (t.webhook.startsWith("http:") && !isLoopbackUrl(t.webhook) && t.allowHttp !== true)
        custom(
          ctx,
          ["webhook"],
          bi(
            '不接受 http:// 的 webhook（簽章與發佈內容會以明文傳送）— 請改用 https://，或確定要用時在此目標加上 "allowHttp": true',
            'plain http:// webhooks are refused (the signed release would travel in clear) — use https://, or add "allowHttp": true to this target if you must',
          ),
        );
      if (!t.secretEnv) {
        custom(
          ctx,
          ["secretEnv"],
          bi(
            "webhook 目標必填 — 存放其 HMAC 金鑰的環境變數名稱",
            "is required for a webhook target — the env variable that holds its HMAC secret",
          ),
        );
        return z.NEVER;
      }
      const secret = env[t.secretEnv];
      if (!secret) {
        custom(
          ctx,
          ["secretEnv"],
          bi(
            `環境變數 ${t.secretEnv} 未設定 — 請 export 它或修改 secretEnv`,
            `env ${t.secretEnv} is not set — export it or change secretEnv`,
          ),
        );
        return z.NEVER;
      }
      return { type: "webhook", url: t.webhook, secret, secretEnv: t.secretEnv, timeoutSeconds };
    }
    custom(
      ctx,
      [],
      bi(
        '應為 { "command": [argv…] } 或 { "webhook": 網址, "secretEnv": 名稱 } 其中之一',
        'expected exactly one of { "command": [argv…] } or { "webhook": url, "secretEnv": NAME }',
      ),
    );
    return z.NEVER;
  });

  const check = strict({
    command: argv.optional(),
    http: url.optional(),
    expectStatus: jsonInt(100, 599).optional(),
    authorizationEnv: envName("STATUS_PAGE_AUTH").optional(),
    timeoutSeconds: jsonInt(1, 3600).optional(),
  }).transform((c, ctx): Check => {
    const timeoutSeconds = c.timeoutSeconds ?? 30;
    if (c.command && !c.http) {
      if (c.expectStatus !== undefined)
        custom(
          ctx,
          ["expectStatus"],
          bi("只有 http 檢查可用 expectStatus — 請移除", "only http checks take expectStatus — remove it"),
        );
      if (c.authorizationEnv !== undefined)
        custom(
          ctx,
          ["authorizationEnv"],
          bi("只有 http 檢查可用 authorizationEnv — 請移除", "only http checks take authorizationEnv — remove it"),
        );
      return { type: "command", command: c.command, timeoutSeconds };
    }
    if (c.http && !c.command)
      return {
        type: "http",
        url: c.http,
        expectStatus: c.expectStatus ?? 200,
        timeoutSeconds,
        ...authorization(ctx, c.authorizationEnv),
      };
    custom(
      ctx,
      [],
      bi(
        '應為 { "command": [argv…] } 或 { "http": 網址, "expectStatus"?: 200 } 其中之一',
        'expected exactly one of { "command": [argv…] } or { "http": url, "expectStatus"?: 200 }',
      ),
    );
    return z.NEVER;
  });

  const query = text.optional();
  const prometheus = strict({
    url: url.optional(),
    authorizationEnv: envName("PROMETHEUS_AUTH").optional(),
    errorRate: query,
    p95: query,
    memory: query,
    cpu: query,
    loginSuccess: query,
  }).transform((p, ctx): PrometheusConfig => {
    const { authorizationEnv, ...queries } = p;
    const promUrl = p.url ?? d.prometheusUrl;
    if (promUrl) return { ...queries, url: promUrl, ...authorization(ctx, authorizationEnv) };
    custom(
      ctx,
      ["url"],
      bi(
        "必填 — 或在環境變數設定 PROMETHEUS_URL 作為預設",
        "is required — or set PROMETHEUS_URL in env as the default",
      ),
    );
    return z.NEVER;
  });

  const watch = strict({
    minutes: jsonInt(1, 240).optional(),
    intervalSeconds: jsonInt(5, 3600).optional(),
    onFailure: z.enum(["auto", "ask"], { error: bi('應為 "auto" 或 "ask"', 'expected "auto" or "ask"') }).optional(),
    smoke: check.optional(),
    prometheus: prometheus.optional(),
  })
    .optional()
    .transform((w): WatchConfig => {
      const fallback = defaultWatch(d);
      return {
        minutes: w?.minutes ?? fallback.minutes,
        intervalSeconds: w?.intervalSeconds ?? fallback.intervalSeconds,
        onFailure: w?.onFailure ?? fallback.onFailure,
        smoke: w?.smoke ?? null,
        prometheus: w?.prometheus ?? fallback.prometheus,
      };
    });

  const environment = strict({
    url: url.optional(),
    deploy: target.optional(),
    rollback: target.optional(),
    health: check.optional(),
    watch,
  }).transform(
    (e): EnvConfig => ({
      url: e.url ?? null,
      deploy: e.deploy ?? null,
      rollback: e.rollback ?? null,
      health: e.health ?? null,
      watch: e.watch,
    }),
  );

  const windows = strict({
    t1: clock.optional(),
    t2: clock.optional(),
    graceMinutes: jsonInt(0, 1440).optional(),
  }).transform((w, ctx): WindowsConfig => {
    const r = {
      t1: w.t1 ?? d.windows.t1,
      t2: w.t2 ?? d.windows.t2,
      graceMinutes: w.graceMinutes ?? d.windows.graceMinutes,
    };
    if (minutesOf(r.t2) <= minutesOf(r.t1))
      custom(
        ctx,
        ["t2"],
        bi(
          `必須晚於同一天的 t1（${r.t1}）${w.t2 ? "" : `— t2 預設為 T2_TIME（${r.t2}）`}`,
          `must be later than t1 (${r.t1}) on the same day${w.t2 ? "" : ` — t2 defaults to T2_TIME (${r.t2})`}`,
        ),
      );
    return r;
  });

  const freeze = strict({
    holidays: z
      .string()
      .transform((s) => s.toUpperCase())
      .refine(isHolidayRegion, {
        error: bi(
          'date-holidays 不認得這個國家代碼 — 例如 "TW"（或 "US-CA"）',
          'expected a country code known to date-holidays, e.g. "TW" (or "US-CA")',
        ),
      })
      .optional(),
    lunarNewYear: z.boolean({ error: bi("應為 true 或 false", "expected true or false") }).optional(),
    monthEnd: strict({
      days: jsonInt(1, 10),
      modules: z
        .array(text)
        .min(1, { error: bi('至少列出一個模組，例如 ["financial"]', 'list at least one module, e.g. ["financial"]') }),
    }).optional(),
  }).transform(
    (f): SystemFreezeConfig => ({
      holidays: f.holidays ?? null,
      lunarNewYear: f.lunarNewYear ?? false,
      monthEnd: f.monthEnd ?? null,
    }),
  );

  const system = strict({
    id: z.string().regex(/^[a-z0-9_-]{1,32}$/, {
      error: bi("應為 1–32 個 a-z 0-9 _ - 字元，例如 crm", "expected 1–32 characters of a-z 0-9 _ -, e.g. crm"),
    }),
    name: text,
    groupChatId: z.int({ error: CHAT_ID_ERROR }).refine((n) => n !== 0, { error: CHAT_ID_ERROR }),
    timezone: timeZone.optional(),
    windows: windows.optional(),
    services: z
      .array(
        strict({ name, dependsOn: z.array(name).optional(), health: check.optional() }).transform(
          (s): ServiceConfig => ({ name: s.name, dependsOn: s.dependsOn ?? [], health: s.health ?? null }),
        ),
      )
      .optional(),
    environments: strict({ uat: environment, prod: environment }),
    checklist: strict({ backup: check.optional(), monitoring: check.optional() }).optional(),
    freeze: freeze.optional(),
    adminIds: z.array(z.int({ error: ADMIN_IDS_ERROR }).positive({ error: ADMIN_IDS_ERROR })).optional(),
    modules: z.array(text).optional(),
  }).transform(
    (s): SystemConfig => ({
      id: s.id,
      name: s.name,
      groupChatId: s.groupChatId,
      timezone: s.timezone ?? d.timezone,
      windows: s.windows ?? d.windows,
      services: s.services ?? [],
      environments: s.environments,
      checklist: { backup: s.checklist?.backup ?? null, monitoring: s.checklist?.monitoring ?? null },
      freeze: s.freeze ?? { holidays: null, lunarNewYear: false, monthEnd: null },
      ...(s.adminIds ? { adminIds: s.adminIds } : {}),
      ...(s.modules ? { modules: [...new Set(s.modules.map(normalizeModule).filter(Boolean))] } : {}),
    }),
  );

  return strict({
    systems: z.array(system).min(1, { error: bi("至少列出一個系統", "list at least one system") }),
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const records = (v: unknown): [Record<string, unknown>, number][] =>
  Array.isArray(v) ? v.flatMap((x, i) => (isRecord(x) ? [[x, i] as [Record<string, unknown>, number]] : [])) : [];

/** Cross references, run on the raw JSON so they are reported alongside any shape problems. */
function crossCheck(json: unknown, report: (path: Path, message: string) => void): void {
  const ids = new Map<unknown, number>();
  const chats = new Map<unknown, number>();
  for (const [s, i] of records(isRecord(json) ? json.systems : undefined)) {
    const dup = (seen: Map<unknown, number>, key: "id" | "groupChatId", why: [string, string]) => {
      const value = s[key];
      if (typeof value !== (key === "id" ? "string" : "number")) return;
      const first = seen.get(value);
      if (first === undefined) seen.set(value, i);
      else
        report(
          ["systems", i, key],
          bi(
            `${JSON.stringify(value)} 已被 systems[${first}] 使用 — ${why[0]}`,
            `${JSON.stringify(value)} is already used by systems[${first}] — ${why[1]}`,
          ),
        );
    };
    dup(ids, "id", ["系統 id 不可重複", "system ids must be unique"]);
    dup(chats, "groupChatId", ["每個系統需要自己的群組", "each system needs its own group chat"]);
    checkServices(records(s.services), ["systems", i, "services"], report);
  }
}

function checkServices(
  services: [Record<string, unknown>, number][],
  path: Path,
  report: (path: Path, message: string) => void,
): void {
  const index = new Map<string, number>();
  for (const [s, j] of services) {
    if (typeof s.name !== "string") continue;
    const first = index.get(s.name);
    if (first === undefined) index.set(s.name, j);
    else
      report(
        [...path, j, "name"],
        bi(
          `"${s.name}" 已被 ${formatPath([...path, first])} 使用 — 服務名稱不可重複`,
          `"${s.name}" is already used by ${formatPath([...path, first])}`,
        ),
      );
  }
  const deps = new Map<string, string[]>();
  for (const [s, j] of services) {
    if (typeof s.name !== "string" || !Array.isArray(s.dependsOn)) continue;
    const known: string[] = [];
    s.dependsOn.forEach((dep, k) => {
      if (typeof dep !== "string") return;
      if (index.has(dep)) known.push(dep);
      else
        report(
          [...path, j, "dependsOn", k],
          bi(
            `沒有名為 "${dep}" 的服務 — 已宣告的服務：${[...index.keys()].join("、") || "（無）"}`,
            `unknown service "${dep}" — known services: ${[...index.keys()].join(", ") || "(none)"}`,
          ),
        );
    });
    deps.set(s.name, [...(deps.get(s.name) ?? []), ...known]);
  }
  // Depth-first search; a node met again while still on the stack closes a cycle.
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (done.has(node)) return null;
    const from = stack.indexOf(node);
    if (from >= 0) return [...stack.slice(from), node];
    stack.push(node);
    for (const next of deps.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    done.add(node);
    return null;
  };
  for (const node of deps.keys()) {
    const cycle = visit(node);
    if (cycle) {
      report(
        path,
        bi(
          `相依關係形成循環 ${cycle.join(" → ")} — 請移除其中一個 dependsOn`,
          `dependency cycle ${cycle.join(" → ")} — remove one of these dependsOn entries`,
        ),
      );
      return;
    }
  }
}
