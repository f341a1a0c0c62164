// Critical bugs escalate (issue 12), through the bot against the strict fake Bot API: a critical bug
// reported (or triaged to critical) mentions the on-call and the admins at once — HTML text mentions,
// names escaped — and its message is pinned until the bug is resolved (/close); a high bug mentions
// the admins and is not pinned. Pins go through the outbox like every other message.

import { Api } from "grammy";
import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { outbox } from "../../drizzle/schema.js";
import { botApiSender, createDispatcher } from "../../src/adapters/notify/dispatcher.js";
import { applyEvent, reportBug } from "../../src/app/bugs.js";
import { escalateBug, reconcileEscalations } from "../../src/app/escalation.js";
import { rememberUser } from "../../src/app/members.js";
import { setOncall } from "../../src/app/oncall.js";
import { fakeClock, startTestBot, TEST_TOKEN, type TestBot, testConfig } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { ADMIN, GROUP, newBug } from "../support/fixtures.js";
import { alice, bob, carol, htmlProblem, messageUpdate, type Person } from "../support/telegram.js";
import { current, deliverOutbox, pressOn } from "./helpers.js";

const NOW = new Date("2099-05-04T02:00:00Z"); // 10:00 in Taipei

async function fileReport(tb: TestBot, from: Person, severity: string, title = "Checkout <crashes> & burns") {
  await tb.send(messageUpdate("/report", from, GROUP));
  await tb.send(messageUpdate(title, from, GROUP));
  await tb.send(messageUpdate("500 on pay", from, GROUP));
  await tb.send(pressOn(current(tb, GROUP), "PROD", from));
  await tb.send(pressOn(current(tb, GROUP), severity, from));
  await tb.send(messageUpdate("-", from, GROUP));
  await tb.send(pressOn(current(tb, GROUP), "📨 送出", from));
}

