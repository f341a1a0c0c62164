// /run t1|t2: an admin runs a window now, through the same gates; others are refused.
import { beforeEach, describe, expect, it } from "vitest";
import { windowRuns } from "../../drizzle/schema.js";
import { settleManualRuns } from "../../src/adapters/telegram/features/run-window.js";
import { getBug } from "../../src/app/bugs.js";
import { fakeClock, startTestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, carol, messageUpdate } from "../support/telegram.js";
import { at, confirmedBug, onCall, outboxRows, pipelineConfig, recorder } from "./support.js";

describe.each(testBackends())("/run on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("an admin runs T1 now; a member is refused", async () => {
    const rec = recorder();
    const tb = await startTestBot(t.db, {
      config: pipelineConfig({ uat: rec.target() }),
      clock: fakeClock(at("15:00")),
    });
    const bug = await confirmedBug(t.db);

    await tb.send(messageUpdate("/run t1", carol, GROUP));
    expect(tb.api.sentTo(GROUP).at(-1)?.payload.text).toBe("只有管理員可以操作");

    // no on-call yet: the checklist skips the manual window just like a scheduled one
    await tb.send(messageUpdate("/run t1", alice, GROUP));
    await settleManualRuns();
    expect(tb.api.sentTo(GROUP).at(-1)?.payload.text).toContain("手動執行 T1");
    expect((await outboxRows(t.db)).some((r) => r.text.includes("✗ 值班"))).toBe(true);

    await onCall(t.db);
    tb.clock.set(at("15:01"));
    await tb.send(messageUpdate("/run t1", alice, GROUP));
    await settleManualRuns();
    const runs = await t.db.select().from(windowRuns).orderBy(windowRuns.id);
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([
      ["manual", "skipped"],
      ["manual", "done"],
    ]);
    expect(rec.calls()).toHaveLength(1);
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_uat");
  });
});
