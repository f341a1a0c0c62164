// Drill 5: two bot processes (webhook mode, as replicas behind a load balancer) share one database
// for an evening on the fast clock. Before 20:00 an admin triages two bugs through updates sent to
// either replica; after T1 she approves the UAT one for PROD. Both replicas race for T1 and T2 at
// the same simulated instant: each window runs exactly once, each deploy happens once, and every
// notification reaches the group once.
import type { Update } from "grammy/types";
import { describe, expect, it } from "vitest";
import { bugs, windowRuns } from "../../drizzle/schema.js";
import { visibleText } from "../../src/sandbox/fake-bot-api.js";
import { reportOne, seedSystem } from "../support/fixtures.js";
import { callbackUpdate, messageUpdate } from "../support/telegram.js";
import {
  ALICE,
  deliveries,
  deployCalls,
  expectNothingLost,
  GROUP,
  logLines,
  seedOncall,
  startBot,
  taipei,
  tempDir,
  unsentCount,
  until,
  useDrill,
  writePipeline,
} from "./support.js";

const SECRET = "chaos-drill-secret";

describe("drill 5: two replicas on one database for an evening", () => {
  const drill = useDrill();
  const dir = tempDir("replicas");

  it("runs T1 and T2 once each, deploys once, notifies once", async () => {
    const { pg, telegram } = drill;
    await seedSystem(pg.db);
    await seedOncall(pg.db);
    const typo = await reportOne(pg.db, { title: "Typo on the receipt" });
    const invoice = await reportOne(pg.db, { title: "Invoice total off by one" });

    // 10 simulated minutes per real second; 19:55 is 20 s away (starting two replicas and triaging
    // took over 10 s on a loaded 2-core machine), so the evening fits in ~35 s. Both replicas share
    // the anchor: they read the same simulated time.
    const clock = { start: taipei("19:55:00"), speed: 600, anchor: new Date(Date.now() + 20_000) };
    const options = {
      databaseUrl: pg.url,
      telegram,
      pipeline: writePipeline(dir, { smoke: true }),
      clock,
      env: { WEBHOOK_URL: "https://nightshift.example.com/telegram", WEBHOOK_SECRET: SECRET },
    };
    const replicas = await Promise.all([startBot(options), startBot(options)]);

    // A load balancer: updates alternate between the replicas.
    let turn = 0;
    const send = async (update: Update) => {
      const port = replicas[turn++ % 2]!.port;
      const response = await fetch(`http://127.0.0.1:${port}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(update),
      });
      expect(response.status).toBe(200);
    };
    const lastIn = (chatId: number, text: RegExp) =>
      [...telegram.messages.values()].filter((m) => m.chatId === chatId && text.test(visibleText(m.text))).at(-1)!;
    /** Presses a button (found by its label) on the message's current state, as Telegram would send it. */
    const press = async (chatId: number, message: RegExp, label: RegExp) => {
      const shown = lastIn(chatId, message);
      const button = (shown.replyMarkup?.inline_keyboard ?? []).flat().find((b: any) => label.test(b.text));
      if (!button) throw new Error(`no ${label} button on: ${shown.text}`);
      const update = callbackUpdate(button.callback_data, ALICE, {
        chatId,
        messageId: shown.messageId,
        text: visibleText(shown.text),
      });
      (update.callback_query!.message as any).reply_markup = shown.replyMarkup;
      await send(update);
    };

    // Before 20:00, in a private chat: /triage, then the queue's cards one by one.
    await send(messageUpdate("/triage", ALICE));
    for (const [bug, flow] of [
      [typo, /Flow 1/],
      [invoice, /Flow 2/],
    ] as const) {
      const card = new RegExp(`#${bug.id} `);
      await press(ALICE.id, card, /確認/);
      await press(ALICE.id, card, /medium/);
      await press(ALICE.id, card, flow);
      await press(ALICE.id, card, /確認分類/);
    }
    expect(new Date() < clock.anchor).toBe(true); // still before 19:55
    const confirmed = await pg.db.select().from(bugs).orderBy(bugs.id);
    expect(confirmed.map((b) => [b.status, b.fixFlow])).toEqual([
      ["confirmed", "flow1"],
      ["confirmed", "flow2"],
    ]);

    // T1 deploys the Flow 1 bug to UAT; the group is asked to approve it for PROD.
    await until(() => telegram.groupTexts().some((t) => t.includes("Flow 1 已部署 UAT")), "T1's UAT release", 40_000);
    await press(GROUP, /Flow 1 已部署 UAT/, /批准推 PROD/);
    expect(Date.now() - clock.anchor.getTime()).toBeLessThan(12_000); // approved before 22:00 (anchor + 12.5 s)

    await until(
      async () => {
        const runs = await pg.db.select().from(windowRuns);
        // The post-deploy watch stands down after its window is recorded done: wait for PROD's summary.
        // (issue 12: the summary is an edit of the watch's one message.)
        const watched = telegram
          .of("editMessageText")
          .some((c) => /PROD .*監控 \d+ 分鐘結束/.test(String(c.payload.text)));
        return (
          runs.length === 2 && runs.every((w) => w.status !== "running") && watched && (await unsentCount(pg.db)) === 0
        );
      },
      "T2 and its watch to finish and the outbox to drain",
      30_000,
    );
    const runs = await pg.db.select().from(windowRuns).orderBy(windowRuns.id);
    expect(runs.map((w) => [w.slot, w.scheduledFor.toISOString(), w.status])).toEqual([
      ["t1", taipei("20:00:00").toISOString(), "done"],
      ["t2", taipei("22:00:00").toISOString(), "done"],
    ]);
    // Both replicas ticked through 20:00 and 22:00; the claim let exactly one of them run each window.
    const claims = replicas.flatMap((r, i) => logLines(r, /window claimed/).map((l) => [l.slot, i]));
    expect(claims.map(([slot]) => slot).sort()).toEqual(["t1", "t2"]);
    expect(deployCalls(dir).map((c) => [c.label, c.env, c.bugIds])).toEqual([
      ["deploy", "uat", String(typo.id)],
      ["deploy", "prod", `${typo.id},${invoice.id}`],
    ]);
    const final = await pg.db.select().from(bugs).orderBy(bugs.id);
    expect(final.map((b) => b.status)).toEqual(["deployed_prod", "deployed_prod"]);

    const sent = await deliveries(pg.db, telegram);
    expect(sent.filter((d) => d.copies !== 1)).toEqual([]);
    const group = telegram.groupTexts();
    for (const headline of ["Flow 1 已部署 UAT", "Flow 2 已排隊部署 PROD", "Flow 1 已部署 PROD", "Flow 2 已部署 PROD"])
      expect(
        group.filter((t) => t.includes(headline)),
        headline,
      ).toHaveLength(1);
    expect(telegram.errors()).toEqual([]);
    await expectNothingLost(pg.db);
    for (const replica of replicas) expect(replica.child.exitCode).toBeNull();
    expect(await Promise.all(replicas.map((r) => r.stop()))).toEqual([0, 0]);
  });
});
