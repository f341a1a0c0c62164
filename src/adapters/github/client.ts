// src/adapters/github — the GitHub REST API (issue 13): issues and pull requests linked to bugs, their
// comments and state, and a commit's statuses and check runs. Plain fetch with `redirect: "manual"`
// (a redirect is reported, never followed with the token), every answer zod-parsed.
// Headers per https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api
// (Accept: application/vnd.github+json, X-GitHub-Api-Version, Authorization: Bearer <token>).
// Rate limits per https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api:
// a 403 or 429 with `retry-after` waits that many seconds; with `x-ratelimit-remaining: 0` it waits
// until `x-ratelimit-reset` (UTC epoch seconds); another 403/429 that says "rate limit" waits a minute;
// any other 403 is a missing permission (not retried).
import { z } from "zod";
import type { CommitStatusAnswer, CommitStatusPort } from "../../app/checklist.js";
import type { GithubConfig } from "../../config/pipeline-github.js";

export const GITHUB_API_VERSION = "2022-11-28";
const TIMEOUT_MS = 15_000;

export type GithubFailureKind =
  | "not_found"
  | "forbidden"
  | "unauthorized"
  | "rate_limited"
  | "invalid"
  | "server"
  | "network"
  | "redirect"
  | "bad_answer";

/** A refused or failed call; `retryAt` (epoch ms) when GitHub said when to try again. */
export class GithubError extends Error {
  override readonly name = "GithubError";
  constructor(
    readonly kind: GithubFailureKind,
    readonly status: number,
    message: string,
    readonly retryAt: number | null = null,
  ) {
    super(message);
  }
  /** Worth trying again later (rate limits, 5xx, network); the rest will not change by waiting. */
  get transient(): boolean {
    return this.kind === "rate_limited" || this.kind === "server" || this.kind === "network";
  }
}

export interface GithubClientOptions {
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

const issueSchema = z.object({
  number: z.number().int(),
  title: z.string(),
  state: z.enum(["open", "closed"]),
  html_url: z.string(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string().nullish() })])).optional(),
  pull_request: z.unknown().optional(),
});
export type GithubIssue = z.output<typeof issueSchema>;
const pullSchema = z.object({
  number: z.number().int(),
  title: z.string(),
  state: z.enum(["open", "closed"]),
  html_url: z.string(),
  merged: z.boolean().optional(),
});
const commentSchema = z.object({ id: z.number(), body: z.string().nullish(), html_url: z.string().optional() });
const combinedStatusSchema = z.object({
  state: z.enum(["success", "pending", "failure", "error"]),
  total_count: z.number().int(),
  statuses: z.array(z.object({ context: z.string(), state: z.string(), description: z.string().nullish() })),
});
const checkRunsSchema = z.object({
  total_count: z.number().int(),
  check_runs: z.array(z.object({ name: z.string(), status: z.string(), conclusion: z.string().nullish() })),
});
const errorSchema = z.object({ message: z.string().optional() }).loose();

const splitRepo = (repo: string): [string, string] => {
  const [owner = "", name = ""] = repo.split("/");
  return [encodeURIComponent(owner), encodeURIComponent(name)];
};

const repoSchema = z.object({ full_name: z.string(), default_branch: z.string() });