describe.each(testBackends())("escalation on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db, { config: testConfig(), clock: fakeClock(NOW) });
    // Bob's display name is hostile HTML: it must reach the chat escaped inside the mention
    await rememberUser(t.db, { userId: bob.id, name: `<b>Bob</b> & "co"`, username: "bob" }, NOW);
    await rememberUser(t.db, { userId: alice.id, name: "Alice", username: "alice" }, NOW);
    await setOncall(
      t.db,
      { systemId: "crm", day: "2099-05-04", userId: 3003, name: "Dora <oncall>", setBy: "Alice" },
      NOW,
    );
  });

  const pinned = () => tb.api.pinned(GROUP);
  const escalations = async () =>
    (await t.db.select().from(outbox)).filter((r) => r.dedupeKey?.startsWith("escalation:")).map((r) => r.dedupeKey);

  it("a critical report mentions the on-call and the admins at once, is pinned, and unpinned when closed", async () => {
    await fileReport(tb, carol, "🔴 critical");
    const sent = await deliverOutbox(tb);
    const alert = sent.find((c) => c.method === "sendMessage" && String(c.payload.text).startsWith("🚨 嚴重 bug"))!;
    expect(String(alert.payload.text).split("\n")).toEqual([
      "🚨 嚴重 bug，立即升級處理：#1 [critical] Checkout &lt;crashes&gt; &amp; burns",
      "回報人：Carol",
      '值班：<a href="tg://user?id=3003">Dora &lt;oncall&gt;</a>',
      '管理員：<a href="tg://user?id=1001">Alice</a>、<a href="tg://user?id=1002">&lt;b&gt;Bob&lt;/b&gt; &amp; &quot;co&quot;</a>',
      "→ 請立即以緊急修正處理：/hotfix 1。此訊息會置頂，直到 bug 解決為止。",
    ]);
    expect(htmlProblem(alert.payload.text)).toBeNull();
    expect(alert.payload.parse_mode).toBe("HTML");
    const pin = tb.api.of("pinChatMessage").at(-1)!;
    expect(pin.payload).toMatchObject({ chat_id: GROUP, message_id: alert.result.message_id });
    expect(pinned()).toEqual([alert.result.message_id]);

    // the sweep (after a restart, say) does not escalate it again
    await reconcileEscalations({ ...tb.deps, clock: () => new Date(NOW.getTime() + 60_000) });
    await escalateBug(tb.deps, 1, NOW);
    expect(await escalations()).toEqual(["escalation:critical:1", "escalation:pin:1"]);

    await tb.send(messageUpdate("/close 1 duplicate of the outage ticket", alice, GROUP));
    await deliverOutbox(tb);
    const unpin = tb.api.of("unpinChatMessage").at(-1)!;
    expect(unpin.payload).toMatchObject({ chat_id: GROUP, message_id: alert.result.message_id });
    expect(pinned()).toEqual([]);
    await reconcileEscalations({ ...tb.deps, clock: () => NOW });
    expect(await escalations()).toEqual(["escalation:critical:1", "escalation:pin:1", "escalation:unpin:1"]);
    expect(tb.api.errors()).toEqual([]);
  });

  it("a bug triaged to critical from its card escalates at once; a high report only notifies the admins", async () => {
    await fileReport(tb, carol, "🟠 high", "Slow export");
    await fileReport(tb, carol, "不確定", "Payments fail");
    const sent = await deliverOutbox(tb);
    const high = sent.find((c) => String(c.payload.text ?? "").startsWith("⚠️ 高嚴重度 bug"))!;
    expect(String(high.payload.text)).toContain("#1 [high] Slow export");
    expect(String(high.payload.text)).toContain('<a href="tg://user?id=1001">Alice</a>');
    expect(String(high.payload.text)).not.toContain("tg://user?id=3003");
    expect(pinned()).toEqual([]);

    const card = sent.find((c) => c.method === "sendMessage" && String(c.payload.text).includes("#2 Payments fail"))!;
    await tb.send(pressOn(card, "✅ 確認", alice));
    const menu = tb.api.of("editMessageText").at(-1)!;
    await tb.send(pressOn({ ...menu, result: { message_id: card.result.message_id } }, "🔴 critical", alice));
    await deliverOutbox(tb);
    const alert = tb.api.sentTo(GROUP).find((c) => String(c.payload.text).startsWith("🚨 嚴重 bug"))!;
    expect(String(alert.payload.text)).toContain("#2 [critical] Payments fail");
    expect(pinned()).toEqual([alert.result.message_id]);
    expect(await escalations()).toEqual(["escalation:high:1", "escalation:critical:2", "escalation:pin:2"]);
    expect(tb.api.errors()).toEqual([]);
  });

  it("the real outbox dispatcher sends the mention, pins it, and unpins it once the bug is rejected", async () => {
    const clock = fakeClock(NOW);
    const dispatcher = createDispatcher({
      db: t.db,
      send: botApiSender(new Api(TEST_TOKEN, { fetch: tb.api.fetch })),
      clock,
      logger: pino({ level: "silent" }),
      sleep: async (ms) => clock.advance(ms),
    });
    const bug = await reportBug(t.db, newBug({ severity: "critical", title: "DB down" }), NOW);
    await escalateBug(tb.deps, bug.id, NOW);
    await dispatcher.runUntilIdle();
    const alert = tb.api.sentTo(GROUP).at(-1)!;
    expect(String(alert.payload.text)).toContain("#1 [critical] DB down");
    expect(pinned()).toEqual([alert.result.message_id]);
    const result = await applyEvent(t.db, {
      bugId: bug.id,
      event: { type: "reject", reason: "not a bug" },
      actor: ADMIN,
      now: clock(),
    });
    expect(result.kind).toBe("applied");
    await dispatcher.runUntilIdle();
    expect(pinned()).toEqual([]);
    expect(tb.api.of("unpinChatMessage")).toHaveLength(1);
    expect(tb.api.errors()).toEqual([]);
  });

  it("the fake Bot API pins strictly: unknown message ids and missing fields are refused", async () => {
    expect(tb.api.handle("pinChatMessage", { chat_id: GROUP, message_id: 999_999 }).status).toBe(400);
    expect(tb.api.handle("pinChatMessage", { chat_id: GROUP }).body.description).toBe(
      "Bad Request: message_id is empty",
    );
    expect(tb.api.handle("unpinChatMessage", { chat_id: GROUP, message_id: 999_999 }).status).toBe(400);
    const sent = tb.api.handle("sendMessage", { chat_id: GROUP, text: "hi" }).body.result.message_id;
    expect(tb.api.handle("pinChatMessage", { chat_id: GROUP, message_id: sent }).status).toBe(200);
    expect(pinned()).toEqual([sent]);
  });
});
