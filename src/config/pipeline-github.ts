// issue 13: the code host and the Slack mirror in PIPELINE_CONFIG and env.
//   "github": { "repo": "org/name", "tokenEnv": "GITHUB_TOKEN", "apiRoot"?: "https://ghe.example.com/api/v3",
//               "webhookSecretEnv"?: "GITHUB_WEBHOOK_SECRET", "label"?: "bug" }
//   "notify": { "slack": { "webhookEnv": "SLACK_WEBHOOK_URL_CRM" } }
// and env SLACK_WEBHOOK_URL (every system without its own). Env variables the file names are read
// here, at load: the rest of the bot gets values, never names to look up.
import { z } from "zod";
import { bi, URL_ERROR, URL_FIX } from "./messages.js";
import type { SchemaContext } from "./pipeline-targets.js";
import { custom, isLoopbackUrl, plainUrl, strict } from "./schemas.js";

export const GITHUB_API_ROOT = "https://api.github.com";

export interface GithubConfig {
  /** `org/name` as configured. */
  repo: string;
  token: string;
  /** REST API root without a trailing slash (GitHub Enterprise: `https://host/api/v3`). */
  apiRoot: string;
  /** Where issue and pull request pages live (`https://github.com`, or the Enterprise host). */
  webRoot: string;
  /** X-Hub-Signature-256 key of `POST /github/webhook`; null: intake off for this system. */
  webhookSecret: string | null;
  /** Issues opened or labelled with it become bugs. */
  label: string;
}

export interface CodeHostSystem {
  github: GithubConfig;
  /** Slack incoming webhook URL for this system's mirror (its own, else SLACK_WEBHOOK_URL); null: no mirror. */
  slackWebhookUrl: string;
}

const REPO = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

/** The web host of an API root: api.github.com → github.com; `https://ghe/api/v3` → `https://ghe`. */
export function webRootOf(apiRoot: string): string {
  const u = new URL(apiRoot);
  if (u.hostname === "api.github.com") return "https://github.com";
  return `${u.protocol}//${u.host}`;
}

/** The `github` and `notify` keys of a system (spread into its strict shape) and their values. */
export function codeHostSchemas(ctx: SchemaContext) {
  const envName = (example: string) =>
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: bi(`應為環境變數名稱，例如 ${example}`, `expected an env variable name, e.g. ${example}`),
    });
  const fromEnv = (c: { issues: z.core.$ZodRawIssue[] }, path: string[], name: string): string | null => {
    const value = ctx.env[name]?.trim();
    if (value) return value;
    custom(
      c,
      path,
      bi(
        `環境變數 ${name} 未設定 — 請 export 它或修改 ${path.at(-1)}`,
        `env ${name} is not set — export it or change ${path.at(-1)}`,
      ),
    );
    return null;
  };
  const github = strict({
    repo: z.string().regex(REPO, {
      error: bi('應為 "org/name"，例如 "acme/barber-crm"', 'expected "org/name", e.g. "acme/barber-crm"'),
    }),
    tokenEnv: envName("GITHUB_TOKEN"),
    apiRoot: plainUrl(URL_ERROR, URL_FIX).optional(),
    webhookSecretEnv: envName("GITHUB_WEBHOOK_SECRET").optional(),
    label: z
      .string()
      .trim()
      .min(1, { error: bi("不可為空", "must not be empty") })
      .max(50, { error: bi("最多 50 個字元", "at most 50 characters") })
      .optional(),
  }).transform((g, c): GithubConfig | null => {
    const apiRoot = (g.apiRoot ?? GITHUB_API_ROOT).replace(/\/+$/, "");
    if (apiRoot.startsWith("http:") && !isLoopbackUrl(apiRoot))
      custom(
        c,
        ["apiRoot"],
        bi(
          "GitHub API 必須用 https://（權杖會以明文傳送）",
          "the GitHub API must be https:// (the token would travel in clear)",
        ),
      );
    const token = fromEnv(c, ["tokenEnv"], g.tokenEnv);
    const webhookSecret = g.webhookSecretEnv ? fromEnv(c, ["webhookSecretEnv"], g.webhookSecretEnv) : null;
    if (token === null) return null;
    return { repo: g.repo, token, apiRoot, webRoot: webRootOf(apiRoot), webhookSecret, label: g.label ?? "bug" };
  });
  const notify = strict({
    slack: strict({ webhookEnv: envName("SLACK_WEBHOOK_URL_CRM") })
      .transform((s, c) => {
        const url = fromEnv(c, ["webhookEnv"], s.webhookEnv);
        if (url === null) return null;
        if (!slackUrl.safeParse(url).success) {
          custom(c, ["webhookEnv"], bi(`${s.webhookEnv} 不是 https:// 網址`, `${s.webhookEnv} is not an https:// URL`));
          return null;
        }
        return url;
      })
      .optional(),
  });
  return {
    /** Spread into the system's strict shape. */
    shape: { github: github.optional(), notify: notify.optional() },
    /** The system's code-host values from its parsed keys. */
    values: (s: {
      github?: GithubConfig | null | undefined;
      notify?: { slack?: string | null | undefined } | undefined;
    }): Partial<CodeHostSystem> => ({
      ...(s.github ? { github: s.github } : {}),
      ...(s.notify?.slack ? { slackWebhookUrl: s.notify.slack } : {}),
    }),
  };
}

const slackUrl = z.url({ protocol: /^https?$/ }).refine((u) => u.startsWith("https:") || isLoopbackUrl(u));

/** Env: SLACK_WEBHOOK_URL, the mirror of every system without its own `notify.slack`. */
export function readCodeHostEnv(
  env: Record<string, string | undefined>,
  problems: string[],
): { slackWebhookUrl?: string } {
  const raw = env.SLACK_WEBHOOK_URL?.trim();
  if (!raw) return {};
  if (slackUrl.safeParse(raw).success) return { slackWebhookUrl: raw };
  problems.push(
    `SLACK_WEBHOOK_URL: ${bi(
      "應為 Slack incoming webhook 的 https:// 網址，例如 https://hooks.slack.com/services/…",
      "expected a Slack incoming webhook https:// URL, e.g. https://hooks.slack.com/services/…",
    )}`,
  );
  return {};
}

/** The Slack webhook URL a system's notifications are mirrored to, or null. */
export const slackWebhookFor = (
  config: { slackWebhookUrl?: string | null },
  system: { slackWebhookUrl?: string | null },
): string | null => system.slackWebhookUrl ?? config.slackWebhookUrl ?? null;
