// The app enqueues notices (HTML text, domain buttons); the dispatcher renders them into the Bot API
// parameters Telegram has always received. Rows stored as Bot API parameters by an older version
// are still sent as they are.
import { Api } from "grammy";
import { beforeEach, describe, expect, it } from "vitest";
import { outbox } from "../../drizzle/schema.js";
import { botApiSender, createDispatcher } from "../../src/adapters/notify/dispatcher.js";
import { telegramPayload } from "../../src/adapters/notify/render.js";
import { htmlMessage } from "../../src/adapters/telegram/drafts.js";
import { approvalKeyboard, messages } from "../../src/app/messages.js";
import { enqueue, notice, noticeEdit } from "../../src/app/outbox.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../src/core/callback-data.js";
import { fakeClock, TEST_TOKEN } from "../support/app.js";
import { type TestDatabase, testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { fakeTelegram } from "../support/telegram.js";
import { quietLogger } from "../windows/support.js";

function setup(db: TestDatabase["db"]) {
  const clock = fakeClock("2099-11-24T12:00:00Z");
  const api = fakeTelegram({ now: () => clock().getTime() });
  const dispatcher = createDispatcher({
    db,
    send: botApiSender(new Api(TEST_TOKEN, { fetch: api.fetch })),
    clock,
    logger: quietLogger,
    pollMs: 250,
    sleep: async (ms) => clock.advance(ms),
  });
  return { clock, api, dispatcher };
}

describe("rendering a notice", () => {
  it("gives the exact Bot API parameters the app used to store (same keys, same order, same callback data)", () => {
    const buttons = approvalKeyboard("prod", [{ id: 7, rowVersion: 3 }], 9);
    const [draft] = messages(GROUP, "<b>Flow 1</b>", { buttons });
    const { kind: _, chatId: __, ...rest } = draft!;
    const rendered = telegramPayload({ format: "notice", ...rest });
    const before = htmlMessage(GROUP, "<b>Flow 1</b>", {
      replyMarkup: {
        inline_keyboard: [
          [
            {
              text: "批准推 PROD #7",
              callback_data: encodeCallback({ action: CALLBACK_ACTIONS.approveProd, id: 7, version: 3 }),
            },
          ],
        ],
      },
    }).payload;
    expect(JSON.stringify(rendered)).toBe(JSON.stringify(before));
  });

  it("an edit that takes the buttons away renders an empty keyboard; Bot API parameters pass through", () => {
    expect(telegramPayload({ format: "notice", text: "done", buttons: [] })).toEqual({
      text: "done",
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      reply_markup: { inline_keyboard: [] },
    });
    const old = {
      text: "old",
      parse_mode: "HTML",
      reply_markup: { inline_keyboard: [[{ text: "x", callback_data: "v1:rq:1:2" }]] },
    };
    expect(telegramPayload(old)).toBe(old);
  });
});

describe.each(testBackends())("notices through the outbox on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("stores notices without Telegram parameters and delivers them rendered, buttons under the last part", async () => {
    const { api, clock, dispatcher } = setup(t.db);
    const button = { label: "立即回滾", action: "rollbackNow", id: 5, version: 0 } as const;
    const [id] = await enqueue(t.db, [notice(GROUP, "watch failed", { buttons: [[button]], urgent: true })], clock());
    const [row] = await t.db.select().from(outbox);
    expect(row!.payload).toEqual({ format: "notice", text: "watch failed", buttons: [[button]] });
    await enqueue(t.db, [noticeEdit(GROUP, id!, "watch failed (handled)", { buttons: [] })], clock());
    await dispatcher.runUntilIdle();
    expect(api.errors()).toEqual([]);
    const [sent] = api.sentTo(GROUP);
    expect(sent!.payload.reply_markup).toEqual({
      inline_keyboard: [[{ text: "立即回滾", callback_data: encodeCallback({ action: "rbw", id: 5, version: 0 }) }]],
    });
    const [edit] = api.of("editMessageText", true);
    expect(edit!.payload).toMatchObject({
      message_id: sent!.result.message_id,
      text: "watch failed (handled)",
      parse_mode: "HTML",
      reply_markup: { inline_keyboard: [] },
    });
  });

  it("a row stored as Bot API parameters before the upgrade is still sent, and a notice edits it", async () => {
    const { api, clock, dispatcher } = setup(t.db);
    const legacy = {
      text: "🚨 Emergency Hotfix 待審核",
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      reply_markup: { inline_keyboard: [[{ text: "✅ 同意", callback_data: "v1:hfa:3:0" }]] },
    };
    const [old] = await t.db
      .insert(outbox)
      .values({ chatId: GROUP, method: "sendMessage", payload: legacy, createdAt: clock(), nextAttemptAt: clock() })
      .returning({ id: outbox.id });
    await enqueue(t.db, [noticeEdit(GROUP, old!.id, `${legacy.text}\n\n已逾時`, { buttons: [] })], clock());
    await dispatcher.runUntilIdle();
    expect(api.errors()).toEqual([]);
    const [sent] = api.sentTo(GROUP);
    expect(sent!.payload).toEqual({ ...legacy, chat_id: GROUP });
    const [edit] = api.of("editMessageText", true);
    expect(edit!.payload).toMatchObject({ message_id: sent!.result.message_id, text: `${legacy.text}\n\n已逾時` });
  });
});
