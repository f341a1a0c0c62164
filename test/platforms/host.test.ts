// issue 11 — `ssh` (a VPS) and `compose` (this host) end to end: the fake `ssh` on PATH records its
// argv and runs the fixed remote script in a temporary git repository (a clone of a local "origin");
// fake systemctl/docker record the restarts. Flow 1 over two days, then /rollback from the chat to the
// previous tag (with migrateDown when the migrations changed between the two tags), and failures.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployments } from "../../drizzle/schema.js";
import { hostVersion } from "../../src/adapters/deploy/providers/host.js";
import { getBug } from "../../src/app/bugs.js";
import { environmentVersions } from "../../src/app/systems.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { alice } from "../support/telegram.js";
import { pressOn } from "../telegram/helpers.js";
import { confirmedBug } from "../windows/support.js";
import {
  DAY1,
  DAY2,
  FAKE_BIN,
  flow1,
  groupMessages,
  groupTexts,
  platformBot,
  platformConfig,
  rollbackFromChat,
} from "./support.js";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();

/** A bare "origin", a working copy that pushes to it, and one clone per environment (the hosts' dirs). */
function repos() {
  const root = mkdtempSync(join(tmpdir(), "nightshift-host-"));
  const origin = join(root, "origin.git");
  const work = join(root, "work");
  git(root, "init", "-q", "--bare", "-b", "main", origin);
  git(root, "clone", "-q", origin, work);
  const commit = (file: string, text: string) => {
    mkdirSync(join(work, file, ".."), { recursive: true });
    writeFileSync(join(work, file), text);
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", `add ${file}`);
    git(work, "push", "-q", "origin", "HEAD:main");
    return git(work, "rev-parse", "HEAD");
  };
  const first = commit("migrations/001_init.sql", "create table a();\n");
  const uat = join(root, "uat");
  const prod = join(root, "prod");
  git(root, "clone", "-q", origin, uat);
  git(root, "clone", "-q", origin, prod);
  const log = join(root, "log");
  mkdirSync(log);
  return { root, uat, prod, log, commit, first, head: (dir: string) => git(dir, "rev-parse", "HEAD") };
}

