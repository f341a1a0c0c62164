import { describe, expect, it } from "vitest";
import { startBotProcess } from "../support/process.js";

describe("starting the real process", () => {
  it("without BOT_TOKEN says how to get one and stops cleanly", async () => {
    const bot = startBotProcess({ DATABASE_URL: "memory://" });
    expect(await bot.exited).toBe(0);
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
