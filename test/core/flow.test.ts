import { describe, expect, it } from "vitest";
import { selectFlow } from "../../src/core/flow.js";
import type { FreezeReason } from "../../src/core/freeze.js";
import { flowDetail } from "../../src/i18n/index.js";

const freeze: FreezeReason = { source: "env", cause: { kind: "env_hard" }, until: null };
const same = { uat: "2026.11.20-1", prod: "2026.11.20-1" };

describe("selectFlow", () => {
  it("high/critical → hotfix, even when frozen or versions are unknown", () => {
    for (const severity of ["high", "critical"] as const) {
      expect(selectFlow(same, severity, null)).toMatchObject({ kind: "hotfix", reason: "severity_high" });
      expect(selectFlow({ uat: null, prod: null }, severity, freeze)).toMatchObject({ kind: "hotfix" });
    }
  });

  it("a freeze blocks pipeline bugs", () => {
    const r = selectFlow(same, "low", freeze);
    expect(r).toMatchObject({ kind: "blocked", reason: "frozen" });
    expect(flowDetail(r)).toContain("DEPLOY_FREEZE=true");
  });

  it("same version → flow1", () => {
    const r = selectFlow(same, "medium", null);
    expect(r).toEqual({ kind: "flow1", reason: "same_version", uat: "2026.11.20-1", prod: "2026.11.20-1" });
    expect(flowDetail(r)).toBe("UAT 與 PROD 同版本（2026.11.20-1）");
    expect(selectFlow({ uat: "v1.2.0", prod: "1.2.0" }, "low", null).reason).toBe("same_version");
  });

  it("UAT ahead → flow2", () => {
    const r = selectFlow({ uat: "2026.11.21-1", prod: "2026.11.20-3" }, "low", null);
    expect(r).toMatchObject({ kind: "flow2", reason: "uat_ahead" });
    expect(flowDetail(r)).toContain("2026.11.21-1");
    expect(flowDetail(r)).toContain("2026.11.20-3");
    expect(selectFlow({ uat: "1.2.10", prod: "1.2.9" }, "low", null).kind).toBe("flow2");
  });

  it("UAT behind → flow1 with reason uat_behind", () => {
    expect(selectFlow({ uat: "2026.11.20-1", prod: "2026.11.20-2" }, "low", null)).toMatchObject({
      kind: "flow1",
      reason: "uat_behind",
    });
  });

  it("an unknown version → flow1 with reason unknown_versions", () => {
    for (const versions of [
      { uat: null, prod: "1.0" },
      { uat: "1.0", prod: null },
      { uat: "  ", prod: "1.0" },
    ]) {
      expect(selectFlow(versions, "medium", null)).toMatchObject({ kind: "flow1", reason: "unknown_versions" });
    }
    expect(flowDetail(selectFlow({ uat: null, prod: "1.0" }, "low", null))).toContain("1.0");
  });
});
