// issue 13: a strict stand-in for the GitHub REST API on 127.0.0.1, for tests and the sandbox. It
// refuses what GitHub refuses: no or wrong token (401), a missing Accept or API version header (400/415
// where GitHub would), an unknown path or method (404), a bad JSON body or missing field (400/422), a
// repo it does not have (404), a token without write permission (403); it can be made to rate-limit
// (403 or 429 with x-ratelimit-* / retry-after). Paths as in https://docs.github.com/en/rest.
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface FakeIssue {
  number: number;
  title: string;
  state: "open" | "closed";
  isPull: boolean;
  comments: { id: number; body: string; created_at: string }[];
}

export interface FakeGithubOptions {
  /** `org/name` of the one repo it has. */
  repo: string;
  token: string;
  /** A token that may read but not write (403 on POST/PATCH). */
  readOnlyToken?: string;
}

export interface GithubRequest {
  method: string;
  path: string;
  body: unknown;
  status: number;
}

export function createFakeGithub(options: FakeGithubOptions) {
  const issues = new Map<number, FakeIssue>();
  const requests: GithubRequest[] = [];
  const statuses = new Map<string, { state: string; statuses: { context: string; state: string }[] }>();
  const checkRuns = new Map<string, { name: string; status: string; conclusion: string | null }[]>();
  /** The next N requests are rate-limited this way. */
  let limited: { count: number; status: 403 | 429; headers: Record<string, string> } | null = null;
  /** The next N requests (of `failingMethod`, if set) fail with 502. */
  let failing = 0;
  let failingMethod: string | null = null;
  let commentId = 1000;

  function add(issue: Partial<FakeIssue> & { number: number }): FakeIssue {
    const full: FakeIssue = { title: `Issue ${issue.number}`, state: "open", isPull: false, comments: [], ...issue };
    issues.set(issue.number, full);
    return full;
  }

  const issueJson = (i: FakeIssue) => ({
    number: i.number,
    title: i.title,
    state: i.state,
    html_url: `https://github.com/${options.repo}/${i.isPull ? "pull" : "issues"}/${i.number}`,
    labels: [],
    ...(i.isPull ? { pull_request: { url: "…" } } : {}),
  });

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  async function handle(
    req: IncomingMessage,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const auth = req.headers.authorization ?? "";
    const token = /^(?:Bearer|token) (.+)$/.exec(auth)?.[1];
    if (!token || (token !== options.token && token !== options.readOnlyToken))
      return { status: 401, body: { message: "Bad credentials" } };
    if (!String(req.headers.accept ?? "").includes("application/vnd.github"))
      return { status: 415, body: { message: "Unsupported 'Accept' header" } };
    if (req.headers["x-github-api-version"] !== "2022-11-28")
      return { status: 400, body: { message: "Invalid API version" } };
    if (limited && limited.count > 0) {
      limited.count--;
      return { status: limited.status, body: { message: "API rate limit exceeded" }, headers: limited.headers };
    }
    if (failing > 0 && (failingMethod === null || failingMethod === req.method)) {
      failing--;
      return { status: 502, body: { message: "Server Error" } };
    }
    const url = new URL(req.url ?? "/", "http://x");
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m) return { status: 404, body: { message: "Not Found" } };
    if (`${m[1]}/${m[2]}`.toLowerCase() !== options.repo.toLowerCase())
      return { status: 404, body: { message: "Not Found" } };
    const rest = m[3] ?? "";
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    let body: any = null;
    if (method === "POST" || method === "PATCH") {
      if (!String(req.headers["content-type"] ?? "").includes("application/json"))
        return { status: 415, body: { message: "Unsupported Media Type" } };
      try {
        body = JSON.parse(raw);
      } catch {
        return { status: 400, body: { message: "Problems parsing JSON" } };
      }
      if (token === options.readOnlyToken)
        return { status: 403, body: { message: "Resource not accessible by personal access token" } };
    }
    const match = (re: RegExp) => re.exec(rest);
    // https://docs.github.com/en/rest/repos/repos#get-a-repository
    if (rest === "" && method === "GET")
      return { status: 200, body: { full_name: options.repo, default_branch: "main" } };
    let r: RegExpExecArray | null = match(/^\/issues\/(\d+)$/);
    if (r) {
      const issue = issues.get(Number(r[1]));
      if (!issue) return { status: 404, body: { message: "Not Found" } };
      if (method === "GET") return { status: 200, body: issueJson(issue) };
      if (method === "PATCH") {
        if (body.state !== undefined && body.state !== "open" && body.state !== "closed")
          return { status: 422, body: { message: "Validation Failed" } };
        if (body.state) issue.state = body.state;
        return { status: 200, body: issueJson(issue) };
      }
      return { status: 404, body: { message: "Not Found" } };
    }
    r = match(/^\/pulls\/(\d+)$/);
    if (r && method === "GET") {
      const pull = issues.get(Number(r[1]));
      if (!pull?.isPull) return { status: 404, body: { message: "Not Found" } };
      return { status: 200, body: { ...issueJson(pull), merged: false } };
    }
    r = match(/^\/issues\/(\d+)\/comments$/);
    if (r) {
      const issue = issues.get(Number(r[1]));
      if (!issue) return { status: 404, body: { message: "Not Found" } };
      if (method === "GET") {
        const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? 30));
        const page = Math.max(1, Number(url.searchParams.get("page") ?? 1));
        return {
          status: 200,
          body: issue.comments
            .slice((page - 1) * perPage, page * perPage)
            .map((c) => ({ id: c.id, body: c.body, html_url: `…#issuecomment-${c.id}` })),
        };
      }
      if (method === "POST") {
        if (typeof body?.body !== "string" || !body.body)
          return { status: 422, body: { message: "Validation Failed" } };
        const c = { id: commentId++, body: body.body, created_at: new Date().toISOString() };
        issue.comments.push(c);
        return { status: 201, body: { id: c.id, body: c.body, html_url: `…#issuecomment-${c.id}` } };
      }
      return { status: 404, body: { message: "Not Found" } };
    }
    r = match(/^\/commits\/([^/]+)\/status$/);
    if (r && method === "GET") {
      const s = statuses.get(decodeURIComponent(r[1]!)) ?? { state: "pending", statuses: [] };
      return { status: 200, body: { state: s.state, total_count: s.statuses.length, statuses: s.statuses } };
    }
    r = match(/^\/commits\/([^/]+)\/check-runs$/);
    if (r && method === "GET") {
      const runs = checkRuns.get(decodeURIComponent(r[1]!)) ?? [];
      return { status: 200, body: { total_count: runs.length, check_runs: runs } };
    }
    return { status: 404, body: { message: "Not Found" } };
  }

  let server: Server | null = null;
  return {
    issues,
    requests,
    add,
    setStatus: (sha: string, state: string, list: { context: string; state: string }[]) =>
      statuses.set(sha, { state, statuses: list }),
    setCheckRuns: (sha: string, runs: { name: string; status: string; conclusion: string | null }[]) =>
      checkRuns.set(sha, runs),
    rateLimit: (count: number, status: 403 | 429, headers: Record<string, string>) => {
      limited = { count, status, headers };
    },
    fail: (count: number, method: string | null = null) => {
      failing = count;
      failingMethod = method;
    },
    /** Listens on 127.0.0.1 (a free port); resolves to the API root. */
    async listen(): Promise<string> {
      server = createServer(async (req, res) => {
        const out = await handle(req).catch(() => ({ status: 500, body: { message: "fake failed" } }) as const);
        requests.push({ method: req.method ?? "", path: req.url ?? "", body: null, status: out.status });
        res.writeHead(out.status, { "content-type": "application/json", ...("headers" in out ? out.headers : {}) });
        res.end(JSON.stringify(out.body));
      });
      await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type FakeGithub = ReturnType<typeof createFakeGithub>;
