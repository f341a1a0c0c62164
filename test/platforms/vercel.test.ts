// issue 11 — Vercel end to end against the fake Vercel API: Flow 1 (T1 preview → 批准 → T2 promotes
// that exact deployment, no rebuild), a PROD rollback from the chat (instant rollback with the reason),
// and the failures (401, 404 project, 429, 5xx, build failed, build timed out) that fail the release
// with a zh-TW cause, keep the bugs where they were and record nothing half-way.
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployments } from "../../drizzle/schema.js";
import { runVercel, type VercelTarget, vercelVersion } from "../../src/adapters/deploy/providers/vercel.js";
import { getBug } from "../../src/app/bugs.js";
import type { DeployStep, TargetProgress } from "../../src/app/ports.js";
import { environmentVersions } from "../../src/app/systems.js";
import { type FakeVercel, startFakeVercel } from "../../src/sandbox/fakes/vercel.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { DAY1, DAY2, flow1, groupTexts, platformBot, platformConfig, rollbackFromChat } from "./support.js";

const TOKEN = "vercel-test-token-0123456789";

/** The Vercel target of PIPELINE_CONFIG, pointed at the fake API (no wait between polls). */
const vercelTarget = (apiRoot: string, extra: Record<string, unknown> = {}) => ({
  vercel: {
    project: "crm-web",
    tokenEnv: "VERCEL_TOKEN",
    repo: "acme/crm",
    ref: "main",
    apiRoot,
    pollSeconds: 0,
    ...extra,
  },
});

