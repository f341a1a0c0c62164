import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { bugEvents, freezes, windowRuns } from "../../drizzle/schema.js";
import { registerCommands } from "../../src/adapters/telegram/bot.js";
import { bugHistory, getBug } from "../../src/app/bugs.js";
import { recordRead } from "../../src/app/env-versions.js";
import { setEnvironmentVersion } from "../../src/app/systems.js";
import { APP_VERSION } from "../../src/version.js";
import { startTestBot, type TestBot, testConfig } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, buttonsOf, carol, htmlProblem, messageUpdate } from "../support/telegram.js";
import { deliverOutbox, last, messageState, pressData, pressOn, toasts, writes } from "./helpers.js";

/** Deterministic PRNG (mulberry32), so a failing forged payload can be reproduced. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function forged(random: () => number): string {
  const int = (n: number) => Math.floor(random() * n);
  const digits = () => String(1000 + int(1e9));
  const chars = () => Array.from({ length: 1 + int(40) }, () => String.fromCharCode(32 + int(95))).join("") || "x";
  const shapes = [
    chars,
    () => `v1:${["ap", "au", "apall", "auall", "cf", "rj", "xx", ""][int(8)]}:${digits()}:${int(5)}`,
    () => `v${int(3)}:${chars()}:${int(10)}:${int(10)}`,
    () =>
      `${["tr", "bl", "zz"][int(3)]}/${int(4).toString(16)}/${int(4).toString(16)}/${["1.1.m.1.0", "all.0", "submitted.9", chars().replaceAll("/", "")][int(4)]}/h${chars().slice(0, 6)}`,
    () => `rp:${["env", "sev", "svc", "ok", "sys"][int(5)]}:${chars().slice(0, 8)}`,
    () => `tq:${digits()}`,
    () => "🙂".repeat(1 + int(15)),
  ];
  const data = shapes[int(shapes.length)]!();
  return Buffer.byteLength(data) <= 64 ? data : data.slice(0, 16);
}

describe.each(testBackends())("commands and buttons on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db);
  });

  it("survives 1000 forged callbacks: every one answered, nothing written, no error", async () => {
    await reportOne(t.db);
    await tb.send(messageUpdate("/bug 1", alice, GROUP));
    const card = last(tb, "sendMessage", GROUP);
    const before = await writes(t.db);
    const answered = tb.api.of("answerCallbackQuery").length;
    const random = prng(20261121);
    for (let i = 0; i < 1000; i++) {
      const data = forged(random);
      await tb.send(pressData(card, data, i % 2 ? alice : carol));
    }
    expect(await writes(t.db)).toEqual(before);
    expect(tb.api.of("answerCallbackQuery").length).toBe(answered + 1000);
    expect(toasts(tb)).not.toContain("⚠️ 發生錯誤，請稍後再試。");
    expect(tb.api.calls.filter((c) => c.error)).toEqual([]);
    expect(messageState(tb, GROUP, card.result.message_id).payload.reply_markup).toEqual(card.payload.reply_markup);
    expect(await getBug(t.db, 1)).toMatchObject({ status: "submitted", rowVersion: 1 });
  });

  it("/bugs pages newest first, 10 a page, filters by status; a number shows the card", async () => {
    for (let i = 1; i <= 23; i++) await reportOne(t.db, { title: `bug ${i}` });
    await tb.send(messageUpdate("/bugs", carol, GROUP));
    const list = last(tb, "sendMessage", GROUP);
    expect(list.payload.text.split("\n")[0]).toBe("📋 <b>Bug 列表</b> · 第 1/3 頁 · 共 23 筆");
    expect(list.payload.text.split("\n")[1]).toBe("#23 bug 23 — 🆕 待確認");
    expect(list.payload.text.split("\n")).toHaveLength(11);
    expect(buttonsOf(list.payload).map((b) => b.text)).toEqual([
      "#23",
      "#22",
      "#21",
      "#20",
      "#19",
      "#18",
      "#17",
      "#16",
      "#15",
      "#14",
      "下一頁 ▶",
    ]);
    for (const b of buttonsOf(list.payload)) expect(Buffer.byteLength(b.callback_data!)).toBeLessThanOrEqual(64);

    await tb.send(pressOn(list, "下一頁 ▶", carol));
    let page = messageState(tb, GROUP, list.result.message_id);
    expect(page.payload.text).toContain("第 2/3 頁");
    await tb.send(pressOn(page, "下一頁 ▶", carol));
    page = messageState(tb, GROUP, list.result.message_id);
    expect(page.payload.text).toContain("第 3/3 頁");
    expect(page.payload.text).toContain("#1 bug 1");
    expect(buttonsOf(page.payload).map((b) => b.text)).toEqual(["#3", "#2", "#1", "◀ 上一頁"]);
    await tb.send(pressOn(page, "#2", carol));
    const card = last(tb, "sendMessage", GROUP);
    expect(card.payload.text).toContain("#2 bug 2");
    expect(card.payload.reply_markup).toBeUndefined(); // a member may not triage

    await tb.send(messageUpdate("/bugs confirmed", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("沒有符合的 bug。");
    await tb.send(messageUpdate("/bugs submitted", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("Bug 列表</b>（待確認）");
    await tb.send(messageUpdate("/bugs nonsense", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("不認得狀態「nonsense」");
    expect(tb.api.errors()).toEqual([]);
  });

  it("/bug shows only the actions the viewer may take; /history lists the audit trail", async () => {
    await reportOne(t.db, { title: "Card" });
    await tb.send(messageUpdate("/bug 1", alice, GROUP));
    expect(buttonsOf(last(tb, "sendMessage", GROUP).payload).map((b) => b.text)).toEqual(["✅ 確認", "🚫 拒絕"]);
    await tb.send(messageUpdate("/bug #1", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.reply_markup).toBeUndefined();
    await tb.send(messageUpdate("/bug 99", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("找不到 #99。");
    await tb.send(messageUpdate("/bug", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("用法");

    await tb.send(messageUpdate("/close 1 fixed upstream", alice, GROUP));
    await tb.send(messageUpdate("/history 1", carol, GROUP));
    const history = last(tb, "sendMessage", GROUP).payload.text.split("\n");
    expect(history[0]).toBe("🕘 <b>#1 Card</b> 歷程");
    expect(history[1]).toBe("2099-11-21 18:00 · 🆕 待確認 · 回報 · Carol");
    expect(history[2]).toBe("2099-11-21 12:00 · 🆕 待確認 → ✔️ 已關閉 · 關閉 · Alice · fixed upstream");
  });

  it("splits a long /history on line boundaries under 4096 characters", async () => {
    const bug = await reportOne(t.db, { title: "Noisy" });
    await t.db.insert(bugEvents).values(
      Array.from({ length: 120 }, (_, i) => ({
        bugId: bug.id,
        fromStatus: "submitted",
        toStatus: "submitted",
        event: "note",
        actorName: "Alice",
        note: `${"很長的備註 & <標記> ".repeat(3)}${i}`,
        at: new Date("2099-11-21T05:00:00Z"),
      })),
    );
    await tb.send(messageUpdate("/history 1", carol, GROUP));
    const parts = tb.api.sentTo(GROUP).map((c) => c.payload.text as string);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(htmlProblem(part)).toBeNull();
    expect(parts.join("\n").split("\n")).toHaveLength(122);
    expect(parts.at(-1)).toMatch(/ 119$/);
    expect(tb.api.errors()).toEqual([]);
  });

  it("/report in private chat asks which system when there are several", async () => {
    const base = testConfig();
    const config = {
      ...base,
      systems: [...base.systems, { ...base.systems[0]!, id: "pos", name: "POS", groupChatId: -1009 }],
    };
    tb = await startTestBot(t.db, { config });
    await tb.send(messageUpdate("/report", alice));
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "POS", alice));
    await tb.send(messageUpdate("Till crashes", alice));
    await tb.send(messageUpdate("-", alice));
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "PROD", alice));
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "🟢 low", alice));
    await tb.send(messageUpdate("-", alice));
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "📨 送出", alice));
    expect(await getBug(t.db, 1)).toMatchObject({ systemId: "pos", title: "Till crashes", module: null });
    const [card] = await deliverOutbox(tb);
    expect(card?.payload.chat_id).toBe(-1009);
    expect(card?.payload.text).toContain("系統：POS");
  });

  it("/close and /reject: admin only, reason required, refused when not possible", async () => {
    await reportOne(t.db);
    await reportOne(t.db);
    await tb.send(messageUpdate("/close 1 dup", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/close 1", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("用法");
    await tb.send(messageUpdate("/reject 2 not reproducible", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("🚫 Alice 已拒絕 · 原因：not reproducible");
    await tb.send(messageUpdate("/close 2 again", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("⚠️ #2 無法執行：目前的狀態不能這樣做");
    await tb.send(messageUpdate("/close 1 dup", alice));
    expect((await getBug(t.db, 1))?.status).toBe("closed");
    expect((await bugHistory(t.db, 2)).map((e) => e.event)).toEqual(["report", "reject"]);
    await tb.send(messageUpdate("/close 42 nope", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("找不到 #42。");
  });

  it("/status shows versions, counts, the next T1/T2, freezes and the last window", async () => {
    // the real versions (issue 10): UAT as read, PROD unknown (no probe); the bot's own names are not shown
    await setEnvironmentVersion(t.db, "crm", "uat", "2099.11.20-9", new Date());
    await recordRead(t.db, "crm", "uat", {
      ok: true,
      version: "2099.11.20-1",
      readAt: new Date("2099-11-20T12:00:00Z"),
    });
    await reportOne(t.db);
    await reportOne(t.db);
    await t.db.insert(windowRuns).values({
      systemId: "crm",
      slot: "t2",
      scheduledFor: new Date("2099-11-20T14:00:00Z"),
      status: "done",
      summary: "2 bugs → PROD",
      startedAt: new Date("2099-11-20T14:00:00Z"),
    });
    await tb.send(messageUpdate("/status", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text.split("\n")).toEqual([
      "📊 <b>Barber CRM</b>(crm)",
      "UAT：<code>2099.11.20-1</code>（2099-11-20 20:00 讀取）",
      "PROD：版本不明（未設定版本讀取方式）",
      "🆕 待確認 2",
      "下次 T1：今晚 20:00（11/21）",
      "下次 T2：今晚 22:00（11/21）",
      "目前沒有封版。",
      "上次視窗：T2 2099-11-20 22:00 · 完成 · 2 bugs → PROD",
    ]);
    await t.db
      .insert(freezes)
      .values({ scope: "system", systemId: "crm", reason: "go-live", until: null, createdBy: "Alice" });
    await tb.send(messageUpdate("/status", carol, GROUP));
    const text = last(tb, "sendMessage", GROUP).payload.text;
    expect(text).toContain("🧊 全面封版：go-live（/freeze #1，至解除為止）");
    expect(text).toContain("下次 T1：封版中，解除後才會排定");
  });

  it("/version shows the app's version and each environment's", async () => {
    await setEnvironmentVersion(t.db, "crm", "prod", "2099.11.19-2", new Date());
    await tb.send(messageUpdate("/version", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text.split("\n")).toEqual([
      `🌙 Nightshift ${APP_VERSION}`,
      "Barber CRM：UAT 未知版本 · PROD 2099.11.19-2",
    ]);
  });

  it("/start and /help list the commands for the user's role; strangers are ignored", async () => {
    await tb.send(messageUpdate("/help", carol, GROUP));
    const member = last(tb, "sendMessage", GROUP).payload.text;
    expect(member).toContain("/report — 回報 bug");
    expect(member).not.toContain("/approve_prod");
    await tb.send(messageUpdate("/start", alice));
    const admin = last(tb, "sendMessage", alice.id).payload.text;
    expect(admin).toContain("/approve_prod — ");
    expect(admin).toContain("/triage — ");
    await tb.send(messageUpdate("/start", carol)); // seen in the group: known now
    expect(last(tb, "sendMessage", carol.id).payload.text).toContain("Nightshift");
    const calls = tb.api.calls.length;
    await tb.send(messageUpdate("/start", { id: 3001, first_name: "Mallory" }));
    expect(tb.api.calls.length).toBe(calls);
  });

  it("registers commands per scope; a failing setMyCommands is logged, not fatal", async () => {
    tb.api.failNext("setMyCommands", { error_code: 400, description: "Bad Request: boom" });
    await registerCommands(tb.bot.api, t.db, tb.deps.config, pino({ level: "silent" }));
    const calls = tb.api.of("setMyCommands", true);
    expect(calls.map((c) => c.payload.scope)).toEqual([
      { type: "default" },
      { type: "chat", chat_id: 1001 },
      { type: "chat_member", chat_id: GROUP, user_id: 1001 },
      { type: "chat", chat_id: 1002 },
      { type: "chat_member", chat_id: GROUP, user_id: 1002 },
    ]);
    expect(calls[0]!.error).toBeDefined();
    expect(calls[1]!.payload.commands.map((c: { command: string }) => c.command)).toContain("approve_prod");
  });

  it("an unexpected failure answers with a short zh-TW error and the bot goes on", async () => {
    const clock = tb.deps.clock;
    tb.deps.clock = () => {
      throw new Error("boom");
    };
    await tb.send(messageUpdate("/status", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("⚠️ 發生錯誤，請稍後再試。");
    tb.deps.clock = clock;
    await tb.send(messageUpdate("/status", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("Barber CRM");
  });

  it("/cancel in the middle of /report files nothing", async () => {
    await tb.send(messageUpdate("/report", carol, GROUP));
    await tb.send(messageUpdate("/cancel", carol, GROUP));
    expect(tb.api.botMessagesLeft(GROUP)).toEqual([]); // issue 17: a quiet group keeps nothing of it
    expect(await deliverOutbox(tb)).toEqual([]);
  });
});
