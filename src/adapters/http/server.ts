import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";

export interface HttpServerOptions {
  port: number;
  logger: Logger;
  /** Resolves true when the app can serve (database reachable). */
  health: () => Promise<{ ok: boolean; detail?: Record<string, unknown> }>;
  /** Telegram webhook handler (grammY webhookCallback "http"), mounted at webhookPath. */
  webhook?: { path: string; handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void };
}

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
        const health = await options.health().catch((err: unknown) => ({ ok: false, detail: { error: String(err) } }));
        res.writeHead(health.ok ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify(health));
        return;
      }
      if (options.webhook && req.method === "POST" && path === options.webhook.path) {
        await options.webhook.handler(req, res);
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
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
