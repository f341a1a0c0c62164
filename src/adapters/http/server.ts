import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";

export interface HttpServerOptions {
  port: number;
  logger: Logger;
  /**
   * Whether the bot is serving: the database answers and updates are arriving from Telegram.
   * GET /healthz answers 200 or 503 with `{ ok, reason?, ...detail }` as JSON; a throw is a 503
   * whose reason is the error.
   */
  health: () => Promise<Health>;
  /** Telegram webhook handler (grammY webhookCallback "http"), mounted at webhookPath. */
  webhook?: { path: string; handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void };
  /** More POST routes by path (issue 13: /github/webhook). */
  posts?: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void>;
}

export interface Health {
  ok: boolean;
  /** Why it is not ok, for whoever reads the 503. */
  reason?: string;
  detail?: Record<string, unknown>;
}

/** How long close() lets requests in flight finish before their connections are cut. */
const CLOSE_GRACE_MS = 2_000;

export interface RunningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/healthz") {
        const health = await options
          .health()
          .catch((err: unknown): Health => ({ ok: false, reason: err instanceof Error ? err.message : String(err) }));
        res.writeHead(health.ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(
          JSON.stringify({ ok: health.ok, ...(health.reason ? { reason: health.reason } : {}), ...health.detail }),
        );
        return;
      }
      if (options.webhook && req.method === "POST" && path === options.webhook.path) {
        await options.webhook.handler(req, res);
        return;
      }
      const post = req.method === "POST" && path ? options.posts?.[path] : undefined;
      if (post) {
        await post(req, res);
        return;
      }
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    } catch (err) {
      options.logger.error({ err }, "http request failed");
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === "object" && address ? address.port : options.port,
        // Idle keep-alive connections close at once; requests still running get a short grace.
        close: () =>
          new Promise((done) => {
            const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
            server.close(() => {
              clearTimeout(cut);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
