import { describe, expect, it } from "vitest";
import { createFakeBotApi, serveFakeBotApi } from "../../src/sandbox/fake-bot-api.js";
import { runProcess, spawnProcess, startBotProcess } from "../support/process.js";

describe("starting the real process", () => {
  it("without BOT_TOKEN says how to get one and exits non-zero", async () => {
    const bot = startBotProcess({ DATABASE_URL: "memory://" });
    expect(await bot.exited).toBe(1);
    expect(bot.output()).toContain("@BotFather");
    expect(bot.output()).toContain("/newbot");
    expect(bot.output()).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it("with bad values names each variable, never prints the token, and exits 1", async () => {
    const token = "123456:SECRET-abcdefghijklmnopqrstuvwxyz";
    const bot = startBotProcess({ BOT_TOKEN: token, T1_TIME: "25:00", ADMIN_IDS: "abc", GROUP_CHAT_ID: "-100" });
    expect(await bot.exited).toBe(1);
    expect(bot.output()).toContain("T1_TIME");
    expect(bot.output()).toContain("ADMIN_IDS");
    expect(bot.output()).not.toContain("SECRET");
  });
});

describe("the compiled build (what the Dockerfile runs)", () => {
  it("builds with tsc and starts with node dist/src/main.js, migrations included, and stops on SIGTERM", async () => {
    const build = await runProcess("npm", ["run", "-s", "build"]);
    expect(build.code, build.output).toBe(0);
    const api = createFakeBotApi();
    const server = await serveFakeBotApi(api);
    try {
      const bot = spawnProcess(process.execPath, ["dist/src/main.js"], {
        env: {
          BOT_TOKEN: "123456:TEST-token-abcdefghijklmnopqrstuvwxyz",
          DATABASE_URL: "memory://",
          GROUP_CHAT_ID: "-1001",
          TELEGRAM_API_ROOT: server.url,
          PORT: "0",
        },
      });
      await bot.waitFor(/"msg":"ready \(polling\)"/, 120_000);
      // It used to hang here forever (the stop's last getUpdates retried against a closed API):
      // now it stops by itself, with the API still up, and is awaited either way.
      expect(await bot.stop()).toBe(0);
      expect(bot.output()).toContain('"msg":"stopped"');
    } finally {
      await server.close();
    }
  }, 240_000);
});
