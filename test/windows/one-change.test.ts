// One change at a time per system and environment: a /rollback or a /hotfix started while T2 is
// deploying PROD waits for it (saying so in the group once), then acts on what T2 left, so the
// version history is right; two replicas (two database connections) never deploy one env at once.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { claims, deployments, environments } from "../../drizzle/schema.js";
import { openDatabase } from "../../src/adapters/db/database.js";
import { adapterPorts } from "../../src/adapters/wire-ports.js";
import { acquireEnvLock, envLockSubject, executeRelease } from "../../src/app/deploy-release.js";
import { recoverInterrupted } from "../../src/app/recovery.js";
import type { Target } from "../../src/config.js";
import { at, type IncidentBot, incidentBot, incidentConfig, incidentSetup, setVersions } from "../incidents/support.js";
import { fakeClock } from "../support/app.js";
import { postgresBackends, testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne, seedSystem } from "../support/fixtures.js";
import { alice, messageUpdate } from "../support/telegram.js";
import { current, last, pressData, pressOn } from "../telegram/helpers.js";
import { command, confirmedBug, onCall, outboxRows, pipelineConfig, recorder } from "./support.js";

const DAY2 = "2099-11-25";

/** A file the gated target waits for: the test opens it when the deploy may finish. */
function gate() {
  const file = join(mkdtempSync(join(tmpdir(), "nightshift-gate-")), "open");
  return {
    /** `target` runs only once the gate is open. */
    wrap: (target: Target): Target => {
      if (target.type !== "command") throw new Error("command targets only");
      return command(
        ["/bin/bash", "-c", 'while [ ! -e "$0" ]; do sleep 0.05; done; exec "$@"', file, ...target.command],
        60,
      );
    },
    open: () => writeFileSync(file, "go\n"),
    close: () => rmSync(file, { force: true }),
  };
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await check()) return;
    await pause(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(testBackends())("one change at a time on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  /** Tonight's T1/T2 released one Flow 2 bug to PROD; tomorrow's T2 (gated) is deploying another. */
  async function t2Deploying() {
    const setup = incidentSetup();
    setup.smoke.pass();
    const g = gate();
    const config = incidentConfig(setup);
    const system = config.systems[0]!;
    system.environments.prod.deploy = g.wrap(system.environments.prod.deploy!);
    const tb = await incidentBot(t.db, config);
    tb.deps.sleep = () => pause(10); // waits poll for real: the gated deploy runs meanwhile
    await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
    await onCall(t.db);
    g.open();
    await confirmedBug(t.db, { flow: "flow2", title: "Receipt total wrong" });
    await tb.window("t1");
    await tb.window("t2");
    await confirmedBug(t.db, { flow: "flow2", title: "Stylist list empty" });
    await tb.window("t1", DAY2);
    // closed: the next PROD deploy waits at the gate
    g.close();
    const t2 = tb.window("t2", DAY2);
    await until("T2 deploying PROD", async () => {
      const rows = await t.db
        .select()
        .from(deployments)
        .where(and(eq(deployments.env, "prod"), eq(deployments.status, "running")));
      return rows.length === 1;
    });
    return { setup, tb, gate: g, t2 };
  }

  const waitingText = (tb: IncidentBot, text: string) => async () => (await tb.groupTexts()).includes(text);

  it("/rollback prod confirmed while T2 deploys PROD waits, then refuses the outdated plan; a new one rolls T2 back", async () => {
    const { setup, tb, gate: g, t2 } = await t2Deploying();
    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    // the preview, asking the kind of problem before the reason (issue 12), in one message (issue 17)
    expect(String(last(tb, "sendMessage", GROUP).payload.text).split("\n")[1]).toBe(
      "目前版本：2099.11.24-1 → 回滾至：2099.11.20-1",
    );
    await tb.send(pressOn(current(tb, GROUP), "🟠 功能回歸", alice));
    await tb.send(messageUpdate("結帳壞了", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "⚠️ 確認回滾", alice)); // the same message, edited (issue 17)
    await until(
      "the rollback to say it waits",
      waitingText(tb, "⏳ PROD 正在進行T2 部署，本次回滾會等它結束後再執行。"),
    );
    expect(setup.rollback.calls()).toEqual([]);

    g.open();
    expect((await t2)?.status).toBe("done");
    await tb.settle();
    // nothing ran alongside T2, and the plan made before it is not applied on top of it
    expect(setup.rollback.calls()).toEqual([]);
    const told = tb.api.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === GROUP);
    expect(told.map((c) => c.payload.text)).toContain("環境版本已變更，請重新 /rollback。");
    const waits = (await tb.groupTexts()).filter((x) => x.startsWith("⏳ PROD"));
    expect(waits).toHaveLength(1);
    const [prod] = await t.db.select().from(environments).where(eq(environments.env, "prod"));
    expect(prod).toMatchObject({ currentVersion: "2099.11.25-1", previousVersion: "2099.11.24-1" });

    // Asked again, it undoes T2's release.
    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    // the preview, asking the kind of problem before the reason (issue 12), in one message (issue 17)
    expect(String(last(tb, "sendMessage", GROUP).payload.text).split("\n")[1]).toBe(
      "目前版本：2099.11.25-1 → 回滾至：2099.11.24-1",
    );
    await tb.send(pressOn(current(tb, GROUP), "🟠 功能回歸", alice));
    await tb.send(messageUpdate("結帳壞了", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "⚠️ 確認回滾", alice)); // the same message, edited (issue 17)
    await tb.settle();
    expect(setup.rollback.calls().map((c) => c.targetVersion)).toEqual(["2099.11.24-1"]);
    const history = await t.db.select().from(deployments).where(eq(deployments.env, "prod")).orderBy(deployments.id);
    expect(history.map((d) => [d.kind, d.version, d.previousVersion, d.status])).toEqual([
      ["pipeline", "2099.11.24-1", "2099.11.20-1", "succeeded"],
      ["pipeline", "2099.11.25-1", "2099.11.24-1", "rolled_back"],
      ["rollback", "2099.11.24-1", "2099.11.25-1", "succeeded"],
    ]);
    expect((await t.db.select().from(claims)).filter((r) => r.kind === "env-lock")).toEqual([]);
  });

  it("a /hotfix during T2's PROD deploy waits for it, then deploys on top with the right history", async () => {
    const { setup, tb, gate: g, t2 } = await t2Deploying();
    const bug = await reportOne(t.db, { title: "Checkout crashes", severity: "critical", foundInEnv: "prod" });
    await tb.send(messageUpdate(`/hotfix ${bug.id}`, alice, GROUP));
    await tb.send(messageUpdate("--- a/pay.ts\n+++ b/pay.ts\n+if (!card) return;", alice, GROUP));
    await tb.send(pressData(last(tb, "sendMessage", GROUP), "v1:hx:m:run", alice));
    await until(
      "the hotfix to say it waits",
      waitingText(tb, "⏳ PROD 正在進行T2 部署，本次緊急修復會等它結束後再執行。"),
    );
    const prodCalls = () => setup.deploy.calls().filter((c) => c.env === "prod");
    expect(prodCalls()).toHaveLength(1); // day 1's T2 only (tonight's waits at the gate)

    g.open();
    expect((await t2)?.status).toBe("done");
    await tb.settle();
    expect(prodCalls().map((c) => c.version)).toEqual(["2099.11.24-1", "2099.11.25-1", "2099.11.25-2"]);
    const history = await t.db.select().from(deployments).where(eq(deployments.env, "prod")).orderBy(deployments.id);
    expect(history.map((d) => [d.kind, d.version, d.previousVersion, d.status])).toEqual([
      ["pipeline", "2099.11.24-1", "2099.11.20-1", "succeeded"],
      ["pipeline", "2099.11.25-1", "2099.11.24-1", "succeeded"],
      ["hotfix", "2099.11.25-2", "2099.11.25-1", "succeeded"],
    ]);
    const [prod] = await t.db.select().from(environments).where(eq(environments.env, "prod"));
    expect(prod).toMatchObject({ currentVersion: "2099.11.25-2", previousVersion: "2099.11.25-1" });
  });
});

