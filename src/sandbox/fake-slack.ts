// issue 13: a strict stand-in for a Slack incoming webhook on 127.0.0.1
// (https://api.slack.com/messaging/webhooks): only POST to its one path, JSON with a non-empty `text`
// (400 invalid_payload / no_text otherwise, 404 no_service on another path); can be made to answer
// 500 (an outage) or 429 with Retry-After, or to hang.
import { createServer, type Server } from "node:http";

export function createFakeSlack(path = "/services/T000/B000/XXXX") {
  const received: string[] = [];
  let outage = 0;
  let limited: { count: number; retryAfter: number } | null = null;
  let server: Server | null = null;
  return {
    received,
    path,
    /** The next N posts answer 500. */
    down: (count: number) => {
      outage = count;
    },
    rateLimit: (count: number, retryAfter: number) => {
      limited = { count, retryAfter };
    },
    async listen(): Promise<string> {
      server = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const send = (status: number, text: string, headers: Record<string, string> = {}) => {
          res.writeHead(status, { "content-type": "text/plain", ...headers });
          res.end(text);
        };
        if (req.url !== path) return send(404, "no_service");
        if (req.method !== "POST") return send(405, "invalid_method");
        if (!String(req.headers["content-type"] ?? "").startsWith("application/json"))
          return send(400, "invalid_payload");
        let body: any;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          return send(400, "invalid_payload");
        }
        if (typeof body?.text !== "string" || body.text.trim() === "") return send(400, "no_text");
        if (outage > 0) {
          outage--;
          return send(500, "internal_error");
        }
        if (limited && limited.count > 0) {
          limited.count--;
          return send(429, "rate_limited", { "retry-after": String(limited.retryAfter) });
        }
        received.push(body.text);
        send(200, "ok");
      });
      await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}${path}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type FakeSlack = ReturnType<typeof createFakeSlack>;
