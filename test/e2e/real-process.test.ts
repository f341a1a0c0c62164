// The product as users meet it: the real process (the README's command, minus npm), configured
// through PIPELINE_CONFIG, talking HTTP to the strict Bot API stand-in through TELEGRAM_API_ROOT.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeBotApi, type FakeBotApi, serveFakeBotApi, visibleText } from "../../src/sandbox/fake-bot-api.js";
import { type BotProcess, startBotProcess } from "../support/process.js";

const GROUP = -100200300;
const RECORD = fileURLToPath(new URL("../fixtures/deploy/record-deploy.sh", import.meta.url));
const people = {
  alice: { id: 1001, is_bot: false, first_name: "Alice" },
  carol: { id: 2001, is_bot: false, first_name: "Carol" },
};
type Who = keyof typeof people;

describe("the real process over HTTP", () => {
  let api: FakeBotApi;
  let server: Awaited<ReturnType<typeof serveFakeBotApi>>;
  let bot: BotProcess;
  let calls: string;
  let nextMessageId = 1;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-e2e-"));
    calls = join(dir, "calls");
    const target = { command: [RECORD, calls], timeoutSeconds: 30 };
    const watch = { minutes: 1, intervalSeconds: 30 };
    writeFileSync(
      join(dir, "pipeline.json"),
      JSON.stringify({
        systems: [
          {
            id: "crm",
            name: "Barber CRM",
            groupChatId: GROUP,
            environments: {
              uat: { url: "https://uat.example.com", deploy: target, rollback: target, watch },
              prod: { url: "https://example.com", deploy: target, rollback: target, watch },
            },
          },
        ],
      }),
    );
    chmodSync(RECORD, 0o755);
    api = createFakeBotApi();
    server = await serveFakeBotApi(api);
    bot = startBotProcess({
      BOT_TOKEN: "123456:TEST-token-abcdefghijklmnopqrstuvwxyz",
      DATABASE_URL: "memory://",
      PIPELINE_CONFIG: join(dir, "pipeline.json"),
      ADMIN_IDS: "1001",
      TELEGRAM_API_ROOT: server.url,
      PORT: "0",
      OUTBOX_POLL_MS: "100",
    });
    await bot.waitFor(/"msg":"ready/);
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await server?.close();
  });

  /** Waits until a message in the group whose text matches exists (sent or edited). */
  async function groupMessage(pattern: RegExp, ms = 20_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = [...api.messages.values()].reverse().find((m) => m.chatId === GROUP && pattern.test(m.text));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no group message matching ${pattern}:\n${bot.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Feeds an update and waits until the bot has been quiet for a moment. */
  async function feed(update: Omit<Update, "update_id">) {
    api.pushUpdate(update);
    let seen = api.calls.length;
    let quiet = 0;
    while (quiet < 6) {
      await new Promise((r) => setTimeout(r, 100));
      const now = api.calls.filter((c) => c.method !== "getUpdates").length;
      quiet = now === seen ? quiet + 1 : 0;
      seen = now;
    }
  }

  const say = (who: Who, text: string) => {
    const command = /^\/\w+/.exec(text);
    return feed({
      message: {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: { id: GROUP, type: "supergroup", title: "Team" },
        from: people[who],
        text,
        ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] } : {}),
      },
    } as Omit<Update, "update_id">);
  };

  /** Presses the button labelled `label` on the newest group message that has it. */
  const press = (who: Who, label: RegExp) => {
    const message = [...api.messages.values()]
      .reverse()
      .find((m) => m.chatId === GROUP && m.replyMarkup?.inline_keyboard?.flat().some((b: any) => label.test(b.text)));
    if (!message) throw new Error(`no button ${label}`);
    const button = message.replyMarkup.inline_keyboard.flat().find((b: any) => label.test(b.text));
    return feed({
      callback_query: {
        id: `q${nextMessageId++}`,
        from: people[who],
        chat_instance: "team",
        data: button.callback_data,
        message: {
          message_id: message.messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: GROUP, type: "supergroup", title: "Team" },
          text: visibleText(message.text),
          reply_markup: message.replyMarkup,
        },
      },
    } as Omit<Update, "update_id">);
  };

  it("takes a reported bug through triage, T1, approval and T2 with payloads Telegram accepts", async () => {
    const title = `</b><a href="tg://x">y</a> & <i>`;
    await say("alice", "/oncall me");
    await say("carol", "/report");
    await say("carol", title);
    await say("carol", "Tap login, nothing happens");
    await press("carol", /^UAT$/);
    await press("carol", /不確定/);
    await say("carol", "-");
    await press("carol", /送出/);

    const card = await groupMessage(/#1 /);
    expect(card.text).toContain("&lt;/b&gt;&lt;a href=&quot;tg://x&quot;&gt;y&lt;/a&gt; &amp; &lt;i&gt;");
    await press("carol", /確認/); // a member: refused with a toast, nothing changes
    await press("alice", /確認/);
    await press("alice", /medium/);
    await press("alice", /確認分類/);

    await say("alice", "/run t1");
    await groupMessage(/Flow 1 已部署 UAT/, 30_000);
    await press("alice", /批准推 PROD #1/);
    await groupMessage(/已由 Alice 批准推 PROD/);
    await say("alice", "/run t2");
    await groupMessage(/Flow 1 已部署 PROD/, 60_000);

    expect(api.errors()).toEqual([]);
    const answers = api.of("answerCallbackQuery").map((c) => c.payload.callback_query_id);
    expect(new Set(answers).size).toBe(answers.length);
    expect(answers.length).toBeGreaterThanOrEqual(7);
    const toasts = api.of("answerCallbackQuery").map((c) => c.payload.text);
    expect(toasts).toContain("只有管理員可以操作");
    const deploys = readdirSync(calls).map((c) => readFileSync(join(calls, c, "NIGHTSHIFT_ENV"), "utf8"));
    expect(deploys).toEqual(["uat", "prod"]);
    const stdin = JSON.parse(readFileSync(join(calls, readdirSync(calls)[0]!, "stdin"), "utf8"));
    expect(stdin.bugs[0].title).toBe(title);
  }, 120_000);
});
