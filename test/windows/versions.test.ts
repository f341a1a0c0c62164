// issue 10: reading the environments' versions (http with a JSON path or the plain body, a command),
// failed reads recorded as such, and T1 holding a Flow 1 bug when UAT moved ahead since triage.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bugs } from "../../drizzle/schema.js";
import { readVersionFrom } from "../../src/adapters/versions/read-version.js";
import { getBug } from "../../src/app/bugs.js";
import { flowFor, refreshVersions } from "../../src/app/env-versions.js";
import { tick } from "../../src/app/windows/index.js";
import type { Config, VersionProbe } from "../../src/config.js";
import { fakeClock, startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, buttonsOf, callbackUpdate } from "../support/telegram.js";
import {
  at,
  confirmedBug,
  fakeDispatcher,
  onCall,
  pipelineConfig,
  type Recorder,
  recorder,
  windowDeps,
} from "./support.js";

/** Version endpoints on 127.0.0.1: GET only; the bodies are set by the test. */
const served: Record<string, { status: number; body: string; location?: string }> = {};
let server: Server;
let base = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method !== "GET") return void res.writeHead(405, { allow: "GET" }).end();
    const answer = served[req.url ?? ""];
    if (!answer) return void res.writeHead(404).end();
    res
      .writeHead(answer.status, { connection: "close", ...(answer.location ? { location: answer.location } : {}) })
      .end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const now = () => new Date("2099-01-01T00:00:00Z");
