import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, kv } from "../../drizzle/schema.js";
import { bugHistory, getBug } from "../../src/app/bugs.js";
import { recordRead } from "../../src/app/env-versions.js";
import { setEnvironmentVersion } from "../../src/app/systems.js";
import { startTestBot, type TestBot, testConfig } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, bob, carol, htmlProblem, messageUpdate, type Person } from "../support/telegram.js";
import { current, deliverOutbox, last, messageState, pressOn, toasts, writes } from "./helpers.js";

const EVIL = `</b><a href="tg://x">y</a> & <i>`;
const EVIL_HTML = "&lt;/b&gt;&lt;a href=&quot;tg://x&quot;&gt;y&lt;/a&gt; &amp; &lt;i&gt;";

/** Answers the /report conversation step by step, as the reporter would. */
async function fileReport(
  tb: TestBot,
  from: Person,
  chatId: number,
  answers: { title?: string; description?: string; env?: string; severity?: string; module?: string } = {},
  restart?: () => Promise<TestBot>,
): Promise<TestBot> {
  await tb.send(messageUpdate("/report", from, chatId));
  await tb.send(messageUpdate(answers.title ?? "Login button does nothing", from, chatId));
  if (restart) tb = await restart();
  await tb.send(messageUpdate(answers.description ?? "Tap login, nothing happens", from, chatId));
  await tb.send(pressOn(current(tb, chatId), answers.env ?? "UAT", from));
  await tb.send(pressOn(current(tb, chatId), answers.severity ?? "不確定", from));
  await tb.send(messageUpdate(answers.module ?? "-", from, chatId));
  if (answers.module) await tb.send(pressOn(current(tb, chatId), /^➕ 新增模組「/, from)); // a new module
  await tb.send(pressOn(current(tb, chatId), "📨 送出", from));
  return tb;
}

