import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { bugEvents, deployments, freezes } from "../../drizzle/schema.js";
import { approve } from "../../src/app/approvals.js";
import { type BugRow, getBug } from "../../src/app/bugs.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../src/core/callback-data.js";
import type { BugEvent } from "../../src/core/model.js";
import { startTestBot, type TestBot } from "../support/app.js"; // the default clock is 12:00 in Taipei, before T2
import { testBackends, useTestDatabase } from "../support/db.js";
import { ADMIN, drive, GROUP, reportOne, T1, T2 } from "../support/fixtures.js";
import { alice, bob, carol, messageUpdate } from "../support/telegram.js";
import { last, messageState, pressOn, toasts, writes } from "./helpers.js";

const AFTER_T2 = "2099-11-21T14:05:00Z"; // 22:05 in Taipei

const toUat: [BugEvent, typeof ADMIN][] = [
  [{ type: "confirm", severity: "medium", flow: "flow1" }, ADMIN],
  [{ type: "start_analysis" }, T1],
  [{ type: "record_analysis", rootCause: null, fixPlan: null, failed: false }, T1],
  [{ type: "deploy_uat_ok", releaseId: 1 }, T1],
];
const toProd: [BugEvent, typeof ADMIN][] = [
  [{ type: "confirm", severity: "low", flow: "flow2" }, ADMIN],
  [{ type: "start_analysis" }, T1],
  [{ type: "record_analysis", rootCause: null, fixPlan: null, failed: false }, T1],
  [{ type: "queue_prod" }, T1],
  [{ type: "deploy_prod_ok", releaseId: 2 }, T2],
];

