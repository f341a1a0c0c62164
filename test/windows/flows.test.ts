// Flow 1 and Flow 2 end to end: bugs confirmed, windows ticking on a fake clock, admins pressing
// the approval buttons the notifications carry, every group message read from the fake Bot API.
import { beforeEach, describe, expect, it } from "vitest";
import { deployments } from "../../drizzle/schema.js";
import { getBug } from "../../src/app/bugs.js";
import { environmentVersions, setEnvironmentVersion } from "../../src/app/systems.js";
import { tick } from "../../src/app/windows/index.js";
import { fakeClock, startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, buttonsOf, callbackUpdate } from "../support/telegram.js";
import {
  at,
  confirmedBug,
  fakeDispatcher,
  onCall,
  pipelineConfig,
  type Recorder,
  recorder,
  windowDeps,
} from "./support.js";

describe.each(testBackends())("pipeline flows on $name", (backend) => {
  const t = useTestDatabase(backend);
  let rec: Recorder;
  let tb: TestBot;
  let outbox: ReturnType<typeof fakeDispatcher>;
  beforeEach(async () => {
    await t.reset();
    rec = recorder();
    const config = pipelineConfig({ uat: rec.target(), prod: rec.target() });
    tb = await startTestBot(t.db, { config, clock: fakeClock(at("10:00")) });
    outbox = fakeDispatcher(t.db, tb.api, tb.clock);
    await onCall(t.db);
  });

  /** The scheduler firing at a local time (and the outbox delivering what it wrote). */
  const windowAt = async (local: string, day?: string) => {
    tb.clock.set(at(local, day));
    await tick(windowDeps(t.db, tb.deps.config, tb.clock));
    await outbox.drain();
  };
  const groupMessages = () => tb.api.sentTo(GROUP);
  /** The bot's messages still in the group, as they read now (a progress line became its template). */
  const leftInGroup = () =>
    tb.api.botMessagesLeft(GROUP).map((m) => ({
      payload: { chat_id: GROUP, text: m.text, reply_markup: m.replyMarkup ?? undefined },
      result: { message_id: m.messageId },
    }));
  const lastGroupMessage = (startsWith: string) => {
    const found = leftInGroup().filter((c) => String(c.payload.text).startsWith(startsWith));
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const press = async (message: ReturnType<typeof lastGroupMessage>, label: string, local: string, day?: string) => {
    tb.clock.set(at(local, day));
    const button = buttonsOf(message.payload).find((b) => b.text === label);
    expect(button, `button ${label}`).toBeDefined();
    await tb.send(
      callbackUpdate(button!.callback_data!, alice, {
        chatId: GROUP,
        messageId: message.result.message_id,
        text: message.payload.text,
      }),
    );
    await outbox.drain();
  };

  it("Flow 1: T1 deploys UAT, admin approves, T2 deploys PROD", async () => {
    const a = await confirmedBug(t.db, { title: "Login button does nothing", severity: "medium" });
    const b = await confirmedBug(t.db, { title: "Checkout <total> & tax wrong", severity: "low" });

    await windowAt("20:00");
    expect((await getBug(t.db, a.id))?.status).toBe("deployed_uat");
    // issue 12: the window's checklist comes first, passing
    const [checklist, progress, ...others] = groupMessages();
    expect(checklist!.payload.text.split("\n")[0]).toBe("📋 T1 視窗部署前檢查（2099-11-24 20:00）：通過，開始執行");
    // issue 17: one message for the release — plus its release notes (issue 13), their own message
    expect(others.map((m) => m.payload.text)).toEqual([
      [
        "📝 <b>Release notes — 2099.11.24-1</b>（UAT）",
        "[all] Fix: Login button does nothing (#1)",
        "[all] Fix: Checkout &lt;total&gt; &amp; tax wrong (#2)",
      ].join("\n"),
    ]);
    expect(progress!.payload.text).toBe("⏳ T1 部署中 · UAT 2099.11.24-1 · 1/1 …");
    const edits = tb.api.of("editMessageText").filter((e) => e.payload.message_id === progress!.result.message_id);
    // the progress line becomes the release's template (with its approval buttons)
    expect(edits.map((e) => e.payload.text.split("\n")[0])).toEqual(["🔧 Bug Fix Pipeline — Flow 1 已部署 UAT"]);
    const uat = lastGroupMessage("🔧 Bug Fix Pipeline — Flow 1 已部署 UAT");
    expect(uat.result.message_id).toBe(progress!.result.message_id);
    expect(uat.payload.text.split("\n")).toEqual([
      "🔧 Bug Fix Pipeline — Flow 1 已部署 UAT",
      `• #${a.id} [medium] Login button does nothing`,
      `• #${b.id} [low] Checkout &lt;total&gt; &amp; tax wrong`,
      "📦 Release: 2099.11.24-1",
      "✅ 請驗收 UAT:https://uat.example.com",
      "確認後請點「批准推 PROD」。",
      "下次 T2 時間:今晚 22:00（11/24）",
    ]);
    expect(buttonsOf(uat.payload).map((x) => x.text)).toEqual([
      `批准推 PROD #${a.id}`,
      `批准推 PROD #${b.id}`,
      "全部批准",
    ]);
    // the checklist, the template and the release notes
    expect(leftInGroup().map((m) => m.payload.text.split("\n")[0])).toEqual([
      "📋 T1 視窗部署前檢查（2099-11-24 20:00）：通過，開始執行",
      "🔧 Bug Fix Pipeline — Flow 1 已部署 UAT",
      "📝 <b>Release notes — 2099.11.24-1</b>（UAT）",
    ]);

    await press(uat, "全部批准", "21:00");
    expect((await getBug(t.db, a.id))?.status).toBe("pending_prod");
    expect((await getBug(t.db, b.id))?.status).toBe("pending_prod");

    await windowAt("22:00");
    const prod = lastGroupMessage("🚀 Bug Fix Pipeline — Flow 1 已部署 PROD");
    expect(prod.payload.text.split("\n")).toEqual([
      "🚀 Bug Fix Pipeline — Flow 1 已部署 PROD",
      `• #${a.id} [medium] Login button does nothing`,
      `• #${b.id} [low] Checkout &lt;total&gt; &amp; tax wrong`,
      "✅ Flow 1 完成。UAT 與 PROD 版本已對齊。",
    ]);
    expect(prod.payload.reply_markup).toBeUndefined();
    // one message per release left in the group: UAT's (its buttons gone once approved), PROD's —
    // each after its window's checklist (issue 12) and followed by its release notes (issue 13)
    expect(leftInGroup().map((m) => m.payload.text.split("\n")[0])).toEqual([
      "📋 T1 視窗部署前檢查（2099-11-24 20:00）：通過，開始執行",
      "🔧 Bug Fix Pipeline — Flow 1 已部署 UAT",
      "📝 <b>Release notes — 2099.11.24-1</b>（UAT）",
      expect.stringMatching(/^(✅|👍)/), // the approval reply
      "📋 T2 視窗部署前檢查（2099-11-24 22:00）：通過，開始執行",
      "🚀 Bug Fix Pipeline — Flow 1 已部署 PROD",
      "📝 <b>Release notes — 2099.11.24-1</b>（PROD）",
    ]);
    expect((await getBug(t.db, a.id))?.status).toBe("deployed_prod");
    expect(rec.calls().map((c) => [c.env, c.version, c.bugIds])).toEqual([
      ["uat", "2099.11.24-1", `${a.id},${b.id}`],
      ["prod", "2099.11.24-1", `${a.id},${b.id}`],
    ]);
    expect(await environmentVersions(t.db, "crm")).toEqual({ uat: "2099.11.24-1", prod: "2099.11.24-1" });
    expect(tb.api.errors()).toEqual([]);
  });

  it("Flow 2: T1 queues for PROD, T2 deploys PROD, approval after the cutoff merges at the next T2", async () => {
    await setEnvironmentVersion(t.db, "crm", "prod", "2099.11.20-1", at("09:00"));
    await setEnvironmentVersion(t.db, "crm", "uat", "2099.11.22-1", at("09:00"));
    const c = await confirmedBug(t.db, { title: "Report totals wrong in PROD", flow: "flow2" });

    await windowAt("20:00");
    expect(rec.calls()).toHaveLength(0);
    expect((await getBug(t.db, c.id))?.status).toBe("pending_prod");
    expect(lastGroupMessage("🔧 Bug Fix Pipeline — Flow 2 已排隊部署 PROD").payload.text.split("\n")).toEqual([
      "🔧 Bug Fix Pipeline — Flow 2 已排隊部署 PROD",
      `• #${c.id} [medium] Report totals wrong in PROD`,
      "⏳ 今晚 T2(2099-11-24 22:00)自動部署至 PROD。",
      "部署後請驗收,確認後點「批准 Merge UAT」。",
    ]);

    await windowAt("22:00");
    expect((await getBug(t.db, c.id))?.status).toBe("deployed_prod");
    const prod = lastGroupMessage("🚀 Bug Fix Pipeline — Flow 2 已部署 PROD");
    expect(prod.payload.text.split("\n")).toEqual([
      "🚀 Bug Fix Pipeline — Flow 2 已部署 PROD",
      `• #${c.id} [medium] Report totals wrong in PROD`,
      "⚠️ 請登入 PROD 驗收。",
      "確認正常後點「批准 Merge UAT」。",
      "下次 T2 時間:明晚 22:00（11/25）",
    ]);
    expect(buttonsOf(prod.payload).map((x) => x.text)).toEqual([`批准 Merge UAT #${c.id}`]);

    // approved after tonight's T2: runs at tomorrow's
    await press(prod, `批准 Merge UAT #${c.id}`, "22:30");
    expect((await getBug(t.db, c.id))?.status).toBe("pending_uat_merge");
    const reply = tb.api.sentTo(GROUP).at(-1)!.payload.text as string;
    expect(reply).toContain("明晚 22:00（11/25）");

    await windowAt("20:00", "2099-11-25");
    expect((await getBug(t.db, c.id))?.status).toBe("pending_uat_merge");
    await windowAt("22:00", "2099-11-25");
    expect((await getBug(t.db, c.id))?.status).toBe("uat_merged");
    expect(lastGroupMessage("✅ Bug Fix Pipeline — Flow 2 完成").payload.text.split("\n")).toEqual([
      "✅ Bug Fix Pipeline — Flow 2 完成",
      `• #${c.id} [medium] Report totals wrong in PROD`,
      "🎉 Fix 已同步至 UAT。Flow 2 全流程完成。",
    ]);
    expect(rec.calls().map((x) => [x.env, x.version])).toEqual([
      ["prod", "2099.11.24-1"],
      ["uat", "2099.11.25-1"],
    ]);
    const kinds = (await t.db.select().from(deployments).orderBy(deployments.id)).map((d) => [d.env, d.kind, d.status]);
    expect(kinds).toEqual([
      ["prod", "pipeline", "succeeded"],
      ["uat", "uat_merge", "succeeded"],
    ]);
    expect(tb.api.errors()).toEqual([]);
  });
  it("a module freeze skipping a day: the window message and the approval reply name the same T2", async () => {
    // Month-end closing freezes "billing" from 11/25 to 11/30; the whole system is not frozen.
    const day = "2099-11-24";
    const base = pipelineConfig({ uat: rec.target(), prod: rec.target() });
    const config = pipelineConfig(
      {
        uat: rec.target(),
        prod: rec.target(),
        system: { freeze: { ...base.systems[0]!.freeze, monthEnd: { days: 6, modules: ["billing"] } } },
      },
      base,
    );
    tb = await startTestBot(t.db, { config, clock: fakeClock(at("10:00", day)) });
    outbox = fakeDispatcher(t.db, tb.api, tb.clock);
    await onCall(t.db, day);
    await setEnvironmentVersion(t.db, "crm", "prod", "2099.11.20-1", at("09:00", day));
    const c = await confirmedBug(t.db, { title: "Invoice rounding", flow: "flow2", module: "billing" });

    await windowAt("20:00", day);
    await windowAt("22:00", day);
    expect((await getBug(t.db, c.id))?.status).toBe("deployed_prod");
    const prod = lastGroupMessage("🚀 Bug Fix Pipeline — Flow 2 已部署 PROD");
    // Not 明晚 (11/25): billing's next open T2 is after the month-end freeze.
    expect(prod.payload.text.split("\n").at(-1)).toBe("下次 T2 時間:12/1（二） 22:00");

    await press(prod, `批准 Merge UAT #${c.id}`, "22:30", day);
    expect((await getBug(t.db, c.id))?.status).toBe("pending_uat_merge");
    const reply = tb.api.sentTo(GROUP).at(-1)!.payload.text as string;
    expect(reply).toContain("12/1（二） 22:00");
    expect(tb.api.errors()).toEqual([]);
  });
});
