// The seven spec templates, line by line, and the engine's own messages: fields, order, escaping.
import { describe, expect, it } from "vitest";
import {
  approvalReminder,
  deployFailed,
  deploymentInterrupted,
  emergencyHotfix,
  flow1Prod,
  flow1Uat,
  flow2Complete,
  flow2Prod,
  flow2Queued,
  progressLine,
  rollbackExecuted,
  windowMissed,
  windowSkipped,
} from "../../src/i18n/index.js";
import { htmlProblem } from "../support/telegram.js";

const bugs = [
  { id: 12, severity: "medium", title: "Login button does nothing" },
  { id: 13, severity: "low", title: '</b><a href="tg://x">y</a> & <i>\nsecond line' },
];
const ESCAPED = "&lt;/b&gt;&lt;a href=&quot;tg://x&quot;&gt;y&lt;/a&gt; &amp; &lt;i&gt; second line";

describe("spec templates", () => {
  it("Flow 1 已部署 UAT", () => {
    const text = flow1Uat({
      bugs,
      version: "2099.11.24-1",
      uatUrl: "https://uat.example.com",
      nextT2: "今晚 22:00（11/24）",
    });
    expect(text.split("\n")).toEqual([
      "🔧 Bug Fix Pipeline — Flow 1 已部署 UAT",
      "• #12 [medium] Login button does nothing",
      `• #13 [low] ${ESCAPED}`,
      "📦 Release: 2099.11.24-1",
      "✅ 請驗收 UAT:https://uat.example.com",
      "確認後請點「批准推 PROD」。",
      "下次 T2 時間:今晚 22:00（11/24）",
    ]);
    expect(htmlProblem(text)).toBeNull();
  });

  it("Flow 1 已部署 PROD", () => {
    expect(flow1Prod({ bugs: bugs.slice(0, 1) }).split("\n")).toEqual([
      "🚀 Bug Fix Pipeline — Flow 1 已部署 PROD",
      "• #12 [medium] Login button does nothing",
      "✅ Flow 1 完成。UAT 與 PROD 版本已對齊。",
    ]);
  });

  it("Flow 2 已排隊部署 PROD, tonight and on another day", () => {
    expect(flow2Queued({ bugs: bugs.slice(0, 1), t2: "2099-11-24 22:00", tonight: true }).split("\n")).toEqual([
      "🔧 Bug Fix Pipeline — Flow 2 已排隊部署 PROD",
      "• #12 [medium] Login button does nothing",
      "⏳ 今晚 T2(2099-11-24 22:00)自動部署至 PROD。",
      "部署後請驗收,確認後點「批准 Merge UAT」。",
    ]);
    expect(flow2Queued({ bugs: bugs.slice(0, 1), t2: "2099-11-25 22:00", tonight: false })).toContain(
      "⏳ 下次 T2(2099-11-25 22:00)自動部署至 PROD。",
    );
  });

  it("Flow 2 已部署 PROD and Flow 2 完成", () => {
    expect(flow2Prod({ bugs: bugs.slice(0, 1), nextT2: "明晚 22:00（11/25）" }).split("\n")).toEqual([
      "🚀 Bug Fix Pipeline — Flow 2 已部署 PROD",
      "• #12 [medium] Login button does nothing",
      "⚠️ 請登入 PROD 驗收。",
      "確認正常後點「批准 Merge UAT」。",
      "下次 T2 時間:明晚 22:00（11/25）",
    ]);
    expect(flow2Complete({ bugs: bugs.slice(0, 1) }).split("\n")).toEqual([
      "✅ Bug Fix Pipeline — Flow 2 完成",
      "• #12 [medium] Login button does nothing",
      "🎉 Fix 已同步至 UAT。Flow 2 全流程完成。",
    ]);
  });

  it("Emergency Hotfix and Rollback", () => {
    expect(
      emergencyHotfix({
        env: "prod",
        bug: { id: 7, severity: "critical", title: "Payments <down>" },
        at: "2099-11-24 22:10",
        admin: "Alice",
        followUp: "是 — 需 cherry-pick 至 UAT",
      }).split("\n"),
    ).toEqual([
      "🚨 Emergency Hotfix — PROD",
      "Bug: #7 [critical] Payments &lt;down&gt;",
      "時間:2099-11-24 22:10",
      "部署人:Alice",
      "狀態:已部署,請立即驗收",
      "需要跟進:是 — 需 cherry-pick 至 UAT",
    ]);
    expect(
      rollbackExecuted({
        env: "prod",
        reason: "smoke failed",
        toVersion: "2099.11.23-1",
        at: "2099-11-24 22:40",
        admin: "系統自動回滾",
        next: "investigation",
      }).split("\n"),
    ).toEqual([
      "⚠️ Rollback 執行 — PROD",
      "原因:smoke failed",
      "回滾至:2099.11.23-1",
      "時間:2099-11-24 22:40",
      "執行人:系統自動回滾",
      "狀態:已回滾,正在監控",
      "下一步:investigation",
    ]);
  });
});

describe("engine messages", () => {
  it("are valid HTML with every user string escaped", () => {
    const texts = [
      windowSkipped({ slot: "t1", scheduledAt: "2099-11-24 20:00", reason: "封版中：<x>", detail: ["✗ 值班：<none>"] }),
      windowMissed({ slot: "t1", scheduledAt: "2099-11-24 20:00", graceMinutes: 30, reason: "停機" }),
      deployFailed({
        env: "uat",
        version: "2099.11.24-1",
        bugs,
        status: "timed_out",
        step: "backend",
        output: "<html>502</html>\n& more",
      }),
      deploymentInterrupted({ env: "prod", version: "2099.11.24-2", bugs, startedAt: "2099-11-24 22:00" }),
      approvalReminder({
        awaitingProd: bugs,
        awaitingMerge: [],
        t2: "今晚 22:00（11/24）",
        after: "明晚 22:00（11/25）",
      }),
    ];
    for (const text of texts) expect(htmlProblem(text)).toBeNull();
    expect(texts[2]).toContain("<pre>&lt;html&gt;502&lt;/html&gt;\n&amp; more</pre>");
    expect(texts[4]!.split("\n")[0]).toBe("⏰ 尚有 2 個待批准，今晚 22:00（11/24） 截止");
  });

  it("progress lines", () => {
    const base = { slot: "t1" as const, env: "uat" as const, version: "2099.11.24-1", total: 3 };
    expect(progressLine({ ...base, state: "running", done: 2, service: "backend" })).toBe(
      "⏳ T1 部署中 · UAT 2099.11.24-1 · backend 2/3 …",
    );
    expect(progressLine({ ...base, state: "succeeded", done: 3, service: null })).toBe(
      "✅ T1 部署完成 · UAT 2099.11.24-1 · 3/3",
    );
  });
});