describe.each(testBackends())("approvals on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db);
  });

  /** Waits (bounded) until a freezes notification after `since` invalidations reached this process. */
  const notified = (since: number) =>
    vi.waitFor(() => expect(t.freezeCache.invalidations).toBeGreaterThan(since), { timeout: 5000, interval: 5 });

  /** Runs `statement` as another replica would: its own connection on Postgres (PGlite has one session). */
  async function elsewhere(statement: string) {
    if (!t.url) return void (await t.db.execute(sql.raw(statement)));
    const other = postgres(t.url, { max: 1, onnotice: () => {} });
    try {
      await other.unsafe(statement);
    } finally {
      await other.end();
    }
  }

  const bugAt = async (steps: typeof toUat, title = "Login button does nothing") =>
    drive(t.db, await reportOne(t.db, { title }), steps, new Date("2099-11-21T01:00:00Z"));

  /** The engine's Flow 1 UAT notification: one button per bug and 全部批准 for the deployment. */
  async function notification(bugs: BugRow[], kind: "prod" | "uat_merge" = "prod") {
    const [deployment] = await t.db
      .insert(deployments)
      .values({
        systemId: "crm",
        env: kind === "prod" ? "uat" : "prod",
        kind: "pipeline",
        status: "succeeded",
        version: "2099.11.20-1",
        bugIds: bugs.map((b) => b.id),
        actorName: "system:T1",
        startedAt: new Date("2099-11-20T12:00:00Z"),
      })
      .returning();
    const single = kind === "prod" ? CALLBACK_ACTIONS.approveProd : CALLBACK_ACTIONS.approveUatMerge;
    const all = kind === "prod" ? CALLBACK_ACTIONS.approveProdAll : CALLBACK_ACTIONS.approveUatMergeAll;
    const label = kind === "prod" ? "批准推 PROD" : "批准 Merge UAT";
    await tb.bot.api.sendMessage(
      GROUP,
      `🔧 <b>Bug Fix Pipeline</b> — Flow 1 已部署 UAT\n${bugs.map((b) => `• #${b.id} [medium] ${b.title}`).join("\n")}`,
      {
        parse_mode: "HTML",
        reply_markup: {
          inline_keyboard: [
            ...bugs.map((b) => [
              {
                text: `${label} #${b.id}`,
                callback_data: encodeCallback({ action: single, id: b.id, version: b.rowVersion }),
              },
            ]),
            [{ text: "全部批准", callback_data: encodeCallback({ action: all, id: deployment!.id, version: 0 }) }],
          ],
        },
      },
    );
    return last(tb, "sendMessage", GROUP);
  }

  it("approves PROD from the button: reply names tonight's T2, message stamped, button removed", async () => {
    const bug = await bugAt(toUat);
    const other = await bugAt(toUat, "Second");
    const note = await notification([bug, other]);
    await tb.send(pressOn(note, "批准推 PROD #1", alice));

    expect(await getBug(t.db, 1)).toMatchObject({ status: "pending_prod" });
    // issue 10: only part of the UAT release is approved — which version PROD gets, and what follows
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      [
        "✅ 已批准推 PROD：#1\n⏳ 將於 今晚 22:00（11/21） 部署至 PROD。",
        "",
        "ℹ️ UAT 版本 <code>2099.11.20-1</code> 只批准了部分 bug：#1（未批准：#2）。",
        "PROD 將部署只含已批准修正的新版本，部署後 UAT 與 PROD 版本不同：之後的 Flow 1 bug 需先讓版本對齊，或改走 Flow 2。",
      ].join("\n"),
    );
    const edited = messageState(tb, GROUP, note.result.message_id);
    expect(edited.payload.text).toMatch(/^🔧 <b>Bug Fix Pipeline<\/b> — Flow 1 已部署 UAT\n/);
    expect(edited.payload.text).toContain("✅ #1 已由 Alice 批准推 PROD · 2099-11-21 12:00");
    expect(edited.payload.reply_markup.inline_keyboard.flat().map((b: any) => b.text)).toEqual([
      "批准推 PROD #2",
      "全部批准",
    ]);
    expect(toasts(tb).at(-1)).toBe("已批准 1 筆");
    // the rest approved too: the release is whole again, no note
    await tb.send(pressOn(messageState(tb, GROUP, note.result.message_id), "批准推 PROD #2", alice));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      "✅ 已批准推 PROD：#2\n⏳ 將於 今晚 22:00（11/21） 部署至 PROD。",
    );
    expect(tb.api.errors()).toEqual([]);
  });

  it("after today's T2 the reply names tomorrow's, skipping frozen days", async () => {
    const first = await bugAt(toUat);
    tb.clock.set(AFTER_T2);
    await tb.send(pressOn(await notification([first]), "批准推 PROD #1", alice));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("將於 明晚 22:00（11/22） 部署至 PROD");

    // written straight into the database, as another replica would: this process hears of it by
    // the freezes notification (its freeze cache is warm from the first press)
    const heard = t.freezeCache.invalidations;
    await t.db.insert(freezes).values({
      scope: "all",
      reason: "大促 <週末>",
      until: new Date("2099-11-22T16:00:00Z"),
      createdBy: "Alice",
    });
    await notified(heard);
    const second = await bugAt(toUat, "Second");
    await tb.send(pressOn(await notification([second]), "批准推 PROD #2", bob));
    const reply = last(tb, "sendMessage", GROUP).payload.text;
    expect(reply).toContain("將於 11/23（一） 22:00 部署至 PROD");
    expect(reply).toContain("（跳過封版日：2099-11-22 大促 &lt;週末&gt;）");
  });

  it("issue 15: a freeze set and lifted on another connection is in the next reply after its notification", async () => {
    tb.clock.set(AFTER_T2);
    await tb.send(pressOn(await notification([await bugAt(toUat)]), "批准推 PROD #1", alice));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("將於 明晚 22:00（11/22） 部署至 PROD");
    expect(t.freezeCache.warm).toBe(true);

    let heard = t.freezeCache.invalidations;
    await elsewhere(
      `insert into freezes (scope, reason, until, created_by, created_at)
       values ('all', '機房搬遷', '2099-11-22T16:00:00Z', 'Replica B', now())`,
    );
    await notified(heard);
    expect(t.freezeCache.warm).toBe(false);
    await tb.send(pressOn(await notification([await bugAt(toUat, "Second")]), "批准推 PROD #2", bob));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("（跳過封版日：2099-11-22 機房搬遷）");

    heard = t.freezeCache.invalidations;
    await elsewhere(`update freezes set lifted_at = now(), lifted_by = 'Replica B'`);
    await notified(heard);
    await tb.send(pressOn(await notification([await bugAt(toUat, "Third")]), "批准推 PROD #3", bob));
    const reply = last(tb, "sendMessage", GROUP).payload.text;
    expect(reply).toContain("將於 明晚 22:00（11/22） 部署至 PROD");
    expect(reply).not.toContain("跳過封版日");
  });

  it("issue 15: with the freeze cache warm a press runs no freeze statement", async () => {
    const first = await bugAt(toUat);
    const second = await bugAt(toUat, "Second");
    t.statements.length = 0;
    await tb.send(pressOn(await notification([first]), "批准推 PROD #1", alice));
    const freezeReads = () => t.statements.filter((q) => /\bfrom "freezes"/.test(q));
    expect(freezeReads()).toHaveLength(1); // cold: read once
    t.statements.length = 0;
    await tb.send(pressOn(await notification([second]), "批准推 PROD #2", alice));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      "✅ 已批准推 PROD：#2\n⏳ 將於 今晚 22:00（11/21） 部署至 PROD。",
    );
    expect(t.statements.some((q) => /update "bugs"/.test(q))).toBe(true); // the press did run
    expect(freezeReads()).toEqual([]);
  });

  it("issue 15: a warm press runs 6 statements — the bug read once, the partial-approval check in one", async () => {
    const bugs = [await bugAt(toUat, "a"), await bugAt(toUat, "b"), await bugAt(toUat, "c")];
    const note = await notification(bugs);
    await tb.send(pressOn(note, "批准推 PROD #1", alice)); // warms the freeze cache (and the prepared statements)
    t.statements.length = 0;
    await tb.send(pressOn(messageState(tb, GROUP, note.result.message_id), "批准推 PROD #2", alice));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      [
        "✅ 已批准推 PROD：#2\n⏳ 將於 今晚 22:00（11/21） 部署至 PROD。",
        "",
        "ℹ️ UAT 版本 <code>2099.11.20-1</code> 只批准了部分 bug：#1 #2（未批准：#3）。",
        "PROD 將部署只含已批准修正的新版本，部署後 UAT 與 PROD 版本不同：之後的 Flow 1 bug 需先讓版本對齊，或改走 Flow 2。",
      ].join("\n"),
    );
    // drizzle's logger: every statement but BEGIN / COMMIT, as "<verb> <table>"
    const shape = (q: string) => {
      const verb = /^(select|insert into|update|delete from)\b/.exec(q)?.[1];
      const table = (verb === "select" ? /\bfrom "(\w+)"/ : /^[a-z ]+"(\w+)"/).exec(q)?.[1];
      return `${verb} ${table}`;
    };
    expect(t.statements.map(shape)).toEqual([
      "insert into processed_updates", // the update dedupe claim
      "select kv", // the conversation state
      "select bugs", // in the transaction: the bug, also the button's scope (a system admin's)
      "update bugs", // the conditional UPDATE
      "insert into bug_events", // its audit row
      "select deployments", // issue 10's partial-approval check: the release and its bugs' statuses
    ]);
    expect(tb.api.errors()).toEqual([]);
  });

  it("two admins pressing 「批准推 PROD」 at once → one transition, one edited message", async () => {
    const bug = await bugAt(toUat);
    const note = await notification([bug]);
    await Promise.all([tb.send(pressOn(note, "批准推 PROD #1", alice)), tb.send(pressOn(note, "批准推 PROD #1", bob))]);
    const approvals = await t.db.select().from(bugEvents).where(eq(bugEvents.event, "approve_prod"));
    expect(approvals).toHaveLength(1);
    expect(tb.api.of("editMessageText")).toHaveLength(1);
    expect(tb.api.of("editMessageReplyMarkup", true)).toHaveLength(0);
    expect(tb.api.sentTo(GROUP).filter((c) => c.payload.text.startsWith("✅ 已批准推 PROD"))).toHaveLength(1);
    expect(toasts(tb).sort()).toEqual(["已批准 1 筆", "已由其他人處理"].sort());
    expect(tb.api.errors()).toEqual([]);
  });

  it("全部批准 approves every bug of the deployment and removes all buttons", async () => {
    const bugs = [await bugAt(toUat, "a"), await bugAt(toUat, "b"), await bugAt(toUat, "c")];
    const note = await notification(bugs);
    await tb.send(pressOn(note, "批准推 PROD #2", alice));
    await tb.send(pressOn(messageState(tb, GROUP, note.result.message_id), "全部批准", bob));
    for (const id of [1, 2, 3]) expect((await getBug(t.db, id))?.status).toBe("pending_prod");
    const edited = messageState(tb, GROUP, note.result.message_id);
    expect(edited.payload.text).toContain("✅ #2 已由 Alice 批准推 PROD");
    expect(edited.payload.text).toContain("✅ #1 #3 已由 Bob 批准推 PROD");
    expect(edited.payload.reply_markup).toEqual({ inline_keyboard: [] });
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      "✅ 已批准推 PROD：#1 #3\n⏳ 將於 今晚 22:00（11/21） 部署至 PROD。",
    );
    // Pressed again (an old copy of the keyboard): nothing left to do.
    await tb.send(pressOn(note, "全部批准", alice));
    expect(toasts(tb).at(-1)).toBe("已由其他人處理");
  });

  it("approves a UAT merge after a Flow 2 PROD deploy", async () => {
    const bug = await bugAt(toProd);
    await tb.send(pressOn(await notification([bug], "uat_merge"), "批准 Merge UAT #1", alice));
    expect((await getBug(t.db, 1))?.status).toBe("pending_uat_merge");
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      "✅ 已批准 Merge UAT：#1\n⏳ 將於 今晚 22:00（11/21） Merge 至 UAT。",
    );
  });

  it("a non-admin gets a toast and nothing is written; a stale button says so", async () => {
    const bug = await bugAt(toUat);
    const note = await notification([bug]);
    const before = await writes(t.db);
    await tb.send(pressOn(note, "批准推 PROD #1", carol));
    expect(toasts(tb).at(-1)).toBe("只有管理員可以操作");
    await tb.send(pressOn(note, "全部批准", carol));
    expect(toasts(tb).at(-1)).toBe("只有管理員可以操作");
    expect(await writes(t.db)).toEqual(before);

    // Rolled back to planned since the notification: the button is stale and is removed.
    await drive(t.db, bug, [[{ type: "rollback", releaseId: 1, toStatus: "planned" }, ADMIN]], new Date());
    await tb.send(pressOn(note, "批准推 PROD #1", alice));
    expect(toasts(tb).at(-1)).toBe("此按鈕已過期");
    expect(messageState(tb, GROUP, note.result.message_id).payload.reply_markup).toEqual({ inline_keyboard: [] });
    expect((await getBug(t.db, 1))?.status).toBe("planned");
  });

  it("/approve_prod <id|all> and /approve_uat share the use case", async () => {
    await bugAt(toUat, "a");
    await bugAt(toUat, "b");
    await bugAt(toProd, "c");
    await tb.send(messageUpdate("/approve_prod 1", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/approve_prod", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("用法");
    await tb.send(messageUpdate("/approve_prod 1", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("已批准推 PROD：#1\n");
    await tb.send(messageUpdate("/approve_prod all", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      "✅ 已批准推 PROD：#2\n⏳ 將於 今晚 22:00（11/21） 部署至 PROD。",
    );
    await tb.send(messageUpdate("/approve_prod all", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("沒有等待批准推 PROD");
    await tb.send(messageUpdate("/approve_uat 1", alice));
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe("#1 目前為 ⏳ 待部署 PROD，無法批准。");
    await tb.send(messageUpdate("/approve_uat all", alice));
    expect(last(tb, "sendMessage", alice.id).payload.text).toContain("已批准 Merge UAT：#3");
  });

  it("the use case is callable without the bot (the engine), per bug with row versions", async () => {
    const bug = await bugAt(toUat);
    const [stale] = await approve(t.db, {
      kind: "prod",
      bugIds: [bug.id],
      actor: ADMIN,
      now: new Date(AFTER_T2),
      expectedRowVersions: { [bug.id]: bug.rowVersion - 1 },
    });
    expect(stale?.result.kind).toBe("already_handled");
    const [ok] = await approve(t.db, { kind: "prod", bugIds: [bug.id], actor: ADMIN, now: new Date(AFTER_T2) });
    expect(ok?.result.kind).toBe("applied");
    expect(ok?.runsAt?.at.toISOString()).toBe("2099-11-22T14:00:00.000Z");
  });
});