const http = (path: string, json: string | null = null): VersionProbe => ({
  type: "http",
  url: `${base}${path}`,
  json,
  timeoutSeconds: 5,
});
function script(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ns-version-"));
  const file = join(dir, "version.sh");
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe("readVersionFrom", () => {
  it("http: a JSON dot path, or the trimmed plain body", async () => {
    served["/json"] = { status: 200, body: JSON.stringify({ build: { version: "1.4.0", n: 7 } }) };
    served["/plain"] = { status: 200, body: "  1.3.0\n" };
    expect(await readVersionFrom(http("/json", "build.version"), { cwd: "/", now })).toEqual({
      ok: true,
      version: "1.4.0",
      readAt: now(),
    });
    expect(await readVersionFrom(http("/json", "build.n"), { cwd: "/", now })).toMatchObject({
      ok: true,
      version: "7",
    });
    expect(await readVersionFrom(http("/plain"), { cwd: "/", now })).toMatchObject({ ok: true, version: "1.3.0" });
  });

  it("http: a missing field, not JSON, an error status or a redirect is a failed read", async () => {
    served["/json"] = { status: 200, body: JSON.stringify({ build: {} }) };
    served["/html"] = { status: 200, body: "<html>" };
    served["/moved"] = { status: 302, body: "", location: "https://login.example.com/" };
    expect(await readVersionFrom(http("/json", "build.version"), { cwd: "/", now })).toMatchObject({
      ok: false,
      error: "JSON 中沒有「build.version」（或不是字串／數字）",
    });
    expect(await readVersionFrom(http("/html", "version"), { cwd: "/", now })).toMatchObject({
      ok: false,
      error: "回應不是 JSON",
    });
    expect(await readVersionFrom(http("/nothing"), { cwd: "/", now })).toMatchObject({ ok: false, error: "HTTP 404" });
    expect(await readVersionFrom(http("/moved"), { cwd: "/", now })).toMatchObject({
      ok: false,
      error: expect.stringContaining("login.example.com"),
    });
  });

  it("command: the last stdout line version=<v>, else the trimmed stdout; a failing command is a failed read", async () => {
    const tagged = script('echo "building…"\necho "version=a1b2c3d"');
    const plain = script('echo "2099.11.23-4"');
    const failing = script('echo "no such env" >&2\nexit 3');
    const probe = (file: string): VersionProbe => ({ type: "command", command: [file], timeoutSeconds: 10 });
    expect(await readVersionFrom(probe(tagged), { cwd: "/", now })).toMatchObject({ ok: true, version: "a1b2c3d" });
    expect(await readVersionFrom(probe(plain), { cwd: "/", now })).toMatchObject({ ok: true, version: "2099.11.23-4" });
    expect(await readVersionFrom(probe(failing), { cwd: "/", now })).toMatchObject({
      ok: false,
      error: "exit 3：no such env",
    });
  });
});

describe.each(testBackends())("real versions on $name", (backend) => {
  const t = useTestDatabase(backend);
  let rec: Recorder;
  let tb: TestBot;
  let outbox: ReturnType<typeof fakeDispatcher>;
  let config: Config;
  beforeEach(async () => {
    await t.reset();
    rec = recorder();
    const plain = pipelineConfig({ uat: rec.target(), prod: rec.target() });
    const system = plain.systems[0]!;
    config = {
      ...plain,
      systems: [
        {
          ...system,
          environments: {
            uat: { ...system.environments.uat, version: http("/uat", "version") },
            prod: { ...system.environments.prod, version: http("/prod") },
          },
        },
      ],
    };
    tb = await startTestBot(t.db, { config, clock: fakeClock(at("10:00")) });
    outbox = fakeDispatcher(t.db, tb.api, tb.clock);
    await onCall(t.db);
  });

  it("a failed read is recorded as such: the version is unknown and the admin must choose", async () => {
    served["/uat"] = { status: 500, body: "" };
    served["/prod"] = { status: 200, body: "1.3.0" };
    const v = await refreshVersions(tb.deps, config.systems[0]!);
    expect(v.uat.version).toBeNull();
    expect(v.uat.error).toEqual(expect.any(String));
    expect(v.prod).toMatchObject({ version: "1.3.0", error: null });
    expect(flowFor(v, "low", "prod")).toMatchObject({ kind: "choose", reason: "unknown_versions" });
    tb.clock.set(at("11:00"));
    const { messageUpdate } = await import("../support/telegram.js");
    await tb.send(messageUpdate("/status", alice, GROUP));
    const status = tb.api.sentTo(GROUP).at(-1)!.payload.text as string;
    expect(status).toContain("⚠️ 無法讀取 UAT 版本：");
    expect(status).toContain("PROD：<code>1.3.0</code>");
  });

  it("T1 holds a Flow 1 bug when UAT moved ahead since triage; 重新分類 sends it to Flow 2", async () => {
    served["/uat"] = { status: 200, body: JSON.stringify({ version: "1.4.0" }) };
    served["/prod"] = { status: 200, body: "1.3.0" };
    const bug = await confirmedBug(t.db, { title: "Login button does nothing", severity: "medium", flow: "flow1" });
    // triaged while both ran 1.3.0
    await t.db
      .update(bugs)
      .set({ foundInEnv: "prod", triageUatVersion: "1.3.0", triageProdVersion: "1.3.0" })
      .where(eq(bugs.id, bug.id));

    tb.clock.set(at("20:00"));
    await tick(windowDeps(t.db, tb.deps.config, tb.clock));
    await outbox.drain();
    const held = await getBug(t.db, bug.id);
    expect(held).toMatchObject({ status: "planned", held: true, versionHold: "1.4.0", fixFlow: "flow1" });
    expect(rec.calls()).toEqual([]); // nothing deployed to UAT
    const notice = tb.api.sentTo(GROUP).find((c) => String(c.payload.text).startsWith("⏸ T1 未部署 Flow 1"))!;
    expect(notice.payload.text).toContain("UAT（<code>1.4.0</code>）在分類後已領先 PROD（<code>1.3.0</code>）");
    const button = buttonsOf(notice.payload).find((b) => b.text === `🔁 重新分類 #${bug.id}`)!;
    expect(button.callback_data).toBe(`v1:rt:${bug.id}:${held!.rowVersion}`);

    tb.clock.set(at("20:30"));
    await tb.send(
      callbackUpdate(button.callback_data!, alice, {
        chatId: GROUP,
        messageId: notice.result.message_id,
        text: notice.payload.text,
      }),
    );
    await outbox.drain();
    expect(await getBug(t.db, bug.id)).toMatchObject({
      status: "planned",
      held: false,
      versionHold: null,
      fixFlow: "flow2",
      triageUatVersion: "1.4.0",
    });
    expect(tb.api.sentTo(GROUP).at(-1)!.payload.text).toContain(
      `#${bug.id} 已由 Alice 重新分類為 <b>Flow 2（先 PROD）</b>`,
    );
  });

  it("a Flow 1 bug triaged on the same versions still deploys while they stay equal", async () => {
    served["/uat"] = { status: 200, body: JSON.stringify({ version: "1.3.0" }) };
    served["/prod"] = { status: 200, body: "1.3.0" };
    const bug = await confirmedBug(t.db, { severity: "low", flow: "flow1" });
    tb.clock.set(at("20:00"));
    await tick(windowDeps(t.db, tb.deps.config, tb.clock));
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_uat");
  });
});
