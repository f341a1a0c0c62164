// Configuration: env (secrets and basics) + the optional PIPELINE_CONFIG JSON file (systems, targets, checks).
// loadConfig validates everything with zod, collects every problem, and throws one ConfigError listing them all.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import Holidays from "date-holidays";
import { z } from "zod";

export type Target =
  | { type: "command"; command: string[]; timeoutSeconds: number }
  | { type: "webhook"; url: string; secret: string; secretEnv: string; timeoutSeconds: number };
export type Check =
  | { type: "command"; command: string[]; timeoutSeconds: number }
  | { type: "http"; url: string; expectStatus: number; timeoutSeconds: number };
export interface PrometheusConfig {
  url: string;
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

const INT = /^[+-]?\d+$/;
const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const CLOCK_ERROR = 'expected HH:MM in 24-hour time, e.g. "20:00"';
const TZ_ERROR = 'expected an IANA time zone, e.g. "Asia/Taipei" or "UTC"';

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

/** Integer given as an env string. */
const intIn = (min: number, max: number) => {
  const error = `expected a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(INT, { error })
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, { error });
};
/** Integer given as a JSON number. */
const jsonInt = (min: number, max: number) => {
  const error = `expected a whole number from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values, { error: `expected one of: ${values.join(", ")}` }));
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
const CHAT_ID_ERROR = "expected a Telegram chat id: a non-zero whole number (groups are negative, e.g. -1001234567890)";

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

/** Parses env[name] with schema; unset (or blank) → fallback; invalid → a problem naming the variable, and fallback. */
function envReader(env: Record<string, string | undefined>, problems: Problems) {
  return <T, F>(
    name: string,
    schema: z.ZodType<T>,
    fallback: F,
    opts: { secret?: boolean; required?: string | false } = {},
  ): T | F => {
    const raw = env[name]?.trim() || undefined;
    if (raw === undefined) {
      if (opts.required) problems.push(`${name}: is required ${opts.required}`);
      return fallback;
    }
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    const message = r.error.issues[0]?.message ?? "is invalid";
    problems.push(`${name}: ${message}${opts.secret ? "" : ` (got ${JSON.stringify(raw)})`}`);
    return fallback;
  };
}

const TOKEN = /^\d+:[\w-]{20,}$/;
const TOKEN_ERROR =
  "does not look like a Telegram bot token (expected <digits>:<letters, digits, _ or ->, e.g. 123456:ABC-DEF...) — copy it again from @BotFather (/mybots → API Token)";
const DATABASE_ERROR =
  "expected postgres://user:password@host:5432/db (or postgresql://), memory:// for an in-memory PGlite, or leave it unset for PGlite on disk in PGLITE_DIR";
const PATH_ERROR =
  "expected a path to an executable, run with no arguments and no shell — wrap arguments in a script, or use PIPELINE_CONFIG for argv";

