import { describe, expect, it } from "vitest";
import {
  type CalendarFacts,
  type CalendarRules,
  type EnvFreeze,
  evaluateFreeze,
  type FreezeInputs,
  type FreezeReason,
  freezeFor,
  isFullyFrozen,
  isMonthEnd,
  type StoredFreeze,
} from "../../src/core/freeze.js";
import { describeFreeze, freezeReasonText } from "../../src/i18n/index.js";

/** A reason as the chat says it: core returns the cause (codes and values), i18n words it. */
const said = (r: FreezeReason | null | undefined) => {
  if (!r) return r;
  const { cause: _, ...rest } = r;
  return { ...rest, reason: freezeReasonText(r) };
};

const TPE = "Asia/Taipei";
const tpe = (date: string, time = "20:00") => new Date(`${date}T${time}:00+08:00`);
const noEnv: EnvFreeze = { hard: false, modules: [], until: null };
const noRules: CalendarRules = { holidays: null, lunarNewYear: false, monthEnd: null };
const noFacts: CalendarFacts = { holidayName: null, lunarNewYear: false };

const inputs = (over: Partial<FreezeInputs> = {}): FreezeInputs => ({
  at: tpe("2026-11-18"),
  tz: TPE,
  systemId: "crm",
  env: noEnv,
  stored: [],
  rules: noRules,
  facts: noFacts,
  ...over,
});

const stored = (over: Partial<StoredFreeze>): StoredFreeze => ({
  id: 1,
  scope: "all",
  systemId: null,
  module: null,
  reason: "大客戶上線週",
  until: null,
  createdBy: "Amy",
  ...over,
});

