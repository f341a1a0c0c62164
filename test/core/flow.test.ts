import { describe, expect, it } from "vitest";
import { needsOverride, selectFlow, suggestedFlow } from "../../src/core/flow.js";
import type { FreezeReason } from "../../src/core/freeze.js";
import { orderVersions, relateVersions, versionScheme } from "../../src/core/versions.js";
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
    expect(r).toEqual({
      kind: "flow1",
      reason: "same_version",
      relation: "same",
      uat: "2026.11.20-1",
      prod: "2026.11.20-1",
    });
    expect(flowDetail(r)).toBe("UAT 與 PROD 同版本（2026.11.20-1）");
    expect(selectFlow({ uat: "v1.2.0", prod: "1.2.0" }, "low", null).reason).toBe("same_version");
  });

  it("UAT ahead → flow2 (found in PROD or not said); found in UAT → flow1", () => {
    const r = selectFlow({ uat: "2026.11.21-1", prod: "2026.11.20-3" }, "low", null);
    expect(r).toMatchObject({ kind: "flow2", reason: "uat_ahead" });
    expect(flowDetail(r)).toContain("2026.11.21-1");
    expect(flowDetail(r)).toContain("2026.11.20-3");
    expect(selectFlow({ uat: "1.2.10", prod: "1.2.9" }, "low", null).kind).toBe("flow2");
    expect(selectFlow({ uat: "1.4.0", prod: "1.3.0" }, "low", null, "prod").kind).toBe("flow2");
    expect(selectFlow({ uat: "1.4.0", prod: "1.3.0" }, "low", null, "uat")).toMatchObject({
      kind: "flow1",
      reason: "uat_ahead_found_in_uat",
    });
  });

  it("UAT behind → its own state: the admin chooses (re-align UAT first)", () => {
    const r = selectFlow({ uat: "2026.11.20-1", prod: "2026.11.20-2" }, "low", null);
    expect(r).toMatchObject({ kind: "choose", reason: "uat_behind", relation: "uat_behind" });
    expect(flowDetail(r)).toContain("建議先將 UAT 同步");
    expect(suggestedFlow(r)).toBeNull();
    expect(needsOverride(r, "flow1")).toBe(false);
  });

  it("an unknown version → the admin must choose, nothing is suggested", () => {
    for (const versions of [
      { uat: null, prod: "1.0" },
      { uat: "1.0", prod: null },
      { uat: "  ", prod: "1.0" },
    ]) {
      const r = selectFlow(versions, "medium", null);
      expect(r).toMatchObject({ kind: "choose", reason: "unknown_versions" });
      expect(suggestedFlow(r)).toBeNull();
    }
    expect(flowDetail(selectFlow({ uat: null, prod: "1.0" }, "low", null))).toContain("1.0");
  });

  it("opaque versions (SHAs): equal → flow1; different → UAT ahead only when deployed after PROD", () => {
    const at = (iso: string) => new Date(iso);
    const sha = (version: string, since: string) => ({ version, since: at(since) });
    expect(
      selectFlow({ uat: sha("a1b2c3d", "2099-01-02"), prod: sha("a1b2c3d", "2099-01-01") }, "low", null).kind,
    ).toBe("flow1");
    const later = selectFlow({ uat: sha("ffee001", "2099-01-02"), prod: sha("a1b2c3d", "2099-01-01") }, "low", null);
    expect(later).toMatchObject({ kind: "flow2", reason: "uat_ahead" });
    const earlier = selectFlow({ uat: sha("ffee001", "2099-01-01"), prod: sha("a1b2c3d", "2099-01-02") }, "low", null);
    expect(earlier).toMatchObject({ kind: "choose", reason: "different" });
    expect(selectFlow({ uat: "ffee001", prod: "a1b2c3d" }, "low", null).reason).toBe("different");
  });

  it("overriding the suggestion needs a reason; the suggestion does not", () => {
    const ahead = selectFlow({ uat: "1.4.0", prod: "1.3.0" }, "low", null);
    expect(needsOverride(ahead, "flow1")).toBe(true);
    expect(needsOverride(ahead, "flow2")).toBe(false);
    const equal = selectFlow({ uat: "1.3.0", prod: "1.3.0" }, "low", null);
    expect(needsOverride(equal, "flow2")).toBe(true);
  });
});

describe("version ordering", () => {
  it("semver: numeric order, a release beats its pre-release, build metadata ignored", () => {
    expect(orderVersions("1.10.0", "1.9.3")).toBe(1);
    expect(orderVersions("v1.4.0", "1.4.0")).toBe(0);
    expect(orderVersions("1.4.0-rc.1", "1.4.0")).toBe(-1);
    expect(orderVersions("1.4.0-rc.2", "1.4.0-rc.10")).toBe(-1);
    expect(orderVersions("1.4.0-alpha", "1.4.0-1")).toBe(1);
    expect(orderVersions("1.4.0+b7", "1.4.0+b9")).toBe(0);
    expect(versionScheme("1.4.0")).toBe("semver");
  });

  it("the bot's YYYY.MM.DD-N: by date, then by sequence", () => {
    expect(orderVersions("2026.11.23-10", "2026.11.23-9")).toBe(1);
    expect(orderVersions("2026.11.22-5", "2026.11.23-1")).toBe(-1);
    expect(versionScheme("2026.11.23-1")).toBe("release");
  });

  it("SHAs, build ids and mixed schemes only compare equal or not", () => {
    expect(orderVersions("a1b2c3d", "a1b2c3d")).toBe(0);
    expect(orderVersions("a1b2c3d", "b1b2c3d")).toBeNull();
    expect(orderVersions("1.4.0", "2026.11.23-1")).toBeNull();
    expect(versionScheme("build-4711")).toBe("opaque");
    expect(relateVersions({ version: "x", since: null }, { version: "y", since: null })).toBe("different");
    expect(relateVersions({ version: null, since: null }, { version: "y", since: null })).toBe("unknown");
  });
});