const INSTANT_ERROR = "expected an ISO 8601 instant with a time zone, e.g. 2026-11-24T19:55:00+08:00";
const instant = z.iso.datetime({ offset: true, error: INSTANT_ERROR }).transform((s) => new Date(s));
const SPEED_ERROR = "expected a number from 0.001 to 100000 (simulated seconds per real second), e.g. 600";
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
        `${name}: needs NIGHTSHIFT_CLOCK_START (the simulated instant to start from), e.g. 2026-11-24T19:55:00+08:00`,
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
            error: "expected comma-separated Telegram user ids (positive whole numbers), e.g. 12345678,87654321",
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
    problems.push(`T2_TIME: must be later than T1_TIME (${t1}) on the same day (got "${t2}")`);
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
        error: "expected a real date as YYYY-MM-DD, e.g. 2026-02-05",
      }),
      null,
    ),
  };

  const telegramApiRoot = read(
    "TELEGRAM_API_ROOT",
    httpUrl("expected the http(s) URL of a Bot API server, e.g. http://localhost:8081").transform((u) =>
      u.replace(/\/+$/, ""),
    ),
    null,
  );
  const webhookUrl = read(
    "WEBHOOK_URL",
    z.url({
      protocol: /^https$/,
      error: "expected an https:// URL that Telegram can reach, e.g. https://bot.example.com/telegram",
    }),
    null,
  );
  const webhookSecret = read(
    "WEBHOOK_SECRET",
    z.string().regex(/^[\w-]{1,256}$/, { error: "expected 1–256 characters of A-Z a-z 0-9 _ -" }),
    null,
    {
      secret: true,
      required:
        has("WEBHOOK_URL") &&
        "when WEBHOOK_URL is set — 1–256 characters of A-Z a-z 0-9 _ -, e.g. the output of `openssl rand -hex 32`",
    },
  );

  const pipelinePath = read("PIPELINE_CONFIG", z.string(), null);
  const logLevel = read("LOG_LEVEL", oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), "info");
  const port = read("PORT", intIn(0, 65535), 8080);

  const analyzerKind = read("ANALYZER", oneOf(["none", "openai"]), "none");
  const openai = analyzerKind === "openai" && "when ANALYZER=openai";
  const analyzerUrl = read(
    "ANALYZER_URL",
    httpUrl("expected the http(s) base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1"),
    "",
    { required: openai && `${openai} — the API base URL, e.g. https://api.openai.com/v1` },
  );
  const apiKey = read("ANALYZER_API_KEY", z.string(), "", { secret: true, required: openai && `${openai}` });
  const model = read("ANALYZER_MODEL", z.string(), "", { required: openai && `${openai} — e.g. gpt-4o-mini` });
  const analyzerTimeout = read("ANALYZER_TIMEOUT_SECONDS", intIn(1, 3600), 60);
  const analyzer: AnalyzerConfig =
    analyzerKind === "openai"
      ? { kind: "openai", url: analyzerUrl, apiKey, model, timeoutSeconds: analyzerTimeout }
      : { kind: "none" };

  const hotfixApprovalMinutes = read("HOTFIX_APPROVAL_MINUTES", intIn(1, 1440), 30);
  const autoRollbackLimit = read("AUTO_ROLLBACK_LIMIT", intIn(0, 100), 1);
  const prometheusUrl = read("PROMETHEUS_URL", httpUrl("expected an http(s) URL, e.g. http://prometheus:9090"), null);
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
        required:
          "when PIPELINE_CONFIG is not set — the team group's chat id, e.g. -1001234567890 (or describe systems in PIPELINE_CONFIG)",
      },
    );
    const envConfig = (prefix: "UAT" | "PROD"): EnvConfig => {
      const command = (name: string): Target | null => {
        const path = read(name, z.string().regex(/^\S+$/, { error: PATH_ERROR }), null);
        return path === null ? null : { type: "command", command: resolveCommand([path], cwd), timeoutSeconds: 900 };
      };
      const health = read(`${prefix}_HEALTH_URL`, httpUrl("expected an http(s) URL"), null);
      return {
        url: read(`${prefix}_URL`, httpUrl("expected an http(s) URL"), null),
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
    const why = err.code === "ENOENT" ? "no such file" : err.message;
    ctx.problems.push(
      `PIPELINE_CONFIG: cannot read ${file} (${why}) — relative paths resolve against the working directory`,
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
    ctx.problems.push(`PIPELINE_CONFIG: ${file} is not valid JSON${where} — ${detail}`);
    return [];
  }
  const r = pipelineSchema(ctx, dirname(file)).safeParse(json, {
    reportInput: true,
    error: (iss) =>
      iss.code === "invalid_type"
        ? `expected ${iss.expected}${iss.input === undefined ? "" : `, got ${kindOf(iss.input)}`}`
        : undefined,
  });
  for (const iss of r.error?.issues ?? [])
    if (iss.code === "unrecognized_keys")
      for (const key of iss.keys) ctx.problems.push(`${at([...iss.path, key])}unknown key — ${iss.message}`);
    else if (iss.code === "invalid_type" && iss.input === undefined)
      ctx.problems.push(`${at(iss.path)}is required — ${iss.message}`);
    else ctx.problems.push(at(iss.path) + iss.message);
  crossCheck(json, (path, message) => ctx.problems.push(at(path) + message));
  return r.data?.systems ?? [];
}

const kindOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

const strict = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `allowed keys here: ${Object.keys(shape).join(", ")}` : undefined,
  });

const custom = (ctx: { issues: z.core.$ZodRawIssue[] }, path: PropertyKey[], message: string, input?: unknown) =>
  ctx.issues.push({ code: "custom", path, message, input });

