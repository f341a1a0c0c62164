// issue 11 — platform targets in PIPELINE_CONFIG, through the real loader: what they become, and the
// start-up problems (one line each, naming the field and the fix): a missing tokenEnv variable, an
// unknown field, an ssh host with a space or a leading "-", two kinds in one target.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const load = (uat: unknown, env: Record<string, string> = {}) =>
  loadConfig(
    { BOT_TOKEN: TOKEN, PIPELINE_CONFIG: "/srv/cfg/pipeline.json", ...env },
    {
      cwd: "/srv",
      readFile: () =>
        JSON.stringify({
          systems: [{ id: "crm", name: "CRM", groupChatId: -100111, environments: { uat, prod: {} } }],
        }),
    },
  );
const problems = (uat: unknown, env: Record<string, string> = {}): string[] => {
  try {
    load(uat, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
};

const vercel = { project: "prj_1", tokenEnv: "VERCEL_TOKEN", repo: "acme/web", ref: "main" };

describe("platform targets in PIPELINE_CONFIG", () => {
  it("builds each kind with its defaults; tokens are read now, relative paths resolve against the file", () => {
    const env = (deploy: unknown) =>
      load({ deploy }, { VERCEL_TOKEN: "v-secret", NORTHFLANK_TOKEN: "n-secret" }).systems[0]!.environments.uat.deploy;
    expect(env({ vercel })).toEqual({
      type: "vercel",
      ...vercel,
      token: "v-secret",
      teamId: null,
      apiRoot: "https://api.vercel.com",
      pollSeconds: 5,
      timeoutSeconds: 900,
    });
    expect(env({ wrangler: { dir: "./worker" } })).toMatchObject({
      type: "wrangler",
      dir: "/srv/cfg/worker",
      bin: ["wrangler"],
      env: null,
    });
    expect(env({ northflank: { project: "crm", service: "api", tokenEnv: "NORTHFLANK_TOKEN" } })).toMatchObject({
      type: "northflank",
      token: "n-secret",
      apiRoot: "https://api.northflank.com",
      timeoutSeconds: 1200,
    });
    expect(
      env({
        ssh: { host: "deploy@vps.example.com", dir: "/srv/app", restart: "systemd:app", knownHosts: "known_hosts" },
      }),
    ).toMatchObject({
      type: "ssh",
      port: 22,
      ref: "main",
      restart: { kind: "systemd", unit: "app" },
      knownHosts: "/srv/cfg/known_hosts",
      migrationsDir: "migrations",
    });
    expect(env({ compose: { dir: "app", restart: "compose" }, timeoutSeconds: 60 })).toMatchObject({
      type: "compose",
      dir: "/srv/cfg/app",
      restart: { kind: "compose" },
      timeoutSeconds: 60,
    });
  });

  it("a missing tokenEnv variable is one line naming it, never a value", () => {
    expect(problems({ deploy: { vercel } })).toEqual([
      "PIPELINE_CONFIG systems[0].environments.uat.deploy.vercel.tokenEnv: 環境變數 VERCEL_TOKEN 未設定 — 請 export 它或修改 tokenEnv / env VERCEL_TOKEN is not set — export it or change tokenEnv",
    ]);
  });

  it("an unknown field is one line listing the allowed ones", () => {
    const [line, ...rest] = problems({ deploy: { vercel: { ...vercel, branch: "main" } } }, { VERCEL_TOKEN: "x" });
    expect(rest).toEqual([]);
    expect(line).toMatch(/^PIPELINE_CONFIG systems\[0\]\.environments\.uat\.deploy\.vercel\.branch: /);
    expect(line).toContain("project");
  });

  it("an ssh host with a space or a leading '-' is refused, one line each", () => {
    const ssh = (host: string) => ({ ssh: { host, dir: "/srv/app", restart: "compose" } });
    expect(problems({ deploy: ssh("deploy@vps example.com"), rollback: ssh("-oProxyCommand=sh") })).toEqual([
      "PIPELINE_CONFIG systems[0].environments.uat.deploy.ssh.host: 不可含空白 / must not contain spaces",
      "PIPELINE_CONFIG systems[0].environments.uat.rollback.ssh.host: 不可以 - 開頭（會被當成 ssh 選項） / must not start with - (ssh would read it as an option)",
    ]);
  });

  it("refuses two kinds in one target, a plain-http apiRoot, a relative ssh dir and a bad restart", () => {
    const lines = problems(
      {
        deploy: { vercel, command: ["./x"] },
        rollback: { ssh: { host: "vps", dir: "srv/app", restart: "pm2" } },
        health: { http: "https://x.example.com" },
      },
      { VERCEL_TOKEN: "x" },
    );
    const apiRoot = problems(
      { deploy: { vercel: { ...vercel, apiRoot: "http://vercel-proxy.example.com" } } },
      { VERCEL_TOKEN: "x" },
    );
    expect(apiRoot.map((l) => l.split(": ")[0])).toEqual([
      "PIPELINE_CONFIG systems[0].environments.uat.deploy.vercel.apiRoot",
    ]);
    expect(lines.map((l) => l.split(": ")[0])).toEqual([
      "PIPELINE_CONFIG systems[0].environments.uat.deploy",
      "PIPELINE_CONFIG systems[0].environments.uat.rollback.ssh.dir",
      "PIPELINE_CONFIG systems[0].environments.uat.rollback.ssh.restart",
    ]);
    expect(lines[0]).toContain("vercel, command");
  });
});

describe("examples/platforms", () => {
  it.each(["vercel", "wrangler", "northflank", "ssh", "compose"])(
    "%s.json loads and deploys to that platform",
    (name) => {
      const file = new URL(`../../examples/platforms/${name}.json`, import.meta.url).pathname;
      const config = loadConfig({ BOT_TOKEN: TOKEN, PIPELINE_CONFIG: file, VERCEL_TOKEN: "v", NORTHFLANK_TOKEN: "n" });
      const envs = config.systems[0]!.environments;
      for (const env of [envs.uat, envs.prod]) {
        expect(env.deploy?.type).toBe(name);
        expect(env.rollback?.type).toBe(name);
      }
    },
  );
});
