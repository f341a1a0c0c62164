// Every message built from user data fits Telegram: the longest realistic case of each group
// builder (60 bugs with 200-character titles, long outputs with emoji and HTML-looking text, many
// check failures) is enqueued and delivered through the strict fake Bot API, which refuses text over
// 4096 characters and unbalanced HTML. Edits, which cannot be split, are bounded.
import { Api } from "grammy";
import { beforeEach, describe, expect, it } from "vitest";
import { outbox } from "../../drizzle/schema.js";
import type { Db } from "../../src/adapters/db/database.js";
import { botApiSender, createDispatcher } from "../../src/adapters/notify/dispatcher.js";
import { telegramPayload } from "../../src/adapters/notify/render.js";
import { htmlMessage } from "../../src/adapters/telegram/drafts.js";
import { editMessage, messages } from "../../src/app/messages.js";
import { enqueue, notice, type OutboxDraft } from "../../src/app/outbox.js";
import { splitMessage, TELEGRAM_TEXT_LIMIT, visibleLength, visibleText } from "../../src/core/html.js";
import {
  approvalReminder,
  deployFailed,
  deploymentInterrupted,
  flow1Uat,
  flow2Prod,
  frozenBugsSkipped,
  incidents,
  progressLine,
  windowSkipped,
} from "../../src/i18n/index.js";
import { fakeClock, TEST_TOKEN } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { fakeTelegram, htmlProblem } from "../support/telegram.js";
import { quietLogger } from "../windows/support.js";

const title = (i: number) => `#${i} <結帳> & "付款" 失敗 😵 ${"長標題".repeat(70)}`.slice(0, 200);
const bugs = Array.from({ length: 60 }, (_, i) => ({ id: 1000 + i, severity: "medium" as const, title: title(i) }));
/** 40 lines of script output with emoji and HTML-looking text. */
const output = Array.from({ length: 40 }, (_, i) => `step ${i}: <error> & "回應" 500 🔥 ${"x".repeat(30)}`).join("\n");
const problems = Array.from({ length: 60 }, (_, i) => `smoke 測試：exit 1:${"POST /checkout <500> ".repeat(10)}${i}`);
const version = "2099.03.10-1";

/** The group messages of each builder, as their use cases enqueue them. */
const builders: [string, () => OutboxDraft[]][] = [
  [
    "Flow 1 UAT (60 bugs)",
    () =>
      messages(GROUP, flow1Uat({ bugs, version, uatUrl: "https://uat.example.com", nextT2: "今晚 22:00（03/10）" }), {
        buttons: [[{ label: "全部批准", action: "approveProdAll", id: 1, version: 0 }]],
      }),
  ],
  ["Flow 2 PROD (60 bugs)", () => messages(GROUP, flow2Prod({ bugs, nextT2: "今晚 22:00（03/10）" }))],
  [
    "deploy failed (60 bugs, output)",
    () => messages(GROUP, deployFailed({ env: "prod", version, bugs, status: "failed", step: "backend", output })),
  ],
  [
    "deployment interrupted (60 bugs)",
    () =>
      messages(GROUP, deploymentInterrupted({ env: "prod", version, bugs, startedAt: "2099/03/10 22:00" }), {
        urgent: true,
      }),
  ],
  [
    "approval reminder (60 + 60 bugs)",
    () =>
      messages(
        GROUP,
        approvalReminder({ awaitingProd: bugs, awaitingMerge: bugs, t2: "今晚 22:00", after: "明晚 22:00" }),
      ),
  ],
  [
    "frozen bugs skipped (60 bugs)",
    () => messages(GROUP, frozenBugsSkipped({ slot: "t2", bugs, reasons: ["財務月結 ".repeat(40)] })),
  ],
  [
    "window skipped (60 checklist lines)",
    () =>
      messages(
        GROUP,
        windowSkipped({ slot: "t1", scheduledAt: "2099/03/10 20:00", reason: "檢查未通過", detail: problems }),
      ),
  ],
  [
    "rollback failed (long output)",
    () =>
      messages(GROUP, incidents.rollback.failedGroup("prod", version, "failed", output.repeat(4), "Alice"), {
        urgent: true,
      }),
  ],
  [
    "rollback unstable (60 problems)",
    () => messages(GROUP, incidents.rollback.unstable("prod", version, problems, "Alice"), { urgent: true }),
  ],
  [
    "hotfix failed (long output)",
    () => messages(GROUP, incidents.hotfix.failedGroup(bugs[0]!, "failed", output.repeat(4)), { urgent: true }),
  ],
  // built with htmlMessage (one draft): the outbox splits it
  [
    "watch failed alert (60 problems, with its button)",
    () => [
      htmlMessage(GROUP, `${incidents.watch.failed("prod", version, problems)}\n${incidents.watch.ask}`, {
        replyMarkup: { inline_keyboard: [[{ text: "立即回滾", callback_data: "rb:1" }]] },
        urgent: true,
      }),
    ],
  ],
  [
    "watch failed alert as a notice (60 problems, with its button)",
    () => [
      notice(GROUP, `${incidents.watch.failed("prod", version, problems)}\n${incidents.watch.ask}`, {
        buttons: [[{ label: "立即回滾", action: "rollbackNow", id: 1, version: 0 }]],
        urgent: true,
      }),
    ],
  ],
  [
    "watch summary with warnings (60)",
    () => [htmlMessage(GROUP, incidents.watch.summaryWarn("prod", version, 30, problems))],
  ],
  [
    "freeze started (a 5000-character reason of emoji)",
    () => [htmlMessage(GROUP, incidents.freeze.started("整個系統 crm", "🧊".repeat(5000), "至手動解除", "Alice", ""))],
  ],
];

