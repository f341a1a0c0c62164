// issue 11 — Northflank end to end against the fake Northflank API (one service per environment):
// Flow 1 over two days (build, wait for success, wait for the service to run it), /rollback redeploys
// the previous successful build, and failed / timed-out builds fail the release with the cause.
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployments } from "../../drizzle/schema.js";
import { northflankVersion } from "../../src/adapters/deploy/providers/northflank.js";
import { getBug } from "../../src/app/bugs.js";
import { environmentVersions } from "../../src/app/systems.js";
import { type FakeNorthflank, startFakeNorthflank } from "../../src/sandbox/fakes/northflank.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { DAY1, DAY2, flow1, groupTexts, platformBot, platformConfig, rollbackFromChat } from "./support.js";

const TOKEN = "nf-test-token-abcdef";

describe.each(testBackends())("Northflank target on $name", (backend) => {
  const t = useTestDatabase(backend);
  let uat: FakeNorthflank;
  let prod: FakeNorthflank;
  beforeEach(async () => {
    await t.reset();
    uat = await startFakeNorthflank({ token: TOKEN, project: "crm", service: "api-uat", buildPolls: 2 });
    prod = await startFakeNorthflank({ token: TOKEN, project: "crm", service: "api", buildPolls: 2 });
  });
  afterEach(async () => {
    await uat.close();
    await prod.close();
  });

  const config = (timeoutSeconds?: number) => {
    const target = (fake: FakeNorthflank, service: string) => ({
      northflank: {
        project: "crm",
        service,
        tokenEnv: "NORTHFLANK_TOKEN",
        branch: "main",
        apiRoot: fake.url,
        pollSeconds: 0.01,
      },
      ...(timeoutSeconds ? { timeoutSeconds } : {}),
    });
    const u = target(uat, "api-uat");
    const p = target(prod, "api");
    return platformConfig(
      { uat: { deploy: u, rollback: u }, prod: { deploy: p, rollback: p } },
      { NORTHFLANK_TOKEN: TOKEN },
    );
  };

  it("Flow 1 builds and waits for the service; rollback redeploys the previous successful build", async () => {
    const cfg = config();
    const tb = await platformBot(t.db, cfg);
    const day1 = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, day1.bugs[0]!.id))?.status).toBe("deployed_prod");
    await flow1(tb, t.db, DAY2, ["Checkout total wrong"]);
    expect(prod.builds.map((b) => b.status)).toEqual(["SUCCESS", "SUCCESS"]);
    expect(prod.requests.filter((r) => r.method === "POST").map((r) => [r.path, r.body])).toEqual([
      ["/v1/projects/crm/services/api/build", { branch: "main" }],
      ["/v1/projects/crm/services/api/build", { branch: "main" }],
    ]);
    const [first, second] = prod.builds;
    const prodTarget = cfg.systems[0]!.environments.prod.deploy as never;
    expect(await northflankVersion(prodTarget)).toBe(second!.sha);

    await rollbackFromChat(tb, "prod", "api 502");
    const redeploy = prod.requests.filter((r) => r.path.endsWith("/deployment"));
    expect(redeploy.map((r) => r.body)).toEqual([{ internal: { id: "api", branch: "main", buildSHA: first!.sha } }]);
    expect(prod.running()).toBe(first!.sha);
    const [row] = await t.db.select().from(deployments).where(eq(deployments.kind, "rollback"));
    expect(row).toMatchObject({ status: "succeeded", version: "2099.03.03-1" });
    expect((await environmentVersions(t.db, "crm")).prod).toBe("2099.03.03-1");
    expect(JSON.stringify(await t.db.select().from(deployments))).not.toContain(TOKEN);
  });

  it("a failed build fails the release on Northflank and leaves the bugs", async () => {
    uat.setFailBuilds(true);
    const tb = await platformBot(t.db, config());
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("planned");
    expect(groupTexts(tb).find((x) => x.startsWith("❌ 部署"))).toContain(
      "Northflank 部署失敗：建置失敗：build build-1 FAILURE。",
    );
    const [row] = await t.db.select().from(deployments);
    expect(row).toMatchObject({ status: "failed", providerState: null });
  });

  it("a build that does not finish in time times out", async () => {
    uat.setHangBuilds(true);
    const tb = await platformBot(t.db, config(1));
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("planned");
    const [row] = await t.db.select().from(deployments);
    expect(row).toMatchObject({ status: "timed_out", providerState: null });
    expect(row!.output).toContain("Northflank 部署失敗：等待 1 秒仍未完成，已逾時。");
  });
});
