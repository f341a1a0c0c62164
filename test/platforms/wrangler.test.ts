// issue 11 — Cloudflare Workers end to end with a fake `wrangler` (its path as `bin`) that records its
// argv and keeps one Worker per --env: Flow 1 over two days (the version live before each deploy
// recorded), /rollback to the version the previous release deployed, and a failing wrangler.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployments } from "../../drizzle/schema.js";
import { wranglerVersion } from "../../src/adapters/deploy/providers/wrangler.js";
import { getBug } from "../../src/app/bugs.js";
import { environmentVersions } from "../../src/app/systems.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { DAY1, DAY2, FAKE_BIN, flow1, groupTexts, platformBot, platformConfig, rollbackFromChat } from "./support.js";

const calls = (log: string): string[][] => {
  const file = join(log, "wrangler.calls");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("@@end\n")
    .filter(Boolean)
    .map((c) => c.trimEnd().split("\n"));
};

describe.each(testBackends())("wrangler target on $name", (backend) => {
  const t = useTestDatabase(backend);
  let log: string;
  let worker: string;
  const saved = process.env.FAKE_PLATFORM_LOG;
  beforeEach(async () => {
    await t.reset();
    const root = mkdtempSync(join(tmpdir(), "nightshift-wrangler-"));
    log = join(root, "log");
    worker = join(root, "worker");
    mkdirSync(log);
    mkdirSync(worker);
    writeFileSync(join(worker, "wrangler.toml"), 'name = "crm-worker"\nmain = "src/index.ts"\n');
    process.env.FAKE_PLATFORM_LOG = log;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.FAKE_PLATFORM_LOG;
    else process.env.FAKE_PLATFORM_LOG = saved;
  });

  const config = () => {
    const bin = [join(FAKE_BIN, "wrangler")];
    const uat = { wrangler: { dir: worker, env: "staging", bin } };
    const prod = { wrangler: { dir: worker, bin } };
    return platformConfig({ uat: { deploy: uat, rollback: uat }, prod: { deploy: prod, rollback: prod } });
  };

  it("Flow 1 deploys with a message, records the version before, and rolls back to the previous release's version", async () => {
    const cfg = config();
    const tb = await platformBot(t.db, cfg);
    const day1 = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, day1.bugs[0]!.id))?.status).toBe("deployed_prod");
    const day2 = await flow1(tb, t.db, DAY2, ["Checkout total wrong"]);
    expect((await getBug(t.db, day2.bugs[0]!.id))?.status).toBe("deployed_prod");

    const rows = await t.db.select().from(deployments).where(eq(deployments.env, "prod")).orderBy(deployments.id);
    const [first, second] = rows.map((r) => r.providerState!);
    expect(first).toMatchObject({ provider: "wrangler", versionId: expect.stringMatching(/-top$/) });
    expect(first!.previousVersionId).toBeUndefined();
    expect(second).toMatchObject({ previousVersionId: first!.versionId });
    const deploys = calls(log).filter((c) => c[0] === "deploy");
    expect(deploys.map((c) => c.slice(0, -1))).toEqual([
      ["deploy", "--message", "Nightshift release 2099.03.03-1", "--env", "staging"],
      ["deploy", "--message", "Nightshift release 2099.03.03-1"],
      ["deploy", "--message", "Nightshift release 2099.03.04-1", "--env", "staging"],
      ["deploy", "--message", "Nightshift release 2099.03.04-1"],
    ]);
    expect(deploys.every((c) => c.at(-1) === `cwd=${worker}`)).toBe(true);
    const prodTarget = cfg.systems[0]!.environments.prod.deploy as never;
    expect(await wranglerVersion(prodTarget)).toBe(second!.versionId);

    await rollbackFromChat(tb, "prod", "worker throws 1101");
    const rollback = calls(log).filter((c) => c[0] === "rollback");
    expect(rollback.map((c) => c.slice(0, -1))).toEqual([
      ["rollback", first!.versionId!, "--message", "Nightshift rollback to 2099.03.03-1 (release 5)", "--yes"],
    ]);
    expect(await wranglerVersion(prodTarget)).toBe(first!.versionId);
    expect((await environmentVersions(t.db, "crm")).prod).toBe("2099.03.03-1");
    expect((await getBug(t.db, day2.bugs[0]!.id))?.status).toBe("pending_prod");
  });

  it("a failing wrangler fails the release with its error and the platform's name", async () => {
    writeFileSync(
      join(log, "wrangler-fail"),
      "✘ [ERROR] A request to the Cloudflare API failed. Authentication error [code: 10000]\n",
    );
    const tb = await platformBot(t.db, config());
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("planned");
    const failed = groupTexts(tb).find((x) => x.startsWith("❌ 部署"))!;
    expect(failed).toContain("Authentication error [code: 10000]");
    expect(failed).toContain("Cloudflare Workers 部署失敗：指令結束代碼 1。");
    const [row] = await t.db.select().from(deployments);
    expect(row).toMatchObject({ status: "failed", providerState: null });
  });
});
