// Messages that cannot fail to arrive, through the bot: a rollback preview too long for one message
// is split (and the rollback can be confirmed), and a Telegram error is told to the user — inside a
// conversation (which then ends) and outside one — instead of only being logged.
import { eq, like } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, deployments, kv } from "../../drizzle/schema.js";
import { visibleText } from "../../src/core/html.js";
import { conversationText as C, incidents } from "../../src/i18n/index.js";
import { at, incidentBot, incidentConfig, incidentSetup, setVersions } from "../incidents/support.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, htmlProblem, messageUpdate } from "../support/telegram.js";
import { confirmedBug, onCall } from "../windows/support.js";
import { current, last, pressOn } from "./helpers.js";

const DAY = "2099-03-02";
const BAD_REQUEST = { error_code: 400, description: "Bad Request: message is too long" };

describe.each(testBackends())("messages that cannot fail to arrive on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("/rollback prod of a release with 25 bugs × 200-character titles shows the preview in parts and can be confirmed", async () => {
    const setup = incidentSetup();
    setup.smoke.pass();
    const tb = await incidentBot(t.db, incidentConfig(setup), fakeClock(at("10:00", DAY)));
    await setVersions(t.db, { uat: "2099.03.01-1", prod: "2099.03.01-1" }, at("09:00", DAY));
    await onCall(t.db, DAY);
    const ids: number[] = [];
    for (let i = 0; i < 25; i++) {
      const head = `#${String(i).padStart(2, "0")} 結帳 <b>&`;
      const bug = await confirmedBug(t.db, { flow: "flow2", title: head + "長".repeat(200 - head.length) });
      ids.push(bug.id);
    }
    await tb.window("t1", DAY);
    await tb.window("t2", DAY);
    const [release] = await t.db.select().from(deployments).where(eq(deployments.env, "prod"));
    expect(release).toMatchObject({ status: "succeeded", bugIds: ids });

    tb.clock.set(at("22:45", DAY));
    const before = tb.api.calls.length;
    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    const parts = tb.api.calls.slice(before).filter((c) => c.method === "sendMessage");
    expect(parts.filter((c) => c.error)).toEqual([]);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(visibleText(part.payload.text).length).toBeLessThanOrEqual(4096);
      expect(htmlProblem(part.payload.text)).toBeNull();
    }
    const preview = parts.map((c) => String(c.payload.text)).join("\n");
    expect(preview.startsWith("⚠️ 回滾預覽 — PROD")).toBe(true);
    for (const id of ids) expect(preview).toContain(`• #${id} [medium] `);
    expect(preview).toContain("結帳 &lt;b&gt;&amp;");
    // The preview, then the kind of problem with its buttons (issue 12) in the same panel, then the reason.
    expect(parts.at(-1)!.payload.text).toContain("這是哪一種問題？");
    await tb.send(pressOn(current(tb, GROUP), "🟠 功能回歸", alice));
    // No forced reply in a quiet group (the bot, an admin there, reads every message).
    expect(current(tb, GROUP).payload.text).toContain(incidents.rollback.askReason);

    await tb.send(messageUpdate("結帳頁 500", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), incidents.rollback.confirm, alice));
    await tb.settle();
    expect(setup.rollback.calls().length).toBeGreaterThan(0);
    const after = await t.db.select().from(deployments).orderBy(deployments.id);
    expect(after.map((d) => [d.kind, d.env, d.status])).toContainEqual(["rollback", "prod", "succeeded"]);
    for (const bug of await t.db.select().from(bugs)) expect(bug).toMatchObject({ status: "pending_prod", held: true });
    expect(tb.api.errors()).toEqual([]);
  });

  it("a Telegram error inside a conversation is told to the user and ends it; outside one too", async () => {
    const tb = await incidentBot(t.db, incidentConfig(incidentSetup()), fakeClock(at("10:00", DAY)));
    await tb.send(messageUpdate("/report", alice));
    tb.api.failNext("sendMessage", BAD_REQUEST); // the next question is refused
    await tb.send(messageUpdate("Title", alice));
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe(C.telegramFailed);
    expect(await t.db.select().from(kv).where(like(kv.key, "conv:%"))).toEqual([]);

    tb.api.failNext("sendMessage", BAD_REQUEST);
    await tb.send(messageUpdate("/status", alice));
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe(C.actionFailed);
  });
});
