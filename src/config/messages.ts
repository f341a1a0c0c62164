// Configuration messages: every problem line an operator reads at start-up, and how they are printed.
// A problem reads `FIELD: 中文 / English` (`bi`); ConfigError carries them all, formatConfigError prints
// them. The shared wordings (URLs, clocks, chat ids, …) live here; a wording used by one field only stays
// beside that field's schema. This is operator-facing text (not chat text), so it is not in src/i18n.
import type { z } from "zod";

/** Every problem line reads in zh-TW, then English: `FIELD: 中文 / English`. */
export const bi = (zh: string, en: string): string => `${zh} / ${en}`;

/** `必填：… / is required …`, for a variable that another setting makes necessary. */
export const required = (zh: string, en: string): string => bi(`必填：${zh}`, `is required ${en}`);

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

// ---------- shared wordings ----------

export const ADMIN_IDS_ERROR = bi(
  "應為 Telegram 使用者 id（正整數）的陣列，例如 [12345678]",
  "expected Telegram user ids (positive whole numbers), e.g. [12345678]",
);
export const CLOCK_ERROR = bi('應為 24 小時制的 HH:MM，例如 "20:00"', 'expected HH:MM in 24-hour time, e.g. "20:00"');
export const TZ_ERROR = bi(
  '應為 IANA 時區名稱，例如 "Asia/Taipei" 或 "UTC"',
  'expected an IANA time zone, e.g. "Asia/Taipei" or "UTC"',
);
export const CHAT_ID_ERROR = bi(
  "應為 Telegram 聊天室 id：不為 0 的整數（群組為負數，例如 -1001234567890）",
  "expected a Telegram chat id: a non-zero whole number (groups are negative, e.g. -1001234567890)",
);
export const URL_ERROR = bi("應為 http(s) 網址", "expected an http(s) URL");
/** Where credentials go instead of a URL's `user:pass@` (zh, en). */
export const URL_FIX: [string, string] = [
  "請移除；需要驗證時改在 PIPELINE_CONFIG 用 authorizationEnv 指定放 Authorization 標頭的環境變數",
  "drop them; if it needs auth, use authorizationEnv in PIPELINE_CONFIG (an env variable holding the Authorization header)",
];
export const WEBHOOK_FIX: [string, string] = [
  "webhook 以 secretEnv 的 HMAC 簽章驗證，請移除網址中的帳號密碼",
  "a webhook is authenticated by the HMAC signature of secretEnv: drop them from the URL",
];
export const credentialsError = (fix: [string, string]): string =>
  bi(`網址不可含帳號密碼（user:pass@）— ${fix[0]}`, `credentials (user:pass@) are not allowed in the URL — ${fix[1]}`);
export const intError = (min: number, max: number): string =>
  bi(`應為 ${min} 到 ${max} 的整數`, `expected a whole number from ${min} to ${max}`);
export const oneOfError = (values: readonly string[]): string =>
  bi(`應為下列之一：${values.join("、")}`, `expected one of: ${values.join(", ")}`);
export const unknownKeyError = (keys: readonly string[]): string =>
  bi(`不認得的欄位 — 這裡可用的欄位：${keys.join("、")}`, `unknown key — allowed keys here: ${keys.join(", ")}`);

// ---------- env wordings ----------

export const TOKEN_ERROR = bi(
  "看起來不是 Telegram 機器人權杖（格式為 <數字>:<英數字、_ 或 ->，例如 123456:ABC-DEF...）— 請到 @BotFather 重新複製（/mybots → API Token）",
  "does not look like a Telegram bot token (expected <digits>:<letters, digits, _ or ->, e.g. 123456:ABC-DEF...) — copy it again from @BotFather (/mybots → API Token)",
);
export const DATABASE_ERROR = bi(
  "應為 postgres://user:password@host:5432/db（或 postgresql://）、記憶體內 PGlite 用 memory://，或不設定以使用 PGLITE_DIR 的 PGlite",
  "expected postgres://user:password@host:5432/db (or postgresql://), memory:// for an in-memory PGlite, or leave it unset for PGlite on disk in PGLITE_DIR",
);
export const PATH_ERROR = bi(
  "應為一個可執行檔的路徑，不帶參數、不經 shell 執行 — 參數請包進腳本，或在 PIPELINE_CONFIG 用 argv 陣列",
  "expected a path to an executable, run with no arguments and no shell — wrap arguments in a script, or use PIPELINE_CONFIG for argv",
);
export const INSTANT_ERROR = bi(
  "應為含時區的 ISO 8601 時間，例如 2026-11-24T19:55:00+08:00",
  "expected an ISO 8601 instant with a time zone, e.g. 2026-11-24T19:55:00+08:00",
);
export const SPEED_ERROR = bi(
  "應為 0.001 到 100000 的數字（每實際秒對應的模擬秒數），例如 600",
  "expected a number from 0.001 to 100000 (simulated seconds per real second), e.g. 600",
);

// ---------- PIPELINE_CONFIG paths and type errors ----------

export type Path = readonly PropertyKey[];
/** `systems[0].environments.uat` */
export const formatPath = (path: Path): string =>
  path.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), "");
/** The prefix of a problem in the file: `PIPELINE_CONFIG systems[0].id: `. */
export const at = (path: Path): string => `PIPELINE_CONFIG${path.length > 0 ? ` ${formatPath(path)}` : ""}: `;

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

/** The file's error map: a missing or mistyped field says what was expected and what came. */
export const typeErrorMap = (iss: z.core.$ZodRawIssue): string | undefined =>
  iss.code === "invalid_type"
    ? iss.input === undefined
      ? bi(`必填，應為${kindZh(iss.expected)}`, `is required — expected ${iss.expected}`)
      : bi(
          `應為${kindZh(iss.expected)}，實際是${kindZh(kindOf(iss.input))}`,
          `expected ${iss.expected}, got ${kindOf(iss.input)}`,
        )
    : undefined;
