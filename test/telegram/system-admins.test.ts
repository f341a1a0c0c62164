// Issue 16 through the bot: a system admin (systems[].adminIds) triages and approves on their own
// system from the card buttons and is refused on the other's; a group that became a supergroup is
// still its system's group.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugEvents, chatMigrations, outbox } from "../../drizzle/schema.js";
import { groupCardDraft } from "../../src/adapters/telegram/cards.js";
import { getBug } from "../../src/app/bugs.js";
import { enqueue, recordChatMigration } from "../../src/app/outbox.js";
import type { Config } from "../../src/config.js";
import type { BugEvent } from "../../src/core/model.js";
import { startTestBot, type TestBot, testConfig } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { ADMIN, drive, GROUP, reportOne, T1 } from "../support/fixtures.js";
import { alice, carol, messageUpdate, type Person } from "../support/telegram.js";
import { deliverOutbox, last, messageState, pressOn, toasts } from "./helpers.js";

const POS_GROUP = -1009;
const dave: Person = { id: 3001, first_name: "Dave", username: "dave" }; // POS admin only

function twoSystems(): Config {
  const base = testConfig();
  const crm = base.systems[0]!;
  return { ...base, systems: [crm, { ...crm, id: "pos", name: "POS", groupChatId: POS_GROUP, adminIds: [dave.id] }] };
}

const toUat: [BugEvent, typeof ADMIN][] = [
  [{ type: "confirm", severity: "low", flow: "flow1" }, ADMIN],
  [{ type: "start_analysis" }, T1],
  [{ type: "record_analysis", rootCause: null, fixPlan: null, failed: false }, T1],
  [{ type: "deploy_uat_ok", releaseId: 1 }, T1],
];

