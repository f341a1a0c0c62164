// The sandbox driven like a user would: through createSandbox().exec and through the real CLI with
// scripted stdin; assertions read the transcript.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("sandbox", () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  /** Runs each line, returning the whole transcript (commands echoed as `> line`). */
  const session = async (lines: string[]) => {
    sandbox ??= await createSandbox();
    const out: string[] = [];
    for (const line of lines) out.push(`> ${line}`, ...(await sandbox.exec(line)));
    return out.join("\n");
  };

  it("help lists every command with an example", async () => {
    const help = await session(["help"]);
    for (const command of ["as ", "press ", "clock ", "run t1|t2", "fail smoke", "show", "bugs", "demo", "quit"]) {
      expect(help).toContain(command);
    }
    expect(help).toContain("as carol /report");
    expect(await session(["dance"])).toContain("輸入 help");
  });

  it("a manual session takes a bug from /report to deployed_prod", async () => {
    const transcript = await session([
      "as carol /report",
      "as carol Login button does nothing",
      "as carol Tap login on iPhone, nothing happens",
      "press 1", // UAT
      "press 2", // medium
      "press 4", // services: none chosen = all
      "as carol -",
      "press 1", // 📨 送出
      "press 1", // carol is not an admin: refused
      "press 1 as alice", // ✅ 確認
      "press 2", // 🟡 medium
      "press 3", // ✔️ 確認分類 (Flow 1)
      "clock 20:00",
      "show 3",
      "press 1", // 批准推 PROD #1
      "clock 22:00",
      "bugs",
    ]);
    expect(transcript).toContain("✅ 已建立 #1");
    expect(transcript).toContain("💬 carol 看到提示：只有管理員可以操作");
    expect(transcript).toContain("✅ Alice 已確認 · 🟡 medium · Flow 1（先 UAT）");
    expect(transcript).toContain("⏰ 2026-11-23 20:00 T1");
    expect(transcript).toContain("✅ T1 部署完成 · UAT 2026.11.23-1 · 3/3");
    expect(transcript).toContain("  [1] 批准推 PROD #1");
    expect(transcript).toContain("（alice 按下「批准推 PROD #1」）");
    expect(transcript).toContain("✅ Flow 1 完成。UAT 與 PROD 版本已對齊。");
    expect(transcript).toContain("監控 30 分鐘結束");
    expect(transcript).toMatch(/#1 +deployed_prod .* medium +flow1 +Login button does nothing/);
    expect(transcript).toContain("UAT 2026.11.23-1 · PROD 2026.11.23-1");
    expect(transcript).not.toContain("⚠️");
  });

  it("moves the clock only forwards and explains bad input", async () => {
    const out = await session(["clock +30m", "clock 2026-11-23 19:00", "press 9", "as dave hi", "run t3"]);
    expect(out).toContain("🕒 現在 2026-11-23 20:20");
    expect(out).toContain("時鐘只能往前撥");
    expect(out).toContain("目前沒有帶按鈕的訊息");
    expect(out).toContain("用法：as");
    expect(out).toContain("用法：run t1 或 run t2");
  });

  it("the CLI plays the demo from piped stdin: Flow 1, Flow 2 and an automatic rollback", () => {
    const result = spawnSync("npx", ["tsx", "src/sandbox/cli.ts"], {
      cwd: ROOT,
      input: "help\ndemo\nquit\n",
      encoding: "utf8",
      timeout: 120_000,
    });
    const out = result.stdout;
    expect(result.status, result.stderr).toBe(0);
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
  }, 120_000);
});
