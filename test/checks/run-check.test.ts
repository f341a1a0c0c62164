// Command and HTTP checks (backup, monitoring, health, smoke) behave like deploy targets: scrubbed
// env, own process group killed on timeout, settled when the check exits, clean bounded output;
// HTTP checks never follow a redirect.
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/adapters/checks/run-check.js";
import type { Check } from "../../src/config.js";
import { checkScript, goneWithin, pipelineWithSecrets, recordedPids } from "./support.js";

const tmp = () => mkdtempSync(join(tmpdir(), "ns-check-"));
const command = (argv: string[], timeoutSeconds = 30): Check => ({ type: "command", command: argv, timeoutSeconds });
const pids = recordedPids();
afterEach(() => pids.cleanup());

describe("command checks", () => {
  it("get the bot's environment without its secrets or any secret named in the pipeline", async () => {
    const dir = tmp();
    const secrets = {
      BOT_TOKEN: "123456:bot-token-secret-AAAAAAAAAAAAAAAA",
      DATABASE_URL: "postgres://bot:db-password-secret@db/ns",
      WEBHOOK_SECRET: "telegram-webhook-secret",
      ANALYZER_API_KEY: "sk-analyzer-secret",
      PROD_HOOK: "prod-hook-hmac-secret",
      STATUS_AUTH: "Bearer status-page-secret",
    };
    const files = { backup: join(dir, "backup.env"), smoke: join(dir, "smoke.env") };
    const config = pipelineWithSecrets(
      {
        deploy: ["/bin/true"],
        backup: [checkScript("dump-env.sh"), files.backup],
        smoke: [checkScript("dump-env.sh"), files.smoke],
      },
      secrets,
    );
    const [system] = config.systems;
    Object.assign(process.env, secrets, { NIGHTSHIFT_VISIBLE_TO_CHECKS: "yes" });
    try {
      expect(await runCheck(system!.checklist.backup!, { cwd: dir })).toEqual({ ok: true, detail: "env written" });
      expect(await runCheck(system!.environments.uat.watch.smoke!, { cwd: dir })).toMatchObject({ ok: true });
    } finally {
      for (const name of [...Object.keys(secrets), "NIGHTSHIFT_VISIBLE_TO_CHECKS"]) delete process.env[name];
    }
    for (const file of Object.values(files)) {
      const seen = readFileSync(file, "utf8");
      expect(seen).toContain("NIGHTSHIFT_VISIBLE_TO_CHECKS=yes");
      expect(seen).toContain("PATH=");
      for (const [name, value] of Object.entries(secrets)) {
        expect(seen).not.toContain(`${name}=`);
        expect(seen).not.toContain(value);
      }
    }
  });

  it("a check that never exits through a child is killed with its whole group at the timeout", async () => {
    const dir = tmp();
    pids.track(join(dir, "pid"));
    pids.track(join(dir, "child-pid"));
    const result = await runCheck(command([checkScript("hang-through-child.sh"), dir], 1));
    expect(result).toEqual({ ok: false, detail: "逾時（1s）" });
    expect(await goneWithin(pids.read(join(dir, "pid")))).toBe(true);
    expect(await goneWithin(pids.read(join(dir, "child-pid")))).toBe(true);
  });

  it("`sleep 600 &` holding stdout does not keep the check open, and no process is left behind", async () => {
    const pidFile = pids.track(join(tmp(), "helper-pid"));
    // The timeout is far away: only the check's own exit can end this run in time.
    const result = await runCheck(command([checkScript("leave-helper.sh"), pidFile], 3000));
    expect(result).toEqual({ ok: true, detail: "backup ok: helper left running" });
    expect(await goneWithin(pids.read(pidFile))).toBe(true);
  });

  it("NUL bytes, invalid UTF-8 and an emoji split across writes become clean text", async () => {
    const ok = await runCheck(command([checkScript("dirty-output.sh")]));
    expect(ok).toEqual({ ok: true, detail: "last line done" });
    const failed = await runCheck(command([checkScript("dirty-output.sh"), "3"]));
    expect(failed).toEqual({ ok: false, detail: "exit 3:last line done" });
  });

  it("a missing executable fails with the reason", async () => {
    const result = await runCheck(command(["/nonexistent/backup"]));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^無法執行：.*ENOENT/);
  });
});

describe("http checks", () => {
  let server: Server;
  let base: string;
  const seen: { url: string; authorization: string | undefined }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
      if (req.url === "/moved") res.writeHead(302, { location: "https://login.example.com/sso?next=/ready" }).end();
      else if (req.url === "/relative") res.writeHead(301, { location: "/elsewhere" }).end();
      else res.writeHead(200).end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const http = (path: string, extra: Partial<Extract<Check, { type: "http" }>> = {}): Check => ({
    type: "http",
    url: `${base}${path}`,
    expectStatus: 200,
    timeoutSeconds: 5,
    ...extra,
  });

  it("a 302 is a failure naming the Location host, never followed", async () => {
    expect(await runCheck(http("/moved"))).toEqual({
      ok: false,
      detail: "HTTP 302 重新導向至 login.example.com\uff08不跟隨\uff09",
    });
    const relative = await runCheck(http("/relative"));
    expect(relative).toEqual({ ok: false, detail: `HTTP 301 重新導向至 ${new URL(base).host}\uff08不跟隨\uff09` });
    expect(seen.map((s) => s.url)).toEqual(["/moved", "/relative"]);
  });

  it("sends the Authorization header from authorizationEnv", async () => {
    expect(await runCheck(http("/ready", { authorization: "Bearer status-token" }))).toEqual({
      ok: true,
      detail: "HTTP 200",
    });
    expect(seen.at(-1)).toEqual({ url: "/ready", authorization: "Bearer status-token" });
  });
});
