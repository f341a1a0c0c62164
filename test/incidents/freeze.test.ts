// /freeze and the windows: a module freeze skips only that module's bugs, env and calendar freezes
// skip the window, env freezes cannot be lifted from chat, stored freezes auto-lift with a message.
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, freezes } from "../../drizzle/schema.js";
import { parseFreezeCommand, sweepIncidents } from "../../src/app/freeze-admin.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, carol, messageUpdate } from "../support/telegram.js";
import { last } from "../telegram/helpers.js";
import { confirmedBug, onCall } from "../windows/support.js";
import { at, incidentBot, incidentConfig, incidentSetup, setVersions } from "./support.js";

describe("parseFreezeCommand", () => {
  it("reads on/off, until, explicit module:x and the reason (free text, a dash optional)", () => {
    expect(parseFreezeCommand("")).toEqual({ action: "show" });
    expect(parseFreezeCommand("on until 2099-11-25 module：Financial module：billing — 月底結帳")).toEqual({
      action: "on",
      until: "2099-11-25",
      modules: ["financial", "billing"],
      reason: "月底結帳",
    });
    expect(parseFreezeCommand("on module:ｆｉｎａｎｃｉａｌ,billing 月底結帳")).toMatchObject({
      modules: ["financial", "billing"],
      reason: "月底結帳",
    });
    expect(parseFreezeCommand("on -- go-live week")).toEqual({
      action: "on",
      until: null,
      modules: [],
      reason: "go-live week",
    });
    // Free text is the reason of a full freeze, never a module name.
    expect(parseFreezeCommand("on 資料庫遷移中請勿部署")).toEqual({
      action: "on",
      until: null,
      modules: [],
      reason: "資料庫遷移中請勿部署",
    });
    expect(parseFreezeCommand("on financial billing")).toMatchObject({ modules: [], reason: "financial billing" });
    expect(parseFreezeCommand("on until 2099-11-25")).toMatchObject({ until: "2099-11-25", reason: "" });
    expect(parseFreezeCommand("off #3")).toEqual({ action: "off", id: 3 });
    expect(parseFreezeCommand("off")).toEqual({ action: "off", id: null });
    expect(parseFreezeCommand("off 3 4")).toEqual({ action: "invalid" });
    expect(parseFreezeCommand("maybe")).toEqual({ action: "invalid" });
    expect(parseFreezeCommand("on until tomorrow")).toEqual({
      action: "invalid",
      problem: "日期格式應為 YYYY-MM-DD，且必須晚於今天。",
    });
    expect(parseFreezeCommand("on module: 月底")).toEqual({
      action: "invalid",
      problem: "模組名稱不可空白且最多 64 個字，例如 module：financial。",
    });
  });
});

