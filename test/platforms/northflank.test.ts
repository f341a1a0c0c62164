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
import { GROUP } from "../support/fixtures.js";
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

  const failsOnUat = async (cfg: ReturnType<typeof config>, cause: string) => {
    const tb = await platformBot(t.db, cfg);
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("planned");
    const rows = await t.db.select().from(deployments);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "failed", providerState: null });
    expect(groupTexts(tb).find((x) => x.startsWith("❌ 部署"))).toContain(cause);
    expect((await environmentVersions(t.db, "crm")).uat).toBeNull();
    expect(JSON.stringify(rows)).not.toContain(TOKEN);
  };

  it("a refused token (401) names Northflank and the env variable", async () => {
    uat.fail({ method: "POST", path: "/build", status: 401, times: 1 });
    await failsOnUat(
      config(),
      "Northflank 部署失敗：權杖無效或權限不足（HTTP 401），請檢查環境變數 NORTHFLANK_TOKEN。",
    );
  });

  it("an unknown service (404) says which", async () => {
    const cfg = config();
    const uatDeploy = cfg.systems[0]!.environments.uat.deploy as { service: string };
    uatDeploy.service = "api-missing";
    await failsOnUat(cfg, "Northflank 部署失敗：找不到專案 crm 或服務 api-missing（HTTP 404）");
  });

  it("429 on starting the build is not retried (a POST)", async () => {
    uat.fail({ method: "POST", path: "/build", status: 429, headers: { "retry-after": "60" }, times: 1 });
    await failsOnUat(config(), "Northflank 部署失敗：請求過於頻繁，被平台限流（HTTP 429，建議 60 秒後再試）。");
    expect(uat.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(uat.builds).toHaveLength(0);
  });

  it("5xx on a build poll is retried (a GET) and the release goes on", async () => {
    uat.fail({ method: "GET", path: "/build/", status: 502, times: 2 });
    const tb = await platformBot(t.db, config());
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("deployed_prod");
  });

  it("5xx on every try of a poll fails the release with the status", async () => {
    uat.fail({ method: "GET", path: "/build/", status: 503, times: 3 });
    await failsOnUat(config(), "Northflank 部署失敗：平台服務異常（HTTP 503），請稍後再試。");
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

// issue 11: a Northflank build takes minutes; the window's progress line says how far it is.
describe.each(testBackends())("Northflank build progress in the window's progress line on $name", (backend) => {
  const t = useTestDatabase(backend);
  let uat: FakeNorthflank;
  let prod: FakeNorthflank;
  beforeEach(async () => {
    await t.reset();
    // A slow build: 12 polls BUILDING, then SUCCESS; the service then rolls out over 2 polls.
    uat = await startFakeNorthflank({
      token: TOKEN,
      project: "crm",
      service: "api-uat",
      buildPolls: 13,
      rolloutPolls: 2,
    });
    prod = await startFakeNorthflank({ token: TOKEN, project: "crm", service: "api", buildPolls: 1 });
  });
  afterEach(async () => {
    await uat.close();
    await prod.close();
  });

  it("shows the build's stage and minutes, throttled, and never edits the line to what it says", async () => {
    const target = (fake: FakeNorthflank, service: string) => ({
      northflank: { project: "crm", service, tokenEnv: "NORTHFLANK_TOKEN", apiRoot: fake.url, pollSeconds: 0.01 },
    });
    const cfg = platformConfig(
      {
        uat: { deploy: target(uat, "api-uat"), rollback: target(uat, "api-uat") },
        prod: { deploy: target(prod, "api"), rollback: target(prod, "api") },
      },
      { NORTHFLANK_TOKEN: TOKEN },
    );
    const tb = await platformBot(t.db, cfg);
    // Each poll of the build is 20 s of the window's clock.
    uat.onRequest((req) => {
      if (req.method === "GET" && req.path.includes("/build/")) tb.clock.advance(20_000);
    });
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("deployed_prod");

    // The strict fake Bot API refused nothing (an identical edit is "message is not modified").
    expect(tb.api.calls.filter((c) => c.error)).toEqual([]);
    const sent = tb.api
      .of("sendMessage")
      .find((c) => c.payload.chat_id === GROUP && String(c.payload.text).startsWith("⏳ T1 部署中 · UAT"));
    const id = sent!.result!.message_id;
    const texts = [
      String(sent!.payload.text),
      ...tb.api
        .of("editMessageText")
        .filter((c) => c.payload.chat_id === GROUP && c.payload.message_id === id)
        .map((c) => String(c.payload.text)),
    ];
    const line = "⏳ T1 部署中 · UAT 2099.03.03-1 · 1/1 …";
    // The line became the Flow 1 template (then the approval's edit of it).
    const template = texts.findIndex((x) => x.startsWith("🔧 Bug Fix Pipeline — Flow 1 已部署 UAT"));
    expect(texts.slice(0, template)).toEqual([
      line,
      `${line} · Northflank 排隊等候建置（未滿 1 分鐘）`,
      `${line} · Northflank 建置中（未滿 1 分鐘）`,
      // 12 polls of BUILDING over 4 minutes: one edit per minute (30 s at most, identical ones skipped)
      `${line} · Northflank 建置中（已 1 分鐘）`,
      `${line} · Northflank 建置中（已 2 分鐘）`,
      `${line} · Northflank 建置中（已 3 分鐘）`,
      `${line} · Northflank 建置中（已 4 分鐘）`,
      `${line} · Northflank 建置完成，等待新版本啟動（已 4 分鐘）`,
    ]);
    for (const [i, text] of texts.entries()) if (i > 0) expect(text).not.toBe(texts[i - 1]);
    // No English status codes in the group.
    expect(texts.join("\n")).not.toMatch(/BUILDING|QUEUED|PENDING|COMPLETED/);
  });
});
