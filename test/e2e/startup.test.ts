import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createFakeBotApi, serveFakeBotApi } from "../../src/sandbox/fake-bot-api.js";
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

describe("the compiled build (what the Dockerfile runs)", () => {
  it("builds with tsc and starts with node dist/src/main.js, migrations included", async () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    execFileSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "pipe" });
    const api = createFakeBotApi();
    const server = await serveFakeBotApi(api);
    const child = spawn(process.execPath, ["dist/src/main.js"], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        BOT_TOKEN: "123456:TEST-token-abcdefghijklmnopqrstuvwxyz",
        DATABASE_URL: "memory://",
        GROUP_CHAT_ID: "-1001",
        TELEGRAM_API_ROOT: server.url,
        PORT: "0",
      },
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    for (let i = 0; i < 300 && !output.includes('"msg":"ready'); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    await server.close();
    expect(output).toContain('"msg":"ready (polling)"');
  }, 120_000);
});
