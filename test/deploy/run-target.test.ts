// The deploy adapters against real scripts and a local HTTP server.
import { createHmac, timingSafeEqual } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { reportedVersion, runPrepared } from "../../src/adapters/deploy/run-target.js";
import { checkScript, goneWithin, pipelineWithSecrets, recordedPids } from "../checks/support.js";
import { command, FIXTURES, recorder, script } from "../windows/support.js";

/** No NUL, no other C0 control but \t \n \r, no lone surrogate: what Postgres text accepts. */
const storable = (text: string) =>
  !/[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(
    text,
  );

describe("command target", () => {
  it("passes data only through env and stdin, without a shell", async () => {
    const rec = recorder();
    const stdin = JSON.stringify({ title: "$(touch /tmp/pwned-run-target); rm -rf ~" });
    const result = await runPrepared({
      target: rec.target(),
      env: { NIGHTSHIFT_ENV: "uat", NIGHTSHIFT_VERSION: "2099.11.24-1", NIGHTSHIFT_BUG_IDS: "1,2" },
      stdin,
      cwd: FIXTURES,
    });
    expect(result).toMatchObject({ status: "succeeded", version: "2099.11.24-1" });
    expect(result.output).toContain("deploying everything to uat");
    const [call] = rec.calls();
    expect(call).toMatchObject({ env: "uat", bugIds: "1,2", service: undefined, stdin });
    expect(existsSync("/tmp/pwned-run-target")).toBe(false);
  });

  it("does not hand the bot's secrets to the script", async () => {
    process.env.BOT_TOKEN = "123:secret";
    try {
      const result = await runPrepared({
        target: command(["/usr/bin/env"]),
        env: { NIGHTSHIFT_ENV: "uat" },
        stdin: "",
        cwd: FIXTURES,
      });
      expect(result.output).toContain("NIGHTSHIFT_ENV=uat");
      expect(result.output).not.toContain("123:secret");
    } finally {
      delete process.env.BOT_TOKEN;
    }
  });

  it("kills a hanging script and its children at the timeout", async () => {
    const rec = recorder();
    const started = Date.now();
    const result = await runPrepared({
      target: command([script("hang-deploy.sh"), rec.dir], 1),
      env: {},
      stdin: "",
      cwd: FIXTURES,
    });
    expect(result.status).toBe("timed_out");
    expect(result.output).toContain("killed after the 1s timeout");
    expect(Date.now() - started).toBeLessThan(8000);
    const pid = Number(readFileSync(`${rec.dir}/pid`, "utf8"));
    const child = Number(readFileSync(`${rec.dir}/child-pid`, "utf8"));
    expect(await goneWithin(pid)).toBe(true);
    expect(await goneWithin(child)).toBe(true);
  });

  it("a failing script fails with its output; a missing one fails too", async () => {
    const failed = await runPrepared({
      target: command([script("fail-deploy.sh")]),
      env: {},
      stdin: "",
      cwd: FIXTURES,
    });
    expect(failed.status).toBe("failed");
    expect(failed.output).toContain("error: image not found");
    expect(failed.output).toContain("exit 3");
    expect(failed.version).toBeNull();
    const missing = await runPrepared({ target: command(["/nonexistent/deploy"]), env: {}, stdin: "", cwd: FIXTURES });
    expect(missing.status).toBe("failed");
    expect(missing.output).toContain("cannot run /nonexistent/deploy");
  });

  it("reads version=<v> only from the last stdout line", () => {
    expect(reportedVersion("a\nversion=1.2.3\n")).toBe("1.2.3");
    expect(reportedVersion("version=1.2.3\ndone\n")).toBeNull();
    expect(reportedVersion("version=1.2\u0000.3\n")).toBe("1.2.3");
  });
});

describe("command target: the same process rules as checks", () => {
  const pids = recordedPids();
  afterEach(() => pids.cleanup());

  it("gets neither the bot's secrets nor any target's webhook secretEnv nor a check's authorizationEnv", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ns-target-"));
    const file = join(dir, "deploy.env");
    const secrets = {
      BOT_TOKEN: "123456:bot-token-secret-AAAAAAAAAAAAAAAA",
      DATABASE_URL: "postgres://bot:db-password-secret@db/ns",
      PROD_HOOK: "prod-hook-hmac-secret",
      STATUS_AUTH: "Bearer status-page-secret",
    };
    const config = pipelineWithSecrets(
      { deploy: [checkScript("dump-env.sh"), file], backup: ["/bin/true"], smoke: ["/bin/true"] },
      secrets,
    );
    Object.assign(process.env, secrets);
    try {
      const result = await runPrepared({
        target: config.systems[0]!.environments.uat.deploy!,
        env: { NIGHTSHIFT_ENV: "uat" },
        stdin: "{}",
        cwd: dir,
      });
      expect(result.status).toBe("succeeded");
    } finally {
      for (const name of Object.keys(secrets)) delete process.env[name];
    }
    const seen = readFileSync(file, "utf8");
    expect(seen).toContain("NIGHTSHIFT_ENV=uat");
    for (const [name, value] of Object.entries(secrets)) {
      expect(seen).not.toContain(`${name}=`);
      expect(seen).not.toContain(value);
    }
  });

  it("`sleep 600 &` in a deploy script: done when the script exits, no process left behind", async () => {
    const pidFile = pids.track(join(mkdtempSync(join(tmpdir(), "ns-target-")), "helper-pid"));
    const result = await runPrepared({
      target: command([checkScript("leave-helper.sh"), pidFile], 3000),
      env: {},
      stdin: "",
      cwd: FIXTURES,
    });
    expect(result).toMatchObject({ status: "succeeded", output: "backup ok: helper left running\n" });
    expect(await goneWithin(pids.read(pidFile))).toBe(true);
  });

  it("keeps only the last 16K characters of a long output, and still reads the version", async () => {
    const result = await runPrepared({
      target: command(["bash", "-c", "head -c 200000 /dev/zero | tr '\\0' '\u00e9'; echo; echo version=7.7.7"]),
      env: {},
      stdin: "",
      cwd: FIXTURES,
    });
    expect(result).toMatchObject({ status: "succeeded", version: "7.7.7" });
    expect(result.output.startsWith("…(truncated)\n")).toBe(true);
    expect(Array.from(result.output).length).toBeLessThanOrEqual(16 * 1024 + 14);
    expect(storable(result.output)).toBe(true);
  });

  it("NUL bytes, invalid UTF-8 and a split emoji in the output become clean text", async () => {
    const result = await runPrepared({
      target: command([checkScript("dirty-output.sh"), "4"]),
      env: {},
      stdin: "",
      cwd: FIXTURES,
    });
    expect(result.status).toBe("failed");
    expect(storable(result.output)).toBe(true);
    expect(result.output.split("\n")).toEqual([
      "started",
      "bad \uFFFD\uFFFD bytes ",
      "\u{1F389} party",
      "last line done",
      "[nightshift] exit 4",
      "",
    ]);
  });
});

