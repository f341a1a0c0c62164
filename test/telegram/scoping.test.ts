// Two systems, two groups: a member sees and reports into the systems whose group they were seen
// in, a group sees its own system only, and a system admin acts on their system only.
import { beforeEach, describe, expect, it } from "vitest";
import { freezes } from "../../drizzle/schema.js";
import { getBug } from "../../src/app/bugs.js";
import { type Config, ConfigError, loadConfig } from "../../src/config.js";
import { startTestBot, type TestBot, testConfig } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, carol, messageUpdate, type Person } from "../support/telegram.js";
import { last, pressOn } from "./helpers.js";

const POS_GROUP = -1009;
/** Seen in the POS group only. */
const erin: Person = { id: 4001, first_name: "Erin", username: "erin" };
/** An admin of the POS system only (systems[].adminIds), seen in both groups. */
const dave: Person = { id: 3001, first_name: "Dave", username: "dave" };

function twoSystems(): Config {
  const base = testConfig();
  const crm = base.systems[0]!;
  return { ...base, systems: [crm, { ...crm, id: "pos", name: "POS", groupChatId: POS_GROUP, adminIds: [dave.id] }] };
}

describe.each(testBackends())("multi-system scoping on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  const said = (chatId: number) => last(tb, "sendMessage", chatId).payload.text as string;

  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db, { config: twoSystems() });
    await reportOne(t.db, { systemId: "crm", title: "CRM invoice bug" }); // #1
    await reportOne(t.db, { systemId: "pos", title: "POS till bug" }); // #2
    // Membership: who has been seen in which group.
    await tb.send(messageUpdate("hello", carol, GROUP));
    await tb.send(messageUpdate("hello", erin, POS_GROUP));
    await tb.send(messageUpdate("hello", dave, GROUP));
    await tb.send(messageUpdate("hello", dave, POS_GROUP));
  });

  it("a member of one system cannot see the other's bugs or history, in private or in their group", async () => {
    await tb.send(messageUpdate("/bugs", carol));
    expect(said(carol.id)).toContain("CRM invoice bug");
    expect(said(carol.id)).not.toContain("POS till bug");
    expect(said(carol.id)).toContain("共 1 筆");
    await tb.send(messageUpdate("/bug 2", carol));
    expect(said(carol.id)).toBe("找不到 #2。");
    await tb.send(messageUpdate("/history 2", carol));
    expect(said(carol.id)).toBe("找不到 #2。");
    await tb.send(messageUpdate("/bug 1", carol));
    expect(said(carol.id)).toContain("CRM invoice bug");

    await tb.send(messageUpdate("/bugs", erin));
    expect(said(erin.id)).toContain("POS till bug");
    expect(said(erin.id)).not.toContain("CRM invoice bug");
    await tb.send(messageUpdate("/history 1", erin));
    expect(said(erin.id)).toBe("找不到 #1。");

    // A group shows its own system only, whoever asks (the whole group reads the answer).
    await tb.send(messageUpdate("/bugs", alice, GROUP));
    expect(said(GROUP)).not.toContain("POS till bug");
    await tb.send(messageUpdate("/bug 2", alice, GROUP));
    expect(said(GROUP)).toBe("找不到 #2。");
    // A global admin sees every system in private; /status too.
    await tb.send(messageUpdate("/bugs", alice));
    expect(said(alice.id)).toContain("共 2 筆");
    await tb.send(messageUpdate("/status", carol));
    expect(said(carol.id)).toContain("Barber CRM");
    expect(said(carol.id)).not.toContain("POS");
  });

  it("DM /report files into the member's own system only; someone in both groups is asked which", async () => {
    await tb.send(messageUpdate("/report", erin));
    expect(said(erin.id)).toContain("標題"); // no system question: POS is the only one erin belongs to
    await tb.send(messageUpdate("Till crashes", erin));
    await tb.send(messageUpdate("-", erin));
    await tb.send(pressOn(last(tb, "sendMessage", erin.id), "PROD", erin));
    await tb.send(pressOn(last(tb, "sendMessage", erin.id), "🟢 low", erin));
    await tb.send(pressOn(last(tb, "sendMessage", erin.id), "不指定", erin));
    await tb.send(pressOn(last(tb, "sendMessage", erin.id), "📨 送出", erin));
    expect(await getBug(t.db, 3)).toMatchObject({ systemId: "pos", title: "Till crashes", reporterId: erin.id });

    await tb.send(messageUpdate("/report", dave));
    expect(said(dave.id)).toBe("要回報哪個系統？");
  });

  it("a system admin acts on their own system only, re-checked on every command", async () => {
    // POS admin in the POS group: may close POS bugs and freeze POS.
    await tb.send(messageUpdate("/close 2 duplicate", dave, POS_GROUP));
    expect(said(POS_GROUP)).toContain("已關閉");
    expect((await getBug(t.db, 2))?.status).toBe("closed");
    await tb.send(messageUpdate("/freeze on 盤點中", dave, POS_GROUP));
    expect(await t.db.select().from(freezes)).toMatchObject([{ systemId: "pos", scope: "system" }]);

    // …but not CRM: neither in the CRM group nor in private.
    await tb.send(messageUpdate("/close 1 duplicate", dave, GROUP));
    expect(said(GROUP)).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/freeze on 盤點中", dave, GROUP));
    expect(said(GROUP)).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/reject 1 nope", dave));
    expect(said(dave.id)).toBe("只有管理員可以操作");
    expect((await getBug(t.db, 1))?.status).toBe("submitted");
    expect(await t.db.select().from(freezes)).toHaveLength(1);

    // A plain member is no admin anywhere.
    await tb.send(messageUpdate("/close 2 x", erin, POS_GROUP));
    expect(said(POS_GROUP)).toBe("只有管理員可以操作");
  });
});

describe("PIPELINE_CONFIG systems[].adminIds and modules", () => {
  const file = (system: Record<string, unknown>) => () =>
    JSON.stringify({
      systems: [{ id: "pos", name: "POS", groupChatId: POS_GROUP, environments: { uat: {}, prod: {} }, ...system }],
    });
  const env = { BOT_TOKEN: "123456:TEST-token-abcdefghijklmnopqrstuvwxyz", PIPELINE_CONFIG: "/x/pipeline.json" };

  it("reads them, with module names normalized", () => {
    const config = loadConfig(env, { readFile: file({ adminIds: [3001], modules: ["Ｆinancial\u200B", "billing"] }) });
    expect(config.systems[0]).toMatchObject({ adminIds: [3001], modules: ["financial", "billing"] });
  });

  it("names the field and the fix when they are wrong", () => {
    let error: unknown;
    try {
      loadConfig(env, { readFile: file({ adminIds: ["dave"], modules: [""] }) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toContain("PIPELINE_CONFIG systems[0].adminIds[0]: 應為 Telegram 使用者 id");
    expect(problems).toContain("expected Telegram user ids (positive whole numbers)");
    expect(problems).toContain("PIPELINE_CONFIG systems[0].modules[0]: 不可為空 / must not be empty");
  });
});
