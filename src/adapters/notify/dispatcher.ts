// Outbox dispatcher: claims the oldest unsent row of each chat (FOR UPDATE SKIP LOCKED, then a
// short lease so no transaction is open while sending), keeps Telegram's limits (1 msg/s per
// chat, 20/min per group, 30/s overall), waits retry_after on 429, backs off on 5xx and network
// errors, and records the sent message_id so later edits work. Rows are never deleted.
import { and, count, eq, gt, inArray, isNull, lt, lte, min, notExists, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Api } from "grammy";
import type { Logger } from "pino";
import { outbox } from "../../../drizzle/schema.js";
import type { Db } from "../db/database.js";

/** Calls one Bot API method; throws a grammY-like error ({ error_code, description, parameters }) on failure. */
export type SendPort = (method: string, payload: Record<string, unknown>) => Promise<unknown>;

/** The Bot API through a grammY Api (one without auto-retry: 429s are handled here). */
export const botApiSender =
  (api: Api): SendPort =>
  (method, payload) =>
    (api.raw as unknown as Record<string, (p: unknown) => Promise<unknown>>)[method]!(payload);

export interface DispatcherDeps {
  db: Db;
  send: SendPort;
  clock: () => Date;
  logger: Logger;
  /** Idle wait between polls (tests pass one that advances a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
  /** This process's liveness id, written on claimed rows so a restart can release a dead claimer's rows at once. */
  owner?: string;
  /** How long a claim holds, in the clock's time (default 60 s; main scales it under a simulated clock). */
  leaseMs?: number;
}

export type OutboxRow = typeof outbox.$inferSelect;

export const LIMITS = { perChatMs: 1000, perGroupPerMinute: 20, perSecond: 30 };
/** A claimed row is not retried by another replica before this (unless its claimer is found dead: recovery.ts). */
export const LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 60_000;
/** A 400 (bad request) is retried a few times, then given up so it cannot block its chat forever. */
const MAX_BAD_REQUEST_ATTEMPTS = 3;