export function githubClient(
  config: Pick<GithubConfig, "repo" | "token" | "apiRoot">,
  options: GithubClientOptions = {},
) {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const [owner, repo] = splitRepo(config.repo);
  const base = `${config.apiRoot}/repos/${owner}/${repo}`;

  async function call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetchFn(`${base}${path}`, {
        method,
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${config.token}`,
          "x-github-api-version": GITHUB_API_VERSION,
          "user-agent": "nightshift-bot",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new GithubError("network", 0, `GitHub unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.text().catch(() => "");
    if (res.status >= 300 && res.status < 400)
      throw new GithubError("redirect", res.status, `GitHub answered ${res.status} (redirect not followed)`);
    if (!res.ok) throw failure(res, text, now());
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GithubError("bad_answer", res.status, "GitHub answered with something other than JSON");
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new GithubError("bad_answer", res.status, "GitHub's answer has an unexpected shape");
    return parsed.data;
  }

  return {
    repo: config.repo,
    /** https://docs.github.com/en/rest/repos/repos#get-a-repository — GET /repos/{owner}/{repo} (its default_branch) */
    getRepo: () => call("GET", "", repoSchema),
    /** https://docs.github.com/en/rest/issues/issues#get-an-issue — GET /repos/{owner}/{repo}/issues/{issue_number} */
    getIssue: (n: number) => call("GET", `/issues/${n}`, issueSchema),
    /** https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request — GET /repos/{owner}/{repo}/pulls/{pull_number} */
    getPull: (n: number) => call("GET", `/pulls/${n}`, pullSchema),
    /**
     * https://docs.github.com/en/rest/issues/comments#list-issue-comments —
     * GET /repos/{owner}/{repo}/issues/{issue_number}/comments, oldest first, `per_page`/`page` (up to 2,000 read)
     */
    listComments: async (n: number) => {
      const all: z.output<typeof commentSchema>[] = [];
      for (let page = 1; page <= 20; page++) {
        const got = await call("GET", `/issues/${n}/comments?per_page=100&page=${page}`, z.array(commentSchema));
        all.push(...got);
        if (got.length < 100) break;
      }
      return all;
    },
    /** https://docs.github.com/en/rest/issues/comments#create-an-issue-comment — POST …/issues/{issue_number}/comments */
    createComment: (n: number, body: string) => call("POST", `/issues/${n}/comments`, commentSchema, { body }),
    /**
     * https://docs.github.com/en/rest/issues/issues#update-an-issue — PATCH /repos/{owner}/{repo}/issues/{issue_number}
     * with `state` (open|closed) and `state_reason` (completed|reopened).
     */
    setIssueState: (n: number, state: "open" | "closed") =>
      call("PATCH", `/issues/${n}`, issueSchema, {
        state,
        state_reason: state === "closed" ? "completed" : "reopened",
      }),
    /**
     * https://docs.github.com/en/rest/commits/statuses#get-the-combined-status-for-a-specific-reference —
     * GET /repos/{owner}/{repo}/commits/{ref}/status
     */
    combinedStatus: (ref: string) => call("GET", `/commits/${encodeURIComponent(ref)}/status`, combinedStatusSchema),
    /**
     * https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference —
     * GET /repos/{owner}/{repo}/commits/{ref}/check-runs
     */
    checkRuns: (ref: string) =>
      call("GET", `/commits/${encodeURIComponent(ref)}/check-runs?per_page=100`, checkRunsSchema),
  };
}
export type GithubClient = ReturnType<typeof githubClient>;

function failure(res: Response, text: string, now: number): GithubError {
  let message = "";
  try {
    message = errorSchema.parse(JSON.parse(text)).message ?? "";
  } catch {
    // not JSON: the status says enough
  }
  const status = res.status;
  const said = message ? `: ${message.slice(0, 200)}` : "";
  if (status === 403 || status === 429) {
    const retryAfter = Number(res.headers.get("retry-after"));
    const remaining = res.headers.get("x-ratelimit-remaining");
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    if (Number.isFinite(retryAfter) && res.headers.has("retry-after"))
      return new GithubError("rate_limited", status, `GitHub rate limit${said}`, now + retryAfter * 1000);
    if (remaining === "0" && Number.isFinite(reset) && reset > 0)
      return new GithubError("rate_limited", status, `GitHub rate limit${said}`, Math.max(now, reset * 1000));
    if (status === 429 || /rate limit/i.test(message))
      return new GithubError("rate_limited", status, `GitHub rate limit${said}`, now + 60_000);
    return new GithubError("forbidden", status, `GitHub refused: the token lacks permission${said}`);
  }
  if (status === 401) return new GithubError("unauthorized", status, `GitHub refused the token${said}`);
  if (status === 404) return new GithubError("not_found", status, `GitHub: not found${said}`);
  if (status === 410) return new GithubError("not_found", status, `GitHub: gone${said}`);
  if (status === 422 || status === 400) return new GithubError("invalid", status, `GitHub refused the request${said}`);
  if (status >= 500) return new GithubError("server", status, `GitHub answered ${status}${said}`);
  return new GithubError("invalid", status, `GitHub answered ${status}${said}`);
}

/** A GitHub issue or pull request page of the configured repo. */
export interface GithubRef {
  kind: "issue" | "pull";
  number: number;
}

/**
 * `https://github.com/org/name/issues/12` or `…/pull/34` (the configured web host, repo compared
 * case-insensitively); "wrong_repo" for a GitHub link to another repo, null for anything else.
 */
export function parseGithubUrl(
  config: Pick<GithubConfig, "repo" | "webRoot">,
  raw: string,
): GithubRef | "wrong_repo" | null {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null;
  }
  const web = new URL(config.webRoot);
  if (u.protocol !== "https:" && u.protocol !== web.protocol) return null;
  if (u.username || u.password) return null;
  const m = /^\/([^/]+)\/([^/]+)\/(issues|pull)\/(\d{1,9})\/?$/.exec(u.pathname);
  if (!m) return null;
  const sameHost = u.host.toLowerCase() === web.host.toLowerCase();
  if (!sameHost || `${m[1]}/${m[2]}`.toLowerCase() !== config.repo.toLowerCase()) return "wrong_repo";
  const number = Number(m[4]);
  if (!Number.isSafeInteger(number) || number < 1) return null;
  return { kind: m[3] === "pull" ? "pull" : "issue", number };
}

