// Drill 6: kill -9 the bot while it rolls PROD back. On restart the rollback is `interrupted` and
// alerted, its claim (and the environment's lock) are released, and a new /rollback runs — once.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { claims, deployments } from "../../drizzle/schema.js";
import { setEnvironmentVersion } from "../../src/app/systems.js";
import { seedSystem } from "../support/fixtures.js";
import { callbackUpdate, messageUpdate } from "../support/telegram.js";
import {
  ALICE,
  deployCalls,
  expectNothingLost,
  GROUP,
  killHungDeploy,
  seedOncall,
  startBot,
  taipei,
  tempDir,
  unsentCount,
  until,
  useDrill,
  writePipeline,
} from "./support.js";

/** Far from today: a Tuesday morning, no window near. */
const DAY = "2099-11-24";

describe("drill 6: kill -9 during a rollback", () => {
  const drill = useDrill();
  const dir = tempDir("rollback");
  afterEach(() => killHungDeploy(dir));

  it("is interrupted and alerted on restart, and a retried /rollback runs once", async () => {
    const { pg, telegram } = drill;
    await seedSystem(pg.db);
    await seedOncall(pg.db, DAY);
    await setEnvironmentVersion(pg.db, "crm", "prod", "2099.11.20-1", taipei("09:00:00", "2099-11-20"));
    await setEnvironmentVersion(pg.db, "crm", "prod", "2099.11.23-1", taipei("22:00:00", "2099-11-23"));
    const [release] = await pg.db
      .insert(deployments)
      .values({
        systemId: "crm",
        env: "prod",
        kind: "pipeline",
        status: "succeeded",
        version: "2099.11.23-1",
        previousVersion: "2099.11.20-1",
        actorName: "system:T2",
        startedAt: taipei("22:00:00", "2099-11-23"),
        finishedAt: taipei("22:01:00", "2099-11-23"),
      })
      .returning();
    const clock = { start: taipei("10:00:00", DAY), speed: 1, anchor: new Date(Date.now() + 3_000) };
    const pipeline = writePipeline(dir, { hangRollback: true });
    const options = { databaseUrl: pg.url, telegram, pipeline, clock };

    /**
     * /rollback prod, the kind, a reason, 確認回滾 — as Alice in the group. In a group where the bot may
     * delete messages the conversation is one panel edited in place (issue 17): read its latest state.
     */
    const rollBack = async () => {
      const sent = () => telegram.sentTo(GROUP);
      const before = sent().length;
      telegram.pushUpdate(messageUpdate("/rollback prod", ALICE, GROUP));
      await until(
        () =>
          sent()
            .slice(before)
            .some((c) => String(c.payload.text).includes("這是哪一種問題")),
        "preview",
      );
      const question = sent().at(-1)!;
      const panelId = (question.result as { message_id: number }).message_id;
      /** The panel as it stands: its last send or edit. */
      const panel = () =>
        telegram.calls
          .filter(
            (c) =>
              !c.error &&
              c.payload.chat_id === GROUP &&
              ((c.method === "sendMessage" && (c.result as { message_id?: number })?.message_id === panelId) ||
                (c.method === "editMessageText" && c.payload.message_id === panelId)),
          )
          .at(-1)!;
      const button = (text: string) =>
        (
          panel().payload.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }
        ).inline_keyboard
          .flat()
          .find((b) => b.text === text)!;
      // The kind of problem (issue 12): a functional regression rolls back now.
      const functional = button("🟠 功能回歸");
      telegram.pushUpdate(callbackUpdate(functional.callback_data, ALICE, { chatId: GROUP, messageId: panelId }));
      await until(() => String(panel().payload.text).includes("請輸入回滾原因"), "reason question");
      telegram.pushUpdate(messageUpdate("結帳頁 500", ALICE, GROUP));
      await until(() => String(panel().payload.text).includes("確認要執行回滾嗎"), "prompt");
      const confirm = button("⚠️ 確認回滾");
      telegram.pushUpdate(callbackUpdate(confirm.callback_data, ALICE, { chatId: GROUP, messageId: panelId }));
    };

    const first = await startBot(options);
    await rollBack();
    await until(() => existsSync(join(dir, "started")), "the rollback to start", 20_000);
    const [running] = await pg.db.select().from(deployments).where(eq(deployments.kind, "rollback"));
    expect(running).toMatchObject({ status: "running", rollsBackId: release!.id });
    await first.kill9();
    killHungDeploy(dir);
    rmSync(join(dir, "started"));
    writePipeline(dir); // the rollback script works now

    const second = await startBot(options);
    await until(async () => {
      const [row] = await pg.db.select().from(deployments).where(eq(deployments.id, running!.id));
      return row?.status === "interrupted";
    }, "recovery");
    expect(
      await pg.db
        .select()
        .from(claims)
        .where(and(eq(claims.kind, "rollback-of"), eq(claims.subject, String(release!.id)))),
    ).toEqual([]);
    expect((await pg.db.select().from(claims)).filter((r) => r.kind === "env-lock")).toEqual([]);

    await rollBack();
    await until(
      () => telegram.groupTexts().some((t) => t.startsWith("⚠️ Rollback 執行")),
      "the rollback template",
      20_000,
    );
    await until(async () => (await unsentCount(pg.db)) === 0, "the outbox to drain");
    const rows = await pg.db.select().from(deployments).orderBy(deployments.id);
    expect(rows.map((d) => [d.kind, d.status])).toEqual([
      ["pipeline", "rolled_back"],
      ["rollback", "interrupted"],
      ["rollback", "succeeded"],
    ]);
    expect(deployCalls(dir).map((c) => [c.label, c.releaseId])).toEqual([
      ["rollback", running!.id],
      ["rollback", rows[2]!.id],
    ]);
    expect(telegram.groupTexts().filter((t) => t.startsWith("🛑"))).toHaveLength(1);
    expect(telegram.groupTexts().filter((t) => t.includes("此回滾已處理"))).toEqual([]);
    await expectNothingLost(pg.db);
    expect(await second.stop()).toBe(0);
  });
});
