// Planned freezes through the bot (issue 12): `/freeze on from … until … — reason` and config
// `freeze.periods`. The group hears of them when created, 24 h and 1 h before, at the start and at
// the lift — each exactly once, driven by scheduler ticks on a fake clock in 2099, also across a
// restart of the app objects — and a cancelled one says nothing more. Windows skip the frozen days.
import { beforeEach, describe, expect, it } from "vitest";
import { freezes, outbox } from "../../drizzle/schema.js";
import { sweepIncidents } from "../../src/app/freeze-admin.js";
import { nextWindow } from "../../src/app/schedule.js";
import { tick } from "../../src/app/windows/index.js";
import type { Config } from "../../src/config.js";
import { at, type IncidentBot, incidentBot, incidentConfig, incidentSetup } from "../incidents/support.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, carol, messageUpdate } from "../support/telegram.js";
import { deliverOutbox, last } from "./helpers.js";

const D = "2099-03-10";
const HOUR = 3_600_000;

describe.each(testBackends())("planned freezes on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  const config = (periods?: NonNullable<Config["systems"][0]["freeze"]["periods"]>): Config =>
    incidentConfig(incidentSetup(), {
      system: periods ? { freeze: { holidays: null, lunarNewYear: false, monthEnd: null, periods } } : {},
    });

  /** The bot (as main.ts builds it) on the shared database; a second call is a restart. */
  const boot = (cfg: Config, now: Date) => incidentBot(t.db, cfg, fakeClock(now));

  /** One scheduler tick at `now` (and the incident sweep, as main.ts runs both), then the outbox delivered. */
  async function tickAt(tb: IncidentBot, now: Date): Promise<void> {
    tb.clock.set(now);
    await tick(tb.deps, now);
    await sweepIncidents(tb.deps);
    await deliverOutbox(tb);
  }

  /** Group texts in the outbox starting with `head` (written once each, whichever process wrote them). */
  const stageTexts = async (tb: IncidentBot, head: string) => (await tb.groupTexts()).filter((x) => x.startsWith(head));
  const counts = async (tb: IncidentBot) => ({
    day: (await stageTexts(tb, "⏰ 預定封版將於 24 小時後開始")).length,
    hour: (await stageTexts(tb, "⏰ 預定封版將於 1 小時後開始")).length,
    start: (await stageTexts(tb, "🧊 預定封版開始")).length,
    lift: (await stageTexts(tb, "✅ 預定封版結束")).length + (await stageTexts(tb, "✅ 封版到期自動解除")).length,
  });

  it("/freeze on from … until … — reason: created notice, listed, windows skip it, -24h/-1h/start/lift once each across a restart", async () => {
    const cfg = config();
    let tb = await boot(cfg, at("10:00", D));
    await tb.send(
      messageUpdate("/freeze on from 2099-03-12 18:00 until 2099-03-14 12:00 — 資料庫升級 <b>", alice, GROUP),
    );
    const [row] = await t.db.select().from(freezes);
    expect(row).toMatchObject({ scope: "system", systemId: "crm", reason: "資料庫升級 <b>", liftedAt: null });
    expect(row!.startsAt).toEqual(at("18:00", "2099-03-12"));
    expect(row!.until).toEqual(at("12:00", "2099-03-14"));

    const created = (await tb.groupTexts()).at(-1)!;
    expect(created.split("\n")).toEqual([
      "🗓️ 已排定封版：整個系統 Barber CRM（#1）",
      "原因：資料庫升級 &lt;b&gt;",
      "期間：2099-03-12 18:00 起至 2099-03-14 12:00",
      "設定人：Alice",
      "→ 擋下視窗：從 3/12（四） 20:00 起，封版期間 T1/T2 都不部署",
      "開始前 24 小時、1 小時、開始與解除時都會在群組通知；取消請用 /freeze cancel 1",
    ]);
    // the reply lists it as planned: nothing frozen now
    const listing = last(tb, "sendMessage", GROUP).payload.text as string;
    expect(listing).toContain("目前沒有封版。");
    expect(listing).toContain(
      "🗓️ #1：整個系統 Barber CRM，2099-03-12 18:00 起至 2099-03-14 12:00，原因：資料庫升級 &lt;b&gt;（Alice）",
    );
    await deliverOutbox(tb);
    expect(tb.api.errors()).toEqual([]);

    // the one next-window rule: nothing skipped before it starts, its days skipped once it does
    const system = cfg.systems[0]!;
    expect((await nextWindow(tb.deps, system, "t1", at("10:00", "2099-03-11")))!.at).toEqual(at("20:00", "2099-03-11"));
    expect((await nextWindow(tb.deps, system, "t1", at("10:00", "2099-03-12")))!.at).toEqual(at("20:00", "2099-03-14"));
    expect((await nextWindow(tb.deps, system, "t2", at("10:00", "2099-03-12")))!.at).toEqual(at("22:00", "2099-03-14"));

    await tickAt(tb, at("17:59", "2099-03-11"));
    expect(await counts(tb)).toEqual({ day: 0, hour: 0, start: 0, lift: 0 });
    await tickAt(tb, at("18:00", "2099-03-11"));
    await tickAt(tb, at("18:30", "2099-03-11"));
    expect(await counts(tb)).toEqual({ day: 1, hour: 0, start: 0, lift: 0 });
    const dayText = last(tb, "sendMessage", GROUP).payload.text as string;
    expect(dayText.split("\n")).toEqual([
      "⏰ 預定封版將於 24 小時後開始：整個系統 Barber CRM（#1）",
      "原因：資料庫升級 &lt;b&gt;",
      "期間：2099-03-12 18:00 起至 2099-03-14 12:00",
    ]);

    // restart: new app objects on the same database; nothing is sent twice
    tb = await boot(cfg, at("18:31", "2099-03-11"));
    await tickAt(tb, at("18:31", "2099-03-11"));
    expect(await counts(tb)).toEqual({ day: 1, hour: 0, start: 0, lift: 0 });
    expect(tb.api.of("sendMessage")).toEqual([]);

    await tickAt(tb, at("17:00", "2099-03-12"));
    await tickAt(tb, at("17:30", "2099-03-12"));
    expect(await counts(tb)).toEqual({ day: 1, hour: 1, start: 0, lift: 0 });
    await tickAt(tb, at("18:00", "2099-03-12"));
    tb = await boot(cfg, at("18:01", "2099-03-12"));
    await tickAt(tb, at("18:01", "2099-03-12"));
    expect(await counts(tb)).toEqual({ day: 1, hour: 1, start: 1, lift: 0 });
    expect(tb.api.of("sendMessage")).toEqual([]);

    // the window inside it is skipped and says why
    const run = await tb.window("t1", "2099-03-12");
    expect(run?.status).toBe("skipped");
    expect((await tb.groupTexts()).at(-1)).toContain("資料庫升級");

    await tickAt(tb, at("12:00", "2099-03-14"));
    await tickAt(tb, at("12:05", "2099-03-14"));
    expect(await counts(tb)).toEqual({ day: 1, hour: 1, start: 1, lift: 1 });
    expect(tb.api.errors()).toEqual([]);
  });

  it("an admin cancels a planned freeze: the group is told and no reminder follows; members cannot", async () => {
    const tb = await boot(config(), at("10:00", D));
    await tb.send(messageUpdate("/freeze on from 2099-03-20 until 2099-03-21 -- 機房搬遷", alice, GROUP));
    await tb.send(messageUpdate("/freeze cancel 1", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/freeze off", alice, GROUP)); // `off` alone leaves planned ones alone
    expect((await t.db.select().from(freezes))[0]!.liftedAt).toBeNull();
    await tb.send(messageUpdate("/freeze cancel 1", alice, GROUP));
    expect((await tb.groupTexts()).at(-1)).toBe("🗑️ 已取消預定封版：整個系統 Barber CRM（#1）· Alice");
    expect(last(tb, "sendMessage", GROUP).payload.text).not.toContain("🗓️ #1");

    for (const h of [0, 23.5, 24, 24.5]) await tickAt(tb, new Date(at("00:00", "2099-03-19").getTime() + h * HOUR));
    expect(await counts(tb)).toEqual({ day: 0, hour: 0, start: 0, lift: 0 });
    expect((await nextWindow(tb.deps, tb.deps.config.systems[0]!, "t1", at("10:00", "2099-03-20")))!.at).toEqual(
      at("20:00", "2099-03-20"),
    );
  });

  it("clear zh-TW usage errors: bad dates, until not after from, a past start or end, no reason, no until", async () => {
    const tb = await boot(config(), at("10:00", D));
    const reply = async (text: string) => {
      await tb.send(messageUpdate(text, alice, GROUP));
      return last(tb, "sendMessage", GROUP).payload.text as string;
    };
    expect(await reply("/freeze on from 2099-02-30 until 2099-03-14 — x")).toMatch(
      /^⚠️ from 的日期時間「2099-02-30」看不懂，應為 YYYY-MM-DD 或 YYYY-MM-DD HH:MM/,
    );
    expect(await reply("/freeze on from 2099-03-12 until 2099-03-1x — x")).toMatch(
      /^⚠️ until 的日期時間「2099-03-1x」看不懂/,
    );
    expect(await reply("/freeze on from 2099-03-12 25:00 until 2099-03-14 — x")).toMatch(/^⚠️ from 的日期時間/);
    expect(await reply("/freeze on from 2099-03-12 until 2099-03-12 — x")).toBe(
      "⚠️ 結束時間（2099-03-12 00:00）必須晚於開始時間（2099-03-12 00:00）。只封一天請寫隔天，例如 from 2099-12-24 until 2099-12-25。",
    );
    expect(await reply("/freeze on from 2099-03-01 until 2099-03-12 — x")).toBe(
      "⚠️ 開始時間（2099-03-01 00:00）已經過去（現在 2099-03-10 10:00）。要立即封版請用 /freeze on until YYYY-MM-DD — 原因。",
    );
    expect(await reply("/freeze on until 2099-03-10 09:00 — x")).toBe("日期格式應為 YYYY-MM-DD，且必須晚於今天。");
    expect(await reply("/freeze on from 2099-03-12 until 2099-03-14")).toMatch(/^⚠️ 預定封版需要原因/);
    expect(await reply("/freeze on from 2099-03-12 — x")).toMatch(/^⚠️ 預定封版需要結束時間 until/);
    expect(await reply("/freeze cancel")).toMatch(/^⚠️ 請指定要取消的預定封版編號/);
    expect(await t.db.select().from(freezes)).toEqual([]);
    // the plain `-` separator, and an immediate freeze with an end time
    await reply("/freeze on from 2099-03-12 9:30 until 2099-03-13 - 盤點");
    await reply("/freeze on until 2099-03-10 23:00 — 今晚不部署");
    expect((await t.db.select().from(freezes)).map((r) => [r.reason, r.startsAt, r.until])).toEqual([
      ["盤點", at("09:30", "2099-03-12"), at("00:00", "2099-03-13")],
      ["今晚不部署", null, at("23:00", D)],
    ]);
    await deliverOutbox(tb);
    expect(tb.api.errors()).toEqual([]);
  });

  it("config freeze.periods: blocks windows, listed by /freeze, and reminded -24h/-1h/start/lift once each across a restart", async () => {
    const cfg = config([{ from: "2099-03-12 18:00", until: "2099-03-14 00:00", modules: [], reason: "大客戶上線週" }]);
    let tb = await boot(cfg, at("10:00", D));
    await tb.send(messageUpdate("/freeze", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain(
      "🗓️ 設定檔：整個系統 Barber CRM，2099-03-12 18:00 起至 2099-03-14 00:00，原因：大客戶上線週",
    );
    const system = cfg.systems[0]!;
    expect((await nextWindow(tb.deps, system, "t1", at("10:00", "2099-03-12")))!.at).toEqual(at("20:00", "2099-03-14"));

    for (const [time, day] of [
      ["17:00", "2099-03-11"],
      ["18:00", "2099-03-11"],
      ["18:10", "2099-03-11"],
    ] as const)
      await tickAt(tb, at(time, day));
    expect(await counts(tb)).toEqual({ day: 1, hour: 0, start: 0, lift: 0 });
    tb = await boot(cfg, at("17:00", "2099-03-12"));
    await tickAt(tb, at("17:00", "2099-03-12"));
    await tickAt(tb, at("18:00", "2099-03-12"));
    tb = await boot(cfg, at("18:00", "2099-03-12"));
    await tickAt(tb, at("18:01", "2099-03-12"));
    expect(await counts(tb)).toEqual({ day: 1, hour: 1, start: 1, lift: 0 });
    await tb.send(messageUpdate("/freeze", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("🧊 全面封版：大客戶上線週（設定檔預定封版");
    expect((await tb.window("t2", "2099-03-12"))?.status).toBe("skipped");
    await tickAt(tb, at("00:00", "2099-03-14"));
    tb = await boot(cfg, at("00:01", "2099-03-14"));
    await tickAt(tb, at("00:01", "2099-03-14"));
    expect(await counts(tb)).toEqual({ day: 1, hour: 1, start: 1, lift: 1 });
    const rows = await t.db.select().from(outbox);
    expect(rows.filter((r) => r.dedupeKey?.startsWith("freeze-reminder:config:")).length).toBe(4);
  });
});
