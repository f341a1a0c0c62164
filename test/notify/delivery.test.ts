// Messages that cannot fail to arrive: a group upgraded to a supergroup, urgent alerts behind a
// backlog, 429s that must not make a message give up. Through the app's use cases, the outbox
// dispatcher and the strict fake Bot API, on a clock far from today.
import { Api } from "grammy";
import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { chatMigrations, deployments, outbox } from "../../drizzle/schema.js";
import type { Db } from "../../src/adapters/db/database.js";
import { botApiSender, createDispatcher, MAX_BAD_REQUESTS } from "../../src/adapters/notify/dispatcher.js";
import { editMessage, messages } from "../../src/app/messages.js";
import { enqueue } from "../../src/app/outbox.js";
import { executeRollback, planRollback } from "../../src/app/rollback.js";
import { setEnvironmentVersion } from "../../src/app/systems.js";
import type { Config } from "../../src/config.js";
import { fakeClock, TEST_TOKEN } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { ADMIN, GROUP, seedSystem } from "../support/fixtures.js";
import { fakeTelegram } from "../support/telegram.js";
import { command, pipelineConfig, windowDeps } from "../windows/support.js";

const SUPERGROUP = -1009876543210;
const START = "2099-03-10T12:00:00Z";

function setup(db: Db, pollMs = 250) {
  const clock = fakeClock(START);
  const api = fakeTelegram({ now: () => clock().getTime() });
  const logs: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  const dispatcher = createDispatcher({
    db,
    send: botApiSender(new Api(TEST_TOKEN, { fetch: api.fetch })),
    clock,
    logger,
    pollMs,
    sleep: async (ms) => clock.advance(ms),
  });
  return { clock, api, logs, dispatcher };
}

/** PROD at 2099.03.10-2 after a pipeline release from -1, with a rollback target that fails. */
async function releasedProd(db: Db, clock: () => Date): Promise<Config> {
  await seedSystem(db);
  await setEnvironmentVersion(db, "crm", "prod", "2099.03.10-1", clock());
  await setEnvironmentVersion(db, "crm", "prod", "2099.03.10-2", clock());
  await db.insert(deployments).values({
    systemId: "crm",
    env: "prod",
    kind: "pipeline",
    status: "succeeded",
    version: "2099.03.10-2",
    previousVersion: "2099.03.10-1",
    actorName: "T2",
    startedAt: clock(),
    finishedAt: clock(),
  });
  const config = pipelineConfig();
  const system = config.systems[0]!;
  const prod = { ...system.environments.prod, rollback: command(["/bin/false"]) };
  return { ...config, systems: [{ ...system, environments: { ...system.environments, prod } }] };
}

/** Rolls PROD back with the failing target: 「🚨 回滾失敗」 is enqueued for the group. */
async function failedRollback(db: Db, config: Config, clock: ReturnType<typeof fakeClock>) {
  const system = config.systems[0]!;
  const planned = await planRollback(db, system, "prod");
  if (!planned.ok) throw new Error(planned.message);
  const outcome = await executeRollback(windowDeps(db, config, clock), {
    system,
    plan: planned.plan,
    actor: ADMIN,
    reason: "checkout 500",
  });
  expect(outcome.kind).toBe("failed");
}

