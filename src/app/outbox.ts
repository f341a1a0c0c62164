import { and, desc, eq, inArray, isNull, lt, or } from "drizzle-orm";
import { chatMigrations, outbox } from "../../drizzle/schema.js";
import type { CALLBACK_ACTIONS } from "../core/callback-data.js";
import { splitMessage, TELEGRAM_TEXT_LIMIT, visibleLength } from "../core/html.js";
import { cleanText } from "../core/text.js";
import { mirrorToSlack } from "./code-host.js";
import type { Queryable } from "./db.js";

/** A button under a notification: what it asks for, on which row (id) at which row version. */
export interface NoticeButton {
  label: string;
  action: keyof typeof CALLBACK_ACTIONS;
  id: number;
  version: number;
}
/** Rows of buttons; an empty list takes the message's buttons away. */
export type NoticeButtons = NoticeButton[][];

interface DraftBase {
  chatId: number;
  /** Rows with the same key are written once. */
  dedupeKey?: string;
  /** Edit the message another outbox row sent (its message id is filled in at send time). */
  editsOutboxId?: number;
  /** Earliest send time (reminders). */
  notBefore?: Date;
  /**
   * Sent before the chat's routine rows (rollback failures, interrupted deployments, failed
   * watches, escalations); rows of the same priority keep their order, and an edit never goes
   * before the message it edits.
   */
  urgent?: boolean;
}

/**
 * A notification in the app's terms: HTML text already rendered by src/i18n and domain buttons.
 * `send` posts a message; `edit` replaces the text (and buttons, when given) of the message
 * `editsOutboxId` sent; `editButtons` replaces only its buttons. src/adapters/notify/render.ts turns
 * it into Bot API parameters when it is sent.
 */
export interface NoticeDraft extends DraftBase {
  /** issue 17: `delete` takes away the message `editsOutboxId` sent. */
  kind: "send" | "edit" | "editButtons" | "delete";
  text?: string;
  buttons?: NoticeButtons;
  /**
   * An edit that is a notification of its own (a progress line become the release's template, a
   * watch's summary): mirrored to Slack like a new message (issue 13 × 17). Other edits are not.
   */
  mirror?: boolean;
}

/** Bot API parameters prepared by the Telegram adapter itself (its cards and menus), sent as they are. */
export interface PayloadDraft extends DraftBase {
  method?:
    | "sendMessage"
    | "editMessageText"
    | "editMessageReplyMarkup"
    | "pinChatMessage"
    | "unpinChatMessage"
    | "deleteMessage";
  /** Bot API parameters without chat_id (and without message_id when editsOutboxId is set). */
  payload: Record<string, unknown>;
}

/** A message to deliver, written in the same transaction as the change it reports. */
export type OutboxDraft = NoticeDraft | PayloadDraft;

/** How a notice is stored: `format` tells it from Bot API parameters (older rows, adapter drafts). */
export const NOTICE_FORMAT = "notice";
export interface StoredNotice {
  format: typeof NOTICE_FORMAT;
  text?: string;
  buttons?: NoticeButtons;
  /** Mirrored to Slack although an edit (see NoticeDraft.mirror). */
  mirror?: true;
}

/** The method column's value for each kind (the column predates notices; old rows keep it). */
const METHOD_OF = {
  send: "sendMessage",
  edit: "editMessageText",
  editButtons: "editMessageReplyMarkup",
  delete: "deleteMessage",
} as const;

/** A draft as it is stored: its method column and its payload (a StoredNotice or Bot API parameters). */
interface Stored extends DraftBase {
  method: string;
  payload: Record<string, unknown>;
}

function stored(d: OutboxDraft): Stored {
  if (!("kind" in d)) {
    const { method, payload, ...base } = d;
    return { ...base, method: method ?? "sendMessage", payload };
  }
  const { kind, text, buttons, mirror, ...base } = d;
  const notice: StoredNotice = {
    format: NOTICE_FORMAT,
    ...(text !== undefined ? { text } : {}),
    ...(buttons !== undefined ? { buttons } : {}),
    ...(mirror ? { mirror: true } : {}),
  };
  return { ...base, method: METHOD_OF[kind], payload: notice as unknown as Record<string, unknown> };
}