describe("evaluateFreeze", () => {
  it("nothing configured → not frozen", () => {
    const v = evaluateFreeze(inputs());
    expect(v).toEqual({ full: [], modules: {} });
    expect(isFullyFrozen(v)).toBe(false);
    expect(freezeFor(v, "financial")).toBeNull();
    expect(describeFreeze(v)).toEqual(["目前沒有封版。"]);
  });

  it("DEPLOY_FREEZE=true is a full freeze", () => {
    const v = evaluateFreeze(inputs({ env: { ...noEnv, hard: true } }));
    expect(v.full.map(said)).toEqual([{ source: "env", reason: "DEPLOY_FREEZE=true", until: null }]);
    expect(isFullyFrozen(v)).toBe(true);
    expect(said(freezeFor(v, null))?.reason).toBe("DEPLOY_FREEZE=true");
  });

  it("DEPLOY_FREEZE_MODULES freezes only those modules (trimmed, case-insensitive)", () => {
    const v = evaluateFreeze(inputs({ env: { ...noEnv, modules: [" Financial", "billing"] } }));
    expect(isFullyFrozen(v)).toBe(false);
    expect(said(freezeFor(v, "financial"))?.reason).toBe("DEPLOY_FREEZE_MODULES=financial");
    expect(freezeFor(v, "FINANCIAL")).not.toBeNull();
    expect(freezeFor(v, "billing")).not.toBeNull();
    expect(freezeFor(v, "crm-ui")).toBeNull();
    expect(freezeFor(v, null)).toBeNull();
  });

  it("env, stored and month-end module names are normalized: a look-alike module cannot slip past", () => {
    const lookAlikes = ["Ｆinancial\u200B", "ＦＩＮＡＮＣＩＡＬ", " fin\u00ADancial ", "Financial\uFEFF"];
    const env = evaluateFreeze(inputs({ env: { ...noEnv, modules: ["Ｆinancial\u200B"] } }));
    const store = evaluateFreeze(inputs({ stored: [stored({ scope: "module", module: "FINANCIAL\u200D" })] }));
    const monthEnd = evaluateFreeze(
      inputs({ at: tpe("2026-11-30"), rules: { ...noRules, monthEnd: { days: 2, modules: ["ｆｉｎａｎｃｉａｌ"] } } }),
    );
    for (const v of [env, store, monthEnd]) {
      expect(Object.keys(v.modules)).toEqual(["financial"]);
      for (const m of [...lookAlikes, "financial"]) expect(freezeFor(v, m), m).not.toBeNull();
      expect(freezeFor(v, "billing")).toBeNull();
    }
  });

  it("DEPLOY_FREEZE_UNTIL alone is a full freeze until 00:00 local of that date", () => {
    const env = { ...noEnv, until: "2026-02-05" };
    const frozen = evaluateFreeze(inputs({ env, at: tpe("2026-02-04", "23:59") }));
    expect(frozen.full.map(said)).toEqual([
      { source: "env", reason: "DEPLOY_FREEZE_UNTIL=2026-02-05", until: "2026-02-05" },
    ]);
    // 2026-02-05 00:00 Taipei is still 2026-02-04 in UTC: the local date decides
    expect(isFullyFrozen(evaluateFreeze(inputs({ env, at: tpe("2026-02-05", "00:00") })))).toBe(false);
  });

  it("DEPLOY_FREEZE_UNTIL auto-lifts a hard or module freeze", () => {
    const hard = { hard: true, modules: ["financial"], until: "2026-02-05" };
    const before = evaluateFreeze(inputs({ env: hard, at: tpe("2026-02-04") }));
    expect(before.full.map(freezeReasonText)).toEqual(["DEPLOY_FREEZE=true"]);
    expect(before.modules.financial?.[0]?.until).toBe("2026-02-05");
    expect(evaluateFreeze(inputs({ env: hard, at: tpe("2026-02-05") }))).toEqual({ full: [], modules: {} });
  });

  it("stored freezes: scope all, this system, another system, module", () => {
    const v = evaluateFreeze(
      inputs({
        stored: [
          stored({ id: 1, scope: "all", reason: "全公司封版" }),
          stored({ id: 2, scope: "system", systemId: "crm", reason: "crm 上線週" }),
          stored({ id: 3, scope: "system", systemId: "erp", reason: "erp 上線週" }),
          stored({ id: 4, scope: "module", systemId: "crm", module: "financial", reason: "對帳" }),
          stored({ id: 5, scope: "module", systemId: "erp", module: "billing", reason: "erp 帳務" }),
        ],
      }),
    );
    expect(v.full.map((r) => r.id)).toEqual([1, 2]);
    expect(said(v.full[0])).toEqual({ source: "stored", reason: "全公司封版", until: null, id: 1 });
    expect(Object.keys(v.modules)).toEqual(["financial"]);
    expect(v.modules.financial?.[0]?.id).toBe(4);
  });

  it("a stored freeze is active while at < until", () => {
    const until = tpe("2026-11-18", "21:00");
    const s = [stored({ until })];
    expect(isFullyFrozen(evaluateFreeze(inputs({ stored: s, at: tpe("2026-11-18", "20:59") })))).toBe(true);
    expect(isFullyFrozen(evaluateFreeze(inputs({ stored: s, at: until })))).toBe(false);
    expect(evaluateFreeze(inputs({ stored: s, at: tpe("2026-11-18", "20:00") })).full[0]?.until).toBe(
      until.toISOString(),
    );
  });

  it("public holiday → full freeze, only when holidays are configured", () => {
    const facts = { holidayName: "中秋節", lunarNewYear: false };
    const v = evaluateFreeze(inputs({ rules: { ...noRules, holidays: "TW" }, facts }));
    expect(v.full.map(said)).toEqual([{ source: "calendar", reason: "國定假日：中秋節", until: "2026-11-19" }]);
    expect(v.full[0]?.cause).toEqual({ kind: "holiday", name: "中秋節" });
    expect(isFullyFrozen(evaluateFreeze(inputs({ facts })))).toBe(false);
  });

  it("Lunar New Year → full freeze when the rule is on", () => {
    const facts = { holidayName: null, lunarNewYear: true };
    const v = evaluateFreeze(inputs({ rules: { ...noRules, lunarNewYear: true }, facts }));
    expect(v.full.map(freezeReasonText)).toEqual(["農曆新年封版"]);
    expect(isFullyFrozen(evaluateFreeze(inputs({ facts })))).toBe(false);
  });

  it("month-end close freezes the named modules in the last N days of the month", () => {
    const rules: CalendarRules = { ...noRules, monthEnd: { days: 2, modules: ["financial"] } };
    const at = (d: string) => evaluateFreeze(inputs({ rules, at: tpe(d) }));
    expect(at("2026-11-28").modules).toEqual({});
    expect(said(freezeFor(at("2026-11-29"), "financial"))).toEqual({
      source: "calendar",
      reason: "月底結帳封版",
      until: "2026-12-01",
    });
    expect(freezeFor(at("2026-11-30"), "financial")).not.toBeNull();
    expect(freezeFor(at("2026-11-30"), "crm-ui")).toBeNull();
    expect(at("2026-12-01").modules).toEqual({});
    expect(freezeFor(at("2026-12-31"), "financial")?.until).toBe("2027-01-01");
  });

  it("freezeFor prefers a full freeze over a module freeze", () => {
    const v = evaluateFreeze(inputs({ env: { hard: true, modules: ["financial"], until: null } }));
    expect(said(freezeFor(v, "financial"))?.reason).toBe("DEPLOY_FREEZE=true");
  });
});

describe("isMonthEnd", () => {
  it("counts the last N days, leap years included", () => {
    expect(isMonthEnd("2026-11-30", 1)).toBe(true);
    expect(isMonthEnd("2026-11-29", 1)).toBe(false);
    expect(isMonthEnd("2026-11-28", 3)).toBe(true);
    expect(isMonthEnd("2026-02-27", 2)).toBe(true);
    expect(isMonthEnd("2028-02-27", 2)).toBe(false);
    expect(isMonthEnd("2028-02-28", 2)).toBe(true);
    expect(isMonthEnd("2026-11-30", 0)).toBe(false);
  });
});

describe("describeFreeze", () => {
  it("lists full and module freezes in zh-TW", () => {
    const v = evaluateFreeze(
      inputs({
        env: { hard: true, modules: [], until: "2026-12-01" },
        stored: [
          stored({ id: 9, scope: "module", systemId: "crm", module: "financial", until: tpe("2026-11-19", "08:00") }),
        ],
      }),
    );
    expect(describeFreeze(v, TPE)).toEqual([
      "🧊 全面封版：DEPLOY_FREEZE=true（環境變數，至 2026-12-01 00:00 解除）",
      "🧊 模組 financial 封版：大客戶上線週（/freeze #9，至 2026-11-19 08:00）",
    ]);
  });
});
