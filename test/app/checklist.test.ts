import { beforeEach, describe, expect, it } from "vitest";
import { freezes } from "../../drizzle/schema.js";
import { calendarFacts } from "../../src/adapters/calendar/calendar-facts.js";
import { adapterPorts } from "../../src/adapters/wire-ports.js";
import { checklistLines, runChecklist } from "../../src/app/checklist.js";
import { freezeVerdict, frozenDays } from "../../src/app/freeze-state.js";
import { setOncall } from "../../src/app/oncall.js";
import { defaultGates } from "../../src/config/pipeline-gates.js";
import type { Config, SystemConfig } from "../../src/config.js";
import { nextWindow } from "../../src/core/windows.js";
import { testConfig } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { seedSystem } from "../support/fixtures.js";

const T1_TONIGHT = new Date("2099-11-24T12:00:00Z"); // 20:00 Asia/Taipei, a Tuesday

function withTargets(config: Config): SystemConfig {
  const system = config.systems[0]!;
  const target = { type: "command" as const, command: ["/bin/true"], timeoutSeconds: 5 };
  const w = system.environments.uat.watch;
  return {
    ...system,
    environments: {
      uat: { ...system.environments.uat, deploy: target, rollback: target, watch: { ...w, smoke: target } },
      prod: { ...system.environments.prod, deploy: target, rollback: target, watch: { ...w, smoke: target } },
    },
  };
}

describe("calendar facts", () => {
  it("knows Taiwan's public holidays and the first three days of Lunar New Year", () => {
    const rules = { holidays: "TW", lunarNewYear: true, monthEnd: null };
    expect(calendarFacts(rules, "2026-10-10").holidayName).toContain("國慶");
    expect(calendarFacts(rules, "2026-10-12").holidayName).toBeNull();
    expect(calendarFacts(rules, "2027-02-06").lunarNewYear).toBe(true);
    expect(calendarFacts(rules, "2027-02-08").lunarNewYear).toBe(true);
    expect(calendarFacts(rules, "2027-02-09").lunarNewYear).toBe(false);
    expect(calendarFacts({ ...rules, holidays: null, lunarNewYear: false }, "2026-10-10")).toEqual({
      holidayName: null,
      lunarNewYear: false,
    });
  });
});

describe.each(testBackends())("pre-deploy checklist on $name", (backend) => {
  const t = useTestDatabase(backend);
  beforeEach(async () => {
    await t.reset();
    await seedSystem(t.db);
  });

  it("fails on a missing on-call and passes once it is set", async () => {
    const config = testConfig();
    const system = withTargets(config);
    const before = await runChecklist({ db: t.db, config, ...adapterPorts(config) }, system, T1_TONIGHT, ["uat"]);
    expect(before.ok).toBe(false);
    expect(checklistLines(before)).toContain("✗ 值班：2099-11-24 未設定值班（/oncall me）");
    await setOncall(
      t.db,
      { systemId: "crm", day: "2099-11-24", userId: 1001, name: "Alice", setBy: "Alice" },
      T1_TONIGHT,
    );
    const after = await runChecklist({ db: t.db, config, ...adapterPorts(config) }, system, T1_TONIGHT, ["uat"]);
    expect(after.ok).toBe(true);
    expect(checklistLines(after)).toEqual([
      "⚠️ 備份：未設定",
      "✓ 監控：部署後監控 UAT（煙霧測試）",
      "✓ 值班：Alice",
      "✓ 封版檢查：未封版",
      "✓ 回滾路徑：UAT 可回滾至 （首次部署）",
      "⚠️ 測試全數通過：未設定",
      "⚠️ 資安稽核：未設定",
      "⚠️ 人工核准：未設定",
      "⚠️ 預算：未設定",
      "⚠️ 機密與環境變數：未設定",
    ]);
  });

  it("fails when a deploy or rollback target is missing, naming it", async () => {
    const config = testConfig();
    await setOncall(
      t.db,
      { systemId: "crm", day: "2099-11-24", userId: 1001, name: "Alice", setBy: "Alice" },
      T1_TONIGHT,
    );
    const result = await runChecklist({ db: t.db, config, ...adapterPorts(config) }, config.systems[0]!, T1_TONIGHT, [
      "prod",
    ]);
    expect(result.items.find((i) => i.key === "rollback_path")).toMatchObject({
      ok: false,
      detail: "未設定：PROD 部署目標、PROD 回滾目標",
    });
  });

  it("runs configured backup and monitoring checks", async () => {
    const config = testConfig();
    const system = {
      ...withTargets(config),
      checklist: {
        ...defaultGates().checklist,
        backup: { type: "command" as const, command: ["/bin/false"], timeoutSeconds: 5 },
        monitoring: { type: "command" as const, command: ["/bin/true"], timeoutSeconds: 5 },
      },
    };
    const result = await runChecklist({ db: t.db, config, ...adapterPorts(config) }, system, T1_TONIGHT, ["uat"]);
    expect(result.items.find((i) => i.key === "backup")).toMatchObject({ ok: false, detail: "exit 1" });
    expect(result.items.find((i) => i.key === "monitoring")).toMatchObject({ ok: true });
  });

  it("a full freeze fails the freeze item; a module freeze only notes it", async () => {
    const config = testConfig({ freeze: { hard: true, modules: [], until: null } });
    const hard = await runChecklist({ db: t.db, config, ...adapterPorts(config) }, withTargets(config), T1_TONIGHT, [
      "uat",
    ]);
    expect(hard.items.find((i) => i.key === "freeze")).toMatchObject({ ok: false, detail: "DEPLOY_FREEZE=true" });

    const moduleOnly = testConfig();
    await t.db
      .insert(freezes)
      .values({ scope: "module", systemId: "crm", module: "financial", reason: "結帳", createdBy: "Alice" });
    const verdict = await freezeVerdict(
      { db: t.db, config: moduleOnly, ...adapterPorts(config) },
      moduleOnly.systems[0]!,
      T1_TONIGHT,
    );
    expect(Object.keys(verdict.modules)).toEqual(["financial"]);
    const soft = await runChecklist(
      { db: t.db, config: moduleOnly, ...adapterPorts(config) },
      withTargets(moduleOnly),
      T1_TONIGHT,
      ["uat"],
    );
    expect(soft.items.find((i) => i.key === "freeze")?.ok).toBe(true);
  });

  it("window math skips a day frozen by a stored freeze and by a holiday", async () => {
    const config = testConfig();
    const system = { ...config.systems[0]!, freeze: { holidays: "TW", lunarNewYear: false, monthEnd: null } };
    // 2026-10-09 (Fri) 21:00 local: tonight's T2 runs; the 10th is National Day.
    const friday = new Date("2026-10-09T13:00:00Z");
    const skip = await frozenDays({ db: t.db, config, ...adapterPorts(config) }, system, "22:00", friday);
    expect(nextWindow(new Date("2026-10-09T14:30:00Z"), "22:00", "Asia/Taipei", { skipDay: skip })).toMatchObject({
      date: "2026-10-11",
      skipped: [{ date: "2026-10-10", reason: expect.stringContaining("國慶") }],
    });
    await t.db.insert(freezes).values({
      scope: "system",
      systemId: "crm",
      reason: "客戶上線週",
      until: new Date("2026-10-11T16:00:00Z"),
      createdBy: "Alice",
    });
    const skipStored = await frozenDays({ db: t.db, config, ...adapterPorts(config) }, system, "22:00", friday);
    expect(nextWindow(new Date("2026-10-09T14:30:00Z"), "22:00", "Asia/Taipei", { skipDay: skipStored }).date).toBe(
      "2026-10-12",
    );
  });
});