/** A notice to the chat. */
export const notice = (
  chatId: number,
  text: string,
  extra: { buttons?: NoticeButtons; dedupeKey?: string; notBefore?: Date; urgent?: boolean } = {},
): NoticeDraft => ({
  chatId,
  kind: "send",
  text,
  ...(extra.buttons?.length ? { buttons: extra.buttons } : {}),
  ...(extra.dedupeKey ? { dedupeKey: extra.dedupeKey } : {}),
  ...(extra.notBefore ? { notBefore: extra.notBefore } : {}),
  ...(extra.urgent ? { urgent: true } : {}),
});

/** An edit of the message another outbox row sent: new text, and new buttons when given ([] removes them). */
export const noticeEdit = (
  chatId: number,
  outboxId: number,
  text: string,
  extra: { buttons?: NoticeButtons; urgent?: boolean; mirror?: boolean } = {},
): NoticeDraft => ({
  chatId,
  kind: "edit",
  editsOutboxId: outboxId,
  text,
  ...(extra.buttons ? { buttons: extra.buttons } : {}),
  ...(extra.mirror ? { mirror: true } : {}),
  ...(extra.urgent ? { urgent: true } : {}),
});

export const PRIORITY = { routine: 0, urgent: 1 } as const;

/** The buttons of a stored payload, in its own form (a notice's or Bot API reply_markup). */
const markupOf = (p: Record<string, unknown>): string => JSON.stringify(p.reply_markup ?? p.buttons ?? null);

/** Same text and buttons (a stored notice and Bot API parameters with buttons never compare equal). */
const sameContent = (a: Record<string, unknown>, b: Record<string, unknown>, method: string): boolean =>
  method !== "deleteMessage" &&
  (method === "editMessageReplyMarkup" || a.text === b.text) &&
  markupOf(a) === markupOf(b);

/**
 * Drops edits that would leave their message as it already is (or will be, once the rows before
 * them are sent): Telegram refuses an edit that changes nothing.
 */
async function withoutNoopEdits(q: Queryable, drafts: readonly Stored[]): Promise<Stored[]> {
  const kept: Stored[] = [];
  for (const d of drafts) {
    const target = d.editsOutboxId;
    // pin/unpin rows also point at a message (issue 12) but change no content
    if (target === undefined || !d.method.startsWith("edit")) {
      kept.push(d);
      continue;
    }
    const pendingHere = kept.findLast((k) => k.editsOutboxId === target);
    const [latest] = pendingHere
      ? [pendingHere]
      : await q
          .select({ payload: outbox.payload })
          .from(outbox)
          .where(or(eq(outbox.id, target), eq(outbox.editsOutboxId, target)))
          .orderBy(desc(outbox.id))
          .limit(1);
    if (!latest || !sameContent(latest.payload, d.payload, d.method)) kept.push(d);
  }
  return kept;
}

/**
 * Writes drafts to the outbox. `now` is the injected clock's time: rows are stamped with it (not
 * the database's `now()`), so the dispatcher, which claims by the same clock, sees one timeline.
 * Every row fits Telegram: a message over the limit is split (buttons under its last part), an
 * edit over it is shortened. A group that became a supergroup gets its new chat id.
 */
export async function enqueue(q: Queryable, all: readonly OutboxDraft[], now: Date): Promise<number[]> {
  const drafts = await withPriorities(q, await withoutNoopEdits(q, all.map(stored).flatMap(withinLimit)));
  if (drafts.length === 0) return [];
  const chats = await currentChatIds(
    q,
    drafts.map((d) => d.chatId),
  );
  const rows = await q
    .insert(outbox)
    .values(
      drafts.map((d) => ({
        chatId: chats.get(d.chatId) ?? d.chatId,
        method: d.method,
        payload: d.payload,
        dedupeKey: d.dedupeKey ?? null,
        editsOutboxId: d.editsOutboxId ?? null,
        priority: d.urgent ? PRIORITY.urgent : PRIORITY.routine,
        createdAt: now,
        nextAttemptAt: d.notBefore ?? now,
      })),
    )
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning({ id: outbox.id, chatId: outbox.chatId, method: outbox.method, payload: outbox.payload });
  await mirrorToSlack(q, rows, now); // issue 13: the Slack mirror of group messages, same transaction
  return rows.map((r) => r.id);
}

const ELLIPSIS = "\n…";

/**
 * A draft whose text Telegram would refuse as too long, made to fit: a new message becomes
 * several (the buttons under the last part, which keeps the dedupe key so later edits find it),
 * an edit keeps its first part. Its text is cleaned too (a lone surrogate left by a cut would make
 * Postgres refuse the whole transaction). Builders split or bound their own text (messages.ts);
 * this is the net under them.
 */
