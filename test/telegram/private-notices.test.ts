// issue 17: personal notifications. An admin who asked (/notify on) is told in private when something
// awaits them — a UAT release to approve for PROD before the T2 cutoff (T1), a PROD release to approve
// for the UAT merge (T2), a hotfix request awaiting a second admin — through the outbox, written with
// the change that creates it. Driven through the real entry points (updates, the scheduler's tick);
// admins who did not ask get nothing, nor does the admin who made the request.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, hotfixRequests } from "../../drizzle/schema.js";
import { getBug } from "../../src/app/bugs.js";
import { setOncall } from "../../src/app/oncall.js";
import { tick } from "../../src/app/windows/index.js";
import { quietText } from "../../src/i18n/index.js";
import {
  at,
  DAY,
  type IncidentBot,
  incidentBot,
  incidentConfig,
  incidentSetup,
  setVersions,
} from "../incidents/support.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, bob, buttonsOf, carol, messageUpdate, type Person } from "../support/telegram.js";
import { confirmedBug, onCall } from "../windows/support.js";
import { last, pressData, pressOn, toasts } from "./helpers.js";

/** A third admin: Alice and Dave ask for private notices, Bob turns them off again. */
const dave: Person = { id: 1003, first_name: "Dave", username: "dave" };
const PEOPLE = [alice, bob, carol, dave];