describe.each(postgresBackends())("two replicas on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("two processes' releases of PROD (two connections) run one after the other; a dead owner's lock is released", async () => {
    await seedSystem(t.db);
    const other = await openDatabase({ kind: "postgres", url: t.url! }, { migrate: false, poolSize: 2 });
    try {
      const g = gate();
      const rec = recorder();
      const config = pipelineConfig({ prod: g.wrap(rec.target()) });
      const system = config.systems[0]!;
      const logger = pino({ level: "silent" });
      const clock = fakeClock(at("22:00"));
      const alive = (id: string) => ({ instanceId: id, isAlive: async (o: string | null) => o === "A" || o === "B" });
      const deps = (db: typeof t.db, id: string) => ({
        db,
        config,
        clock,
        logger,
        ...adapterPorts(config),
        liveness: alive(id),
        sleep: () => pause(10),
        ...adapterPorts,
      });
      const release = async (db: typeof t.db, id: string, version: string) =>
        (
          await executeRelease(deps(db, id), {
            system,
            env: "prod",
            kind: "pipeline",
            bugIds: [],
            services: [],
            version,
            actorName: `replica ${id}`,
            label: "T2 部署",
          })
        ).deployment;
      const first = release(t.db, "A", "2099.11.24-1");
      await until("A deploying", async () => (await t.db.select().from(deployments)).length === 1);
      const second = release(other.db, "B", "2099.11.24-2");
      await until("B to wait", async () =>
        (await outboxRows(t.db)).some((r) => r.text === "⏳ PROD 正在進行T2 部署，本次T2 部署會等它結束後再執行。"),
      );
      expect(await t.db.select().from(deployments)).toHaveLength(1); // B has not started
      g.open();
      const [a, b] = await Promise.all([first, second]);
      expect([a.status, b.status]).toEqual(["succeeded", "succeeded"]);
      expect(b.previousVersion).toBe("2099.11.24-1");
      expect(b.startedAt.getTime()).toBeGreaterThanOrEqual(a.startedAt.getTime());
      expect(rec.calls().map((c) => c.version)).toEqual(["2099.11.24-1", "2099.11.24-2"]);

      // A lock left by a dead process ("C") is taken over, and recovery clears it too.
      await t.db.insert(claims).values({
        kind: "env-lock",
        subject: envLockSubject("crm", "prod"),
        value: { token: "t-c", holder: "回滾", since: "" },
        owner: "C",
        createdAt: clock(),
      });
      const lock = await acquireEnvLock(deps(other.db, "B"), { system, env: "prod", holder: "T2 部署" });
      await lock.release();
      await t.db.insert(claims).values({
        kind: "env-lock",
        subject: envLockSubject("crm", "prod"),
        value: { token: "t-c", holder: "回滾", since: "" },
        owner: "C",
        createdAt: clock(),
      });
      await recoverInterrupted({ db: t.db, config, clock, liveness: alive("A") });
      expect((await t.db.select().from(claims)).filter((r) => r.kind === "env-lock")).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
