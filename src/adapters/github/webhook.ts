// issue 13: POST /github/webhook — GitHub issues become bugs.
// Signature: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
// (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the webhook secret>`, compared in
// constant time). Headers: https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
// (X-GitHub-Event, X-GitHub-Delivery). The `issues` event (actions `opened`, `labeled`):
// https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues
// Order: the signature is checked against the raw bytes before anything is parsed (401, nothing
// stored); then the JSON (400); then the event. Each system with `github.webhookSecretEnv` has its
// own secret; the delivery's repository must be the repo of a system whose secret verified it.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import type { BugRow } from "../../app/bugs.js";
import { intakeIssue } from "../../app/code-host.js";
import type { OutboxDraft } from "../../app/outbox.js";
import type { Config } from "../../config.js";
import type { Db } from "../db/database.js";

export const GITHUB_WEBHOOK_PATH = "/github/webhook";
const MAX_BODY_BYTES = 1024 * 1024;

export interface GithubWebhookDeps {
  db: Db;
  config: Pick<Config, "systems">;
  clock: () => Date;
  logger: Logger;
  /** The bug's card for the group (adapters/telegram/cards.ts groupCardDraft). */
  cardDrafts: (bug: BugRow) => OutboxDraft[];
}

const label = z.object({ name: z.string() });
const issuesEvent = z.object({
  action: z.string(),
  issue: z.object({
    number: z.number().int().positive(),
    title: z.string(),
    body: z.string().nullish(),
    user: z.object({ login: z.string() }).nullish(),
    labels: z.array(label).optional(),
    pull_request: z.unknown().optional(),
  }),
  label: label.nullish(),
  repository: z.object({ full_name: z.string() }),
});

/** `sha256=<hex>` of body with secret, compared in constant time. */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  const given = Buffer.from(header.slice(7), "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const signBody = (secret: string, body: string | Buffer): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

export function githubWebhookHandler(deps: GithubWebhookDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (body === null) return reply(res, 413, { error: "payload too large" });
    const signature = header(req, "x-hub-signature-256");
    const verified = deps.config.systems.filter(
      (s) => s.github?.webhookSecret && verifySignature(s.github.webhookSecret, body, signature),
    );
    if (verified.length === 0) {
      deps.logger.warn({ delivery: header(req, "x-github-delivery") }, "GitHub webhook with a bad signature refused");
      return reply(res, 401, { error: "signature does not verify" });
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      return reply(res, 400, { error: "body is not JSON" });
    }
    const event = header(req, "x-github-event") ?? "";
    const deliveryId = header(req, "x-github-delivery") ?? "";
    if (event === "ping") return reply(res, 200, { ok: true, pong: true });
    if (event !== "issues") return reply(res, 202, { ignored: `event ${event.slice(0, 50) || "(none)"}` });
    if (!/^[\w-]{1,100}$/.test(deliveryId)) return reply(res, 400, { error: "X-GitHub-Delivery is missing" });
    const parsed = issuesEvent.safeParse(json);
    if (!parsed.success) return reply(res, 400, { error: "not an issues event payload" });
    const p = parsed.data;
    const repo = p.repository.full_name.toLowerCase();
    const system = verified.find((s) => s.github!.repo.toLowerCase() === repo);
    if (!system?.github)
      return reply(res, 422, { error: `repository ${p.repository.full_name} is not configured for this secret` });
    if (p.issue.pull_request !== undefined) return reply(res, 202, { ignored: "pull request" });
    const wanted = system.github.label.toLowerCase();
    const hit =
      p.action === "opened"
        ? (p.issue.labels ?? []).some((l) => l.name.toLowerCase() === wanted)
        : p.action === "labeled"
          ? p.label?.name.toLowerCase() === wanted
          : false;
    if (!hit) return reply(res, 202, { ignored: `action ${p.action} without label ${system.github.label}` });
    const outcome = await intakeIssue(
      deps.db,
      {
        systemId: system.id,
        deliveryId,
        event: `issues.${p.action}`,
        issue: {
          number: p.issue.number,
          title: p.issue.title,
          body: p.issue.body ?? "",
          login: p.issue.user?.login ?? "?",
        },
      },
      deps.clock(),
      deps.cardDrafts,
    );
    deps.logger.info(
      { delivery: deliveryId, system: system.id, issue: p.issue.number, outcome: outcome.kind },
      "GitHub issue intake",
    );
    if (outcome.kind === "created") return reply(res, 201, { bug: outcome.bug.id });
    if (outcome.kind === "already_linked") return reply(res, 200, { bug: outcome.bugId, already: true });
    return reply(res, 200, { duplicate: true });
  };
}
