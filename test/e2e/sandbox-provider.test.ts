// issue 11 — `npm run sandbox -- --provider vercel`: the demo deploys to the fake Vercel API (the
// preview URL in the Flow 1 template, an automatic rollback by Vercel's instant rollback).
import { describe, expect, it } from "vitest";
import { runProcess } from "../support/process.js";

describe("the sandbox CLI with --provider vercel", () => {
  it("plays the demo against the fake Vercel API", async () => {
    const result = await runProcess(
      process.execPath,
      ["--import", "tsx", "src/sandbox/cli.ts", "--provider", "vercel"],
      {
        input: "demo\nquit\n",
      },
    );
    const out = result.stdout;
    expect(result.code, result.output).toBe(0);
    expect(out).toContain("部署到模擬的 vercel");
    expect(out).toMatch(/✅ 請驗收 UAT:https:\/\/demo-shop-[0-9a-f]{9}\.vercel\.app/);
    expect(out).toContain("Flow 1 完成。UAT 與 PROD 版本已對齊。");
    expect(out).toContain("⚠️ Rollback 執行 — PROD");
    expect(out).toContain("回滾後監控結束 — PROD 2026.11.24-1：穩定");
    expect(out).not.toContain("部署失敗");
    expect(out).not.toContain("Bot API 拒絕");
  });

  it("refuses an unknown provider", async () => {
    const result = await runProcess(
      process.execPath,
      ["--import", "tsx", "src/sandbox/cli.ts", "--provider", "heroku"],
      {
        input: "quit\n",
      },
    );
    expect(result.code).toBe(2);
    expect(result.output).toContain("--provider");
  });
});
