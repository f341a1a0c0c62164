// /freeze through the bot, then the window firing: free text is the reason of a full freeze, a module
// freeze needs `module:x` and a module the system knows, and every message says exactly what it blocks.
// Module names are normalized everywhere, so a look-alike module cannot slip past a module freeze.
import { desc, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, freezes } from "../../drizzle/schema.js";
import { getBug } from "../../src/app/bugs.js";
import { at, incidentBot, incidentConfig, incidentSetup, setVersions } from "../incidents/support.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { ADMIN, drive, GROUP } from "../support/fixtures.js";
import { alice, buttonsOf, carol, messageUpdate, type Person } from "../support/telegram.js";
import { confirmedBug, onCall } from "../windows/support.js";
import { current, last, pressOn } from "./helpers.js";

/** Far from today: the clock, the window and the on-call all on this day. */
const D = "2099-03-10";

async function setupBot(db: Parameters<typeof incidentBot>[0], opts: Parameters<typeof incidentConfig>[1] = {}) {
  const setup = incidentSetup();
  setup.smoke.pass();
  const tb = await incidentBot(db, incidentConfig(setup, opts), fakeClock(at("10:00", D)));
  await setVersions(db, { uat: "2099.03.09-1", prod: "2099.03.09-1" }, at("09:00", D));
  await onCall(db, D);
  return { setup, tb };
}

