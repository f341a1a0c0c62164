// issue 17: /todo in a private chat lists what waits for this admin, newest first, with working
// buttons (the existing handlers, one callback codec); a member sees their own reports; /notify on
// makes a new bug reach the admin in private through the outbox.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, hotfixRequests, notifyPreferences } from "../../drizzle/schema.js";
import { getBug, reportBug } from "../../src/app/bugs.js";
import { CALLBACK_ACTIONS, parseCallback } from "../../src/core/callback-data.js";
import type { Status } from "../../src/core/model.js";
import { quietText } from "../../src/i18n/index.js";
import { fakeClock, startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, bob, buttonsOf, carol, messageUpdate } from "../support/telegram.js";
import { current, deliverOutbox, last, pressOn } from "./helpers.js";

describe.each(testBackends())("/todo and /notify on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db, { clock: fakeClock("2099-03-02T04:00:00Z") });
  });
  const now = () => Math.floor(tb.clock().getTime() / 1000);

  async function bugIn(title: string, status: Status, extra: Partial<typeof bugs.$inferInsert> = {}) {
    tb.clock.advance(60_000); // each newer than the last
    const bug = await reportBug(
      t.db,
      {
        systemId: "crm",
        title,
        description: "",
        reporter: { id: carol.id, name: "Carol" },
        foundInEnv: "uat",
        severity: "medium",
        services: [],
        module: null,
      },
      tb.clock(),
    );
    await t.db
      .update(bugs)
      .set({ status, updatedAt: tb.clock(), ...extra })
      .where(eq(bugs.id, bug.id));
    return bug.id;
  }

  it("lists each kind of pending item, newest first, and its buttons work", async () => {
    await tb.send(messageUpdate("hi", carol, GROUP, now())); // Carol is a member of the group
    const triage = await bugIn("Login broken", "submitted");
    const uat = await bugIn("Cart total", "deployed_uat", { fixFlow: "flow1" });
    const prod = await bugIn("Report totals", "deployed_prod", { fixFlow: "flow2" });
    const held = await bugIn("Rolled back", "pending_prod", { held: true, fixFlow: "flow1" });
    const urgent = await bugIn("Payments down", "submitted", { severity: "critical" });
    tb.clock.advance(60_000);
    const [request] = await t.db
      .insert(hotfixRequests)
      .values({
        bugId: urgent,
        requestedById: bob.id,
        requestedByName: "Bob",
        mode: "manual",
        severity: "critical",
        status: "pending",
        expiresAt: new Date(tb.clock().getTime() + 3600_000),
        createdAt: tb.clock(),
      })
      .returning();

    await tb.send(messageUpdate("/todo", alice, alice.id, now()));
    const todo = last(tb, "sendMessage", alice.id);
    const lines = String(todo.payload.text).split("\n");
    expect(lines[0]).toBe(quietText.todo.header);
    // newest first: the hotfix request, then the bugs in reverse order of their last change
    expect(lines.slice(1).map((l) => /#(\d+)/.exec(l)?.[1])).toEqual(
      [request!.id, urgent, held, prod, uat, triage].map(String),
    );
    expect(lines.find((l) => l.includes(`#${uat} `))).toContain("T2 前批准");
    const actions = buttonsOf(todo.payload).map((b) => parseCallback(b.callback_data!)?.action);
    expect(actions).toEqual([
      CALLBACK_ACTIONS.hotfixApprove,
      CALLBACK_ACTIONS.confirm,
      CALLBACK_ACTIONS.requeue,
      CALLBACK_ACTIONS.approveUatMerge,
      CALLBACK_ACTIONS.approveProd,
      CALLBACK_ACTIONS.confirm,
    ]);

    // the buttons reach the existing handlers
    await tb.send(pressOn(todo, `批准推 PROD #${uat}`, alice));
    expect((await getBug(t.db, uat))?.status).toBe("pending_prod");
    await tb.send(pressOn(todo, `批准 Merge UAT #${prod}`, alice));
    expect((await getBug(t.db, prod))?.status).toBe("pending_uat_merge");
    await tb.send(pressOn(todo, quietText.todo.requeueButton(held), alice));
    expect((await getBug(t.db, held))?.held).toBe(false);
    await tb.send(pressOn(todo, `✅ 確認 #${triage}`, alice));
    expect(current(tb, alice.id).payload.text).toContain("嚴重度");
    expect(tb.api.errors()).toEqual([]);

    // Bob asked for the hotfix: it does not wait for him
    await tb.send(messageUpdate("/todo", bob, bob.id, now()));
    expect(last(tb, "sendMessage", bob.id).payload.text).not.toContain("Hotfix 申請");

    // a member sees their own reports' states
    await tb.send(messageUpdate("/todo", carol, carol.id, now()));
    const mine = String(last(tb, "sendMessage", carol.id).payload.text);
    expect(mine.split("\n")[0]).toBe(quietText.todo.mineHeader);
    expect(mine).toContain(`#${triage} Login broken — `);
    expect(buttonsOf(last(tb, "sendMessage", carol.id).payload)).toEqual([]);
  });

  it("/notify on: a new bug reaches the admin in private through the outbox; off stops it", async () => {
    await tb.send(messageUpdate("/notify", carol, carol.id, now()));
    await tb.send(messageUpdate("/notify", alice, alice.id, now()));
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe(quietText.notify.usage(false));
    await tb.send(messageUpdate("/notify on", alice, alice.id, now()));
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe(quietText.notify.on);
    expect(await t.db.select().from(notifyPreferences)).toMatchObject([{ userId: alice.id, enabled: true }]);

    const report = async (title: string) => {
      await tb.send(messageUpdate("/report", carol, GROUP, now()));
      await tb.send(messageUpdate(title, carol, GROUP, now()));
      await tb.send(messageUpdate("-", carol, GROUP, now()));
      await tb.send(pressOn(current(tb, GROUP), "UAT", carol));
      await tb.send(pressOn(current(tb, GROUP), "不確定", carol));
      await tb.send(messageUpdate("-", carol, GROUP, now()));
      await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));
      return deliverOutbox(tb);
    };
    const sent = await report("Search is slow");
    expect(sent.map((c) => c.payload.chat_id)).toEqual([GROUP, alice.id]);
    expect(sent[1]!.payload.text).toBe(quietText.notify.newBug(1, "Search is slow"));

    await tb.send(messageUpdate("/notify off", alice, alice.id, now()));
    expect((await report("Export fails")).map((c) => c.payload.chat_id)).toEqual([GROUP]);
    expect(tb.api.errors()).toEqual([]);
  });
});
