// /rollback from chat, end to end: a real T1/T2 release, the preview and reason, one rollback for two
// presses of 確認回滾 (reverse dependency order through a real script), bugs back and held, /history.
import { and, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, claims, deployments, incidents } from "../../drizzle/schema.js";
import { recoverInterrupted } from "../../src/app/recovery.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, bob, buttonsOf, carol, messageUpdate } from "../support/telegram.js";
import { current, last, pressOn, toasts } from "../telegram/helpers.js";
import { confirmedBug, onCall, SERVICES } from "../windows/support.js";
import { at, incidentBot, incidentConfig, incidentSetup, setVersions } from "./support.js";

describe.each(testBackends())("/rollback on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  /** Two Flow 2 bugs released to PROD by tonight's T1 and T2 (the watch passes). */
  async function releasedToProd(services = SERVICES) {
    const setup = incidentSetup();
    setup.smoke.pass();
    const tb = await incidentBot(t.db, incidentConfig(setup, { services }));
    await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
    await onCall(t.db);
    const one = await confirmedBug(t.db, { flow: "flow2", title: "Receipt total wrong" });
    const two = await confirmedBug(t.db, { flow: "flow2", title: "Stylist list empty" });
    await tb.window("t1");
    await tb.window("t2");
    const [release] = await t.db.select().from(deployments).where(eq(deployments.env, "prod"));
    expect(release).toMatchObject({ status: "succeeded", version: "2099.11.24-1", previousVersion: "2099.11.20-1" });
    return { setup, tb, bugIds: [one.id, two.id], release: release! };
  }

  it("previews, asks a reason, rolls back once for two confirms, reverts and holds the bugs, /history lists it", async () => {
    const { setup, tb, bugIds, release } = await releasedToProd();
    tb.clock.set(at("22:30"));

    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    // The preview and the kind question are one message.
    const kindQuestion = current(tb, GROUP);
    expect(String(kindQuestion.payload.text).endsWith("\n\n這是哪一種問題？")).toBe(true);
    expect(buttonsOf(kindQuestion.payload).map((b) => b.text)).toEqual([
      "🟡 輕微 UX 問題",
      "🟠 功能回歸",
      "🔴 資料損毀風險",
      "取消",
    ]);
    const preview = kindQuestion.payload.text as string;
    expect(preview.split("\n").slice(0, 3)).toEqual([
      "⚠️ 回滾預覽 — PROD",
      "目前版本：2099.11.24-1 → 回滾至：2099.11.20-1",
      "將撤回的發佈：2099.11.24-1（2099-11-24 22:00）",
    ]);
    expect(preview).toContain(`• #${bugIds[0]} [medium] Receipt total wrong — 🚀 已部署 PROD`);
    await tb.send(pressOn(kindQuestion, "🟠 功能回歸", alice));
    expect(current(tb, GROUP).payload.text).toContain("請輸入回滾原因");
    await tb.send(messageUpdate("結帳頁 500 <script>", alice, GROUP));
    const prompt = current(tb, GROUP);
    expect(prompt.payload.text).toBe("問題類型：功能回歸\n原因：結帳頁 500 &lt;script&gt;\n確認要執行回滾嗎？");

    // Pressed twice, at the same moment, by two admins.
    await Promise.all([tb.send(pressOn(prompt, "⚠️ 確認回滾", alice)), tb.send(pressOn(prompt, "⚠️ 確認回滾", bob))]);
    await tb.settle();

    const calls = setup.rollback.calls();
    expect(calls.map((c) => c.service)).toEqual(["frontend", "backend", "db-migration"]);
    expect(calls.every((c) => c.targetVersion === "2099.11.20-1" && c.env === "prod")).toBe(true);
    expect(toasts(tb)).toContain("此回滾已處理");

    const rows = await t.db.select().from(deployments).orderBy(deployments.id);
    expect(rows.map((d) => [d.kind, d.env, d.status])).toEqual([
      ["pipeline", "prod", "rolled_back"],
      ["rollback", "prod", "succeeded"],
    ]);
    expect(rows[1]).toMatchObject({ rollsBackId: release.id, version: "2099.11.20-1", reason: "結帳頁 500 <script>" });
    const winner = rows[1]!.actorName; // whichever press claimed the plan first
    expect(["Alice", "Bob"]).toContain(winner);
    for (const id of bugIds) {
      const [bug] = await t.db.select().from(bugs).where(eq(bugs.id, id));
      expect(bug).toMatchObject({ status: "pending_prod", held: true });
    }

    const texts = await tb.groupTexts();
    const template = texts.find((x) => x.startsWith("⚠️ Rollback 執行"))!;
    expect(template.split("\n")).toEqual([
      "⚠️ Rollback 執行 — PROD",
      "原因:結帳頁 500 &lt;script&gt;",
      "回滾至:2099.11.20-1",
      "時間:2099-11-24 22:30",
      `執行人:${winner}`,
      "狀態:已回滾,正在監控",
      `下一步:調查原因並修正;#${bugIds[0]}、#${bugIds[1]} 已退回並暫停，修正後請按「重新排入」`,
    ]);
    // The post-rollback watch (10 minutes by default, round 0 at once) stands; the incident records it.
    const [incident] = await t.db.select().from(incidents);
    expect(incident).toMatchObject({
      problemKind: "functional",
      reason: "結帳頁 500 <script>",
      actorName: winner,
      deployedVersion: "2099.11.24-1",
      deployedAt: at("22:00"),
      targetVersion: "2099.11.20-1",
      watchResult: "stable",
      bugIds,
    });
    expect(texts.at(-1)).toBe("🔭 回滾後監控 PROD 2099.11.20-1 · 第 0/10 分鐘 · 開始");
    const stable = tb.api
      .of("editMessageText")
      .findLast((c) => String(c.payload.text).startsWith("✅ 回滾後監控結束"))!;
    expect(String(stable.payload.text)).toContain("排程正式修正");

    // /incident shows the record; /incidents lists it.
    await tb.send(messageUpdate(`/incident ${incident!.id}`, carol, GROUP));
    expect(String(last(tb, "sendMessage", GROUP).payload.text).split("\n")).toEqual([
      `🚨 事故 #${incident!.id} — PROD`,
      "部署的版本：2099.11.24-1（2099-11-24 22:00）",
      "回滾至：2099.11.20-1（2099-11-24 22:30，成功）",
      "問題類型：功能回歸",
      "什麼壞了：結帳頁 500 &lt;script&gt;",
      `執行人：${winner}`,
      "回滾後監控：穩定",
      `受影響的 bug：#${bugIds[0]}、#${bugIds[1]}`,
      "後續修正 bug：尚未建立",
    ]);
    await tb.send(messageUpdate("/incidents", carol, GROUP));
    expect(String(last(tb, "sendMessage", GROUP).payload.text).split("\n")).toEqual([
      "🗂 Barber CRM 最近的事故",
      `#${incident!.id} 2099-11-24 22:30 PROD 2099.11.24-1 → 2099.11.20-1 · 功能回歸 · 穩定 · 結帳頁 500 &lt;script&gt;`,
    ]);
    await tb.send(messageUpdate("/incident 999", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("找不到事故 #999。");

    await tb.send(messageUpdate("/history", carol, GROUP));
    const history = last(tb, "sendMessage", GROUP).payload.text as string;
    expect(history.split("\n")[1]).toBe(
      `⚠️ #${rows[1]!.id} 2099-11-24 22:30 PROD 回滾 → 2099.11.20-1（撤回 #${release.id}） · 成功 · ${winner} · 結帳頁 500 &lt;script&gt;`,
    );
    expect(history).toContain(`↩️ #${release.id} 2099-11-24 22:00 PROD 排程發佈 2099.11.24-1 · 已回滾`);

    // The bug's own trail shows the rollback too.
    await tb.send(messageUpdate(`/history ${bugIds[0]}`, carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("· 回滾 · ");

    // 重新排入 under the template releases a held bug.
    const sentTemplate = tb.api.sentTo(GROUP).find((c) => String(c.payload.text).startsWith("⚠️ Rollback 執行"))!;
    await tb.send(pressOn(sentTemplate, `重新排入 #${bugIds[0]}`, bob));
    const [requeued] = await t.db.select().from(bugs).where(eq(bugs.id, bugIds[0]!));
    expect(requeued).toMatchObject({ status: "pending_prod", held: false });
    expect(tb.api.errors()).toEqual([]);
  });

  it("cancel leaves everything as it was; a non-admin cannot start one", async () => {
    const { setup, tb, bugIds } = await releasedToProd([]);
    await tb.send(messageUpdate("/rollback prod", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "🟠 功能回歸", alice));
    await tb.send(messageUpdate("只是測試", alice, GROUP));
    const prompt = current(tb, GROUP);
    await tb.send(pressOn(prompt, "取消", alice));
    await tb.send(pressOn(prompt, "⚠️ 確認回滾", alice));
    await tb.settle();
    expect(setup.rollback.calls()).toEqual([]);
    expect(toasts(tb).at(-1)).toBe("此回滾已處理");
    const [bug] = await t.db.select().from(bugs).where(eq(bugs.id, bugIds[0]!));
    expect(bug).toMatchObject({ status: "deployed_prod", held: false });
  });

  it("/rollback prod <version> undoes every release after that version; unknown or current versions are refused", async () => {
    const tb = await incidentBot(t.db, incidentConfig(incidentSetup()));
    await setVersions(t.db, { prod: "2099.11.20-1" });
    const release = (version: string, previousVersion: string, day: string, kind: "pipeline" | "hotfix" = "pipeline") =>
      ({
        systemId: "crm",
        env: "prod",
        kind,
        status: "succeeded",
        version,
        previousVersion,
        actorName: "system:T2",
        startedAt: at("22:00", day),
      }) as const;
    await t.db
      .insert(deployments)
      .values([
        release("2099.11.21-1", "2099.11.20-1", "2099-11-21"),
        release("2099.11.22-1", "2099.11.21-1", "2099-11-22"),
        release("2099.11.23-1", "2099.11.22-1", "2099-11-23", "hotfix"),
      ]);
    await setVersions(t.db, { prod: "2099.11.23-1" });

    await tb.send(messageUpdate("/rollback prod 2099.11.21-1", alice, GROUP));
    const preview = String(current(tb, GROUP).payload.text).split("\n");
    expect(preview.at(-1)).toBe("這是哪一種問題？");
    expect(preview.slice(1, 3)).toEqual([
      "目前版本：2099.11.23-1 → 回滾至：2099.11.21-1",
      "將撤回的發佈：2099.11.23-1（2099-11-23 22:00）、2099.11.22-1（2099-11-22 22:00）",
    ]);
    await tb.send(messageUpdate("/cancel", alice, GROUP));
    await tb.send(messageUpdate("/rollback prod 1999.01.01-1", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("PROD 的部署紀錄中找不到版本 1999.01.01-1。");
    await tb.send(messageUpdate("/rollback prod 2099.11.23-1", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("目前已經是 2099.11.23-1。");
  });

  it("explains when there is nothing to roll back to", async () => {
    const tb = await incidentBot(t.db, incidentConfig(incidentSetup()));
    await tb.send(messageUpdate("/rollback uat", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("UAT 目前沒有已知版本，無法回滾。");
    await tb.send(messageUpdate("/rollback staging", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("用法：/rollback &lt;uat|prod&gt; [版本]");
  });

  it("a rollback interrupted by a crash can be retried: recovery releases its claim and a new /rollback runs", async () => {
    const { setup, tb, release } = await releasedToProd([]);
    tb.clock.set(at("22:30"));
    // What a process killed mid-rollback leaves: the release's claim and a `running` rollback it owned.
    await t.db.insert(claims).values({
      kind: "rollback-of",
      subject: String(release.id),
      value: { by: "Alice", reason: "結帳壞了" },
      owner: "pg:dead",
      createdAt: at("22:20"),
    });
    await t.db.insert(deployments).values({
      systemId: "crm",
      env: "prod",
      kind: "rollback",
      status: "running",
      version: "2099.11.20-1",
      previousVersion: "2099.11.24-1",
      rollsBackId: release.id,
      owner: "pg:dead",
      actorName: "Alice",
      startedAt: at("22:20"),
    });
    const rollBack = async () => {
      await tb.send(messageUpdate("/rollback prod", alice, GROUP));
      await tb.send(pressOn(current(tb, GROUP), "🟠 功能回歸", alice));
      await tb.send(messageUpdate("結帳壞了", alice, GROUP));
      await tb.send(pressOn(current(tb, GROUP), "⚠️ 確認回滾", alice));
      await tb.settle();
    };
    const liveness = { isAlive: async (owner: string | null) => owner === "pg:live" };
    await rollBack();
    expect(setup.rollback.calls()).toEqual([]); // the dead claim still stands before recovery

    const interrupted = await recoverInterrupted({ db: t.db, config: tb.deps.config, clock: tb.clock, liveness });
    expect(interrupted.map((d) => d.kind)).toEqual(["rollback"]);
    expect(
      await t.db
        .select()
        .from(claims)
        .where(and(eq(claims.kind, "rollback-of"), eq(claims.subject, String(release.id)))),
    ).toEqual([]);

    await rollBack();
    expect(setup.rollback.calls().map((c) => c.targetVersion)).toEqual(["2099.11.20-1"]);
    const rows = await t.db.select().from(deployments).where(eq(deployments.env, "prod")).orderBy(deployments.id);
    expect(rows.map((d) => [d.kind, d.status])).toEqual([
      ["pipeline", "rolled_back"],
      ["rollback", "interrupted"],
      ["rollback", "succeeded"],
    ]);
    // a finished rollback's claim is kept: a later confirm of the same release is still refused
    await recoverInterrupted({ db: t.db, config: tb.deps.config, clock: tb.clock, liveness });
    expect(
      await t.db
        .select()
        .from(claims)
        .where(and(eq(claims.kind, "rollback-of"), eq(claims.subject, String(release.id)))),
    ).toHaveLength(1);
  });
});