function pipelineSchema({ env, defaults: d }: FileContext, base: string) {
  const text = z.string().trim().min(1, { error: "must not be empty" });
  const url = httpUrl("expected an http(s) URL");
  const argv = z
    .array(text)
    .min(1, { error: 'expected a non-empty argv array, e.g. ["./deploy/deploy.sh", "uat"]' })
    .transform((a) => resolveCommand(a, base));
  const name = z.string().regex(/^[\w.-]{1,64}$/, { error: "expected 1–64 characters of A-Z a-z 0-9 _ . -" });

  const target = strict({
    command: argv.optional(),
    webhook: url.optional(),
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an env variable name, e.g. PROD_HOOK_SECRET" })
      .optional(),
    timeoutSeconds: jsonInt(1, 86_400).optional(),
  }).transform((t, ctx): Target => {
    const timeoutSeconds = t.timeoutSeconds ?? 900;
    if (t.command && !t.webhook) {
      if (t.secretEnv) custom(ctx, ["secretEnv"], "only webhook targets take secretEnv — remove it");
      return { type: "command", command: t.command, timeoutSeconds };
    }
    if (t.webhook && !t.command) {
      if (!t.secretEnv) {
        custom(ctx, ["secretEnv"], "is required for a webhook target — the env variable that holds its HMAC secret");
        return z.NEVER;
      }
      const secret = env[t.secretEnv];
      if (!secret) {
        custom(ctx, ["secretEnv"], `env ${t.secretEnv} is not set — export it or change secretEnv`);
        return z.NEVER;
      }
      return { type: "webhook", url: t.webhook, secret, secretEnv: t.secretEnv, timeoutSeconds };
    }
    custom(ctx, [], 'expected exactly one of { "command": [argv…] } or { "webhook": url, "secretEnv": NAME }');
    return z.NEVER;
  });

  const check = strict({
    command: argv.optional(),
    http: url.optional(),
    expectStatus: jsonInt(100, 599).optional(),
    timeoutSeconds: jsonInt(1, 3600).optional(),
  }).transform((c, ctx): Check => {
    const timeoutSeconds = c.timeoutSeconds ?? 30;
    if (c.command && !c.http) {
      if (c.expectStatus !== undefined) custom(ctx, ["expectStatus"], "only http checks take expectStatus — remove it");
      return { type: "command", command: c.command, timeoutSeconds };
    }
    if (c.http && !c.command) return { type: "http", url: c.http, expectStatus: c.expectStatus ?? 200, timeoutSeconds };
    custom(ctx, [], 'expected exactly one of { "command": [argv…] } or { "http": url, "expectStatus"?: 200 }');
    return z.NEVER;
  });

  const query = text.optional();
  const prometheus = strict({
    url: url.optional(),
    errorRate: query,
    p95: query,
    memory: query,
    cpu: query,
    loginSuccess: query,
  }).transform((p, ctx): PrometheusConfig => {
    const promUrl = p.url ?? d.prometheusUrl;
    if (promUrl) return { ...p, url: promUrl };
    custom(ctx, ["url"], "is required — or set PROMETHEUS_URL in env as the default");
    return z.NEVER;
  });

  const watch = strict({
    minutes: jsonInt(1, 240).optional(),
    intervalSeconds: jsonInt(5, 3600).optional(),
    onFailure: z.enum(["auto", "ask"], { error: 'expected "auto" or "ask"' }).optional(),
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
        `must be later than t1 (${r.t1}) on the same day${w.t2 ? "" : ` — t2 defaults to T2_TIME (${r.t2})`}`,
      );
    return r;
  });

  const freeze = strict({
    holidays: z
      .string()
      .transform((s) => s.toUpperCase())
      .refine(isHolidayRegion, { error: 'expected a country code known to date-holidays, e.g. "TW" (or "US-CA")' })
      .optional(),
    lunarNewYear: z.boolean().optional(),
    monthEnd: strict({
      days: jsonInt(1, 10),
      modules: z.array(text).min(1, { error: 'list at least one module, e.g. ["financial"]' }),
    }).optional(),
  }).transform(
    (f): SystemFreezeConfig => ({
      holidays: f.holidays ?? null,
      lunarNewYear: f.lunarNewYear ?? false,
      monthEnd: f.monthEnd ?? null,
    }),
  );

  const system = strict({
    id: z.string().regex(/^[a-z0-9_-]{1,32}$/, { error: "expected 1–32 characters of a-z 0-9 _ -, e.g. crm" }),
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
    }),
  );

  return strict({ systems: z.array(system).min(1, { error: "list at least one system" }) });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const records = (v: unknown): [Record<string, unknown>, number][] =>
  Array.isArray(v) ? v.flatMap((x, i) => (isRecord(x) ? [[x, i] as [Record<string, unknown>, number]] : [])) : [];

/** Cross references, run on the raw JSON so they are reported alongside any shape problems. */
function crossCheck(json: unknown, report: (path: Path, message: string) => void): void {
  const ids = new Map<unknown, number>();
  const chats = new Map<unknown, number>();
  for (const [s, i] of records(isRecord(json) ? json.systems : undefined)) {
    const dup = (seen: Map<unknown, number>, key: "id" | "groupChatId", why: string) => {
      const value = s[key];
      if (typeof value !== (key === "id" ? "string" : "number")) return;
      const first = seen.get(value);
      if (first === undefined) seen.set(value, i);
      else report(["systems", i, key], `${JSON.stringify(value)} is already used by systems[${first}] — ${why}`);
    };
    dup(ids, "id", "system ids must be unique");
    dup(chats, "groupChatId", "each system needs its own group chat");
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
    else report([...path, j, "name"], `"${s.name}" is already used by ${formatPath([...path, first])}`);
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
          `unknown service "${dep}" — known services: ${[...index.keys()].join(", ") || "(none)"}`,
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
      report(path, `dependency cycle ${cycle.join(" → ")} — remove one of these dependsOn entries`);
      return;
    }
  }
}