describe.each(testBackends())("report and triage on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db);
  });

  /** Files a bug in the group and posts its card; returns the card's sendMessage call. */
  async function reportedCard(answers: Parameters<typeof fileReport>[3] = {}) {
    tb = await fileReport(tb, carol, GROUP, answers);
    const [card] = await deliverOutbox(tb);
    return card!;
  }

  it("files a bug by /report in the group; an admin confirms it from the card (medium + flow1)", async () => {
    const card = await reportedCard();
    // issue 17: the bot may delete answers here, so the card is all the report leaves in the group
    expect(tb.api.botMessagesLeft(GROUP).map((m) => m.messageId)).toEqual([card.result.message_id]);
    expect(card.payload.text).toContain("#1 Login button does nothing");
    expect(card.payload.text).toContain("🆕 待確認");

    await tb.send(pressOn(card, "✅ 確認", alice));
    const menu = messageState(tb, GROUP, card.result.message_id);
    expect(menu.payload.text).toContain("請選擇嚴重度");
    await tb.send(pressOn(menu, "🟡 medium", alice));
    const flows = messageState(tb, GROUP, card.result.message_id);
    // issue 10: no version probe → the versions are unknown, nothing is pre-selected, the admin must choose
    expect(flows.payload.text).toContain("版本不明（UAT ?、PROD ?）：請明確選擇流程");
    expect(flows.payload.text).not.toContain("建議流程");
    expect(flows.payload.reply_markup.inline_keyboard.flat().map((b: any) => b.text)).toContain("Flow 1（先 UAT）");
    await tb.send(pressOn(flows, "✔️ 確認分類", alice));
    expect(toasts(tb).at(-1)).toBe("版本不明或無法比較，請先選擇流程");
    expect((await getBug(t.db, 1))?.status).toBe("submitted");
    await tb.send(pressOn(flows, "Flow 1（先 UAT）", alice));
    const chosen = messageState(tb, GROUP, card.result.message_id);
    expect(chosen.payload.reply_markup.inline_keyboard.flat().map((b: any) => b.text)).toContain("✅ Flow 1（先 UAT）");
    await tb.send(pressOn(chosen, "✅ Flow 1（先 UAT）", alice)); // already selected: no identical edit
    expect(tb.api.errors()).toEqual([]);
    await tb.send(pressOn(chosen, "✔️ 確認分類", alice));

    const bug = await getBug(t.db, 1);
    expect(bug).toMatchObject({ status: "confirmed", severity: "medium", fixFlow: "flow1" });
    const history = await bugHistory(t.db, 1);
    expect(history.map((e) => [e.event, e.toStatus, e.actorName])).toEqual([
      ["report", "submitted", "Carol"],
      ["confirm", "confirmed", "Alice"],
    ]);
    expect(history[1]!.note).toContain("uat=unknown prod=unknown");
    const final = messageState(tb, GROUP, card.result.message_id);
    expect(final.payload.text).toContain("✅ Alice 已確認 · 🟡 medium · Flow 1（先 UAT）");
    expect(final.payload.reply_markup).toEqual({ inline_keyboard: [] });
    expect(tb.api.errors()).toEqual([]);
  });

  it("pre-selects flow2 when UAT is ahead; forcing Flow 1 needs a reason, shown on the card and audited", async () => {
    // the bot's own names are not the versions (issue 10): only what was read counts
    await setEnvironmentVersion(t.db, "crm", "uat", "2099.11.20-1", new Date());
    await setEnvironmentVersion(t.db, "crm", "prod", "2099.11.20-1", new Date());
    const readAt = new Date();
    await recordRead(t.db, "crm", "uat", { ok: true, version: "2099.11.20-2", readAt });
    await recordRead(t.db, "crm", "prod", { ok: true, version: "2099.11.20-1", readAt });
    const card = await reportedCard({ env: "PROD" });
    await tb.send(pressOn(card, "✅ 確認", alice));
    await tb.send(pressOn(messageState(tb, GROUP, card.result.message_id), "🟢 low", alice));
    const flows = messageState(tb, GROUP, card.result.message_id);
    expect(flows.payload.text).toContain("建議流程：<b>Flow 2（先 PROD）</b>");
    expect(flows.payload.text).toContain("UAT（2099.11.20-2）領先 PROD（2099.11.20-1）");
    await tb.send(pressOn(flows, "Flow 1（先 UAT）", alice));
    await tb.send(pressOn(messageState(tb, GROUP, card.result.message_id), "✔️ 確認分類", alice));
    // contradicting the versions: asked for a reason, nothing confirmed yet
    expect(last(tb, "sendMessage", GROUP).payload.text).toContain("選擇 <b>Flow 1（先 UAT）</b> 與版本不符");
    expect((await getBug(t.db, 1))?.status).toBe("submitted");
    await tb.send(messageUpdate("customer demo on UAT <tomorrow>", bob, GROUP)); // not the admin asked
    expect((await getBug(t.db, 1))?.status).toBe("submitted");
    await tb.send(messageUpdate("customer demo on UAT <tomorrow>", alice, GROUP));
    expect(await getBug(t.db, 1)).toMatchObject({
      status: "confirmed",
      severity: "low",
      fixFlow: "flow1",
      flowOverrideReason: "customer demo on UAT <tomorrow>",
      triageUatVersion: "2099.11.20-2",
      triageProdVersion: "2099.11.20-1",
    });
    const card2 = messageState(tb, GROUP, card.result.message_id);
    expect(card2.payload.text).toContain("⚠️ 強制流程，原因：customer demo on UAT &lt;tomorrow&gt;");
    const confirm = (await bugHistory(t.db, 1)).find((e) => e.event === "confirm")!;
    expect(confirm.note).toContain("override: customer demo on UAT <tomorrow>");
    expect(confirm.note).toContain("uat=2099.11.20-2 prod=2099.11.20-1");
    expect(tb.api.errors()).toEqual([]);
  });

  it("the suggested flow needs no reason; found-in corrected at triage changes the suggestion", async () => {
    const readAt = new Date();
    await recordRead(t.db, "crm", "uat", { ok: true, version: "1.4.0", readAt });
    await recordRead(t.db, "crm", "prod", { ok: true, version: "1.3.0", readAt });
    const card = await reportedCard({ env: "PROD" });
    await tb.send(pressOn(card, "✅ 確認", alice));
    await tb.send(pressOn(messageState(tb, GROUP, card.result.message_id), "🟡 medium", alice));
    let flows = messageState(tb, GROUP, card.result.message_id);
    expect(flows.payload.text).toContain("建議流程：<b>Flow 2（先 PROD）</b>");
    await tb.send(pressOn(flows, "發現於 UAT", alice));
    flows = messageState(tb, GROUP, card.result.message_id);
    expect(flows.payload.text).toContain("發現環境：UAT（可修正）");
    expect(flows.payload.text).toContain("問題在 UAT 發現");
    await tb.send(pressOn(flows, "✔️ 確認分類", alice));
    expect(await getBug(t.db, 1)).toMatchObject({ status: "confirmed", fixFlow: "flow1", foundInEnv: "uat" });
    expect((await getBug(t.db, 1))?.flowOverrideReason).toBeNull();
  });

  it("two admins confirming at once → one transition; the loser is told, the card is not reverted", async () => {
    const card = await reportedCard();
    await tb.send(pressOn(card, "✅ 確認", alice));
    await tb.send(pressOn(messageState(tb, GROUP, card.result.message_id), "🟡 medium", alice));
    await tb.send(pressOn(messageState(tb, GROUP, card.result.message_id), "Flow 1（先 UAT）", alice));
    const menu = messageState(tb, GROUP, card.result.message_id);
    const edits = tb.api.calls.filter((c) => c.method.startsWith("edit")).length;
    await Promise.all([tb.send(pressOn(menu, "✔️ 確認分類", alice)), tb.send(pressOn(menu, "✔️ 確認分類", bob))]);
    expect((await bugHistory(t.db, 1)).filter((e) => e.event === "confirm")).toHaveLength(1);
    expect(tb.api.calls.filter((c) => c.method.startsWith("edit")).length).toBe(edits + 1);
    expect(toasts(tb).slice(-2).sort()).toEqual([undefined, "已由其他人處理"].sort());
    expect(messageState(tb, GROUP, card.result.message_id).payload.text).toContain("已確認 · 🟡 medium");
  });

  it("sends high/critical to /hotfix instead of confirming", async () => {
    const card = await reportedCard();
    await tb.send(pressOn(card, "✅ 確認", alice));
    await tb.send(pressOn(messageState(tb, GROUP, card.result.message_id), "🔴 critical", alice));
    const state = messageState(tb, GROUP, card.result.message_id);
    expect(state.payload.text).toContain("必須走緊急 Hotfix：<code>/hotfix 1</code>");
    await tb.send(pressOn(state, "🚨 改走 /hotfix", alice));
    // The incidents' /hotfix conversation takes over for this admin, with the bug and severity.
    const [row] = await t.db
      .select()
      .from(kv)
      .where(eq(kv.key, `conv:${GROUP}:${alice.id}`));
    expect(JSON.stringify(row?.value)).toContain("hotfix");
    expect(JSON.stringify(row?.value)).toContain('\\"severity\\":\\"critical\\"');
    expect(messageState(tb, GROUP, card.result.message_id).payload.text).not.toContain("Hotfix:");
    await tb.send(messageUpdate("/cancel", alice, GROUP));
    // a quiet group: the hotfix's question message goes, nothing is said, the card stays
    expect(tb.api.botMessagesLeft(GROUP).map((m) => m.messageId)).toEqual([card.result.message_id]);
    expect((await getBug(t.db, 1))?.status).toBe("submitted");
  });

  it("a non-admin pressing 確認 gets a toast and nothing is written", async () => {
    const card = await reportedCard();
    const before = await writes(t.db);
    const edits = tb.api.of("editMessageText").length;
    await tb.send(pressOn(card, "✅ 確認", carol));
    expect(toasts(tb).at(-1)).toBe("只有管理員可以操作");
    // The menu opened by an admin refuses a member too.
    await tb.send(pressOn(card, "✅ 確認", alice));
    await tb.send(pressOn(messageState(tb, GROUP, card.result.message_id), "🟡 medium", carol));
    expect(toasts(tb).at(-1)).toBe("只有管理員可以操作");
    expect(await writes(t.db)).toEqual(before);
    expect(tb.api.of("editMessageText").length).toBe(edits + 1);
    expect((await getBug(t.db, 1))?.rowVersion).toBe(1);
  });

  it("a stale button answers 「此按鈕已過期」 and refreshes the card", async () => {
    const card = await reportedCard();
    await t.db.update(bugs).set({ rowVersion: 2, title: "Renamed" }).where(eq(bugs.id, 1));
    await tb.send(pressOn(card, "✅ 確認", alice));
    expect(toasts(tb).at(-1)).toBe("此按鈕已過期");
    const refreshed = messageState(tb, GROUP, card.result.message_id);
    expect(refreshed.payload.text).toContain("#1 Renamed");
    expect(refreshed.payload.reply_markup.inline_keyboard[0][0].callback_data).toBe("v1:cf:1:2");
    // A menu opened before the bug changed is stale at its last step too.
    await tb.send(pressOn(refreshed, "✅ 確認", alice));
    await tb.send(pressOn(messageState(tb, GROUP, card.result.message_id), "🟡 medium", alice));
    const flows = messageState(tb, GROUP, card.result.message_id);
    await t.db.update(bugs).set({ rowVersion: 3 }).where(eq(bugs.id, 1));
    await tb.send(pressOn(flows, "✔️ 確認分類", alice));
    expect(toasts(tb).at(-1)).toBe("此按鈕已過期");
    expect((await getBug(t.db, 1))?.status).toBe("submitted");
  });

  it("rejects from the card with a reason asked from the same admin", async () => {
    const card = await reportedCard();
    await tb.send(pressOn(card, "🚫 拒絕", alice));
    expect(current(tb, GROUP).payload.text).toContain("請輸入拒絕 #1 的原因");
    await tb.send(messageUpdate("not a bug, works as designed", bob, GROUP)); // someone else's text is not the answer
    expect((await getBug(t.db, 1))?.status).toBe("submitted");
    await tb.send(messageUpdate("duplicate of #0 <b>", alice, GROUP));
    expect(await getBug(t.db, 1)).toMatchObject({ status: "rejected" });
    const final = messageState(tb, GROUP, card.result.message_id);
    expect(final.payload.text).toContain("🚫 Alice 已拒絕 · 原因：duplicate of #0 &lt;b&gt;");
    expect((await bugHistory(t.db, 1)).at(-1)).toMatchObject({ event: "reject", note: "duplicate of #0 <b>" });
    expect(tb.api.errors()).toEqual([]);
  });

  it("shows a hostile title literally, as valid HTML, everywhere", async () => {
    const card = await reportedCard({ title: EVIL, description: `${EVIL}\nline two`, module: EVIL.slice(0, 60) });
    expect(card.payload.text).toContain(`#1 ${EVIL_HTML}`);
    expect(htmlProblem(card.payload.text)).toBeNull();
    await tb.send(messageUpdate("/bugs", alice, GROUP));
    expect(current(tb, GROUP).payload.text).toContain(EVIL_HTML);
    await tb.send(messageUpdate("/history 1", alice, GROUP));
    expect(current(tb, GROUP).payload.text).toContain(EVIL_HTML);
    for (const call of tb.api.calls.filter((c) => c.payload.parse_mode === "HTML")) {
      expect(htmlProblem(call.payload.text), call.payload.text).toBeNull();
    }
    expect(tb.api.errors()).toEqual([]);
    expect((await getBug(t.db, 1))?.title).toBe(EVIL);
  });

  it("handles the same update delivered twice once", async () => {
    const update = messageUpdate("/report", carol, GROUP);
    await tb.send(update);
    await tb.send(update);
    const asked = (text: string) =>
      tb.api.calls.filter(
        (c) => !c.error && /^(sendMessage|editMessageText)$/.test(c.method) && c.payload.text.includes(text),
      );
    expect(asked("請輸入<b>標題</b>")).toHaveLength(1);
    const title = messageUpdate("Only once", carol, GROUP);
    await tb.send(title);
    await tb.send(title);
    expect(asked("請描述問題")).toHaveLength(1);
  });

  it("a conversation survives a restart between two answers", async () => {
    const api = tb.api;
    const restart = async () => {
      const keys = (await t.db.select().from(kv)).map((r) => r.key);
      expect(keys.filter((k) => k.startsWith("conv:"))).toEqual([`conv:${GROUP}:${carol.id}`]);
      return startTestBot(t.db, { api }); // a new bot, plugins and all, on the same database
    };
    tb = await fileReport(tb, carol, GROUP, { title: "Survives" }, restart);
    expect(await getBug(t.db, 1)).toMatchObject({ title: "Survives", status: "submitted", foundInEnv: "uat" });
  });

  it("keys conversations by chat and user: another member's message never answers the prompt", async () => {
    await tb.send(messageUpdate("/report", carol, GROUP));
    await tb.send(messageUpdate("Bob's unrelated text", bob, GROUP));
    await tb.send(messageUpdate("Carol's title", carol, GROUP));
    await tb.send(messageUpdate("-", carol, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "PROD", bob)); // not Bob's form
    expect(toasts(tb).at(-1)).toBe("無法辨識的按鈕");
    await tb.send(pressOn(current(tb, GROUP), "PROD", carol));
    await tb.send(pressOn(current(tb, GROUP), "🟢 low", carol));
    await tb.send(messageUpdate("billing", carol, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "➕ 新增模組「billing」", carol));
    await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));
    expect(await getBug(t.db, 1)).toMatchObject({
      title: "Carol's title",
      description: "",
      foundInEnv: "prod",
      severity: "low",
      module: "billing",
      reporterId: carol.id,
    });
  });

  it("works in private chat, with the services multi-select; /cancel leaves it", async () => {
    const config = testConfig();
    config.systems[0]!.services = [
      { name: "backend", dependsOn: [] },
      { name: "frontend", dependsOn: ["backend"] },
    ];
    tb = await startTestBot(t.db, { config });
    await tb.send(messageUpdate("/cancel", alice));
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe("目前沒有進行中的對話。");
    await tb.send(messageUpdate("/report", alice));
    await tb.send(messageUpdate("Private report", alice));
    await tb.send(messageUpdate("details", alice));
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "UAT", alice));
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "🟡 medium", alice));
    const services = last(tb, "sendMessage", alice.id);
    await tb.send(pressOn(services, "backend", alice));
    await tb.send(pressOn(messageState(tb, alice.id, services.result.message_id), "frontend", alice));
    await tb.send(pressOn(messageState(tb, alice.id, services.result.message_id), "✅ backend", alice));
    await tb.send(pressOn(messageState(tb, alice.id, services.result.message_id), "完成 ✓", alice));
    await tb.send(messageUpdate("auth", alice));
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "➕ 新增模組「auth」", alice));
    await tb.send(pressOn(last(tb, "sendMessage", alice.id), "📨 送出", alice));
    expect(await getBug(t.db, 1)).toMatchObject({ services: ["frontend"], module: "auth", severity: "medium" });
    const [card] = await deliverOutbox(tb);
    expect(card?.payload.chat_id).toBe(GROUP);

    await tb.send(messageUpdate("/report", alice));
    await tb.send(messageUpdate("/cancel", alice));
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe("已取消目前的對話。");
    await tb.send(messageUpdate("not a title any more", alice));
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe("已取消目前的對話。");
  });

  it("/triage walks the submitted bugs one by one in private chat", async () => {
    for (const title of ["first", "second"]) tb = await fileReport(tb, carol, GROUP, { title });
    const cards = await deliverOutbox(tb);
    await tb.send(messageUpdate("/triage", carol));
    expect(last(tb, "sendMessage", carol.id).payload.text).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/triage", alice, GROUP));
    expect(current(tb, GROUP).payload.text).toContain("私訊");

    await tb.send(messageUpdate("/triage", alice));
    const first = last(tb, "sendMessage", alice.id);
    expect(first.payload.text).toContain("待確認：2 筆");
    expect(first.payload.text).toContain("#1 first");
    await tb.send(pressOn(first, "略過 ▶", alice));
    const skipped = messageState(tb, alice.id, first.result.message_id);
    expect(skipped.payload.text).toContain("#2 second");
    await tb.send(pressOn(skipped, "✅ 確認", alice));
    await tb.send(pressOn(messageState(tb, alice.id, first.result.message_id), "🟢 low", alice));
    await tb.send(pressOn(messageState(tb, alice.id, first.result.message_id), "Flow 1（先 UAT）", alice));
    await tb.send(pressOn(messageState(tb, alice.id, first.result.message_id), "✔️ 確認分類", alice));
    expect((await getBug(t.db, 2))?.status).toBe("confirmed");
    // The next card follows, and the group card of #2 is edited through the outbox.
    const next = last(tb, "sendMessage", alice.id);
    expect(next.payload.text).toContain("#1 first");
    const [groupEdit] = await deliverOutbox(tb);
    expect(groupEdit).toMatchObject({
      method: "editMessageText",
      payload: { message_id: cards[1]!.result.message_id },
    });
    expect(groupEdit!.payload.text).toContain("✅ Alice 已確認");

    await tb.send(pressOn(next, "🚫 拒絕", alice));
    await tb.send(messageUpdate("cannot reproduce", alice));
    expect((await getBug(t.db, 1))?.status).toBe("rejected");
    expect(last(tb, "sendMessage", alice.id).payload.text).toBe("🎉 沒有待確認的 bug。");
    expect(tb.api.errors()).toEqual([]);
  });
});
