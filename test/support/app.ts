// Builds a real bot (all features) on a test database with the Bot API faked at client.fetch.
import pino from "pino";
import type { Db } from "../../src/adapters/db/database.js";
import { createBot } from "../../src/adapters/telegram/bot.js";
import type { BotDeps } from "../../src/adapters/telegram/context.js";
import { adapterPorts } from "../../src/adapters/wire-ports.js";
import { syncSystems } from "../../src/app/systems.js";
import { type Config, loadConfig, type SystemConfig } from "../../src/config.js";
import { GROUP } from "./fixtures.js";
import { botInfo, type FakeTelegram, fakeTelegram } from "./telegram.js";

export const TEST_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz";

/** A config as loadConfig builds it from env, one system "crm" unless overridden. */
export function testConfig(overrides: Partial<Config> = {}, env: Record<string, string> = {}): Config {
  const base = loadConfig({
    BOT_TOKEN: TEST_TOKEN,
    DATABASE_URL: "memory://",
    ADMIN_IDS: "1001,1002",
    GROUP_CHAT_ID: String(GROUP),
    UAT_URL: "https://uat.example.com",
    LOG_LEVEL: "silent",
    ...env,
  });
  const systems = base.systems.map((s): SystemConfig => ({ ...s, id: "crm", name: "Barber CRM" }));
  return { ...base, systems, ...overrides };
}

/** A settable clock: tests move time explicitly. */
export function fakeClock(start: string | Date) {
  let now = new Date(start);
  const clock = () => new Date(now);
  return Object.assign(clock, {
    set: (to: string | Date) => {
      now = new Date(to);
    },
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  });
}
export type FakeClock = ReturnType<typeof fakeClock>;

export interface TestBot {
  bot: ReturnType<typeof createBot>;
  api: FakeTelegram;
  deps: BotDeps;
  clock: FakeClock;
  /** Feeds one update through the whole stack. */
  send: (update: Parameters<ReturnType<typeof createBot>["handleUpdate"]>[0]) => Promise<void>;
}

export async function startTestBot(
  db: Db,
  options: { config?: Config; clock?: FakeClock; api?: FakeTelegram } = {},
): Promise<TestBot> {
  const config = options.config ?? testConfig();
  await syncSystems(db, config.systems);
  const clock = options.clock ?? fakeClock("2099-11-21T04:00:00Z");
  const api = options.api ?? fakeTelegram({ now: () => clock().getTime() });
  const deps: BotDeps = { db, config, clock, logger: pino({ level: "silent" }), ...adapterPorts(config) };
  const bot = createBot(deps, { botInfo, client: { fetch: api.fetch } });
  await bot.init();
  // The fake learns each user message it delivers (deleteMessage checks its sender and age).
  const send = (u: Parameters<typeof bot.handleUpdate>[0]) => {
    api.receive(u);
    return bot.handleUpdate(u);
  };
  return { bot, api, deps, clock, send };
}
