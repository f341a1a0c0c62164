// PIPELINE_CONFIG `freeze.periods` (issue 12): parsed into local "YYYY-MM-DD HH:MM" ends, modules
// normalized; bad dates, until not after from, an empty reason and unknown keys are bilingual errors.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

const withPeriods = (periods: unknown) => {
  const file = JSON.stringify({
    systems: [
      { id: "crm", name: "Barber CRM", groupChatId: -100111, environments: { uat: {}, prod: {} }, freeze: { periods } },
    ],
  });
  return () =>
    loadConfig({ BOT_TOKEN: TOKEN, PIPELINE_CONFIG: "/x/pipeline.json" }, { cwd: "/x", readFile: () => file });
};

const problems = (load: () => unknown): string[] => {
  try {
    load();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
};

describe("PIPELINE_CONFIG freeze.periods", () => {
  it("reads from/until as local date-times, modules optional and normalized", () => {
    const config = withPeriods([
      { from: "2099-12-24", until: "2099-12-27", reason: "大客戶上線週" },
      { from: "2099-12-30 18:00", until: "2099-12-31 06:30", modules: ["Financial"], reason: "月結維護" },
    ])();
    expect(config.systems[0]!.freeze.periods).toEqual([
      { from: "2099-12-24 00:00", until: "2099-12-27 00:00", modules: [], reason: "大客戶上線週" },
      { from: "2099-12-30 18:00", until: "2099-12-31 06:30", modules: ["financial"], reason: "月結維護" },
    ]);
  });

  it("names the field and the fix for each mistake", () => {
    const found = problems(
      withPeriods([
        { from: "2099-02-30", until: "2099-03-01", reason: "x" },
        { from: "2099-12-24", until: "2099-12-24", reason: "x" },
        { from: "2099-12-24", until: "2099-12-25", reason: "  " },
        { from: "2099-12-24", until: "2099-12-25", reason: "x", scope: "all" },
      ]),
    );
    expect(found).toHaveLength(4);
    expect(found[0]).toMatch(/^PIPELINE_CONFIG systems\[0\]\.freeze\.periods\[0\]\.from: 應為系統時區的 "YYYY-MM-DD"/);
    expect(found[1]).toMatch(
      /^PIPELINE_CONFIG systems\[0\]\.freeze\.periods\[1\]\.until: 必須晚於 from（2099-12-24 00:00）/,
    );
    expect(found[2]).toMatch(/^PIPELINE_CONFIG systems\[0\]\.freeze\.periods\[2\]\.reason: 原因不可空白/);
    expect(found[3]).toMatch(/^PIPELINE_CONFIG systems\[0\]\.freeze\.periods\[3\]\.scope: 不認得的欄位/);
  });
});
