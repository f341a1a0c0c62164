// The GitHub REST client against the fake API: the "all tests passing" reader (combined status and
// check runs of a commit, or of the default branch's head when the release names none), rate limits honoured from the headers, missing permission, a 404 repo, missing auth;
// GitHub links parsed against the configured repo; the code-host config keys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GithubError, githubClient, githubCommitStatusPort, parseGithubUrl } from "../../src/adapters/github/client.js";
import type { ConfigError } from "../../src/config/messages.js";
import type { SystemConfig } from "../../src/config.js";
import { loadConfig } from "../../src/config.js";
import { createFakeGithub, type FakeGithub } from "../../src/sandbox/fake-github.js";
import { githubConfig, READ_ONLY_TOKEN, REPO, TOKEN } from "./support.js";

describe("GitHub REST client", () => {
  let gh: FakeGithub;
  let apiRoot: string;
  beforeAll(async () => {
    gh = createFakeGithub({ repo: REPO, token: TOKEN, readOnlyToken: READ_ONLY_TOKEN });
    gh.add({ number: 5 });
    apiRoot = await gh.listen();
  });
  afterAll(() => gh.close());

  const system = (github: unknown) => ({ id: "crm", github }) as unknown as SystemConfig;

  it("reads a commit's combined status and check runs for the checklist", async () => {
    const check = githubCommitStatusPort();
    const crm = system(githubConfig(apiRoot));
    gh.setStatus("aaa111", "success", [{ context: "ci/unit", state: "success" }]);
    gh.setCheckRuns("aaa111", [
      { name: "build", status: "completed", conclusion: "success" },
      { name: "lint", status: "completed", conclusion: "skipped" },
    ]);
    expect(await check(crm, "aaa111")).toEqual({ state: "success", sha: "aaa111", detail: "3 checks" });

    gh.setCheckRuns("bbb222", [
      { name: "build", status: "completed", conclusion: "failure" },
      { name: "e2e", status: "in_progress", conclusion: null },
    ]);
    expect(await check(crm, "bbb222")).toEqual({
      state: "pending",
      sha: "bbb222",
      detail: "build: failure, e2e: in_progress",
    });
    expect(await check(crm, "ccc333")).toBeNull(); // nothing reported at all: not configured
    expect(await check(system(undefined), "aaa111")).toBeNull(); // no github for this system
    await expect(check(system(githubConfig(apiRoot, { repo: "acme/gone" })), "aaa111")).rejects.toMatchObject({
      kind: "not_found",
    });
  });

  it("reads the default branch's head when no commit is named, and a named commit otherwise", async () => {
    gh.setStatus("main", "success", [{ context: "ci/unit", state: "success" }]);
    gh.setCheckRuns("main", [{ name: "build", status: "completed", conclusion: "success" }]);
    expect(await githubCommitStatusPort()(system(githubConfig(apiRoot)), null)).toEqual({
      state: "success",
      sha: "main",
      detail: "2 checks",
    });
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toContain(`GET /repos/${REPO}`);

    gh.setStatus("abc1234", "failure", [{ context: "ci/unit", state: "failure" }]);
    expect(await githubCommitStatusPort()(system(githubConfig(apiRoot)), "abc1234")).toEqual({
      state: "failure",
      sha: "abc1234",
      detail: "ci/unit: failure",
    });

    gh.setCheckRuns("def5678", [{ name: "e2e", status: "in_progress", conclusion: null }]);
    expect((await githubCommitStatusPort()(system(githubConfig(apiRoot)), "def5678"))?.state).toBe("pending");
  });

  it("says nothing for a system without a repo or a commit without CI, and throws when GitHub refuses the token", async () => {
    expect(await githubCommitStatusPort()(system(undefined), null)).toBeNull();
    expect(await githubCommitStatusPort()(system(githubConfig(apiRoot)), "no-ci-here")).toBeNull();
    await expect(
      githubCommitStatusPort()(system({ ...githubConfig(apiRoot), token: "wrong" }), "abc1234"),
    ).rejects.toThrow(/token/);
  });

  it("honours rate limits (retry-after, x-ratelimit-reset) and tells them from missing permission", async () => {
    const now = 1_700_000_000_000;
    const client = githubClient(githubConfig(apiRoot), { now: () => now });
    gh.rateLimit(1, 429, { "retry-after": "30" });
    await expect(client.getIssue(5)).rejects.toMatchObject({ kind: "rate_limited", retryAt: now + 30_000 });
    gh.rateLimit(1, 403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000600" });
    await expect(client.getIssue(5)).rejects.toMatchObject({ kind: "rate_limited", retryAt: 1_700_000_600_000 });
    const readOnly = githubClient(githubConfig(apiRoot, { token: READ_ONLY_TOKEN }));
    const refused = await readOnly.setIssueState(5, "closed").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GithubError);
    expect(refused).toMatchObject({ kind: "forbidden", transient: false });
    await expect(githubClient(githubConfig(apiRoot, { token: "wrong" })).getIssue(5)).rejects.toMatchObject({
      kind: "unauthorized",
    });
    await expect(githubClient(githubConfig(apiRoot, { repo: "acme/gone" })).getIssue(5)).rejects.toMatchObject({
      kind: "not_found",
    });
    expect((await client.getIssue(5)).state).toBe("open");
  });

  it("the fake refuses what GitHub refuses: no auth, a wrong method or path, bad JSON", async () => {
    const base = `${apiRoot}/repos/${REPO}`;
    const headers = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" };
    expect((await fetch(`${base}/issues/5`, { headers })).status).toBe(401);
    const auth = { ...headers, authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${base}/issues/5`, { method: "DELETE", headers: auth })).status).toBe(404);
    expect((await fetch(`${base}/nothing/5`, { headers: auth })).status).toBe(404);
    const bad = await fetch(`${base}/issues/5/comments`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
  });

  it("parses links of the configured repo only", () => {
    const cfg = { repo: "acme/crm", webRoot: "https://github.com" };
    expect(parseGithubUrl(cfg, "https://github.com/acme/crm/issues/12")).toEqual({ kind: "issue", number: 12 });
    expect(parseGithubUrl(cfg, "https://github.com/Acme/CRM/pull/3/")).toEqual({ kind: "pull", number: 3 });
    expect(parseGithubUrl(cfg, "https://github.com/acme/other/issues/12")).toBe("wrong_repo");
    expect(parseGithubUrl(cfg, "https://ghe.example.com/acme/crm/issues/12")).toBe("wrong_repo");
    expect(parseGithubUrl(cfg, "https://github.com/acme/crm/commit/abc")).toBeNull();
    expect(parseGithubUrl(cfg, "javascript:alert(1)")).toBeNull();
  });
});

describe("code-host configuration", () => {
  const file = (system: Record<string, unknown>) =>
    JSON.stringify({
      systems: [{ id: "crm", name: "CRM", groupChatId: -100123, environments: { uat: {}, prod: {} }, ...system }],
    });
  const load = (json: string, env: Record<string, string> = {}) =>
    loadConfig(
      { BOT_TOKEN: "123456:TEST-token-abcdefghijklmnopqrstuvwxyz", PIPELINE_CONFIG: "/x/p.json", ...env },
      { readFile: () => json },
    );

  it("reads github (token and secret from env, Enterprise apiRoot) and the Slack webhook", () => {
    const config = load(
      file({
        github: {
          repo: "acme/crm",
          tokenEnv: "GH_TOKEN",
          apiRoot: "https://ghe.example.com/api/v3/",
          webhookSecretEnv: "GH_SECRET",
        },
        notify: { slack: { webhookEnv: "SLACK_CRM" } },
      }),
      { GH_TOKEN: "t0k", GH_SECRET: "s3c", SLACK_CRM: "https://hooks.slack.com/services/A/B/C" },
    );
    expect(config.systems[0]!.github).toEqual({
      repo: "acme/crm",
      token: "t0k",
      apiRoot: "https://ghe.example.com/api/v3",
      webRoot: "https://ghe.example.com",
      webhookSecret: "s3c",
      label: "bug",
    });
    expect(config.systems[0]!.slackWebhookUrl).toBe("https://hooks.slack.com/services/A/B/C");
  });

  it("names the field and the fix: unset token env, bad repo, unknown key, bad SLACK_WEBHOOK_URL", () => {
    const problems = (() => {
      try {
        load(file({ github: { repo: "not a repo", tokenEnv: "GH_TOKEN", colour: "red" } }), {
          SLACK_WEBHOOK_URL: "ftp://x",
        });
      } catch (e) {
        return (e as ConfigError).problems.join("\n");
      }
      return "";
    })();
    expect(problems).toContain("github.repo");
    expect(problems).toContain("colour");
    expect(problems).toContain("SLACK_WEBHOOK_URL");
    const unset = (() => {
      try {
        load(file({ github: { repo: "acme/crm", tokenEnv: "GH_TOKEN" } }));
      } catch (e) {
        return (e as ConfigError).problems.join("\n");
      }
      return "";
    })();
    expect(unset).toContain("env GH_TOKEN is not set");
  });
});
