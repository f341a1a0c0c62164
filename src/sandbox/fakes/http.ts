// issue 11 — the small HTTP server the platform fakes (./vercel.ts, ./northflank.ts) run on
// 127.0.0.1: routes by method and path pattern, refuses a missing/wrong Bearer token (401/403), an
// unknown path (404) or a known path with the wrong method (405), records every request, and lets a
// test inject failures (a status for the next N matching requests).
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  authorization: string | null;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: FakeRequest, params: string[]) => FakeAnswer;

export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path pattern: `:x` matches one segment (passed to the handler in order). */
  path: string;
  handler: Handler;
}

export interface Injected {
  method?: string;
  /** Substring of the path. */
  path?: string;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  times: number;
}

export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  /** The next `times` matching requests get `status` (after the auth check). */
  fail(injected: Injected): void;
  /** Called with each authorised request before it is answered (tests move a clock per poll). */
  onRequest(listener: ((req: FakeRequest) => void) | null): void;
  close(): Promise<void>;
}

const match = (pattern: string, path: string): string[] | null => {
  const p = pattern.split("/");
  const a = path.split("/");
  if (p.length !== a.length) return null;
  const params: string[] = [];
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(":")) {
      if (!a[i]) return null;
      params.push(decodeURIComponent(a[i]!));
    } else if (p[i] !== a[i]) return null;
  }
  return params;
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeServer(opts: {
  token: string;
  routes: Route[];
  /** The error body the platform answers with. */
  error: (status: number, message: string) => unknown;
  port?: number;
}): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const injected: Injected[] = [];
  let listener: ((req: FakeRequest) => void) | null = null;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const text = await readBody(req);
    const send = (a: FakeAnswer) => {
      res.writeHead(a.status, { "content-type": "application/json", ...a.headers });
      res.end(a.body === undefined ? "" : JSON.stringify(a.body));
    };
    let body: any = {};
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        return send({ status: 400, body: opts.error(400, "Invalid JSON body") });
      }
    }
    const request: FakeRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      body,
      authorization: req.headers.authorization ?? null,
    };
    requests.push(request);
    if (!request.authorization?.startsWith("Bearer "))
      return send({ status: 401, body: opts.error(401, "Missing or malformed Authorization header") });
    if (request.authorization !== `Bearer ${opts.token}`)
      return send({ status: 403, body: opts.error(403, "The token is not valid") });
    listener?.(request);
    // Both APIs take JSON bodies only (https://northflank.com/docs/v1/api/use-the-api: "Requests should
    // include the header Content-Type: application/json"; Vercel's request bodies are application/json).
    if (text && !/^application\/json\b/i.test(req.headers["content-type"] ?? ""))
      return send({ status: 400, body: opts.error(400, "Content-Type must be application/json") });
    const found = opts.routes.filter((r) => match(r.path, url.pathname) !== null);
    if (found.length === 0) return send({ status: 404, body: opts.error(404, `No route ${url.pathname}`) });
    const route = found.find((r) => r.method === request.method);
    if (!route) return send({ status: 405, body: opts.error(405, `Method ${request.method} not allowed`) });
    const inj = injected.find(
      (i) => i.times > 0 && (!i.method || i.method === request.method) && (!i.path || url.pathname.includes(i.path)),
    );
    if (inj) {
      inj.times--;
      return send({
        status: inj.status,
        body: inj.body ?? opts.error(inj.status, `injected ${inj.status}`),
        headers: inj.headers ?? {},
      });
    }
    try {
      return send(route.handler(request, match(route.path, url.pathname)!));
    } catch (e) {
      return send({ status: 500, body: opts.error(500, String(e)) });
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail: (i) => injected.push(i),
    onRequest: (l) => {
      listener = l;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
