// The sandbox's real CLI (`npm run sandbox`) with scripted stdin; assertions read its stdout.
import { describe, expect, it } from "vitest";
import { runProcess } from "../support/process.js";

describe("the sandbox CLI", () => {
  it("plays the demo from piped stdin: Flow 1, Flow 2 and an automatic rollback", async () => {
    const result = await runProcess(process.execPath, ["--import", "tsx", "src/sandbox/cli.ts"], {
      input: "help\ndemo\nquit\n",
    });
    const out = result.stdout;
    expect(result.code, result.output).toBe(0);
    expect(out).toContain("> help");
    expect(out).toContain("press <n> [as <人>]");
    expect(out).toContain("🚀 Bug Fix Pipeline — Flow 1 已部署 PROD");
    expect(out).toContain("Flow 1 完成");
    expect(out).toContain("🚀 Bug Fix Pipeline — Flow 2 已部署 PROD");
    expect(out).toContain("Flow 2 全流程完成");
    expect(out).toContain("smoke 測試：exit 1:fail: /checkout 回應 HTTP 500");
    expect(out).toContain("⚠️ Rollback 執行 — PROD");
    expect(out).toMatch(/#3 +pending_prod \(held\)/);
    expect(out).not.toContain("Bot API 拒絕");
    expect(out).not.toContain("發生錯誤");
    expect(out.trimEnd().endsWith("再見 👋")).toBe(true);
  });
});