function withinLimit(draft: Stored): Stored[] {
  const raw = draft.payload.text;
  if (typeof raw !== "string") return [draft];
  const text = cleanText(raw);
  const d = text === raw ? draft : { ...draft, payload: { ...draft.payload, text } };
  if (visibleLength(text) <= TELEGRAM_TEXT_LIMIT) return [d];
  if (d.method !== "sendMessage") {
    const [first = ""] = splitMessage(text, TELEGRAM_TEXT_LIMIT - ELLIPSIS.length);
    return [{ ...d, payload: { ...d.payload, text: `${first}${ELLIPSIS}` } }];
  }
  const parts = splitMessage(text);
  const { reply_markup: markup, buttons, ...rest } = d.payload;
  return parts.map((part, i) => {
    const last = i === parts.length - 1;
    const { dedupeKey, ...draft } = d;
    return {
      ...draft,
      payload: {
        ...rest,
        text: part,
        ...(last && markup !== undefined ? { reply_markup: markup } : {}),
        ...(last && buttons !== undefined ? { buttons } : {}),
      },
      ...(dedupeKey ? { dedupeKey: last ? dedupeKey : `${dedupeKey}:${i}` } : {}),
    };
  });
}

/**
 * An urgent edit goes routine while a routine row of its message (the message itself or an
 * earlier edit) is still unsent: it may not overtake them.
 */
async function withPriorities(q: Queryable, drafts: Stored[]): Promise<Stored[]> {
  const out: Stored[] = [];
  for (const d of drafts) {
    const target = d.editsOutboxId;
    if (!d.urgent || target === undefined) {
      out.push(d);
      continue;
    }
    const routineHere = out.some((k) => k.editsOutboxId === target && !k.urgent);
    const [routineUnsent] = routineHere
      ? [true]
      : await q
          .select({ id: outbox.id })
          .from(outbox)
          .where(
            and(
              or(eq(outbox.id, target), eq(outbox.editsOutboxId, target)),
              isNull(outbox.sentAt),
              lt(outbox.priority, PRIORITY.urgent),
            ),
          )
          .limit(1);
    out.push(routineUnsent ? { ...d, urgent: false } : d);
  }
  return out;
}

/** Where messages for these chats go now: a migrated group's new id (followed through chains). */
export async function currentChatIds(q: Queryable, chatIds: readonly number[]): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  let ask = [...new Set(chatIds.filter((id) => id < 0))];
  for (let hop = 0; hop < 5 && ask.length; hop++) {
    const rows = await q.select().from(chatMigrations).where(inArray(chatMigrations.oldChatId, ask));
    if (rows.length === 0) break;
    const moved = new Map(rows.map((r) => [r.oldChatId, r.newChatId]));
    for (const id of new Set([...chatIds])) {
      const at = map.get(id) ?? id;
      const next = moved.get(at);
      if (next !== undefined) map.set(id, next);
    }
    ask = [...new Set(rows.map((r) => r.newChatId))];
  }
  return map;
}

/** The chat id to use for a group now (its supergroup's id once Telegram has migrated it). */
export async function currentChatId(q: Queryable, chatId: number): Promise<number> {
  return (await currentChatIds(q, [chatId])).get(chatId) ?? chatId;
}

/**
 * Records that `oldChatId` became `newChatId` (Telegram's migrate_to_chat_id, or the
 * migrate_to_chat_id service message) and moves the old chat's unsent rows to the new one, in
 * their order. Idempotent. Returns how many rows moved.
 */
export async function recordChatMigration(
  q: Queryable,
  oldChatId: number,
  newChatId: number,
  now: Date,
): Promise<number> {
  if (oldChatId === newChatId) return 0;
  return q.transaction(async (tx) => {
    await tx
      .insert(chatMigrations)
      .values({ oldChatId, newChatId, migratedAt: now })
      .onConflictDoUpdate({ target: chatMigrations.oldChatId, set: { newChatId, migratedAt: now } });
    // a chain (a → old → new) points straight at the new id
    await tx.update(chatMigrations).set({ newChatId }).where(eq(chatMigrations.newChatId, oldChatId));
    const moved = await tx
      .update(outbox)
      .set({ chatId: newChatId })
      .where(and(eq(outbox.chatId, oldChatId), isNull(outbox.sentAt)))
      .returning({ id: outbox.id });
    return moved.length;
  });
}
