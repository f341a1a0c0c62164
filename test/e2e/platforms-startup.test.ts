// issue 11 — platform target mistakes stop the real process at start-up, one line each.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startBotProcess } from "../support/process.js";

describe("starting with bad platform targets", () => {
  it("names the missing tokenEnv variable and the bad ssh host, and exits 1", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "nightshift-platform-start-")), "pipeline.json");
    const vercel = { project: "prj_1", tokenEnv: "VERCEL_TOKEN", repo: "acme/web", ref: "main" };
    writeFileSync(
      file,
      JSON.stringify({
        systems: [
          {
            id: "crm",
            name: "CRM",
            groupChatId: -100111,
            environments: {
              uat: { deploy: { vercel } },
              prod: { deploy: { ssh: { host: "-oProxyCommand=x", dir: "/srv/app", restart: "compose" } } },
            },
          },
        ],
      }),
    );
    const bot = startBotProcess({
      BOT_TOKEN: "123456:SECRET-abcdefghijklmnopqrstuvwxyz",
      DATABASE_URL: "memory://",
      PIPELINE_CONFIG: file,
    });
    expect(await bot.exited).toBe(1);
    const lines = bot.output().split("\n");
    expect(lines.filter((l) => l.includes("uat.deploy.vercel.tokenEnv"))).toHaveLength(1);
    expect(lines.find((l) => l.includes("uat.deploy.vercel.tokenEnv"))).toContain("env VERCEL_TOKEN is not set");
    expect(lines.filter((l) => l.includes("prod.deploy.ssh.host"))).toHaveLength(1);
    expect(bot.output()).not.toContain("SECRET");
    expect(bot.output()).not.toMatch(/at .*\.ts:\d+/);
  });
});