interface ApiFailure {
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

export function createDispatcher(deps: DispatcherDeps) {
  const { db, clock, logger } = deps;
  const pollMs = deps.pollMs ?? 500;
  const leaseMs = deps.leaseMs ?? LEASE_MS;

  /** Set by a claim that found no room under the overall limit: the idle wait ends then, not a full poll later. */
  let slotFreesAt: number | null = null;

  async function claim(): Promise<OutboxRow[]> {
    return db.transaction(async (tx) => {
      const now = clock();
      const second = new Date(now.getTime() - 1000);
      const minute = new Date(now.getTime() - 60_000);
      const [global] = await tx
        .select({ n: count(), oldest: min(outbox.sentAt) })
        .from(outbox)
        .where(gt(outbox.sentAt, second));
      const room = LIMITS.perSecond - (global?.n ?? 0);
      if (room <= 0) {
        // At the 30/s ceiling: the next slot frees when the oldest send of the last second ages out.
        if (global?.oldest) slotFreesAt = global.oldest.getTime() + 1000;
        return [];
      }
      const older = alias(outbox, "older");
      const recent = alias(outbox, "recent");
      const perGroup = tx
        .select({ n: count() })
        .from(recent)
        .where(and(eq(recent.chatId, outbox.chatId), gt(recent.sentAt, minute)));
      const rows = await tx
        .select()
        .from(outbox)
        .where(
          and(
            isNull(outbox.sentAt),
            // one clock: rows are written with the injected clock's time (enqueue) and claimed by it
            lte(outbox.nextAttemptAt, now),
            // in order per chat: only the oldest unsent row of a chat
            notExists(
              tx
                .select({ one: sql`1` })
                .from(older)
                .where(and(eq(older.chatId, outbox.chatId), isNull(older.sentAt), lt(older.id, outbox.id))),
            ),
            notExists(
              tx
                .select({ one: sql`1` })
                .from(recent)
                .where(
                  and(eq(recent.chatId, outbox.chatId), gt(recent.sentAt, new Date(now.getTime() - LIMITS.perChatMs))),
                ),
            ),
            or(gt(outbox.chatId, 0), sql`(${perGroup}) < ${LIMITS.perGroupPerMinute}`),
          ),
        )
        .orderBy(outbox.id)
        .limit(room)
        .for("update", { skipLocked: true });
      if (rows.length === 0) return [];
      await tx
        .update(outbox)
        .set({
          nextAttemptAt: new Date(now.getTime() + leaseMs),
          attempts: sql`${outbox.attempts} + 1`,
          claimedBy: deps.owner ?? null,
        })
        .where(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
        );
      return rows.map((r) => ({ ...r, attempts: r.attempts + 1 }));
    });
  }

  async function deliver(row: OutboxRow): Promise<void> {
    const log = logger.child({ outboxId: row.id, chatId: row.chatId, method: row.method });
    const payload: Record<string, unknown> = { ...row.payload, chat_id: row.chatId };
    if (row.editsOutboxId !== null) {
      const [target] = await db.select().from(outbox).where(eq(outbox.id, row.editsOutboxId));
      if (!target?.sentMessageId) return done(row, null, "gave up: the message to edit was never sent");
      payload.message_id = target.sentMessageId;
    }
    try {
      const result = (await deps.send(row.method, payload)) as { message_id?: number } | true;
      await done(row, typeof result === "object" ? (result.message_id ?? null) : null, null);
    } catch (error) {
      const e = error as ApiFailure;
      const code = e.error_code ?? 0;
      const description = e.description ?? (error instanceof Error ? error.message : String(error));
      // Editing to identical content is Telegram's "no-op": the message already says this.
      if (code === 400 && /message is not modified/i.test(description)) return done(row, null, null);
      if (code === 400 && row.attempts >= MAX_BAD_REQUEST_ATTEMPTS) {
        log.error({ description }, "outbox row gave up after repeated bad requests");
        return done(row, null, `gave up: ${description}`);
      }
      const wait =
        code === 429
          ? (e.parameters?.retry_after ?? 1) * 1000
          : Math.min(1000 * 2 ** (row.attempts - 1), code === 403 ? 10 * MAX_BACKOFF_MS : MAX_BACKOFF_MS);
      log.warn({ code, description, retryInMs: wait }, "outbox send failed");
      await db
        .update(outbox)
        .set({
          nextAttemptAt: new Date(clock().getTime() + wait),
          lastError: `${code || "network"}: ${description}`,
          claimedBy: null,
        })
        .where(eq(outbox.id, row.id));
    }
  }

  async function done(row: OutboxRow, messageId: number | null, lastError: string | null): Promise<void> {
    await db.update(outbox).set({ sentAt: clock(), sentMessageId: messageId, lastError }).where(eq(outbox.id, row.id));
  }

  /** One claim-and-send round; returns how many rows were attempted. */
  async function step(): Promise<number> {
    const rows = await claim();
    for (const row of rows) await deliver(row);
    return rows.length;
  }

  const pending = async (): Promise<number> => {
    const [row] = await db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt));
    return row?.n ?? 0;
  };

  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** Tests: sends until nothing is left (sleeping between idle polls). */
  async function runUntilIdle(maxRounds = 100_000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      if ((await step()) > 0) continue;
      if ((await pending()) === 0) return;
      await sleep(pollMs);
    }
    throw new Error("outbox did not drain");
  }

  let stopped = true;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  function start(): void {
    if (!stopped) return;
    stopped = false;
    loop = (async () => {
      while (!stopped) {
        let sent = 0;
        slotFreesAt = null;
        try {
          sent = await step();
        } catch (error) {
          logger.error({ err: error }, "outbox round failed");
        }
        if (sent === 0 && !stopped) {
          const wait = slotFreesAt === null ? pollMs : Math.min(pollMs, Math.max(0, slotFreesAt - clock().getTime()));
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
        }
      }
    })();
  }

  async function stop(): Promise<void> {
    stopped = true;
    wake?.();
    await loop;
  }

  return { step, runUntilIdle, pending, start, stop };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
