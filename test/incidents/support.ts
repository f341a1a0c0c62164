// Incident test helpers: the pipeline system of the window tests plus a switchable smoke script,
// a post-deploy watch that never waits (its sleep moves the fake clock), and group-message readers.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "../../src/adapters/db/database.js";
import { settleIncidentTasks } from "../../src/adapters/telegram/features/incident-common.js";
import { setEnvironmentVersion } from "../../src/app/systems.js";
import { watchAfterDeploy } from "../../src/app/watch.js";
import { runWindow, type WindowDeps } from "../../src/app/windows/index.js";
import type { Check, Config, ServiceConfig, SystemConfig, WatchConfig } from "../../src/config.js";
import type { Slot } from "../../src/core/model.js";
import { type FakeClock, fakeClock, startTestBot, type TestBot, testConfig } from "../support/app.js";
import { GROUP } from "../support/fixtures.js";
import { deliverOutbox } from "../telegram/helpers.js";
import { at, DAY, outboxRows, type Recorder, recorder } from "../windows/support.js";

export { at, DAY, type Recorder, recorder };

const FIXTURES = fileURLToPath(new URL("../fixtures/incidents/", import.meta.url));

/** smoke.sh with a state file: `fail(text)` makes it exit 1 printing text, `pass()` makes it pass. */
export function smokeSwitch() {
  const state = join(mkdtempSync(join(tmpdir(), "nightshift-smoke-")), "state");
  const check: Check = { type: "command", command: [join(FIXTURES, "smoke.sh"), state], timeoutSeconds: 10 };
  return {
    check,
    fail: (text = "fail: checkout returns 500") => writeFileSync(state, `${text}\n`),
    pass: () => writeFileSync(state, "ok\n"),
  };
}

export interface IncidentSetup {
  deploy: Recorder;
  rollback: Recorder;
  smoke: ReturnType<typeof smokeSwitch>;
}

export function incidentSetup(): IncidentSetup {
  return { deploy: recorder(), rollback: recorder(), smoke: smokeSwitch() };
}

/** System "crm": recorded deploy and rollback targets on both environments, the smoke check in each watch. */
export function incidentConfig(
  setup: IncidentSetup,
  opts: {
    env?: Record<string, string>;
    services?: ServiceConfig[];
    watch?: Partial<WatchConfig>;
    system?: Partial<SystemConfig>;
    config?: Partial<Config>;
  } = {},
): Config {
  const base = testConfig(opts.config ?? {}, opts.env ?? {});
  const environment = (e: SystemConfig["environments"]["uat"]) => ({
    ...e,
    deploy: setup.deploy.target(),
    rollback: setup.rollback.target(),
    watch: { ...e.watch, minutes: 3, intervalSeconds: 60, smoke: setup.smoke.check, ...opts.watch },
  });
  return {
    ...base,
    systems: base.systems.map((s) => ({
      ...s,
      services: opts.services ?? [],
      environments: { uat: environment(s.environments.uat), prod: environment(s.environments.prod) },
      ...opts.system,
    })),
  };
}

export interface IncidentBot extends TestBot {
  deps: TestBot["deps"] & WindowDeps;
  /** Runs the slot's window of `day` with the clock set to it (the watch runs inside, on the fake clock). */
  window(slot: Slot, day?: string): ReturnType<typeof runWindow>;
  /** Waits for deploys/rollbacks started from chat, then delivers the outbox through the fake Bot API. */
  settle(): Promise<void>;
  /** Texts of the group messages written to the outbox (sent or not), oldest first. */
  groupTexts(): Promise<string[]>;
}

export async function incidentBot(
  db: Db,
  config: Config,
  clock: FakeClock = fakeClock(at("10:00")),
): Promise<IncidentBot> {
  const tb = await startTestBot(db, { config, clock });
  const deps = tb.deps as IncidentBot["deps"];
  // The ports main.ts adds beside the bot's travel on the same deps object (see /run).
  Object.assign(deps, {
    sleep: async () => {},
    afterDeploy: watchAfterDeploy(deps, { sleep: async (ms) => clock.advance(ms) }),
    // The post-rollback watch's rounds move the fake clock too (issue 12).
    watchSleep: async (ms: number) => clock.advance(ms),
  });
  return Object.assign(tb, {
    deps,
    window: (slot: Slot, day = DAY) => {
      const scheduledFor = at(slot === "t1" ? "20:00" : "22:00", day);
      clock.set(scheduledFor);
      return runWindow(deps, config.systems[0]!, slot, { scheduledFor, trigger: "schedule" });
    },
    settle: async () => {
      await settleIncidentTasks();
      await deliverOutbox(tb);
    },
    groupTexts: async () =>
      (await outboxRows(db)).filter((r) => r.chatId === GROUP && r.method === "sendMessage").map((r) => r.text),
  });
}

export async function setVersions(db: Db, versions: { uat?: string; prod?: string }, now = at("09:00")) {
  for (const env of ["uat", "prod"] as const) {
    const v = versions[env];
    if (v) await setEnvironmentVersion(db, "crm", env, v, now);
  }
}

export const backupScript = join(FIXTURES, "backup.sh");

/** A local HTTP server answering `handler(url)` → [status, json]; closes with the returned function. */
export async function fakeHttp(
  handler: (url: URL) => [number, unknown],
): Promise<{ url: string; hits: URL[]; close: () => Promise<void> }> {
  const hits: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    hits.push(url);
    const [status, body] = handler(url);
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
