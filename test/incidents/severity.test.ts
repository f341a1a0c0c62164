// /rollback follows the seed's severity branches (issue 12): a minor UX glitch is advised against and
// rolls nothing back unless confirmed anyway; a data-corruption risk rolls back, escalates to the
// on-call, the admins and the DBAs (roles.dba) and runs the down-migration target (a real script).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { incidents } from "../../drizzle/schema.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, messageUpdate } from "../support/telegram.js";
import { current, pressOn } from "../telegram/helpers.js";
import { confirmedBug, onCall } from "../windows/support.js";
import { incidentBot, incidentConfig, incidentSetup, setVersions } from "./support.js";

describe.each(testBackends())("/rollback severity branches on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  async function released(system: Parameters<typeof incidentConfig>[1] = {}) {
    const setup = incidentSetup();
    setup.smoke.pass();
    const tb = await incidentBot(t.db, incidentConfig(setup, system));
    await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
    await onCall(t.db);
    await confirmedBug(t.db, { flow: "flow2", title: "Stylist list empty" });
    await tb.window("t1");
    await tb.window("t2");
    return { setup, tb };
  }

  it("a minor UX glitch: the bot suggests monitoring and a scheduled fix; nothing is rolled back unless confirmed anyway", async () => {
    const { setup, tb } = await released();
    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "🟡 輕微 UX 問題", alice));
    const advice = current(tb, GROUP);
    expect(advice.payload.text).toContain("建議持續監控");
    await tb.send(pressOn(advice, "不回滾，排程修正", alice));
    expect(current(tb, GROUP).payload.text).toContain("不回滾");
    await tb.settle();
    expect(setup.rollback.calls()).toEqual([]);
    expect(await t.db.select().from(incidents)).toEqual([]);

    // Confirmed anyway: rolled back, recorded as minor.
    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "🟡 輕微 UX 問題", alice));
    await tb.send(pressOn(current(tb, GROUP), "仍要回滾", alice));
    await tb.send(messageUpdate("按鈕顏色錯", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "⚠️ 確認回滾", alice));
    await tb.settle();
    expect(setup.rollback.calls()).toHaveLength(1);
    expect(await t.db.select().from(incidents)).toMatchObject([{ problemKind: "minor", reason: "按鈕顏色錯" }]);
    expect(tb.api.errors()).toEqual([]);
  });

  it("a data-corruption risk: rolls back, mentions on-call, admins and DBAs, runs migrateDown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-migrate-"));
    const script = join(dir, "migrate-down.sh");
    writeFileSync(script, `#!/bin/sh\necho "$NIGHTSHIFT_TARGET_VERSION" > "${dir}/ran"\necho "down to 0042"\n`, {
      mode: 0o755,
    });
    const base = incidentConfig(incidentSetup());
    const { tb } = await released({
      system: {
        roles: { cto: [], dba: [3001] },
        environments: {
          ...base.systems[0]!.environments,
          prod: {
            ...base.systems[0]!.environments.prod,
            migrateDown: { type: "command", command: [script], timeoutSeconds: 30 },
          },
        },
      },
    });
    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "🔴 資料損毀風險", alice));
    await tb.send(messageUpdate("訂單金額被寫壞", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "⚠️ 確認回滾", alice));
    await tb.settle();
    expect(readFileSync(join(dir, "ran"), "utf8").trim()).toBe("2099.11.20-1");
    const [incident] = await t.db.select().from(incidents);
    expect(incident).toMatchObject({
      problemKind: "data",
      rollbackStatus: "succeeded",
      migrateDownStatus: "succeeded",
    });
    const escalation = tb.api
      .of("editMessageText")
      .map((c) => String(c.payload.text))
      .find((x) => x.startsWith("🔴 資料損毀風險"))!;
    expect(escalation.split("\n").slice(2, 6)).toEqual([
      '值班：<a href="tg://user?id=1001">Alice</a>',
      expect.stringContaining('<a href="tg://user?id=1002">'),
      'DBA：<a href="tg://user?id=3001">3001</a>',
      "資料庫降版（migrateDown）：成功",
    ]);
    expect(escalation).toContain("down to 0042");
    expect(tb.api.errors()).toEqual([]);
  });
});