describe.each(testBackends())("delivery on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("follows a group's upgrade to a supergroup: 「🚨 回滾失敗」 reaches the new chat, later messages go straight there, an edit of an older message arrives as a new one", async () => {
    const { api, clock, logs, dispatcher } = setup(t.db);
    const config = await releasedProd(t.db, clock);
    const [progress] = await enqueue(t.db, messages(GROUP, "⏳ 部署中 1/2"), clock());
    await dispatcher.runUntilIdle();
    expect(api.sentTo(GROUP)).toHaveLength(1);

    api.migrateChat(GROUP, SUPERGROUP);
    await enqueue(t.db, [editMessage(GROUP, progress!, "⏳ 部署中 2/2")], clock());
    await failedRollback(t.db, config, clock);
    await dispatcher.runUntilIdle();

    // Telegram refused the old id once; everything arrived in the supergroup (the urgent alert
    // first), nothing given up
    const refused = api.calls.filter((c) => c.error?.parameters?.migrate_to_chat_id === SUPERGROUP);
    expect(refused).toHaveLength(1);
    const texts = api.sentTo(SUPERGROUP).map((c) => String(c.payload.text).split("\n")[0]);
    expect(texts).toEqual(["🚨 回滾失敗 — PROD", "⏳ 部署中 2/2"]);
    const rows = await t.db.select().from(outbox).orderBy(outbox.id);
    expect(rows.every((r) => r.sentAt !== null && r.sentMessageId !== null)).toBe(true);
    expect(rows.map((r) => r.chatId)).toEqual([GROUP, SUPERGROUP, SUPERGROUP]);
    expect(await t.db.select().from(chatMigrations)).toMatchObject([{ oldChatId: GROUP, newChatId: SUPERGROUP }]);
    // the operator is told to update the configuration
    const warning = logs.find((l) => l.level === 40 && l.msg.includes("supergroup"));
    expect(warning?.msg).toContain("system crm");
    expect(warning?.msg).toContain(`GROUP_CHAT_ID) to ${SUPERGROUP}`);

    // later: messages enqueued for the configured (old) id go straight to the new one; a further
    // edit of the progress message edits its copy in the supergroup
    const before = api.calls.length;
    await failedRollback(t.db, config, clock);
    await enqueue(t.db, [editMessage(GROUP, progress!, "✅ 部署完成 2/2")], clock());
    await dispatcher.runUntilIdle();
    const later = api.calls.slice(before);
    expect(later.every((c) => !c.error && c.payload.chat_id === SUPERGROUP)).toBe(true);
    const copy = rows[1]!.sentMessageId;
    expect(later.map((c) => [c.method, String(c.payload.text).split("\n")[0], c.payload.message_id])).toEqual([
      ["sendMessage", "🚨 回滾失敗 — PROD", undefined],
      ["editMessageText", "✅ 部署完成 2/2", copy],
    ]);
  });

  it("sends an urgent alert before a backlog of 60 routine cards, within the group's first minute", async () => {
    // Polled every second of the fake clock: three minutes of sending at 20 a minute are 180 polls.
    const { api, clock, dispatcher } = setup(t.db, 1000);
    const config = await releasedProd(t.db, clock);
    for (let i = 1; i <= 60; i++) await enqueue(t.db, messages(GROUP, `🐞 card ${i}`), clock());
    // one routine message is already out before the alert is raised
    expect(await dispatcher.step()).toBe(1);
    clock.advance(5_000);
    await failedRollback(t.db, config, clock);
    await dispatcher.runUntilIdle();

    const sent = api.sentTo(GROUP);
    const texts = sent.map((c) => String(c.payload.text).split("\n")[0]);
    expect(texts).toHaveLength(61);
    expect(texts[1]).toBe("🚨 回滾失敗 — PROD");
    expect(sent[1]!.at - sent[0]!.at).toBeLessThan(60_000);
    // the routine cards keep their order among themselves
    expect(texts.filter((x) => x !== "🚨 回滾失敗 — PROD")).toEqual(
      Array.from({ length: 60 }, (_, i) => `🐞 card ${i + 1}`),
    );
    expect(api.errors()).toEqual([]);
  });

  it("never sends an urgent edit before the message it edits, nor urgent rows out of their order", async () => {
    const { api, clock, dispatcher } = setup(t.db);
    for (let i = 1; i <= 3; i++) await enqueue(t.db, messages(GROUP, `routine ${i}`), clock());
    const [card] = await enqueue(t.db, messages(GROUP, "routine card"), clock());
    await enqueue(t.db, [{ ...editMessage(GROUP, card!, "card, edited"), urgent: true }], clock());
    await enqueue(
      t.db,
      [...messages(GROUP, "urgent A", { urgent: true }), ...messages(GROUP, "urgent B", { urgent: true })],
      clock(),
    );
    await dispatcher.runUntilIdle();
    const calls = api.calls.filter((c) => !c.error);
    expect(calls.map((c) => [c.method, c.payload.text])).toEqual([
      ["sendMessage", "urgent A"],
      ["sendMessage", "urgent B"],
      ["sendMessage", "routine 1"],
      ["sendMessage", "routine 2"],
      ["sendMessage", "routine 3"],
      ["sendMessage", "routine card"],
      ["editMessageText", "card, edited"],
    ]);
  });

  it("rides out 429s without giving up: refused four times, then a passing bad request, and delivered", async () => {
    const { api, clock, dispatcher } = setup(t.db);
    await enqueue(t.db, messages(GROUP, "after the flood"), clock());
    api.failNext(
      "sendMessage",
      { error_code: 429, description: "Too Many Requests: retry after 2", parameters: { retry_after: 2 } },
      4,
    );
    api.failNext("sendMessage", { error_code: 400, description: "Bad Request: chat not found" });
    await dispatcher.runUntilIdle();
    expect(api.sentTo(GROUP).map((c) => c.payload.text)).toEqual(["after the flood"]);
    const [row] = await t.db.select().from(outbox);
    expect(row).toMatchObject({ attempts: 6, badRequests: 1, lastError: null });
    expect(row!.sentMessageId).not.toBeNull();
  });

  it(`gives up a row refused as a bad request ${MAX_BAD_REQUESTS} times, recording why, and the chat moves on`, async () => {
    const { api, clock, dispatcher } = setup(t.db);
    await enqueue(t.db, [...messages(GROUP, "refused"), ...messages(GROUP, "next")], clock());
    api.failNext("sendMessage", { error_code: 400, description: "Bad Request: chat not found" }, MAX_BAD_REQUESTS);
    await dispatcher.runUntilIdle();
    const rows = await t.db.select().from(outbox).orderBy(outbox.id);
    expect(rows[0]).toMatchObject({
      badRequests: MAX_BAD_REQUESTS,
      sentMessageId: null,
      lastError: "gave up: Bad Request: chat not found",
    });
    expect(rows[0]!.sentAt).not.toBeNull();
    expect(api.sentTo(GROUP).map((c) => c.payload.text)).toEqual(["next"]);
  });
});
