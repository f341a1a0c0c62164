// issue 13 test helpers: a config whose system "crm" has GitHub (on the fake API) and optionally Slack.

import type { GithubConfig } from "../../src/config/pipeline-github.js";
import type { Config, SystemConfig } from "../../src/config.js";
import { testConfig } from "../support/app.js";

export const REPO = "acme/crm";
export const TOKEN = "ghp_test_token_0123456789";
export const READ_ONLY_TOKEN = "ghp_read_only_0123456789";
export const SECRET = "webhook-secret-for-tests";

export function githubConfig(apiRoot: string, extra: Partial<GithubConfig> = {}): GithubConfig {
  return {
    repo: REPO,
    token: TOKEN,
    apiRoot,
    webRoot: "https://github.com",
    webhookSecret: SECRET,
    label: "bug",
    ...extra,
  };
}

/** testConfig (or `base`) with GitHub (and Slack) on system "crm". */
export function withCodeHost(
  base: Config = testConfig(),
  opts: { github?: GithubConfig; slackWebhookUrl?: string; system?: Partial<SystemConfig> } = {},
): Config {
  return {
    ...base,
    systems: base.systems.map(
      (s): SystemConfig => ({
        ...s,
        ...(opts.github ? { github: opts.github } : {}),
        ...(opts.slackWebhookUrl ? { slackWebhookUrl: opts.slackWebhookUrl } : {}),
        ...opts.system,
      }),
    ),
  };
}
