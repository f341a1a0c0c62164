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
/** Bound on each wait: generous, for a loaded machine (a guard against hangs, not a speed target). */
const BOUND = 90_000;

describe("the real process over HTTP", () => {
  let api: FakeBotApi;
  let server: Awaited<ReturnType<typeof serveFakeBotApi>>;
  let bot: BotProcess;
  let calls: string;
  let nextMessageId = 1;
  let confirmedOffset = 0;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-e2e-"));
    calls = join(dir, "calls");
    const target = { command: [RECORD, calls], timeoutSeconds: 30 };
    // At least 10 minutes, and something to watch: the checklist's monitoring item fails an environment with nothing (issue 12).
    const watch = { minutes: 10, intervalSeconds: 300, smoke: { command: ["true"] } };
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
    // the offsets long polling confirms: how the test knows an update has been handled
    server = await serveFakeBotApi({
      ...api,
      fetch: ((url, init) => {
        if (String(url).endsWith("/getUpdates") && init?.body) {
          confirmedOffset = Math.max(confirmedOffset, Number(JSON.parse(String(init.body)).offset ?? 0));
        }
        return api.fetch(url, init);
      }) as typeof fetch,
    });
    bot = startBotProcess({
      BOT_TOKEN: "123456:TEST-token-abcdefghijklmnopqrstuvwxyz",
      DATABASE_URL: "memory://",
      PIPELINE_CONFIG: join(dir, "pipeline.json"),
      ADMIN_IDS: "1001",
      TELEGRAM_API_ROOT: server.url,
      PORT: "0",
      OUTBOX_POLL_MS: "100",
      // one update at a time: the next getUpdates (its offset) then says the previous one was handled
      POLLING_CONCURRENCY: "1",
    });
    await bot.waitFor(/"msg":"ready/, BOUND);
  }, 2 * BOUND);

  afterAll(async () => {
    await bot?.stop();
    await server?.close();
  });

  const findGroupMessage = (pattern: RegExp) =>
    [...api.messages.values()].reverse().find((m) => m.chatId === GROUP && pattern.test(m.text));
  /** Waits until a message in the group whose text matches exists (sent or edited). */
  async function groupMessage(pattern: RegExp) {
    await until(() => findGroupMessage(pattern) !== undefined, `a group message matching ${pattern}`);
    return findGroupMessage(pattern)!;
  }

  /**
   * Feeds an update and waits until the bot has handled it: grammY asks for the next batch (a
   * getUpdates whose offset is past this update) only once the previous one has been handled.
   */
  async function feed(update: Omit<Update, "update_id">) {
    const { update_id } = api.pushUpdate(update);
    await until(() => confirmedOffset > update_id, `update ${update_id} handled`);
  }

  async function until(check: () => boolean, what: string, ms = BOUND) {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${bot.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
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

  const withButton = (label: RegExp) =>
    [...api.messages.values()]
      .reverse()
      .find((m) => m.chatId === GROUP && m.replyMarkup?.inline_keyboard?.flat().some((b: any) => label.test(b.text)));
  /** Presses the button labelled `label` on the newest group message that has it (once there is one). */
  const press = async (who: Who, label: RegExp) => {
    await until(() => withButton(label) !== undefined, `a button ${label}`);
    const message = withButton(label)!;
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
    await press("alice", /^Flow 1/); // no version probe: the versions are unknown, the flow is chosen explicitly
    await press("alice", /確認分類/);

    await say("alice", "/run t1");
    await groupMessage(/Flow 1 已部署 UAT/);
    await press("alice", /批准推 PROD #1/);
    await groupMessage(/已由 Alice 批准推 PROD/);
    await say("alice", "/run t2");
    await groupMessage(/Flow 1 已部署 PROD/);

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
  }, 600_000);
});