describe("webhook target", () => {
  const SECRET = "hook-secret";
  let server: Server;
  let url: string;
  const requests: { headers: IncomingMessage["headers"]; body: string }[] = [];
  let answer: { status: number; body: string | Buffer; delayMs: number; headers?: Record<string, string> } = {
    status: 200,
    body: '{"version":"2099.11.24-7"}',
    delayMs: 0,
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        requests.push({ headers: req.headers, body });
        setTimeout(() => {
          res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
          res.end(answer.body);
        }, answer.delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}/hooks/prod`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const target = (timeoutSeconds = 5) =>
    ({ type: "webhook", url, secret: SECRET, secretEnv: "PROD_HOOK_SECRET", timeoutSeconds }) as const;
  const env = { NIGHTSHIFT_RELEASE_ID: "42", NIGHTSHIFT_SERVICE: "backend" };

  it("POSTs the release JSON, HMAC-signed, with an Idempotency-Key; 2xx succeeds", async () => {
    answer = { status: 200, body: '{"version":"2099.11.24-7"}', delayMs: 0 };
    const stdin = JSON.stringify({ releaseId: 42, title: "ünïcode & <stuff>" });
    const result = await runPrepared({ target: target(), env, stdin, cwd: "/" });
    expect(result).toMatchObject({ status: "succeeded", version: "2099.11.24-7" });
    const req = requests.at(-1)!;
    expect(req.body).toBe(stdin);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["idempotency-key"]).toBe("42:backend");
    const expected = Buffer.from(`sha256=${createHmac("sha256", SECRET).update(req.body).digest("hex")}`);
    const got = Buffer.from(String(req.headers["x-nightshift-signature"]));
    expect(got.length === expected.length && timingSafeEqual(got, expected)).toBe(true);
  });

  it("a 500 is a failed deployment with the answer in the output", async () => {
    answer = { status: 500, body: "deployer exploded", delayMs: 0 };
    const result = await runPrepared({ target: target(), env, stdin: "{}", cwd: "/" });
    expect(result).toMatchObject({ status: "failed", version: null });
    expect(result.output).toContain("HTTP 500");
    expect(result.output).toContain("deployer exploded");
  });

  it("no answer within the timeout → timed_out", async () => {
    answer = { status: 200, body: "{}", delayMs: 2500 };
    const result = await runPrepared({ target: target(1), env, stdin: "{}", cwd: "/" });
    expect(result.status).toBe("timed_out");
  });

  it("a 302 (to a login page) is a failure naming the Location host, never followed", async () => {
    const before = requests.length;
    answer = { status: 302, body: "", delayMs: 0, headers: { location: "https://sso.example.com/login?next=/hooks" } };
    const result = await runPrepared({ target: target(), env, stdin: "{}", cwd: "/" });
    expect(result).toMatchObject({ status: "failed", version: null });
    expect(result.output).toContain("HTTP 302");
    expect(result.output).toContain("redirect to sso.example.com not followed");
    expect(requests.length).toBe(before + 1);
  });

  it("reads at most 1 MiB of the answer and says so", async () => {
    answer = { status: 200, body: `{"version":"9.9.9","pad":"${"x".repeat(2 * 1024 * 1024)}"}`, delayMs: 0 };
    const result = await runPrepared({ target: target(), env, stdin: "{}", cwd: "/" });
    expect(result.status).toBe("succeeded");
    expect(result.version).toBeNull();
    expect(result.output).toContain("[nightshift] answer larger than 1 MiB: the rest was not read");
    expect(Array.from(result.output).length).toBeLessThanOrEqual(16 * 1024 + 20);
  });

  it("cleans the answer and its version: NUL, invalid UTF-8, a version that is not one word", async () => {
    answer = {
      status: 200,
      body: Buffer.concat([
        Buffer.from('{"version":"2099.12.01\\u0000-3","note":"ok \\ud83d '),
        Buffer.from([0xff, 0x00, 0xfe]),
        Buffer.from('"}'),
      ]),
      delayMs: 0,
    };
    const dirty = await runPrepared({ target: target(), env, stdin: "{}", cwd: "/" });
    expect(dirty.status).toBe("succeeded");
    expect(dirty.version).toBe("2099.12.01-3");
    expect(storable(dirty.output)).toBe(true);
    answer = { status: 200, body: '{"version":"1.0\\n\u2705 PROD rolled back"}', delayMs: 0 };
    const fake = await runPrepared({ target: target(), env, stdin: "{}", cwd: "/" });
    expect(fake).toMatchObject({ status: "succeeded", version: null });
  });
});