describe.each(testBackends())("/freeze through the bot on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  const status = async (id: number) => (await t.db.select().from(bugs).where(eq(bugs.id, id)))[0]!.status;

  it("/freeze on 資料庫遷移中請勿部署 freezes the whole system with that reason, says the windows are blocked, and T1 deploys nothing", async () => {
    const { setup, tb } = await setupBot(t.db);
    const bug = await confirmedBug(t.db, { title: "Booking slot overlap", module: "booking" });

    await tb.send(messageUpdate("/freeze on 資料庫遷移中請勿部署", alice, GROUP));
    expect(await t.db.select().from(freezes)).toMatchObject([
      { scope: "system", systemId: "crm", module: null, reason: "資料庫遷移中請勿部署" },
    ]);
    const started = (await tb.groupTexts()).at(-1)!;
    expect(started.split("\n")).toEqual([
      "🧊 封版開始：整個系統 Barber CRM（#1）",
      "原因:資料庫遷移中請勿部署",
      "期間：至手動解除",
      "設定人：Alice",
      "→ 擋下視窗：從 今晚 20:00（3/10） 起，封版期間 T1/T2 都不部署",
    ]);
    expect(started).not.toContain("窗口");
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      [
        "🧊 Barber CRM 封版狀態",
        "🧊 全面封版：資料庫遷移中請勿部署（/freeze #1，至解除為止）",
        "   → 擋下視窗：從 今晚 20:00（3/10） 起，封版期間 T1/T2 都不部署",
      ].join("\n"),
    );

    const run = await tb.window("t1", D);
    expect(run?.status).toBe("skipped");
    expect(setup.deploy.calls()).toEqual([]);
    expect(await status(bug.id)).toBe("confirmed");
    expect((await tb.groupTexts()).at(-1)).toContain("資料庫遷移中請勿部署");
  });

  it("/freeze on module：financial 月結 freezes only financial bugs: T1 deploys the others and says what it skipped", async () => {
    const { setup, tb } = await setupBot(t.db);
    const financial = await confirmedBug(t.db, { title: "Invoice rounding", module: "financial" });
    const booking = await confirmedBug(t.db, { title: "Booking slot overlap", module: "booking" });

    await tb.send(messageUpdate("/freeze on module：financial 月結", alice, GROUP));
    expect(await t.db.select().from(freezes)).toMatchObject([
      { scope: "module", systemId: "crm", module: "financial", reason: "月結" },
    ]);
    const started = (await tb.groupTexts()).at(-1)!;
    expect(started.split("\n")).toEqual([
      "🧊 封版開始：模組 financial（#1）",
      "原因:月結",
      "期間：至手動解除",
      "設定人：Alice",
      "→ 下次視窗略過模組 financial 的 bug：今晚 20:00（3/10）（其他 bug 照常部署）",
    ]);
    expect(started).not.toContain("擋下");

    await tb.window("t1", D);
    expect(await status(booking.id)).toBe("deployed_uat");
    expect(await status(financial.id)).toBe("confirmed");
    expect(setup.deploy.calls().map((c) => c.bugIds)).toEqual([String(booking.id)]);
  });

  it("an unknown module is refused with the list of known ones (bugs' and the config's); nothing is frozen", async () => {
    const { tb } = await setupBot(t.db, { system: { modules: ["Payroll"] } });
    await confirmedBug(t.db, { module: "financial" });
    await confirmedBug(t.db, { module: "booking" });

    await tb.send(messageUpdate("/freeze on module：finance 月結", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      "⚠️ 不認得模組 finance，未設定封版。這個系統已知的模組：booking、financial、payroll。",
    );
    expect(await t.db.select().from(freezes)).toEqual([]);
    expect(await tb.groupTexts()).toEqual([]);
    // A declared module is known even before any bug carries it; a member still cannot freeze.
    await tb.send(messageUpdate("/freeze on module：PAYROLL 發薪日", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/freeze on module：PAYROLL 發薪日", alice, GROUP));
    expect(await t.db.select().from(freezes)).toMatchObject([{ scope: "module", module: "payroll" }]);
  });

  it("a bug reported with module 「Ｆinancial\\u200B」 is the known module financial, and a financial freeze skips it at T1", async () => {
    const { setup, tb } = await setupBot(t.db);
    await confirmedBug(t.db, { title: "Invoice rounding", module: "financial" }); // makes financial known
    // A legacy row written before intake normalized modules: the freeze check normalizes too.
    const legacy = await confirmedBug(t.db, { title: "Legacy", module: "x" });
    await t.db.update(bugs).set({ module: "ＦＩＮＡＮＣＩＡＬ\u200D" }).where(eq(bugs.id, legacy.id));

    const id = await reportWithModule(tb, carol, "Ｆinancial\u200B");
    expect(await getBug(t.db, id)).toMatchObject({ module: "financial" });
    const bug = await drive(
      t.db,
      (await getBug(t.db, id))!,
      [[{ type: "confirm", severity: "low", flow: "flow1" }, ADMIN]],
      at("11:00", D),
    );
    const other = await confirmedBug(t.db, { title: "Booking slot overlap", module: "booking" });

    await tb.send(messageUpdate("/freeze on module：financial 月結", alice, GROUP));
    await tb.window("t1", D);
    expect(await status(bug.id)).toBe("confirmed");
    expect(await status(legacy.id)).toBe("confirmed");
    expect(await status(other.id)).toBe("deployed_uat");
    expect(setup.deploy.calls().map((c) => c.bugIds)).toEqual([String(other.id)]);
  });

  it("DEPLOY_FREEZE_MODULES with a look-alike name freezes the normalized module", async () => {
    const { setup, tb } = await setupBot(t.db, { env: { DEPLOY_FREEZE_MODULES: "Ｆinancial\u200B" } });
    const financial = await confirmedBug(t.db, { module: "financial" });
    const booking = await confirmedBug(t.db, { module: "booking" });
    await tb.window("t1", D);
    expect(await status(financial.id)).toBe("confirmed");
    expect(setup.deploy.calls().map((c) => c.bugIds)).toEqual([String(booking.id)]);
  });

  it("/report offers the known modules as buttons; a new module is added only through 「➕ 新增模組」", async () => {
    const { tb } = await setupBot(t.db);
    await confirmedBug(t.db, { module: "financial" });
    await startReport(tb, carol);
    const question = current(tb, GROUP);
    expect(buttonsOf(question.payload).map((b) => b.text)).toEqual(["financial", "不指定", "➕ 新增模組"]);
    await tb.send(pressOn(question, "financial", carol));
    await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));
    expect(await getBug(t.db, 2)).toMatchObject({ module: "financial" });

    // A typed unknown name is not taken as is: the reporter confirms the new module.
    await startReport(tb, carol);
    await tb.send(messageUpdate("Billing ", carol, GROUP));
    const confirm = current(tb, GROUP);
    expect(confirm.payload.text).toBe("「billing」不是這個系統已知的模組。要新增這個模組嗎？（或改選下方已知的模組）");
    await tb.send(pressOn(confirm, "➕ 新增模組「billing」", carol));
    await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));
    expect(await getBug(t.db, 3)).toMatchObject({ module: "billing" });

    // 「➕ 新增模組」 asks for the name; the new module is known from then on.
    await startReport(tb, carol);
    await tb.send(pressOn(current(tb, GROUP), "➕ 新增模組", carol));
    expect(current(tb, GROUP).payload.text).toBe("請輸入新模組的名稱：");
    await tb.send(messageUpdate("ＡＵＴＨ", carol, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));
    expect(await getBug(t.db, 4)).toMatchObject({ module: "auth" });
    await tb.send(messageUpdate("/freeze on module：auth 登入改版", alice, GROUP));
    expect(await t.db.select().from(freezes)).toMatchObject([{ module: "auth" }]);
    expect(tb.api.errors()).toEqual([]);
  });
});

/** /report in the group up to the module question. */
async function startReport(tb: Awaited<ReturnType<typeof incidentBot>>, from: Person) {
  await tb.send(messageUpdate("/report", from, GROUP));
  await tb.send(messageUpdate("Invoice total is off by one", from, GROUP));
  await tb.send(messageUpdate("-", from, GROUP));
  await tb.send(pressOn(current(tb, GROUP), "UAT", from));
  await tb.send(pressOn(current(tb, GROUP), "🟢 low", from));
}

/** Files a bug through /report, typing `module` at the module step; returns its id. */
async function reportWithModule(tb: Awaited<ReturnType<typeof incidentBot>>, from: Person, module: string) {
  await startReport(tb, from);
  await tb.send(messageUpdate(module, from, GROUP));
  await tb.send(pressOn(current(tb, GROUP), "📨 送出", from));
  // a quiet group says nothing more than the card (sent through the outbox): the newest bug is it
  const [bug] = await tb.deps.db.select({ id: bugs.id }).from(bugs).orderBy(desc(bugs.id)).limit(1);
  if (!bug) throw new Error("no bug created");
  return bug.id;
}