const calls = (log: string, name: string): string[][] => {
  const file = join(log, `${name}.calls`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("@@end\n")
    .filter(Boolean)
    .map((c) => c.trimEnd().split("\n"));
};

describe.each(testBackends())("ssh and compose targets on $name", (backend) => {
  const t = useTestDatabase(backend);
  let r: ReturnType<typeof repos>;
  const saved = { path: process.env.PATH, log: process.env.FAKE_PLATFORM_LOG };
  beforeEach(async () => {
    await t.reset();
    r = repos();
    process.env.PATH = `${FAKE_BIN}:${saved.path}`;
    process.env.FAKE_PLATFORM_LOG = r.log;
  });
  afterEach(() => {
    process.env.PATH = saved.path;
    if (saved.log === undefined) delete process.env.FAKE_PLATFORM_LOG;
    else process.env.FAKE_PLATFORM_LOG = saved.log;
  });

  const sshTarget = (dir: string, host = "deploy@vps.example.com") => ({
    ssh: {
      host,
      port: 2222,
      dir,
      restart: "systemd:crm",
      migrateDown: `touch ${r.log}/migrated-down`,
      knownHosts: "./known_hosts",
    },
  });

  it("ssh: Flow 1 tags the deployed commit, PROD gets UAT's commit, rollback runs migrateDown and returns to the previous tag", async () => {
    const config = platformConfig({
      uat: { deploy: sshTarget(r.uat), rollback: sshTarget(r.uat) },
      prod: { deploy: sshTarget(r.prod), rollback: sshTarget(r.prod) },
    });
    const tb = await platformBot(t.db, config);
    const day1 = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, day1.bugs[0]!.id))?.status).toBe("deployed_prod");
    expect(r.head(r.uat)).toBe(r.first);
    expect(r.head(r.prod)).toBe(r.first);
    expect(git(r.prod, "rev-parse", "nightshift/2099.03.03-1")).toBe(r.first);

    // Day 2: a commit with a new migration; a later commit lands on main after UAT deployed.
    const second = r.commit("migrations/002_add.sql", "alter table a add b int;\n");
    const bug2 = await confirmedBug(t.db, { title: "Checkout total wrong" });
    await tb.window("t1", DAY2);
    await tb.settle();
    r.commit("src/late.txt", "not validated on UAT\n");
    // quiet group: the window's progress line is edited into the release template
    const uat = groupMessages(tb)
      .filter((c) => String(c.payload.text).includes("Flow 1 已部署 UAT"))
      .at(-1)!;
    await tb.send(pressOn(uat, /^批准推 PROD/, alice));
    await tb.window("t2", DAY2);
    await tb.settle();
    expect(r.head(r.prod)).toBe(second); // the commit UAT validated, not main's newest
    expect((await getBug(t.db, bug2.id))?.status).toBe("deployed_prod");
    expect(await environmentVersions(t.db, "crm")).toEqual({ uat: "2099.03.04-1", prod: "2099.03.04-1" });

    const ssh = calls(r.log, "ssh");
    expect(ssh.length).toBe(4);
    for (const argv of ssh) {
      expect(argv.slice(0, 12)).toEqual([
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${join(config.configDir, "known_hosts")}`,
        "-p",
        "2222",
        "--",
        "deploy@vps.example.com",
        expect.stringMatching(
          /^sh -s -- 'deploy' '\/.*' 'main' 'nightshift\/2099\.03\.0[34]-1' 'systemd:crm' 'migrations' 'touch .*\/migrated-down' '[0-9a-f]*'$/,
        ),
        expect.stringMatching(/^cwd=/),
      ]);
    }
    expect(calls(r.log, "systemctl")).toHaveLength(4);
    expect(calls(r.log, "systemctl")[0]!.slice(0, 2)).toEqual(["restart", "crm"]);

    await rollbackFromChat(tb, "prod", "結帳頁 500");
    expect((await getBug(t.db, bug2.id))?.status).toBe("pending_prod");
    expect(r.head(r.prod)).toBe(r.first);
    expect(existsSync(join(r.log, "migrated-down"))).toBe(true);
    const [row] = await t.db.select().from(deployments).where(eq(deployments.kind, "rollback"));
    expect(row).toMatchObject({ status: "succeeded", version: "2099.03.03-1" });
    expect(row!.providerState).toMatchObject({ tag: "nightshift/2099.03.03-1", commit: r.first, migratedDown: "yes" });
    expect(row!.output).toContain("schema changed in migrations since nightshift/2099.03.03-1");
    expect((await environmentVersions(t.db, "crm")).prod).toBe("2099.03.03-1");
    const prodTarget = config.systems[0]!.environments.prod.deploy as never;
    expect(await hostVersion(prodTarget)).toBe("2099.03.03-1");
  });

  it("ssh: an unverifiable host key fails the release with the cause, bugs stay planned", async () => {
    const bad = sshTarget(r.uat, "deploy@unknown.example.com");
    const tb = await platformBot(
      t.db,
      platformConfig({ uat: { deploy: bad, rollback: bad }, prod: { deploy: bad, rollback: bad } }),
    );
    const { bugs } = await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    expect((await getBug(t.db, bugs[0]!.id))?.status).toBe("planned");
    const failed = groupTexts(tb).find((x) => x.startsWith("❌ 部署"))!;
    expect(failed).toContain("Host key verification failed.");
    expect(failed).toContain("VPS（SSH） 部署失敗：指令結束代碼 255。");
    const [row] = await t.db.select().from(deployments);
    expect(row).toMatchObject({ status: "failed", providerState: null });
    expect((await environmentVersions(t.db, "crm")).uat).toBeNull();
  });

  it("compose: Flow 1 with docker compose up, rollback without a schema change skips migrateDown; a failing compose fails the release", async () => {
    const compose = (dir: string) => ({
      compose: { dir, restart: "compose", migrateDown: `touch ${r.log}/migrated-down` },
    });
    const config = platformConfig({
      uat: { deploy: compose(r.uat), rollback: compose(r.uat) },
      prod: { deploy: compose(r.prod), rollback: compose(r.prod) },
    });
    const tb = await platformBot(t.db, config);
    await flow1(tb, t.db, DAY1, ["Login button does nothing"]);
    const second = r.commit("src/fix.txt", "fixed\n");
    const day2 = await flow1(tb, t.db, DAY2, ["Checkout total wrong"]);
    expect(r.head(r.prod)).toBe(second);
    const docker = calls(r.log, "docker");
    expect(docker.map((c) => c.slice(0, 4))).toEqual(Array(4).fill(["compose", "up", "-d", "--build"]));
    expect(docker[1]!.at(-1)).toBe(`cwd=${r.prod}`);
    expect(calls(r.log, "ssh")).toEqual([]);

    await rollbackFromChat(tb, "prod", "rollback please");
    expect(r.head(r.prod)).toBe(r.first);
    expect(existsSync(join(r.log, "migrated-down"))).toBe(false);
    expect((await getBug(t.db, day2.bugs[0]!.id))?.status).toBe("pending_prod");

    // issue 10: with UAT ahead of PROD after the PROD rollback, Flow 1 is held at T1 — roll UAT back too
    await rollbackFromChat(tb, "uat", "align with PROD", "23:30");
    expect(await environmentVersions(t.db, "crm")).toEqual({ uat: "2099.03.03-1", prod: "2099.03.03-1" });
    writeFileSync(join(r.log, "docker-fail"), "");
    r.commit("src/third.txt", "third\n");
    const day3 = await flow1(tb, t.db, "2099-03-05", ["Receipt printer offline"]);
    expect((await getBug(t.db, day3.bugs[0]!.id))?.status).toBe("planned");
    expect(groupTexts(tb).find((x) => x.startsWith("❌ 部署"))).toContain("Docker Compose 部署失敗：指令結束代碼 1。");
  });
});