describe.each(testBackends())("Vercel target on $name", (backend) => {
  const t = useTestDatabase(backend);
  let vercel: FakeVercel;
  beforeEach(async () => {
    await t.reset();
    vercel = await startFakeVercel({ token: TOKEN, projects: ["crm-web"], buildPolls: 2 });
  });
  afterEach(() => vercel.close());

  const target = (extra: Record<string, unknown> = {}) => vercelTarget(vercel.url, extra);
  const config = (extra: Record<string, unknown> = {}, token = TOKEN, timeoutSeconds?: number) => {
    const t = { ...target(extra), ...(timeoutSeconds ? { timeoutSeconds } : {}) };
    return platformConfig(
      { uat: { deploy: t, rollback: t }, prod: { deploy: t, rollback: t } },
      { VERCEL_TOKEN: token },
    );
  };
  const posts = (path: string) => vercel.requests.filter((r) => r.method === "POST" && r.path.startsWith(path));

  it("Flow 1: preview on UAT (its URL in the template), the same deployment promoted to PROD, rollback to the previous one", async () => {
    const tb = await platformBot(t.db, config());
    const day1 = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    const first = vercel.deployments[0]!;
    expect(first).toMatchObject({ target: null, ref: "main", readyState: "READY" });
    expect(day1.uatText).toContain(`✅ 請驗收 UAT:https://${first.url}`);
    expect(posts("/v13/deployments")).toHaveLength(1);
    expect(posts("/v13/deployments")[0]!.body).toMatchObject({
      name: "crm-web",
      project: "crm-web",
      gitSource: { type: "github", org: "acme", repo: "crm", ref: "main" },
      meta: { nightshiftRelease: "2099.03.03-1" },
    });
    expect(posts("/v10/projects/crm-web/promote/").map((r) => r.path)).toEqual([
      `/v10/projects/crm-web/promote/${first.id}`,
    ]);
    expect(vercel.production.get("crm-web")).toBe(first.id);
    expect((await getBug(t.db, day1.bugs[0]!.id))?.status).toBe("deployed_prod");
    expect(groupTexts(tb).some((x) => x.includes("UAT 與 PROD 版本已對齊"))).toBe(true);

    const day2 = await flow1(tb, t.db, DAY2, ["Checkout total wrong"]);
    const second = vercel.deployments[1]!;
    expect(vercel.deployments).toHaveLength(2); // promotes never rebuild
    expect(vercel.production.get("crm-web")).toBe(second.id);
    expect((await getBug(t.db, day2.bugs[0]!.id))?.status).toBe("deployed_prod");
    expect(await environmentVersions(t.db, "crm")).toEqual({ uat: "2099.03.04-1", prod: "2099.03.04-1" });
    expect(await vercelVersion(config().systems[0]!.environments.prod.deploy as never, "prod")).toBe("2099.03.04-1");

    await rollbackFromChat(tb, "prod", "checkout 500");
    const rollback = posts("/v1/projects/crm-web/rollback/");
    expect(rollback.map((r) => [r.path, r.query.get("description")])).toEqual([
      [`/v1/projects/crm-web/rollback/${first.id}`, "checkout 500"],
    ]);
    expect(vercel.production.get("crm-web")).toBe(first.id);
    expect((await environmentVersions(t.db, "crm")).prod).toBe("2099.03.03-1");
    const [row] = await t.db.select().from(deployments).where(eq(deployments.kind, "rollback"));
    expect(row).toMatchObject({ status: "succeeded", version: "2099.03.03-1" });
    expect(row!.providerState).toMatchObject({ deploymentId: first.id });
    expect((await getBug(t.db, day2.bugs[0]!.id))?.status).toBe("pending_prod");
    // The token never reaches the output, the chat or the records.
    const all = JSON.stringify([await t.db.select().from(deployments), groupTexts(tb)]);
    expect(all).not.toContain(TOKEN);
    expect(vercel.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  const failsOnUat = async (cfg: ReturnType<typeof config>, cause: string) => {
    const tb = await platformBot(t.db, cfg);
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("planned");
    const rows = await t.db.select().from(deployments);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).not.toBe("succeeded");
    expect(rows[0]!.providerState).toBeNull();
    expect(rows[0]!.output).toContain(cause);
    const failed = groupTexts(tb).find((x) => x.startsWith("❌ 部署"));
    expect(failed).toContain(cause);
    expect((await environmentVersions(t.db, "crm")).uat).toBeNull();
    return rows[0]!;
  };

  it("a refused token (403) names Vercel and the env variable", async () => {
    await failsOnUat(
      config({}, "wrong-token"),
      "Vercel 部署失敗：權杖無效或權限不足（HTTP 403），請檢查環境變數 VERCEL_TOKEN。",
    );
  });

  it("an unknown project (404) says so", async () => {
    await failsOnUat(config({ project: "nope" }), "Vercel 部署失敗：找不到專案 nope 或其部署（HTTP 404）");
  });

  it("429 on the create call is not retried (a POST), and says it was rate limited", async () => {
    vercel.fail({ method: "POST", path: "/v13/deployments", status: 429, headers: { "retry-after": "30" }, times: 1 });
    await failsOnUat(config(), "被平台限流（HTTP 429，建議 30 秒後再試）");
    expect(posts("/v13/deployments")).toHaveLength(1);
    expect(vercel.deployments).toHaveLength(0);
  });

  it("5xx on a status poll is retried (a GET) and the release goes on", async () => {
    vercel.fail({ method: "GET", path: "/v13/deployments/", status: 502, times: 2 });
    const tb = await platformBot(t.db, config());
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("deployed_prod");
  });

  it("429 on a status poll waits its Retry-After and tries again (a GET)", async () => {
    vercel.fail({ method: "GET", path: "/v13/deployments/", status: 429, headers: { "retry-after": "1" }, times: 1 });
    const tb = await platformBot(t.db, config());
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("deployed_prod");
  });

  it("a Retry-After longer than a minute on a poll is not waited out: the release fails saying when to retry", async () => {
    vercel.fail({
      method: "GET",
      path: "/v13/deployments/",
      status: 429,
      headers: { "retry-after": "3600" },
      times: 3,
    });
    await failsOnUat(config(), "被平台限流（HTTP 429，建議 3600 秒後再試）");
    expect(vercel.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v13/deployments/"))).toHaveLength(1);
  });

  it("5xx on every try fails with the status", async () => {
    vercel.fail({ method: "POST", path: "/v13/deployments", status: 503, times: 1 });
    await failsOnUat(config(), "平台服務異常（HTTP 503）");
  });

  it("a failed build shows the error and the last build log lines", async () => {
    vercel.failingRefs.add("main");
    const row = await failsOnUat(config(), "Vercel 部署失敗：建置失敗：BUILD_FAILED: Command");
    expect(row.output).toContain("[vercel build] Error: Cannot find module './missing'");
  });

  it("a build that never finishes times out", async () => {
    vercel.hangingRefs.add("main");
    const row = await failsOnUat(
      config({ pollSeconds: 0.2 }, TOKEN, 1),
      "Vercel 部署失敗：等待 1 秒仍未完成，已逾時。",
    );
    expect(row.status).toBe("timed_out");
  });
});

// issue 11: while a deployment is not READY, the target reports its stage (the window's progress line
// throttles and words it); a failing progress callback never fails the deploy.
describe("Vercel build progress", () => {
  let vercel: FakeVercel;
  beforeEach(async () => {
    vercel = await startFakeVercel({ token: TOKEN, projects: ["crm-web"], buildPolls: 3 });
  });
  afterEach(() => vercel.close());

  const step: DeployStep = {
    releaseId: 1,
    system: "crm",
    env: "uat",
    kind: "pipeline",
    version: "2099.03.03-1",
    targetVersion: null,
    service: null,
    services: [],
    actor: "system:T1",
    reason: null,
    bugIds: [1],
    bugs: [],
    notes: [],
  };
  const target = () => {
    const t = vercelTarget(vercel.url);
    const cfg = platformConfig({ uat: { deploy: t }, prod: { deploy: t } }, { VERCEL_TOKEN: TOKEN });
    return cfg.systems[0]!.environments.uat.deploy as VercelTarget;
  };

  it("reports BUILDING polls as the building stage until READY", async () => {
    const seen: TargetProgress[] = [];
    const result = await runVercel(target(), step, { onProgress: async (p) => void seen.push(p) });
    expect(result.status).toBe("succeeded");
    expect(seen).toEqual([
      { platform: "vercel", stage: "building" },
      { platform: "vercel", stage: "building" },
    ]);
  });

  it("a progress callback that throws does not fail the deploy", async () => {
    const result = await runVercel(target(), step, {
      onProgress: async () => {
        throw new Error("outbox down");
      },
    });
    expect(result.status).toBe("succeeded");
  });
});
