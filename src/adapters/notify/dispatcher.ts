// Outbox dispatcher: claims the next unsent row of each chat — urgent rows first, then by id —
// (FOR UPDATE SKIP LOCKED, then a short lease so no transaction is open while sending), keeps
// Telegram's limits (1 msg/s per chat, 20/min per group, 30/s overall), waits retry_after on 429,
// backs off on 5xx and network errors, follows a group's migration to a supergroup, and records
// the sent message_id so later edits work. Rows are never deleted. A row's payload becomes Bot API
// parameters in render.ts (notices from the app; rows written as Bot API parameters pass through).
import { and, count, desc, eq, gt, inArray, isNotNull, isNull, lt, lte, min, notExists, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Api } from "grammy";
import type { Logger } from "pino";
import { chatMigrations, outbox, systems } from "../../../drizzle/schema.js";
import { recordChatMigration } from "../../app/outbox.js";
import type { Db } from "../db/database.js";
import { pollLoop } from "./poll-loop.js";
import { telegramPayload } from "./render.js";

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
/**
 * A 400 (bad request) is retried a few times, then given up so it cannot block its chat forever.
 * Only 400s count: a 429, a 5xx or a network error is waited out however often it comes.
 */
export const MAX_BAD_REQUESTS = 3;

interface ApiFailure {
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
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
            // in order per chat: only the chat's next unsent row — urgent rows first, then by id (an
            // urgent edit is enqueued routine while its message is unsent: see outbox.ts)
            notExists(
              tx
                .select({ one: sql`1` })
                .from(older)
                .where(
                  and(
                    eq(older.chatId, outbox.chatId),
                    isNull(older.sentAt),
                    or(
                      gt(older.priority, outbox.priority),
                      and(eq(older.priority, outbox.priority), lt(older.id, outbox.id)),
                    ),
                  ),
                ),
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
        .orderBy(desc(outbox.priority), outbox.id)
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
    let method = row.method;
    let payload: Record<string, unknown> = { ...telegramPayload(row.payload), chat_id: row.chatId };
    if (row.editsOutboxId !== null) {
      const target = await messageToEdit(row);
      if (target.kind === "never_sent") return done(row, null, "gave up: the message to edit was never sent");
      if (target.kind === "here") payload.message_id = target.messageId;
      else if (method === "deleteMessage") {
        // issue 17: nothing to take away in the new chat (the message stayed in the old one).
        return done(row, null, "skipped: the message is in the chat before its supergroup migration");
      } else {
        // The group became a supergroup after the message was sent: it stayed in the old chat,
        // where it can no longer be edited. The new content goes to the new chat as a message.
        const { message_id: _, reply_markup: markup, ...rest } = payload;
        const buttons = (markup as { inline_keyboard?: unknown[] } | undefined)?.inline_keyboard?.length ?? 0;
        if (typeof rest.text !== "string") {
          if (buttons === 0 || target.text === null) {
            log.info("edit of a message left in the pre-migration chat skipped: it only removed buttons");
            return done(row, null, "skipped: the message is in the chat before its supergroup migration");
          }
          rest.text = target.text;
          rest.parse_mode = "HTML";
        }
        method = "sendMessage";
        payload = { ...rest, ...(buttons ? { reply_markup: markup } : {}) };
        log.info("edit of a message left in the pre-migration chat sent as a new message");
      }
    }
    try {
      const result = (await deps.send(method, payload)) as { message_id?: number } | true;
      await done(row, typeof result === "object" ? (result.message_id ?? null) : null, null);
    } catch (error) {
      const e = error as ApiFailure;
      const code = e.error_code ?? 0;
      const description = e.description ?? (error instanceof Error ? error.message : String(error));
      // Editing to identical content is Telegram's "no-op": the message already says this.
      if (code === 400 && /message is not modified/i.test(description)) return done(row, null, null);
      // issue 17: a message already gone (or past 48 h) stays as it is: nothing to retry.
      if (code === 400 && method === "deleteMessage") return done(row, null, `gave up: ${description}`);
      const migrateTo = e.parameters?.migrate_to_chat_id;
      if (code === 400 && typeof migrateTo === "number") return migrate(row, migrateTo, description);
      const badRequests = row.badRequests + (code === 400 ? 1 : 0);
      if (code === 400 && badRequests >= MAX_BAD_REQUESTS) {
        log.error({ description }, "outbox row gave up after repeated bad requests");
        await db.update(outbox).set({ badRequests }).where(eq(outbox.id, row.id));
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
          badRequests,
          claimedBy: null,
        })
        .where(eq(outbox.id, row.id));
    }
  }

  /**
   * Where the message an edit row edits is now: its id in the edit's chat (the message itself or
   * the latest row that re-sent it there), or sent only to another chat (before a migration).
   */
  async function messageToEdit(
    row: OutboxRow,
  ): Promise<
    { kind: "here"; messageId: number } | { kind: "elsewhere"; text: string | null } | { kind: "never_sent" }
  > {
    const target = row.editsOutboxId!;
    const family = or(eq(outbox.id, target), eq(outbox.editsOutboxId, target));
    const [here] = await db
      .select({ messageId: outbox.sentMessageId })
      .from(outbox)
      .where(and(family, eq(outbox.chatId, row.chatId), isNotNull(outbox.sentMessageId), lt(outbox.id, row.id)))
      .orderBy(desc(outbox.id))
      .limit(1);
    if (here?.messageId) return { kind: "here", messageId: here.messageId };
    const sent = await db
      .select({ payload: outbox.payload })
      .from(outbox)
      .where(and(family, isNotNull(outbox.sentMessageId), lt(outbox.id, row.id)))
      .orderBy(desc(outbox.id));
    if (sent.length === 0) return { kind: "never_sent" };
    const text = sent.map((r) => r.payload.text).find((t): t is string => typeof t === "string") ?? null;
    return { kind: "elsewhere", text };
  }

  /**
   * Telegram moved the group to a supergroup: the new chat id is recorded (group chat ids come
   * from the configuration), the old chat's unsent rows move to it in order, and this row is
   * retried there at once. It does not count as a bad request.
   */
  async function migrate(row: OutboxRow, newChatId: number, description: string): Promise<void> {
    const now = clock();
    const moved = await recordChatMigration(db, row.chatId, newChatId, now);
    await db
      .update(outbox)
      .set({ nextAttemptAt: now, claimedBy: null, lastError: `400: ${description}` })
      .where(eq(outbox.id, row.id));
    const owners = await db.select({ id: systems.id }).from(systems).where(eq(systems.groupChatId, row.chatId));
    warnMigrated(
      row.chatId,
      newChatId,
      owners.map((s) => s.id),
      moved,
    );
  }

  function warnMigrated(oldChatId: number, newChatId: number, systemIds: string[], moved?: number): void {
    logger.warn(
      { oldChatId, newChatId, systems: systemIds, ...(moved === undefined ? {} : { movedRows: moved }) },
      `group chat ${oldChatId}${systemIds.length ? ` (system ${systemIds.join(", ")})` : ""} was upgraded to a supergroup: ` +
        `messages now go to ${newChatId}; set groupChatId in PIPELINE_CONFIG (or GROUP_CHAT_ID) to ${newChatId}`,
    );
  }

  /** At start: groups still configured with an id Telegram has migrated away from. */
  async function warnStaleChatIds(): Promise<void> {
    const stale = await db
      .select({ oldChatId: chatMigrations.oldChatId, newChatId: chatMigrations.newChatId, systemId: systems.id })
      .from(chatMigrations)
      .innerJoin(systems, eq(systems.groupChatId, chatMigrations.oldChatId));
    for (const s of stale) warnMigrated(s.oldChatId, s.newChatId, [s.systemId]);
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

  const { start, stop } = pollLoop({
    round: () => {
      slotFreesAt = null;
      return step();
    },
    // After an idle round: until the poll interval, or sooner when a rate-limit slot frees.
    idleMs: () => (slotFreesAt === null ? pollMs : Math.min(pollMs, Math.max(0, slotFreesAt - clock().getTime()))),
    logger,
    failed: "outbox round failed",
    onStart: () =>
      void warnStaleChatIds().catch((error) => logger.error({ err: error }, "could not read chat migrations")),
  });

  return { step, runUntilIdle, pending, start, stop };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
