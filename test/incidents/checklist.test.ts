// The pre-deploy checklist through a real window: a backup script, a monitoring endpoint on
// 127.0.0.1, on-call, freeze check, rollback path. No on-call → skipped, listing ✗; /oncall me → the next window runs.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bugs } from "../../drizzle/schema.js";
import { defaultGates } from "../../src/config/pipeline-gates.js";
import { checkScript, goneWithin, recordedPids } from "../checks/support.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { ADMIN, drive, GROUP, reportOne, T1 } from "../support/fixtures.js";
import { alice, bob, carol, messageUpdate } from "../support/telegram.js";
import { last } from "../telegram/helpers.js";
import { confirmedBug } from "../windows/support.js";
import { at, backupScript, fakeHttp, incidentBot, incidentConfig, incidentSetup, setVersions } from "./support.js";

describe.each(testBackends())("pre-deploy checklist through a window on $name", (backend) => {
  const t = useTestDatabase(backend);
  let monitoring: Awaited<ReturnType<typeof fakeHttp>>;
  beforeEach(async () => {
    await t.reset();
    monitoring = await fakeHttp((url) => (url.pathname === "/-/ready" ? [200, "ok"] : [404, {}]));
  });
  afterEach(() => monitoring.close());

  it("no on-call: T1 is skipped listing ✗ 值班; after /oncall me tonight's T2 runs", async () => {
    const setup = incidentSetup();
    setup.smoke.pass();
    const checklist = {
      ...defaultGates().checklist,
      backup: {
        type: "command" as const,
        command: [backupScript, mkdtempSync(join(tmpdir(), "ns-backup-"))],
        timeoutSeconds: 10,
      },
      monitoring: { type: "http" as const, url: `${monitoring.url}/-/ready`, expectStatus: 200, timeoutSeconds: 5 },
    };
    const tb = await incidentBot(t.db, incidentConfig(setup, { system: { checklist } }));
    await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
    const forT1 = await confirmedBug(t.db, { title: "Reminder SMS twice" });
    // A bug already approved for PROD, waiting for T2.
    const forT2 = await drive(
      t.db,
      await reportOne(t.db, { title: "Stylist photo missing" }),
      [
        [{ type: "confirm", severity: "low", flow: "flow1" }, ADMIN],
        [{ type: "start_analysis" }, T1],
        [{ type: "record_analysis", rootCause: null, fixPlan: null, failed: false }, T1],
        [{ type: "deploy_uat_ok", releaseId: 1 }, T1],
        [{ type: "approve_prod" }, ADMIN],
      ],
      at("12:00"),
    );

    const skipped = await tb.window("t1");
    expect(skipped?.status).toBe("skipped");
    expect(setup.deploy.calls()).toEqual([]);
    expect((await tb.groupTexts()).at(-1)!.split("\n")).toEqual([
      "⏸️ T1 視窗已跳過（2099-11-24 20:00）",
      "原因:部署前檢查未通過",
      "✓ 備份：pg_dump ok: crm.sql",
      "✓ 監控：HTTP 200",
      "✗ 值班：2099-11-24 未設定值班（/oncall me）",
      "✓ 封版檢查：未封版",
      "✓ 回滾路徑：UAT 可回滾至 2099.11.20-1",
      "⚠️ 測試全數通過：未設定",
      "⚠️ 資安稽核：未設定",
      "⚠️ 人工核准：未設定",
      "⚠️ 預算：未設定",
      "⚠️ 機密與環境變數：未設定",
      "待處理的 bug 留在原狀態，下次視窗再處理。",
    ]);

    tb.clock.set(at("20:10"));
    await tb.send(messageUpdate("/oncall", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("2099-11-24 尚未設定值班（/oncall me）");
    await tb.send(messageUpdate("/oncall @carol", carol, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("只有管理員可以操作");
    await tb.send(messageUpdate("/oncall me", bob, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("✅ 2099-11-24 的值班：Bob");
    await tb.send(messageUpdate("/oncall @dave", bob, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("不認識 @dave：請對方先在群組中說句話。");
    await tb.send(messageUpdate("/oncall @Carol", bob, GROUP)); // known: she wrote in the group
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("✅ 2099-11-24 的值班：Carol");
    await tb.send(messageUpdate("/oncall me", alice, GROUP));
    expect(last(tb, "sendMessage", GROUP).payload.text).toBe("✅ 2099-11-24 的值班：Alice");

    const ran = await tb.window("t2");
    expect(ran?.status).toBe("done");
    expect((await t.db.select().from(bugs).where(eq(bugs.id, forT2.id)))[0]!.status).toBe("deployed_prod");
    expect((await t.db.select().from(bugs).where(eq(bugs.id, forT1.id)))[0]!.status).toBe("confirmed");
    expect(setup.deploy.calls().map((c) => c.env)).toEqual(["prod"]);
    expect(monitoring.hits.map((u) => u.pathname)).toEqual(["/-/ready", "/-/ready"]);
  });

  describe("a backup check that leaves a helper or never exits does not wedge the window", () => {
    const pids = recordedPids();
    afterEach(() => pids.cleanup());

    async function windowWithBackup(command: string[], timeoutSeconds: number) {
      const setup = incidentSetup();
      const backup = { type: "command" as const, command, timeoutSeconds };
      const tb = await incidentBot(
        t.db,
        incidentConfig(setup, { system: { checklist: { ...defaultGates().checklist, backup } } }),
      );
      await setVersions(t.db, { uat: "2099.11.20-1", prod: "2099.11.20-1" });
      await confirmedBug(t.db, { title: "Reminder SMS twice" });
      const window = await tb.window("t1");
      return { window, setup, lines: (await tb.groupTexts()).at(-1)!.split("\n") };
    }

    it("`sleep 600 &` in the backup check: T1 goes on when the check exits, the helper is gone", async () => {
      const pidFile = pids.track(join(mkdtempSync(join(tmpdir(), "ns-backup-")), "helper-pid"));
      // A timeout of 50 minutes: only the check's own exit can let this window finish.
      const { window, lines } = await windowWithBackup([checkScript("leave-helper.sh"), pidFile], 3000);
      expect(window?.status).toBe("skipped"); // no on-call tonight
      expect(lines).toContain("✓ 備份：backup ok: helper left running");
      expect(await goneWithin(pids.read(pidFile))).toBe(true);
    });

    it("a backup check that never exits through a child: killed as a group at its timeout, T1 skipped", async () => {
      const dir = mkdtempSync(join(tmpdir(), "ns-backup-"));
      pids.track(join(dir, "pid"));
      pids.track(join(dir, "child-pid"));
      const { window, setup, lines } = await windowWithBackup([checkScript("hang-through-child.sh"), dir], 1);
      expect(window?.status).toBe("skipped");
      expect(setup.deploy.calls()).toEqual([]);
      expect(lines).toContain("✗ 備份：逾時（1s）");
      expect(await goneWithin(pids.read(join(dir, "pid")))).toBe(true);
      expect(await goneWithin(pids.read(join(dir, "child-pid")))).toBe(true);
    });
  });
});
