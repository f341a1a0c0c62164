// Prometheus thresholds against a fake /api/v1/query on 127.0.0.1: the p95 baseline is the same
// query evaluated before the deploy; functional breaches (5xx, login) fail the watch, the rest warn.
import { afterEach, describe, expect, it } from "vitest";
import { queryPrometheus, readBaselineP95, readMetrics } from "../../src/adapters/checks/prometheus.js";
import { adapterPorts } from "../../src/adapters/wire-ports.js";
import { runEnvChecks } from "../../src/app/incident-support.js";
import type { PrometheusConfig } from "../../src/config.js";
import { breaches } from "../../src/core/watch-rules.js";
import { testConfig } from "../support/app.js";
import { fakeHttp } from "./support.js";

const DEPLOYED_AT = new Date("2099-11-24T14:00:00Z");
const QUERIES = { errorRate: "q_5xx", p95: "q_p95", memory: "q_mem", cpu: "q_cpu", loginSuccess: "q_login" };

/** Current values per query; p95 answers `baseline` for instants before the deploy. */
async function prometheus(now: Record<string, string>, baseline = "0.500") {
  return fakeHttp((url) => {
    if (url.pathname !== "/api/v1/query") return [404, {}];
    const query = url.searchParams.get("query") ?? "";
    const time = Number(url.searchParams.get("time") ?? Number.NaN);
    const before = Number.isFinite(time) && time * 1000 < DEPLOYED_AT.getTime();
    const value = query === "q_p95" && before ? baseline : now[query];
    const result = value === undefined ? [] : [{ metric: {}, value: [time || 1795615200, value] }];
    return [200, { status: "success", data: { resultType: "vector", result } }];
  });
}

const HEALTHY = { q_5xx: "0.003", q_p95: "0.550", q_mem: "0.60", q_cpu: "0.40", q_login: "0.998" };

describe("Prometheus thresholds", () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  async function setup(now: Record<string, string>) {
    const server = await prometheus(now);
    close = server.close;
    const config: PrometheusConfig = { url: server.url, ...QUERIES };
    return { server, config };
  }

  it("5xx at 0.3% and p95 within baseline + 20% are fine", async () => {
    const { config, server } = await setup(HEALTHY);
    const baseline = await readBaselineP95(config, new Date(DEPLOYED_AT.getTime() - 1000));
    expect(baseline).toBe(0.5);
    expect(server.hits[0]!.searchParams.get("time")).toBe(String((DEPLOYED_AT.getTime() - 1000) / 1000));
    const readings = await readMetrics(config);
    expect(readings).toEqual({ errorRate: 0.003, p95: 0.55, memory: 0.6, cpu: 0.4, loginSuccess: 0.998 });
    expect(breaches(readings, baseline)).toEqual([]);
  });

  it("p95 above baseline + 20% is a breach, reported as a warning (not a rollback)", async () => {
    const { config } = await setup({ ...HEALTHY, q_p95: "0.650" });
    const system = withPrometheus(config);
    const result = await runEnvChecks({ config: testConfig(), ...adapterPorts(testConfig()) }, system, "prod", {
      baselineP95: 0.5,
    });
    expect(result.failures).toEqual([]);
    expect(result.warnings).toEqual([{ key: "p95", text: "p95 0.65 ≥ 0.6（基準 0.5 + 20%）" }]);
  });

  it("5xx, memory, CPU and login success each against the spec's limits; CPU only once sustained", async () => {
    const { config } = await setup({ q_5xx: "0.012", q_p95: "0.5", q_mem: "0.91", q_cpu: "0.85", q_login: "0.95" });
    const round = (streak: number) =>
      runEnvChecks({ config: testConfig(), ...adapterPorts(testConfig()) }, withPrometheus(config), "prod", {
        baselineP95: 0.5,
        cpu: { streak, required: 3 },
      });
    // Rounds 1 and 2 over 80%: not yet a breach (issue 12: CPU counts when sustained 3 rounds).
    for (const streak of [0, 1]) {
      const early = await round(streak);
      expect(early.cpuStreak).toBe(streak + 1);
      expect(early.warnings.map((w) => w.text)).toEqual(["記憶體 91% ≥ 85%"]);
    }
    const result = await round(2);
    expect(result.cpuStreak).toBe(3);
    expect(result.failures).toEqual(["HTTP 5xx 1.2% ≥ 0.5%", "登入成功率 95% ≤ 99%"]);
    expect(result.warnings.map((w) => w.text)).toEqual(["記憶體 91% ≥ 85%", "CPU 85% ≥ 80%"]);
  });

  it("an unreachable or failing Prometheus is a warning, never a rollback", async () => {
    const server = await fakeHttp(() => [503, { status: "error" }]);
    close = server.close;
    await expect(queryPrometheus(server.url, "up")).rejects.toThrow("Prometheus HTTP 503");
    const result = await runEnvChecks(
      { config: testConfig(), ...adapterPorts(testConfig()) },
      withPrometheus({ url: server.url, ...QUERIES }),
      "prod",
      {},
    );
    expect(result).toEqual({
      failures: [],
      warnings: [{ key: "prometheus", text: "Prometheus：Prometheus HTTP 503" }],
      cpuStreak: 0,
    });
  });

  /** A raw server: `answer(req)` → [status, headers, body]; records each request's url and Authorization. */
  async function rawServer(answer: () => [number, Record<string, string>, string]) {
    const { createServer } = await import("node:http");
    const hits: { url: string; authorization: string | undefined }[] = [];
    const server = createServer((req, res) => {
      hits.push({ url: req.url ?? "", authorization: req.headers.authorization });
      const [status, headers, body] = answer();
      res.writeHead(status, headers).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits };
  }

  it("a redirect is never followed: a warning naming the Location host", async () => {
    const { url, hits } = await rawServer(() => [302, { location: "https://sso.example.com/login" }, ""]);
    const result = await runEnvChecks(
      { config: testConfig(), ...adapterPorts(testConfig()) },
      withPrometheus({ url, errorRate: "q_5xx" }),
      "prod",
      {},
    );
    expect(result).toEqual({
      failures: [],
      warnings: [
        { key: "prometheus", text: "Prometheus：Prometheus HTTP 302 重新導向至 sso.example.com\uff08不跟隨\uff09" },
      ],
      cpuStreak: 0,
    });
    expect(hits).toHaveLength(1);
  });

  it("an answer larger than the limit is not read to the end; the Authorization header is sent", async () => {
    const empty = { status: "success", data: { resultType: "vector", result: [] } };
    const { url, hits } = await rawServer(() => [200, {}, JSON.stringify({ ...empty, pad: "x".repeat(4096) })]);
    await expect(queryPrometheus(url, "up", { limitBytes: 1024 })).rejects.toThrow(
      "Prometheus 回應超過 1 KiB\uff0c未讀完",
    );
    expect(await queryPrometheus(url, "up", { authorization: "Bearer prom-token" })).toBeNull();
    expect(hits.at(-1)?.authorization).toBe("Bearer prom-token");
  });
});

function withPrometheus(prometheus: PrometheusConfig) {
  const system = testConfig().systems[0]!;
  const prod = system.environments.prod;
  return {
    ...system,
    environments: { ...system.environments, prod: { ...prod, watch: { ...prod.watch, prometheus } } },
  };
}
