// PIPELINE_CONFIG's leaves: deploy/rollback targets (a command or a signed webhook), checks (a command or
// an HTTP probe) and Prometheus queries. Their runtime types (Target, Check, PrometheusConfig) are the
// zod output of these schemas. Env variables the file names (`secretEnv`, `authorizationEnv`) are read
// here, at load, so the rest of the bot gets values, never names to look up.
import { z } from "zod";
import { bi, URL_ERROR, URL_FIX, WEBHOOK_FIX } from "./messages.js";
import { providerShape, providerTarget } from "./pipeline-providers.js"; // issue 11
import { custom, isLoopbackUrl, jsonInt, plainUrl, resolveCommand, strict } from "./schemas.js";

/** What the env variables say when the file leaves a field out. */
export interface Defaults {
  timezone: string;
  windows: { t1: string; t2: string; graceMinutes: number };
  prometheusUrl: string | null;
}

/** What a file's schemas close over. */
export interface SchemaContext {
  env: Record<string, string | undefined>;
  defaults: Defaults;
  /** The file's folder: relative commands resolve against it. */
  base: string;
  /** Every env variable named in the file: no command receives them (see envNamesIn). */
  withheld: string[];
}

type Issues = { issues: z.core.$ZodRawIssue[] };

/** Shared field schemas of the file. */
export function fieldSchemas({ base }: SchemaContext) {
  const text = z
    .string()
    .trim()
    .min(1, { error: bi("不可為空", "must not be empty") });
  const argv = z
    .array(text)
    .min(1, {
      error: bi(
        '應為非空的 argv 陣列，例如 ["./deploy/deploy.sh", "uat"]',
        'expected a non-empty argv array, e.g. ["./deploy/deploy.sh", "uat"]',
      ),
    })
    .transform((a) => resolveCommand(a, base));
  const envName = (example: string) =>
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: bi(`應為環境變數名稱，例如 ${example}`, `expected an env variable name, e.g. ${example}`),
    });
  return { text, argv, envName, url: plainUrl(URL_ERROR, URL_FIX) };
}

export function targetSchemas(ctx: SchemaContext) {
  const { env, defaults: d, withheld } = ctx;
  const { text, argv, envName, url } = fieldSchemas(ctx);
  /**
   * `withheldEnv`: env variables named in PIPELINE_CONFIG (`secretEnv`, `authorizationEnv`, any `…Env`)
   * that the command must not receive, on top of the bot's own secrets (absent when none).
   */
  const withheldEnv = (): { withheldEnv?: string[] } => (withheld.length > 0 ? { withheldEnv: withheld } : {});
  /** `authorizationEnv` → the value of the `Authorization` header, read from env now. */
  const authorization = (ctx: Issues, name: string | undefined): { authorization?: string } => {
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
    webhook: plainUrl(URL_ERROR, WEBHOOK_FIX).optional(),
    secretEnv: envName("PROD_HOOK_SECRET").optional(),
    allowHttp: z.boolean({ error: bi("應為 true 或 false", "expected true or false") }).optional(),
    timeoutSeconds: jsonInt(1, 86_400).optional(),
    ...providerShape(ctx), // issue 11: vercel, wrangler, northflank, ssh, compose
  }).transform((t, ctx) => {
    const provider = providerTarget(t, ctx); // issue 11
    if (provider !== null) return provider;
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
      return { type: "command" as const, command: t.command, timeoutSeconds, ...withheldEnv() };
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
      return { type: "webhook" as const, url: t.webhook, secret, secretEnv: t.secretEnv, timeoutSeconds };
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
  }).transform((c, ctx) => {
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
      return { type: "command" as const, command: c.command, timeoutSeconds, ...withheldEnv() };
    }
    if (c.http && !c.command)
      return {
        type: "http" as const,
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
  }).transform((p, ctx) => {
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

  return { target, check, prometheus };
}

type TargetSchemas = ReturnType<typeof targetSchemas>;
/** Where a release goes: a command (argv, no shell) or a webhook signed with the secret read from `secretEnv`. */
export type Target = z.output<TargetSchemas["target"]>;
/** A probe: a command, or an HTTP request (`authorization`: its header value, read from `authorizationEnv`). */
export type Check = z.output<TargetSchemas["check"]>;
/** Prometheus URL, optional `authorization` header value, and the watch's queries. */
export type PrometheusConfig = z.output<TargetSchemas["prometheus"]>;
