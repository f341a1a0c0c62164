// issue 13: the relay — runs relay_jobs (app/code-host.ts): group notifications mirrored to Slack and
// linked GitHub issues commented and closed/reopened. Its own table and loop, so a Slack or GitHub
// outage never delays Telegram. Claims the oldest unfinished job of each lane (FOR UPDATE SKIP
// LOCKED, then a lease, no transaction open while calling out); a process that dies mid-call leaves
// the job to be claimed again when its lease runs out. Retries transient failures with backoff
// (honouring Slack's Retry-After and GitHub's rate-limit headers); a permanent refusal is given up,
// recorded, and (for GitHub) said once in the group.
// Never doubled: a GitHub comment carries a marker with the job id and is not posted again when a
// retry finds it; closing/reopening is idempotent. A Slack message is posted at least once (a crash
// between Slack's 200 and the row's update re-sends it: Slack has no idempotency key).
import { and, eq, inArray, isNull, lt, lte, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Logger } from "pino";
import { relayJobs } from "../../../drizzle/schema.js";
import { messages } from "../../app/messages.js";
import { enqueue } from "../../app/outbox.js";
import { slackWebhookFor } from "../../config/pipeline-github.js";
import type { Config } from "../../config.js";
import { codeHost } from "../../i18n/index.js";
import type { Db } from "../db/database.js";
import { GithubError, githubClient } from "../github/client.js";
import { pollLoop } from "./poll-loop.js";

export type RelayRow = typeof relayJobs.$inferSelect;

export interface RelayDeps {
  db: Db;
  config: Pick<Config, "systems" | "slackWebhookUrl">;
  clock: () => Date;
  logger: Logger;
  /** Outside calls (tests pass one that reaches the fakes; default global fetch). */
  fetch?: typeof globalThis.fetch;
  pollMs?: number;
  leaseMs?: number;
  owner?: string;
}

export const RELAY_LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 5 * 60_000;
/** Slack 4xx answers (a bad URL, an archived channel) are retried this often, then given up. */
export const MAX_REFUSALS = 3;
const TIMEOUT_MS = 15_000;

class Refused extends Error {}
class RetryAt extends Error {
  constructor(
    message: string,
    readonly at: number | null,
  ) {
    super(message);
  }
}

