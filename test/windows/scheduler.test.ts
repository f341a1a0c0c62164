// Window scheduling: which windows are due, catch-up and missed windows, one run across replicas,
// no overlap between T1 and T2, and the T2 − 30 min reminder.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { deployments, windowRuns } from "../../drizzle/schema.js";
import { openDatabase } from "../../src/adapters/db/database.js";
import { getBug } from "../../src/app/bugs.js";
import type { RunTarget, TargetRun } from "../../src/app/ports.js";
import { setNotify } from "../../src/app/todo.js";
import { dueWindows, runWindow, tick } from "../../src/app/windows/index.js";
import { fakeClock } from "../support/app.js";
import { postgresBackends, testBackends, useTestDatabase } from "../support/db.js";
import { drive, GROUP, seedSystem, T1 } from "../support/fixtures.js";
import { at, command, confirmedBug, onCall, outboxRows, pipelineConfig, recorder, windowDeps } from "./support.js";

const YESTERDAY = "2099-11-23";

/** A deploy target that records its calls and, when gated, waits until released. */
function fakeTarget() {
  const calls: TargetRun[] = [];
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  const started: (() => void)[] = [];
  const run: RunTarget = async (r) => {
    calls.push(r);
    for (const s of started.splice(0)) s();
    if (gate) await gate;
    return { status: "succeeded", output: "ok", version: null };
  };
  return {
    run,
    calls,
    hold: () => {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => {
      gate = null;
      release?.();
    },
    nextCall: () => new Promise<void>((resolve) => started.push(resolve)),
  };
}

describe("dueWindows", () => {
  const system = pipelineConfig().systems[0]!;
  const lastT2 = at("22:00", YESTERDAY);
  const due = (now: Date, last: Date | null = lastT2) =>
    dueWindows(system, now, last).map((w) => `${w.slot}@${w.at.toISOString()}:${w.action}`);

  it("fires T1 on time and catches it up within the grace period", () => {
    expect(due(at("20:00"))).toEqual([`t1@${at("20:00").toISOString()}:run`]);
    expect(due(at("20:10"))).toEqual([`t1@${at("20:00").toISOString()}:run`]);
  });

  it("reports a window missed past the grace period, or once the next window began", () => {
    expect(due(at("20:40"))).toEqual([`t1@${at("20:00").toISOString()}:missed`]);
    expect(due(at("22:05"))).toEqual([`t1@${at("20:00").toISOString()}:missed`, `t2@${at("22:00").toISOString()}:run`]);
    const tight = { ...system, windows: { t1: "20:00", t2: "20:10", graceMinutes: 30 } };
    expect(dueWindows(tight, at("20:15"), lastT2).map((w) => [w.slot, w.action])).toEqual([
      ["t1", "missed"],
      ["t2", "run"],
    ]);
  });

  it("a fresh install only considers the grace period; a clock behind the last window finds nothing", () => {
    expect(due(at("20:10"), null)).toEqual([`t1@${at("20:00").toISOString()}:run`]);
    expect(due(at("21:00"), null)).toEqual([]);
    expect(due(at("19:59"), at("20:00"))).toEqual([]);
  });
});

describe.each(testBackends())("windows on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(async () => {
    await t.reset();
    await seedSystem(t.db);
    await onCall(t.db, YESTERDAY, 4);
    // the bot was last alive for yesterday's T2
    await t.db.insert(windowRuns).values({
      systemId: "crm",
      slot: "t2",
      scheduledFor: at("22:00", YESTERDAY),
      status: "done",
      startedAt: at("22:00", YESTERDAY),
    });
  });

  const pendingProdBug = async () => {
    const bug = await confirmedBug(t.db, { flow: "flow2", title: "Totals wrong in PROD" });
    return drive(
      t.db,
      bug,
      [
        [{ type: "start_analysis" }, T1],
        [{ type: "record_analysis", rootCause: null, fixPlan: null, failed: false }, T1],
        [{ type: "queue_prod" }, T1],
      ],
      at("20:00", YESTERDAY),
    );
  };

  it("down 19:55–20:10: T1 is caught up at start", async () => {
    const rec = recorder();
    const config = pipelineConfig({ uat: rec.target(), prod: rec.target() });
    const bug = await confirmedBug(t.db);
    await tick(windowDeps(t.db, config, fakeClock(at("20:10"))));
    const runs = await t.db.select().from(windowRuns).where(eq(windowRuns.slot, "t1"));
    expect(runs).toMatchObject([{ status: "done", trigger: "catch_up", scheduledFor: at("20:00") }]);
    expect(rec.calls()).toHaveLength(1);
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_uat");
  });

  it("down 19:55–22:05: T1 is reported missed, T2 runs", async () => {
    const rec = recorder();
    const config = pipelineConfig({ uat: rec.target(), prod: rec.target() });
    const waiting = await confirmedBug(t.db);
    const queued = await pendingProdBug();
    await tick(windowDeps(t.db, config, fakeClock(at("22:05"))));
    const runs = await t.db.select().from(windowRuns).orderBy(windowRuns.id);
    expect(runs.slice(1).map((r) => [r.slot, r.status])).toEqual([
      ["t1", "missed"],
      ["t2", "done"],
    ]);
    expect(rec.calls().map((c) => c.env)).toEqual(["prod"]);
    expect((await getBug(t.db, waiting.id))?.status).toBe("confirmed");
    expect((await getBug(t.db, queued.id))?.status).toBe("deployed_prod");
    const missed = (await outboxRows(t.db)).filter((r) => r.text.startsWith("⚠️ T1 視窗未執行"));
    expect(missed).toHaveLength(1);
    expect(missed[0]!.text.split("\n")).toEqual([
      "⚠️ T1 視窗未執行（2099-11-24 20:00）",
      "原因:機器人停機，125 分鐘後才恢復（補跑寬限 30 分鐘）",
      "待處理的 bug 留在原狀態，下次視窗再處理;如需立即執行請用 /run。",
    ]);
    // a second start-up reports nothing again
    await tick(windowDeps(t.db, config, fakeClock(at("22:06"))));
    expect((await outboxRows(t.db)).filter((r) => r.text.startsWith("⚠️ T1 視窗未執行"))).toHaveLength(1);
  });

  it("a clock jumping back across 20:00 runs T1 once", async () => {
    const target = fakeTarget();
    const config = pipelineConfig({ uat: command(["/bin/true"]) });
    await confirmedBug(t.db);
    const clock = fakeClock(at("20:00"));
    const deps = windowDeps(t.db, config, clock, { runTarget: target.run });
    await tick(deps);
    clock.set(at("19:59"));
    await tick(deps);
    clock.set(at("20:00"));
    await tick(deps);
    await tick(deps, new Date(at("20:00").getTime() + 30_000));
    expect(await t.db.select().from(windowRuns).where(eq(windowRuns.slot, "t1"))).toHaveLength(1);
    expect(target.calls).toHaveLength(1);
  });

  it("T2 waits for a T1 still running, says so, and deploys after it", async () => {
    const target = fakeTarget();
    const config = pipelineConfig({ uat: command(["/bin/true"]), prod: command(["/bin/true"]) });
    await confirmedBug(t.db);
    await pendingProdBug();
    const clock = fakeClock(at("20:00"));
    const deps = windowDeps(t.db, config, clock, {
      runTarget: target.run,
      sleep: () => new Promise((resolve) => setTimeout(resolve, 5)),
    });
    const system = config.systems[0]!;
    target.hold();
    const firstCall = target.nextCall();
    const t1 = runWindow(deps, system, "t1", { scheduledFor: at("20:00"), trigger: "schedule" });
    await firstCall;
    clock.set(at("22:00"));
    const t2 = runWindow(deps, system, "t2", { scheduledFor: at("22:00"), trigger: "schedule" });
    for (let i = 0; i < 200 && !(await outboxRows(t.db)).some((r) => r.text.startsWith("⏳ T2 等待")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await outboxRows(t.db)).map((r) => r.text)).toContain("⏳ T2 等待 T1 完成後開始（不重疊執行）…");
    expect(target.calls.map((c) => c.step.env)).toEqual(["uat"]);
    target.release();
    expect((await t1)?.status).toBe("done");
    expect((await t2)?.status).toBe("done");
    expect(target.calls.map((c) => c.step.env)).toEqual(["uat", "prod"]);
  });

  it("the post-deploy watch runs after the window is done: T2 does not wait for T1's watch", async () => {
    const target = fakeTarget();
    const config = pipelineConfig({ uat: command(["/bin/true"]), prod: command(["/bin/true"]) });
    await confirmedBug(t.db);
    await pendingProdBug();
    const clock = fakeClock(at("20:00"));
    let releaseWatch!: () => void;
    const watching = new Promise<void>((resolve) => {
      releaseWatch = resolve;
    });
    const watched: string[] = [];
    const deps = windowDeps(t.db, config, clock, {
      runTarget: target.run,
      sleep: () => new Promise((resolve) => setTimeout(resolve, 5)),
      afterDeploy: async (d) => {
        watched.push(d.env);
        if (d.env === "uat") await watching;
      },
    });
    const system = config.systems[0]!;
    const t1 = runWindow(deps, system, "t1", { scheduledFor: at("20:00"), trigger: "schedule" });
    for (let i = 0; i < 200 && watched.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(watched).toEqual(["uat"]);
    const [t1Row] = await t.db.select().from(windowRuns).where(eq(windowRuns.slot, "t1"));
    expect(t1Row?.status).toBe("done");
    clock.set(at("22:00"));
    expect((await runWindow(deps, system, "t2", { scheduledFor: at("22:00"), trigger: "schedule" }))?.status).toBe(
      "done",
    );
    expect(target.calls.map((c) => c.step.env)).toEqual(["uat", "prod"]);
    expect((await outboxRows(t.db)).map((r) => r.text)).not.toContain("⏳ T2 等待 T1 完成後開始（不重疊執行）…");
    releaseWatch();
    expect((await t1)?.status).toBe("done");
    expect(watched).toEqual(["uat", "prod"]);
  });

  it("reminds at T2 − 30 min of the approvals still waiting, once", async () => {
    const config = pipelineConfig({ uat: command(["/bin/true"]) });
    const target = fakeTarget();
    await confirmedBug(t.db, { title: "Needs approval" });
    const deps = windowDeps(t.db, config, fakeClock(at("20:00")), { runTarget: target.run });
    await tick(deps, at("20:00"));
    await tick(deps, at("21:29"));
    expect((await outboxRows(t.db)).filter((r) => r.text.startsWith("⏰"))).toHaveLength(0);
    await tick(deps, at("21:30"));
    await tick(deps, at("21:45"));
    const reminders = (await outboxRows(t.db)).filter((r) => r.text.startsWith("⏰"));
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.chatId).toBe(GROUP);
    expect(reminders[0]!.text.split("\n")).toEqual([
      "⏰ 尚有 1 個待批准，今晚 22:00（11/24） 截止",
      "待「批准推 PROD」：",
      "• #1 [medium] Needs approval",
      "截止後才批准的，將於 明晚 22:00（11/25） 執行。",
    ]);
  });

  it("admins who turned /notify on get the T2 − 30 min reminder privately too, once each", async () => {
    const [ALICE_ID, BOB_ID] = [1001, 1002]; // ADMIN_IDS of the test config
    const config = pipelineConfig({ uat: command(["/bin/true"]) });
    await setNotify(t.db, ALICE_ID, true, at("19:00"));
    await setNotify(t.db, BOB_ID, false, at("19:00"));
    await confirmedBug(t.db, { title: "Needs <approval>" });
    const deps = windowDeps(t.db, config, fakeClock(at("20:00")), { runTarget: fakeTarget().run });
    await tick(deps, at("20:00"));
    await tick(deps, at("21:30"));
    await tick(deps, at("21:40"));
    const reminders = (await outboxRows(t.db)).filter((r) => r.text.startsWith("⏰"));
    expect(reminders.map((r) => r.chatId).sort()).toEqual([ALICE_ID, GROUP].sort());
    const own = reminders.find((r) => r.chatId === ALICE_ID)!;
    expect(own.text.split("\n")).toEqual([
      "⏰ 尚有 1 個待批准，今晚 22:00（11/24） 截止",
      "待「批准推 PROD」：",
      "• #1 [medium] Needs &lt;approval&gt;",
      "截止後才批准的，將於 明晚 22:00（11/25） 執行。",
      "傳 /todo 查看並處理。",
    ]);
  });

  it("a window with a missing target fails its checklist and says so in the group", async () => {
    const config = pipelineConfig();
    const bug = await confirmedBug(t.db);
    const run = await runWindow(windowDeps(t.db, config, fakeClock(at("20:00"))), config.systems[0]!, "t1", {
      scheduledFor: at("20:00"),
      trigger: "schedule",
    });
    expect(run?.status).toBe("skipped");
    const [skipped] = (await outboxRows(t.db)).filter((r) => r.text.startsWith("⏸️"));
    expect(skipped!.text.split("\n")).toEqual([
      "⏸️ T1 視窗已跳過（2099-11-24 20:00）",
      "原因:部署前檢查未通過",
      "⚠️ 備份：未設定",
      "✓ 監控：部署後監控 UAT（煙霧測試）",
      "✓ 值班：Alice",
      "✓ 封版檢查：未封版",
      "✗ 回滾路徑：未設定：UAT 部署目標",
      "⚠️ 測試全數通過：未設定",
      "⚠️ 資安稽核：未設定",
      "⚠️ 人工核准：未設定",
      "⚠️ 預算：未設定",
      "⚠️ 機密與環境變數：未設定",
      "待處理的 bug 留在原狀態，下次視窗再處理。",
    ]);
    expect((await getBug(t.db, bug.id))?.status).toBe("confirmed");
    expect(await t.db.select().from(deployments)).toHaveLength(0);
  });

  it("a hard freeze skips the window with its reason", async () => {
    const base = pipelineConfig({ uat: command(["/bin/true"]) });
    const config = { ...base, freeze: { hard: true, modules: [], until: null } };
    await confirmedBug(t.db);
    const run = await runWindow(windowDeps(t.db, config, fakeClock(at("20:00"))), config.systems[0]!, "t1", {
      scheduledFor: at("20:00"),
      trigger: "schedule",
    });
    expect(run).toMatchObject({ status: "skipped", summary: "封版中：DEPLOY_FREEZE=true" });
  });
});

describe.each(postgresBackends())("five schedulers on one $name database", (backend) => {
  const t = useTestDatabase(backend);

  it("fire the same T1 → one window run, one deploy call; a clock jumping back → still one", async () => {
    await seedSystem(t.db);
    await onCall(t.db);
    await confirmedBug(t.db);
    const rec = recorder();
    const config = pipelineConfig({ uat: rec.target() });
    const dbs = await Promise.all(
      Array.from({ length: 5 }, () => openDatabase({ kind: "postgres", url: t.url! }, { migrate: false, poolSize: 3 })),
    );
    try {
      const clocks = dbs.map(() => fakeClock(at("20:00")));
      const instances = dbs.map((d, i) => windowDeps(d.db, config, clocks[i]!));
      await Promise.all(instances.map((deps) => tick(deps)));
      for (const c of clocks) c.set(at("19:59"));
      await Promise.all(instances.map((deps) => tick(deps)));
      for (const c of clocks) c.set(at("20:00"));
      await Promise.all(instances.map((deps) => tick(deps)));
      expect(await t.db.select().from(windowRuns)).toHaveLength(1);
      expect(rec.calls()).toHaveLength(1);
      expect(await t.db.select().from(deployments)).toHaveLength(1);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });
});
