// The real process in a team group, as the e2e tests drive it: the strict fake Bot API served over
// HTTP, the bot started with the README's command (`node --import tsx src/main.ts`) against it, and
// the group's people who speak and press buttons. An update counts as handled once long polling asks
// past it (POLLING_CONCURRENCY=1: the next getUpdates then says the previous update was handled).
import type { Update, User } from "grammy/types";
import { createFakeBotApi, type FakeBotApi, serveFakeBotApi, visibleText } from "../../src/sandbox/fake-bot-api.js";
import { type BotProcess, startBotProcess } from "../support/process.js";

export const TEST_BOT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz";

export interface TeamChat<Who extends string> {
  api: FakeBotApi;
  bot: BotProcess;
  /** Waits until `check` holds (the bot's last output in the error when it never does). */
  until(check: () => boolean, what: string, ms?: number): Promise<void>;
  /** The newest group message (sent or edited) matching `pattern`, once there is one. */
  groupMessage(pattern: RegExp): Promise<{ messageId: number; text: string; replyMarkup?: any }>;
  /** `who` writes `text` in the group (a command gets its entity) and the bot handles it. */
  say(who: Who, text: string): Promise<void>;
  /** `who` presses the button labelled `label` on the newest group message that has it. */
  press(who: Who, label: RegExp): Promise<void>;
  /** Stops the bot (awaited until it exits) and the fake API. */
  stop(): Promise<void>;
}

export async function startTeamChat<Who extends string>(options: {
  group: number;
  people: Record<Who, User>;
  /** The bot's environment beside BOT_TOKEN, TELEGRAM_API_ROOT, PORT, OUTBOX_POLL_MS, POLLING_CONCURRENCY. */
  env: Record<string, string>;
  /** Bound on each wait: generous, for a loaded machine (a guard against hangs, not a speed target). */
  bound: number;
}): Promise<TeamChat<Who>> {
  const { group, people, bound } = options;
  const api = createFakeBotApi();
  let confirmedOffset = 0;
  let nextMessageId = 1;
  // the offsets long polling confirms: how the test knows an update has been handled
  const server = await serveFakeBotApi({
    ...api,
    fetch: ((url, init) => {
      if (String(url).endsWith("/getUpdates") && init?.body) {
        confirmedOffset = Math.max(confirmedOffset, Number(JSON.parse(String(init.body)).offset ?? 0));
      }
      return api.fetch(url, init);
    }) as typeof fetch,
  });
  const bot = startBotProcess({
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: server.url,
    PORT: "0",
    OUTBOX_POLL_MS: "100",
    POLLING_CONCURRENCY: "1",
    ...options.env,
  });

  async function until(check: () => boolean, what: string, ms = bound) {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${bot.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function feed(update: Omit<Update, "update_id">) {
    const { update_id } = api.pushUpdate(update);
    await until(() => confirmedOffset > update_id, `update ${update_id} handled`);
  }
  const chat = { id: group, type: "supergroup", title: "Team" } as const;
  const newest = (match: (m: any) => boolean) =>
    [...api.messages.values()].reverse().find((m) => m.chatId === group && match(m));
  const withButton = (label: RegExp) =>
    newest((m) => m.replyMarkup?.inline_keyboard?.flat().some((b: any) => label.test(b.text)));

  try {
    await bot.waitFor(/"msg":"ready/, bound);
  } catch (error) {
    await bot.stop();
    await server.close();
    throw error;
  }
  return {
    api,
    bot,
    until,
    async groupMessage(pattern) {
      await until(() => newest((m) => pattern.test(m.text)) !== undefined, `a group message matching ${pattern}`);
      return newest((m) => pattern.test(m.text))!;
    },
    say(who, text) {
      const command = /^\/\w+/.exec(text);
      return feed({
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat,
          from: people[who],
          text,
          ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] } : {}),
        },
      } as Omit<Update, "update_id">);
    },
    async press(who, label) {
      await until(() => withButton(label) !== undefined, `a button ${label}`);
      const message = withButton(label)!;
      const button = message.replyMarkup.inline_keyboard.flat().find((b: any) => label.test(b.text));
      await feed({
        callback_query: {
          id: `q${nextMessageId++}`,
          from: people[who],
          chat_instance: "team",
          data: button.callback_data,
          message: {
            message_id: message.messageId,
            date: Math.floor(Date.now() / 1000),
            chat,
            text: visibleText(message.text),
            reply_markup: message.replyMarkup,
          },
        },
      } as Omit<Update, "update_id">);
    },
    async stop() {
      await bot.stop();
      await server.close();
    },
  };
}