export function createRelay(deps: RelayDeps) {
  const { db, clock, logger } = deps;
  const fetchFn = deps.fetch ?? globalThis.fetch;
  const leaseMs = deps.leaseMs ?? RELAY_LEASE_MS;
  const pollMs = deps.pollMs ?? 1000;

  async function claim(): Promise<RelayRow[]> {
    return db.transaction(async (tx) => {
      const now = clock();
      const older = alias(relayJobs, "older");
      const rows = await tx
        .select()
        .from(relayJobs)
        .where(
          and(
            isNull(relayJobs.doneAt),
            lte(relayJobs.nextAttemptAt, now),
            notExists(
              tx
                .select({ one: sql`1` })
                .from(older)
                .where(and(eq(older.lane, relayJobs.lane), isNull(older.doneAt), lt(older.id, relayJobs.id))),
            ),
          ),
        )
        .orderBy(relayJobs.id)
        .limit(10)
        .for("update", { skipLocked: true });
      if (rows.length === 0) return [];
      await tx
        .update(relayJobs)
        .set({
          nextAttemptAt: new Date(now.getTime() + leaseMs),
          attempts: sql`${relayJobs.attempts} + 1`,
          claimedBy: deps.owner ?? null,
        })
        .where(
          inArray(
            relayJobs.id,
            rows.map((r) => r.id),
          ),
        );
      return rows.map((r) => ({ ...r, attempts: r.attempts + 1 }));
    });
  }

  async function finish(row: RelayRow, outcome: "done" | "gave_up", lastError: string | null): Promise<void> {
    await db
      .update(relayJobs)
      .set({ doneAt: clock(), outcome, lastError, claimedBy: null })
      .where(and(eq(relayJobs.id, row.id), isNull(relayJobs.doneAt)));
  }

  async function retry(row: RelayRow, error: string, at: number | null): Promise<void> {
    const backoff = Math.min(1000 * 2 ** (row.attempts - 1), MAX_BACKOFF_MS);
    const next = at ?? clock().getTime() + backoff;
    logger.warn({ relayId: row.id, kind: row.kind, error, retryAt: new Date(next) }, "relay job failed; retrying");
    await db
      .update(relayJobs)
      .set({ nextAttemptAt: new Date(next), lastError: error.slice(0, 500), claimedBy: null })
      // a job another process finished meanwhile (this one's lease ran out) stays finished
      .where(and(eq(relayJobs.id, row.id), isNull(relayJobs.doneAt)));
  }

  async function run(row: RelayRow): Promise<void> {
    try {
      if (row.kind === "slack") await sendSlack(row);
      else await updateIssue(row);
      await finish(row, "done", null);
    } catch (err) {
      if (err instanceof RetryAt) return retry(row, err.message, err.at);
      if (err instanceof Refused) {
        if (row.kind === "slack" && row.attempts < MAX_REFUSALS) return retry(row, err.message, null);
        logger.error({ relayId: row.id, kind: row.kind, error: err.message }, "relay job given up");
        return finish(row, "gave_up", err.message.slice(0, 500));
      }
      if (err instanceof GithubError) {
        if (err.transient) return retry(row, err.message, err.retryAt);
        logger.error({ relayId: row.id, kind: row.kind, error: err.message }, "GitHub refused a relay job");
        return giveUpGithub(row, err);
      }
      return retry(row, err instanceof Error ? err.message : String(err), null);
    }
  }

  /** https://api.slack.com/messaging/webhooks — POST {"text": …} as JSON; 200 "ok". Rate limits: 429 + Retry-After. */
  async function sendSlack(row: RelayRow): Promise<void> {
    const system = deps.config.systems.find((s) => s.id === row.systemId);
    const url = system ? slackWebhookFor(deps.config, system) : null;
    if (!url) throw new Refused("no Slack webhook configured for this system any more");
    let res: Response;
    try {
      res = await fetchFn(url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: String(row.payload.text ?? "") }),
      });
    } catch (err) {
      throw new RetryAt(`Slack unreachable: ${err instanceof Error ? err.message : String(err)}`, null);
    }
    const body = (await res.text().catch(() => "")).slice(0, 200);
    if (res.ok) return;
    if (res.status === 429) {
      const after = Number(res.headers.get("retry-after"));
      throw new RetryAt(
        `Slack 429 ${body}`,
        clock().getTime() + (Number.isFinite(after) && after > 0 ? after : 1) * 1000,
      );
    }
    if (res.status >= 500) throw new RetryAt(`Slack ${res.status} ${body}`, null);
    throw new Refused(`Slack refused: ${res.status} ${body}`);
  }

  async function updateIssue(row: RelayRow): Promise<void> {
    const system = deps.config.systems.find((s) => s.id === row.systemId);
    if (!system?.github) throw new Refused("no GitHub configured for this system any more");
    const client = githubClient(system.github, { fetch: fetchFn, now: () => clock().getTime() });
    const issue = Number(row.payload.issue);
    const marker = `<!-- nightshift:relay:${row.id} -->`;
    const comments = await client.listComments(issue);
    if (!comments.some((c) => c.body?.includes(marker)))
      await client.createComment(issue, `${String(row.payload.body ?? "")}\n\n${marker}`);
    await client.setIssueState(issue, row.kind === "github_close" ? "closed" : "open");
  }

  /** A permanent GitHub refusal: recorded, and said once in the group, in one transaction. */
  async function giveUpGithub(row: RelayRow, err: GithubError): Promise<void> {
    const system = deps.config.systems.find((s) => s.id === row.systemId);
    const reasons = codeHost.relayReasons;
    const reason =
      err.kind === "forbidden" || err.kind === "unauthorized" || err.kind === "not_found" || err.kind === "invalid"
        ? reasons[err.kind]
        : reasons.other;
    await db.transaction(async (tx) => {
      const now = clock();
      const [marked] = await tx
        .update(relayJobs)
        .set({ doneAt: now, outcome: "gave_up", lastError: err.message.slice(0, 500), claimedBy: null })
        .where(and(eq(relayJobs.id, row.id), isNull(relayJobs.doneAt)))
        .returning({ id: relayJobs.id });
      if (!marked || !system) return;
      const text = codeHost.relayFailed(
        Number(row.payload.issue),
        row.kind === "github_close" ? "close" : "reopen",
        reason,
      );
      await enqueue(tx, messages(system.groupChatId, text, { dedupeKey: `relay-failed:${row.id}` }), now);
    });
  }

  /** One claim-and-run round; how many jobs were attempted. */
  async function step(): Promise<number> {
    const rows = await claim();
    for (const row of rows) await run(row);
    return rows.length;
  }

  const pending = async (): Promise<number> => {
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(relayJobs).where(isNull(relayJobs.doneAt));
    return row?.n ?? 0;
  };

  /** The next time a pending job is due (tests advance a fake clock to it). */
  const nextDue = async (): Promise<Date | null> => {
    const older = alias(relayJobs, "older");
    const [row] = await db
      .select({ at: sql<Date | string | null>`min(${relayJobs.nextAttemptAt})` })
      .from(relayJobs)
      .where(
        and(
          isNull(relayJobs.doneAt),
          notExists(
            db
              .select({ one: sql`1` })
              .from(older)
              .where(and(eq(older.lane, relayJobs.lane), isNull(older.doneAt), lt(older.id, relayJobs.id))),
          ),
        ),
      );
    return row?.at ? new Date(row.at) : null;
  };

  const { start, stop } = pollLoop({ round: step, idleMs: () => pollMs, logger, failed: "relay round failed" });

  return { step, pending, nextDue, start, stop };
}
export type Relay = ReturnType<typeof createRelay>;