describe.each(testBackends())("private notices on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: IncidentBot;
  /** How many messages each person's private chat had once the preferences were set. */
  let before: Map<number, number>;
  beforeEach(async () => {
    await t.reset();
    const setup = incidentSetup();
    setup.smoke.pass();
    tb = await incidentBot(
      t.db,
      incidentConfig(setup, { env: { ADMIN_IDS: "1001,1002,1003" } }),
      fakeClock(at("10:00")),
    );
    await onCall(t.db, DAY);
    await say("hi", carol, GROUP); // Carol is a member of the team group
    for (const [who, arg] of [
      [alice, "on"],
      [dave, "on"],
      [bob, "on"],
      [bob, "off"],
      [carol, "on"], // a member: refused
    ] as const)
      await say(`/notify ${arg}`, who, who.id);
    expect(last(tb, "sendMessage", carol.id).payload.text).toBe(quietText.notify.adminsOnly);
    before = new Map(PEOPLE.map((p) => [p.id, tb.api.sentTo(p.id).length]));
  });

  const say = (text: string, from: Person, chatId: number) =>
    tb.send(messageUpdate(text, from, chatId, Math.floor(tb.clock().getTime() / 1000)));
  /** What the bot sent each person in private since the preferences were set. */
  const noticesTo = (who: Person) => tb.api.sentTo(who.id).slice(before.get(who.id));
  const counts = () => PEOPLE.map((p) => noticesTo(p).length);
  /** The scheduler firing at a local time of DAY; the outbox delivered through the fake Bot API. */
  const windowAt = async (local: string) => {
    tb.clock.set(at(local));
    await tick(tb.deps);
    await tb.settle();
  };

  it("T1: a UAT release awaiting 批准推 PROD — each admin who asked is told once, with the T2 cutoff; the notice's buttons approve", async () => {
    const a = await confirmedBug(t.db, { title: "Login <button> does nothing" });
    const b = await confirmedBug(t.db, { title: "Checkout total wrong" });

    await windowAt("20:00");
    expect((await getBug(t.db, a.id))?.status).toBe("deployed_uat");
    // Alice and Dave once each; Bob (off), Carol (a member) nothing
    expect(counts()).toEqual([1, 0, 0, 1]);
    const notice = noticesTo(alice)[0]!;
    expect(notice.payload.text.split("\n")).toEqual([
      "🔔 UAT 2099.11.24-1 已部署，待你驗收後「批准推 PROD」：",
      `• #${a.id} Login &lt;button&gt; does nothing`,
      `• #${b.id} Checkout total wrong`,
      "⏰ 今晚 22:00（11/24） 的 T2 視窗前批准，當次部署至 PROD；之後才批准的，排入下一次 T2。",
      "點下方按鈕即可處理，或傳 /todo 查看所有待辦。",
    ]);
    expect(noticesTo(dave)[0]!.payload.text).toBe(notice.payload.text);
    expect(buttonsOf(notice.payload).map((x) => x.text)).toEqual([
      `批准推 PROD #${a.id}`,
      `批准推 PROD #${b.id}`,
      "全部批准",
    ]);
    // the group still has the release's one message (the progress line become its template)
    const templates = tb.api
      .botMessagesLeft(GROUP)
      .filter((m) => m.text.startsWith("🔧 Bug Fix Pipeline — Flow 1 已部署 UAT"));
    expect(templates).toHaveLength(1);

    // from her phone: Alice approves the whole release on the notice itself
    tb.clock.set(at("21:00"));
    await tb.send(pressOn(notice, "全部批准", alice));
    expect((await getBug(t.db, a.id))?.status).toBe("pending_prod");
    expect((await getBug(t.db, b.id))?.status).toBe("pending_prod");
    expect(last(tb, "sendMessage", alice.id).payload.text).toContain("今晚 22:00（11/24）");
    // the same button on Dave's notice is now already handled
    await tb.send(pressOn(noticesTo(dave)[0]!, "全部批准", dave));
    expect(toasts(tb).at(-1)).toBe("已由其他人處理");
    expect(tb.api.errors()).toEqual([]);
  });

  it("T2: a Flow 2 PROD release awaiting 批准 Merge UAT — told once with the cutoff; T1's queueing asks nobody", async () => {
    const c = await confirmedBug(t.db, { title: "Report totals wrong", flow: "flow2" });

    await windowAt("20:00");
    expect((await getBug(t.db, c.id))?.status).toBe("pending_prod");
    expect(counts()).toEqual([0, 0, 0, 0]); // queued for T2: nothing awaits an admin yet

    await windowAt("22:00");
    expect((await getBug(t.db, c.id))?.status).toBe("deployed_prod");
    expect(counts()).toEqual([1, 0, 0, 1]);
    const notice = noticesTo(dave)[0]!;
    expect(notice.payload.text.split("\n")).toEqual([
      "🔔 PROD 2099.11.24-1 已部署，待你驗收後「批准 Merge UAT」：",
      `• #${c.id} Report totals wrong`,
      "⏰ 明晚 22:00（11/25） 的 T2 視窗前批准，當次合併回 UAT；之後才批准的，排入下一次 T2。",
      "點下方按鈕即可處理，或傳 /todo 查看所有待辦。",
    ]);
    expect(buttonsOf(notice.payload).map((x) => x.text)).toEqual([`批准 Merge UAT #${c.id}`]);

    tb.clock.set(at("23:00"));
    await tb.send(pressOn(notice, `批准 Merge UAT #${c.id}`, dave));
    expect((await getBug(t.db, c.id))?.status).toBe("pending_uat_merge");
    expect(tb.api.errors()).toEqual([]);
  });

  it("a hotfix request awaiting a second admin — told to the admins who asked but the requester; approved from the notice", async () => {
    await setOncall(t.db, { systemId: "crm", day: DAY, userId: 1002, name: "Bob", setBy: "Bob" }, at("09:00"));
    const bug = await reportOne(t.db, { title: "Payments <down>", severity: "critical", foundInEnv: "prod" });
    await say("/freeze on — 雙十一大促", alice, GROUP);
    before = new Map(PEOPLE.map((p) => [p.id, tb.api.sentTo(p.id).length]));

    // Alice (who asked for notices herself) requests the hotfix in the group
    await say(`/hotfix ${bug.id}`, alice, GROUP);
    await say("--- a/pay.ts\n+++ b/pay.ts\n+if (!card) return;", alice, GROUP);
    await tb.send(pressData(last(tb, "sendMessage", GROUP), "v1:hx:m:run", alice));
    await tb.settle();
    const [request] = await t.db.select().from(hotfixRequests);
    expect(request).toMatchObject({ status: "pending", requestedByName: "Alice" });

    // Dave once; Alice (the requester), Bob (off) and Carol (a member) nothing
    expect(counts()).toEqual([0, 0, 0, 1]);
    const notice = noticesTo(dave)[0]!;
    expect(notice.payload.text.split("\n")).toEqual([
      `🔔 Alice 申請 #${bug.id} Payments &lt;down&gt; 的緊急修正（申請 #${request!.id}），需要第二位管理員核准。`,
      "⏰ 2099-11-24 10:30 前有效，逾時自動取消。",
      "點下方按鈕即可處理，或傳 /todo 查看所有待辦。",
    ]);

    await tb.send(pressOn(notice, "✅ 核准緊急修正", dave));
    await tb.settle();
    const [after] = await t.db.select().from(bugs).where(eq(bugs.id, bug.id));
    expect(after!.status).toBe("deployed_prod");
    expect(await t.db.select().from(hotfixRequests)).toMatchObject([{ status: "done", approvedByName: "Dave" }]);
    expect(tb.api.errors()).toEqual([]);
  });

  it("a hotfix leaving UAT ahead of PROD: the merge back awaits — told to the admins who asked but the requester", async () => {
    await setOncall(t.db, { systemId: "crm", day: DAY, userId: 1002, name: "Bob", setBy: "Bob" }, at("09:00"));
    await setVersions(t.db, { prod: "2099.11.20-1", uat: "2099.11.23-2" });
    const bug = await reportOne(t.db, { title: "Checkout crashes", severity: "critical", foundInEnv: "prod" });
    await say(`/hotfix ${bug.id}`, alice, GROUP);
    await say("--- a/pay.ts\n+++ b/pay.ts\n+fix", alice, GROUP);
    await tb.send(pressData(last(tb, "sendMessage", GROUP), "v1:hx:m:run", alice));
    await tb.settle();
    expect(await getBug(t.db, bug.id)).toMatchObject({ status: "deployed_prod", uatAhead: true });

    expect(counts()).toEqual([0, 0, 0, 1]); // Dave; not Alice, who ran it
    const notice = noticesTo(dave)[0]!;
    expect(notice.payload.text.split("\n")).toEqual([
      "🔔 PROD 2099.11.24-1 已部署，待你驗收後「批准 Merge UAT」：",
      `• #${bug.id} Checkout crashes`,
      "⏰ 今晚 22:00（11/24） 的 T2 視窗前批准，當次合併回 UAT；之後才批准的，排入下一次 T2。",
      "點下方按鈕即可處理，或傳 /todo 查看所有待辦。",
    ]);
    await tb.send(pressOn(notice, "批准 Merge UAT", dave)); // the group template's button
    expect((await getBug(t.db, bug.id))?.status).toBe("pending_uat_merge");
    expect(tb.api.errors()).toEqual([]);
  });

  it("during Lunar New Year only the CTOs who asked are told: no one else may approve", async () => {
    const LNY = "2099-01-21"; // the first day of the Lunar New Year in 2099
    const setup = incidentSetup();
    const config = incidentConfig(setup, {
      env: { ADMIN_IDS: "1001,1002,1003" },
      system: {
        roles: { cto: [dave.id], dba: [] },
        freeze: { holidays: null, lunarNewYear: true, monthEnd: null },
      },
    });
    tb = await incidentBot(t.db, config, fakeClock(at("10:00", LNY)));
    await say("/notify on", bob, bob.id); // Bob asks too, but is no CTO
    before = new Map(PEOPLE.map((p) => [p.id, tb.api.sentTo(p.id).length]));
    await setOncall(t.db, { systemId: "crm", day: LNY, userId: 1002, name: "Bob", setBy: "Bob" }, at("09:00", LNY));
    const bug = await reportOne(t.db, { title: "Payments down", severity: "critical", foundInEnv: "prod" });

    await say(`/hotfix ${bug.id}`, alice, GROUP);
    await say("--- a/pay.ts\n+++ b/pay.ts\n+fix", alice, GROUP);
    await tb.send(pressData(last(tb, "sendMessage", GROUP), "v1:hx:m:run", alice));
    await tb.settle();
    expect(await t.db.select().from(hotfixRequests)).toMatchObject([{ status: "pending", approverRole: "cto" }]);
    expect(counts()).toEqual([0, 0, 0, 1]); // Dave, the CTO
    expect(noticesTo(dave)[0]!.payload.text).toContain("需要第二位管理員核准（農曆新年封版，限 CTO）。");
    expect(tb.api.errors()).toEqual([]);
  });

  it("a hotfix that needs no second admin and leaves nothing to merge tells nobody in private", async () => {
    await setOncall(t.db, { systemId: "crm", day: DAY, userId: 1002, name: "Bob", setBy: "Bob" }, at("09:00"));
    const bug = await reportOne(t.db, { severity: "high", foundInEnv: "prod" });
    await say(`/hotfix ${bug.id}`, bob, GROUP);
    await say("--- a/pay.ts\n+++ b/pay.ts\n+fix", bob, GROUP);
    await tb.send(pressData(last(tb, "sendMessage", GROUP), "v1:hx:m:run", bob));
    await tb.settle();
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_prod");
    expect(counts()).toEqual([0, 0, 0, 0]);
    expect(tb.api.errors()).toEqual([]);
  });
});