describe.each(testBackends())("freeze on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it("/freeze on until <tomorrow> module:financial: tonight's window deploys the other modules' bugs and says so; it lifts itself", async () => {
    const setup = incidentSetup();
    setup.smoke.pass();
    const tb = await incidentBot(t.db, incidentConfig(setup));
    await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
    await onCall(t.db);
    const financial = await confirmedBug(t.db, { title: "Invoice rounding", module: "financial" });
    const booking = await confirmedBug(t.db, { title: "Booking slot overlap", module: "booking" });

    await tb.send(messageUpdate("/freeze on until 2099-11-25 module：financial — 月底結帳", alice, GROUP));
    const texts = await tb.groupTexts();
    expect(texts.at(-1)!.split("\n")).toEqual([
      "🧊 封版開始：模組 financial（#1）",
      "原因:月底結帳",
      "期間：至 2099-11-25 00:00",
      "設定人：Alice",
      "→ 下次視窗略過模組 financial 的 bug：今晚 20:00（11/24）（其他 bug 照常部署）",
    ]);
    await tb.send(messageUpdate("/freeze", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      [
        "🧊 Barber CRM 封版狀態",
        "🧊 模組 financial 封版：月底結帳（/freeze #1，至 2099-11-25 00:00）",
        "   → 下次視窗略過模組 financial 的 bug：今晚 20:00（11/24）（其他 bug 照常部署）",
      ].join("\n"),
    );

    await tb.window("t1");

    const status = async (id: number) => (await t.db.select().from(bugs).where(eq(bugs.id, id)))[0]!.status;
    expect(await status(booking.id)).toBe("deployed_uat");
    expect(await status(financial.id)).toBe("confirmed");
    expect(setup.deploy.calls().map((c) => c.bugIds)).toEqual([String(booking.id)]);
    expect(await tb.groupTexts()).toContainEqual(
      [
        "🧊 T1 略過封版模組的 bug（其餘照常處理）：",
        `• #${financial.id} [medium] Invoice rounding`,
        "封版：financial：月底結帳",
      ].join("\n"),
    );

    // Midnight: the stored freeze lifts itself, once, and the group hears it.
    tb.clock.set(at("00:00", "2099-11-25"));
    await sweepIncidents(tb.deps);
    await sweepIncidents(tb.deps);
    expect((await tb.groupTexts()).filter((x) => x.includes("自動解除"))).toEqual([
      "✅ 封版到期自動解除：模組 financial（#1）",
    ]);
    const [row] = await t.db.select().from(freezes);
    expect(row).toMatchObject({ liftedBy: "system:auto" });
  });

  it("DEPLOY_FREEZE=true skips the window; /freeze off cannot lift it and says why", async () => {
    const setup = incidentSetup();
    const tb = await incidentBot(t.db, incidentConfig(setup, { env: { DEPLOY_FREEZE: "true" } }));
    await onCall(t.db);
    const bug = await confirmedBug(t.db);

    const run = await tb.window("t1");
    expect(run?.status).toBe("skipped");
    expect(setup.deploy.calls()).toEqual([]);
    expect((await tb.groupTexts()).at(-1)).toContain("原因:封版中：DEPLOY_FREEZE=true");
    expect((await t.db.select().from(bugs).where(eq(bugs.id, bug.id)))[0]!.status).toBe("confirmed");

    await tb.send(messageUpdate("/freeze off", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe(
      "環境變數的封版（DEPLOY_FREEZE=true）無法從聊天室解除，請修改部署設定後重啟。",
    );
    await tb.send(messageUpdate("/freeze", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain(
      "🧊 全面封版：DEPLOY_FREEZE=true（環境變數，至解除為止）",
    );
  });

  it("a public holiday in the calendar rules skips the window", async () => {
    const setup = incidentSetup();
    const holiday = "2026-10-10"; // 國慶日
    const clock = fakeClock(at("10:00", holiday));
    const config = incidentConfig(setup, {
      system: { freeze: { holidays: "TW", lunarNewYear: true, monthEnd: null } },
    });
    const tb = await incidentBot(t.db, config, clock);
    await onCall(t.db, holiday);
    await confirmedBug(t.db);

    await tb.send(messageUpdate("/freeze", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("（行事曆，至 2026-10-11 00:00 解除）");
    const run = await tb.window("t1", holiday);
    expect(run?.status).toBe("skipped");
    expect((await tb.groupTexts()).at(-1)).toContain("國定假日");
    expect(setup.deploy.calls()).toEqual([]);
  });

  it("/freeze on and off from chat: the group hears both; members cannot change it", async () => {
    const tb = await incidentBot(t.db, incidentConfig(incidentSetup()));
    await tb.send(messageUpdate("/freeze on — go-live", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("只有管理員可以操作");
    for (const bad of ["2026-02-30", "2099-11-24", "tomorrow"]) {
      await tb.send(messageUpdate(`/freeze on until ${bad}`, alice, GROUP));
      expect(last(tb, "sendMessage", GROUP).payload.text).toBe("日期格式應為 YYYY-MM-DD，且必須晚於今天。");
    }
    await tb.send(messageUpdate("/freeze on — go-live <b>", alice, GROUP));
    await tb.send(messageUpdate("/freeze off", alice, GROUP));
    const texts = await tb.groupTexts();
    expect(texts.at(-2)).toContain("🧊 封版開始：整個系統 Barber CRM（#1）\n原因:go-live &lt;b&gt;\n期間：至手動解除");
    expect(texts.at(-1)).toBe("✅ 封版解除：整個系統 Barber CRM（#1）· Alice");
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("🧊 Barber CRM 封版狀態\n目前沒有封版。");
    await tb.send(messageUpdate("/freeze off", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("沒有可解除的 /freeze 封版。");
  });
});