export const githubWebUrl = (config: Pick<GithubConfig, "repo" | "webRoot">, ref: GithubRef): string =>
  `${config.webRoot}/${config.repo}/${ref.kind === "pull" ? "pull" : "issues"}/${ref.number}`;

/**
 * The checklist's "all tests passing" source (app/checklist.ts CommitStatusPort) for a system that
 * links a GitHub repo: the combined status and the check runs of `sha`, or of the head of the repo's
 * default branch when the release names no commit. Null when the system links no repo or nothing
 * reports on the commit (no CI: the item is not configured); throws (the item then fails, saying
 * why) when GitHub cannot answer.
 */
export const githubCommitStatusPort =
  (options: GithubClientOptions = {}): CommitStatusPort =>
  async (system, sha) => {
    const github = (system as { github?: GithubConfig | null }).github;
    if (!github) return null;
    const client = githubClient(github, options);
    const ref = sha ?? (await client.getRepo()).default_branch;
    // One after the other: a failed first call leaves no request in flight.
    const status = await client.combinedStatus(ref);
    const runs = await client.checkRuns(ref);
    const failing = [
      ...status.statuses.filter((x) => x.state !== "success").map((x) => `${x.context}: ${x.state}`),
      ...runs.check_runs
        .filter((r) => r.status !== "completed" || !["success", "neutral", "skipped"].includes(r.conclusion ?? ""))
        .map((r) => `${r.name}: ${r.status === "completed" ? (r.conclusion ?? "unknown") : r.status}`),
    ];
    const total = status.total_count + runs.total_count;
    // No CI reports on the repo at all: the item is not configured (⚠️ 未設定, a failure when strict).
    if (total === 0) return null;
    // Success: every status and check run passed (check runs: success, neutral or skipped).
    const state: CommitStatusAnswer["state"] =
      failing.length === 0 && (status.total_count === 0 || status.state === "success")
        ? "success"
        : runs.check_runs.some((r) => r.status !== "completed")
          ? "pending"
          : status.state === "error"
            ? "error"
            : "failure";
    const detail = failing.length > 0 ? failing.join(", ") : `${total} checks`;
    return { state, sha: ref, detail };
  };