describe.each(testBackends())("system admins and migrated groups on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  const said = (chatId: number) => last(tb, "sendMessage", chatId).payload.text as string;

  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db, { config: twoSystems() });
    await reportOne(t.db, { systemId: "crm", title: "CRM invoice bug" }); // #1
    await reportOne(t.db, { systemId: "pos", title: "POS till bug" }); // #2
    await tb.send(messageUpdate("hello", dave, GROUP));
    await tb.send(messageUpdate("hello", dave, POS_GROUP));
  });

  it("a system admin gets the card buttons and triages their system's bug; the other system's card refuses them", async () => {
    await tb.send(messageUpdate("/bug 2", dave, POS_GROUP));
    const card = last(tb, "sendMessage", POS_GROUP);
    await tb.send(pressOn(card, "✅ 確認", dave));
    await tb.send(pressOn(messageState(tb, POS_GROUP, card.result.message_id), "🟢 low", dave));
    await tb.send(pressOn(messageState(tb, POS_GROUP, card.result.message_id), "Flow 1（先 UAT）", dave));
    await tb.send(pressOn(messageState(tb, POS_GROUP, card.result.message_id), "✔️ 確認分類", dave));
    expect((await getBug(t.db, 2))?.status).toBe("confirmed");
    expect(messageState(tb, POS_GROUP, card.result.message_id).payload.text).toContain("Dave 已確認");

    // The CRM card: shown to dave without buttons; a button pressed anyway (Alice's card) is refused.
    await tb.send(messageUpdate("/bug 1", dave, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.reply_markup).toBeUndefined();
    await tb.send(messageUpdate("/bug 1", alice, GROUP));
    await tb.send(pressOn(last(tb, "sendMessage", GROUP), "✅ 確認", dave));
    expect(toasts(tb).at(-1)).toBe("只有管理員可以操作");
    expect((await getBug(t.db, 1))?.status).toBe("submitted");

    // /triage walks only the queue of the systems dave administers.
    await tb.send(messageUpdate("/triage", dave));
    expect(said(dave.id)).toContain("沒有待確認的 bug");
  });

  it("a system admin approves in their system and is refused in the other, by button and by command", async () => {
    const at = new Date("2099-11-21T01:00:00Z");
    await drive(t.db, (await getBug(t.db, 1))!, toUat, at);
    await drive(t.db, (await getBug(t.db, 2))!, toUat, at);
    await tb.send(messageUpdate("/bug 2", dave));
    await tb.send(pressOn(last(tb, "sendMessage", dave.id), "批准推 PROD #2", dave));
    expect((await getBug(t.db, 2))?.status).toBe("pending_prod");

    await tb.send(messageUpdate("/bug 1", alice));
    t.statements.length = 0;
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "批准推 PROD #1", dave));
    expect(toasts(tb).at(-1)).toBe("只有管理員可以操作");
    // issue 15: refused on the bug as the approval's transaction read it, before writing anything
    expect(t.statements.filter((q) => /^(insert into|update|delete from) "(bugs|bug_events|outbox)"/.test(q))).toEqual(
      [],
    );
    expect(await t.db.select().from(bugEvents).where(eq(bugEvents.bugId, 1))).not.toContainEqual(
      expect.objectContaining({ event: "approve_prod" }),
    );
    await tb.send(messageUpdate("/approve_prod 1", dave));
    expect(said(dave.id)).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/approve_prod all", dave, GROUP));
    expect(said(GROUP)).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/run t1 crm", dave));
    expect(said(dave.id)).toBe("只有管理員可以操作");
    expect((await getBug(t.db, 1))?.status).toBe("deployed_uat");
  });

  it("a group that became a supergroup: the service message is recorded and commands there are its system's", async () => {
    const SUPER = -1009999;
    // Telegram posts migrate_to_chat_id in the old group and migrate_from_chat_id in the new one.
    await tb.send({
      update_id: 990_001,
      message: {
        message_id: 5,
        date: 1_790_000_000,
        chat: { id: POS_GROUP, type: "group", title: "POS" },
        from: { ...dave, is_bot: false },
        migrate_to_chat_id: SUPER,
      },
    } as never);
    expect(await t.db.select().from(chatMigrations).where(eq(chatMigrations.oldChatId, POS_GROUP))).toMatchObject([
      { newChatId: SUPER },
    ]);
    await tb.send(messageUpdate("/bugs", carol, SUPER));
    expect(said(SUPER)).toContain("POS till bug");
    expect(said(SUPER)).not.toContain("CRM invoice bug");
    // A system admin is an admin there; the card buttons work in the supergroup.
    await tb.send(messageUpdate("/bug 2", dave, SUPER));
    await tb.send(pressOn(last(tb, "sendMessage", SUPER), "✅ 確認", dave));
    expect(last(tb, "editMessageText", SUPER).payload.text).toContain("請選擇嚴重度");
  });

  it("a card sent before the move is decided in the supergroup in place: no second edit through the outbox", async () => {
    const SUPER = -1007777;
    const bug = (await getBug(t.db, 2))!;
    await enqueue(t.db, groupCardDraft(tb.deps, bug), tb.clock());
    const [sent] = await deliverOutbox(tb);
    await recordChatMigration(t.db, POS_GROUP, SUPER, tb.clock());
    // Telegram shows the old messages in the supergroup, under its new id.
    const card = { ...sent!, payload: { ...sent!.payload, chat_id: SUPER } };
    await tb.send(pressOn(card, "✅ 確認", dave));
    const menu = last(tb, "editMessageText", SUPER);
    await tb.send(pressOn({ ...menu, result: card.result }, "🟢 low", dave));
    await tb.send(pressOn({ ...last(tb, "editMessageText", SUPER), result: card.result }, "Flow 1（先 UAT）", dave));
    await tb.send(pressOn({ ...last(tb, "editMessageText", SUPER), result: card.result }, "✔️ 確認分類", dave));
    expect((await getBug(t.db, 2))?.status).toBe("confirmed");
    expect(last(tb, "editMessageText", SUPER).payload.text).toContain("Dave 已確認");
    expect((await t.db.select().from(outbox)).filter((r) => r.method === "editMessageText")).toEqual([]);
  });

  it("migrate_from_chat_id in the new supergroup records the move too; an unknown group's move is ignored", async () => {
    const SUPER = -1008888;
    await tb.send({
      update_id: 990_002,
      message: {
        message_id: 1,
        date: 1_790_000_000,
        chat: { id: SUPER, type: "supergroup", title: "POS" },
        from: { ...dave, is_bot: false },
        migrate_from_chat_id: POS_GROUP,
      },
    } as never);
    await tb.send(messageUpdate("/status", carol, SUPER));
    expect(said(SUPER)).toContain("POS");
    await tb.send({
      update_id: 990_003,
      message: {
        message_id: 1,
        date: 1_790_000_000,
        chat: { id: -1007777, type: "supergroup", title: "x" },
        from: { ...dave, is_bot: false },
        migrate_from_chat_id: -1006666,
      },
    } as never);
    expect(await t.db.select().from(chatMigrations)).toHaveLength(1);
  });
});