function rowProblems(text: string): string[] {
  const found: string[] = [];
  if (visibleLength(text) > TELEGRAM_TEXT_LIMIT) found.push(`too long: ${visibleLength(text)}`);
  const html = htmlProblem(text);
  if (html) found.push(html);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) found.push("lone surrogate");
  if (!visibleText(text).trim()) found.push("empty");
  return found;
}

function setup(db: Db) {
  const clock = fakeClock("2099-03-10T12:00:00Z");
  const api = fakeTelegram({ now: () => clock().getTime() });
  const dispatcher = createDispatcher({
    db,
    send: botApiSender(new Api(TEST_TOKEN, { fetch: api.fetch })),
    clock,
    logger: quietLogger,
    pollMs: 250,
    sleep: async (ms) => clock.advance(ms),
  });
  return { clock, api, dispatcher };
}

describe("splitting keeps every part valid", () => {
  it("a <pre> block across a break is closed and reopened; an emoji line is never cut inside a pair", () => {
    const pre = `<b>head</b>\n<pre>${Array.from({ length: 200 }, (_, i) => `line ${i} &lt;x&gt; 🔥`).join("\n")}</pre>\nend`;
    const parts = splitMessage(pre, 1000);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) expect(rowProblems(part)).toEqual([]);
    expect(parts.slice(1).every((p) => p.startsWith("<pre>"))).toBe(true);
    expect(parts.map((p) => visibleText(p)).join("\n")).toBe(visibleText(pre));

    for (const part of splitMessage(`x${"😵".repeat(3000)}`)) expect(rowProblems(part)).toEqual([]);
  });
});

describe.each(testBackends())("long messages on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(() => t.reset());

  it.each(builders)("%s: every row fits Telegram and is delivered", async (_name, build) => {
    const { api, clock, dispatcher } = setup(t.db);
    const drafts = build();
    const original = drafts.map((d) => visibleText(String("kind" in d ? d.text : d.payload.text))).join("\n");
    await enqueue(t.db, drafts, clock());
    const rows = await t.db.select().from(outbox).orderBy(outbox.id);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(rowProblems(String(row.payload.text))).toEqual([]);
    // buttons sit under the last part only
    const withButtons = rows.filter((r) => telegramPayload(r.payload).reply_markup);
    if (drafts.some((d) => ("kind" in d ? d.buttons : d.payload.reply_markup)))
      expect(withButtons.map((r) => r.id)).toEqual([rows.at(-1)!.id]);

    await dispatcher.runUntilIdle();
    expect(api.errors()).toEqual([]);
    const sent = api.sentTo(GROUP);
    expect(sent).toHaveLength(rows.length);
    // nothing lost: the parts say what the message said (lone surrogates aside)
    const received = sent.map((c) => visibleText(String(c.payload.text))).join("\n");
    expect(received.replace(/\s+/g, "")).toBe(original.replace(/\s+/g, "").replace(/\uFFFD/g, ""));
  });

  it("an edit over the limit (a watch progress with 60 warnings, a deploy progress with a huge version) is shortened, not refused", async () => {
    const { api, clock, dispatcher } = setup(t.db);
    const [progress] = await enqueue(
      t.db,
      messages(GROUP, incidents.watch.progress("prod", version, 0, 30, incidents.watch.starting)),
      clock(),
    );
    const status = `⚠️ ${problems.join("、")}`;
    await enqueue(
      t.db,
      [
        editMessage(GROUP, progress!, incidents.watch.progress("prod", version, 1, 30, status)),
        editMessage(
          GROUP,
          progress!,
          progressLine({
            slot: "t2",
            env: "prod",
            version: `v${"9😵".repeat(3000)}`,
            state: "running",
            done: 1,
            total: 3,
            service: "backend",
          }),
        ),
      ],
      clock(),
    );
    const rows = await t.db.select().from(outbox).orderBy(outbox.id);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(rowProblems(String(row.payload.text))).toEqual([]);
    await dispatcher.runUntilIdle();
    expect(api.errors()).toEqual([]);
    expect(api.of("editMessageText")).toHaveLength(2);
  });
});
