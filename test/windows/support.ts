// Shared helpers for the window, deploy and outbox tests: a system with real fixture scripts as
// targets, a recorder of deploy calls, window deps on a fake clock, and the outbox drained through
// the fake Bot API.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Api } from "grammy";
import pino from "pino";
import { outbox } from "../../drizzle/schema.js";
import type { Db } from "../../src/adapters/db/database.js";
import { botApiSender, createDispatcher } from "../../src/adapters/notify/dispatcher.js";
import { telegramPayload } from "../../src/adapters/notify/render.js";
import { adapterPorts } from "../../src/adapters/wire-ports.js";
import type { BugRow } from "../../src/app/bugs.js";
import { setOncall } from "../../src/app/oncall.js";
import type { WindowDeps } from "../../src/app/windows/index.js";
import type { Config, ServiceConfig, SystemConfig, Target, WatchConfig } from "../../src/config.js";
import { addDays } from "../../src/core/windows.js";
import { type FakeClock, fakeClock, TEST_TOKEN, testConfig } from "../support/app.js";
import { ADMIN, drive, reportOne } from "../support/fixtures.js";
import type { FakeTelegram } from "../support/telegram.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/deploy/", import.meta.url));
export const script = (name: string) => join(FIXTURES, name);
export const command = (argv: string[], timeoutSeconds = 30): Target & { type: "command" } => ({
  type: "command",
  command: argv,
  timeoutSeconds,
});

/** 2099-11-24 is a Tuesday; Asia/Taipei is UTC+8: T1 20:00 = 12:00Z, T2 22:00 = 14:00Z. */
export const DAY = "2099-11-24";
export const at = (local: string, day = DAY) => new Date(`${day}T${local}:00+08:00`);

export const SERVICES: ServiceConfig[] = [
  { name: "db-migration", dependsOn: [], health: null },
  { name: "backend", dependsOn: ["db-migration"], health: null },
  { name: "frontend", dependsOn: ["backend"], health: null },
];

/** A temp folder the record-deploy.sh fixture writes one call-NNN folder per call into. */
export function recorder() {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-deploy-"));
  const read = (call: string, name: string) => {
    const file = join(dir, call, name);
    return existsSync(file) ? readFileSync(file, "utf8") : undefined;
  };
  return {
    dir,
    target: (failOn?: string, timeoutSeconds = 30) =>
      command([script("record-deploy.sh"), dir, ...(failOn ? [failOn] : [])], timeoutSeconds),
    calls: () =>
      readdirSync(dir)
        .filter((f) => f.startsWith("call-"))
        .sort()
        .map((call) => ({
          env: read(call, "NIGHTSHIFT_ENV"),
          service: read(call, "NIGHTSHIFT_SERVICE"),
          version: read(call, "NIGHTSHIFT_VERSION"),
          releaseId: read(call, "NIGHTSHIFT_RELEASE_ID"),
          bugIds: read(call, "NIGHTSHIFT_BUG_IDS"),
          system: read(call, "NIGHTSHIFT_SYSTEM"),
          targetVersion: read(call, "NIGHTSHIFT_TARGET_VERSION"),
          stdin: read(call, "stdin") ?? "",
        })),
  };
}
export type Recorder = ReturnType<typeof recorder>;

/** A watch with something to check (the checklist's monitoring item fails a watch with nothing). */
const watched = (w: WatchConfig): WatchConfig => ({ ...w, smoke: w.smoke ?? command(["/bin/true"]) });

/** testConfig's system "crm" with deploy and rollback targets on both environments. */
export function pipelineConfig(
  opts: { uat?: Target; prod?: Target; services?: ServiceConfig[]; system?: Partial<SystemConfig> } = {},
  base: Config = testConfig(),
): Config {
  const rollback = command(["/bin/true"]);
  const systems = base.systems.map(
    (s): SystemConfig => ({
      ...s,
      services: opts.services ?? [],
      environments: {
        uat: { ...s.environments.uat, deploy: opts.uat ?? null, rollback, watch: watched(s.environments.uat.watch) },
        prod: {
          ...s.environments.prod,
          deploy: opts.prod ?? null,
          rollback,
          watch: watched(s.environments.prod.watch),
        },
      },
      ...opts.system,
    }),
  );
  return { ...base, systems };
}

export const quietLogger = pino({ level: "silent" });

export function windowDeps(db: Db, config: Config, clock: FakeClock, extra: Partial<WindowDeps> = {}): WindowDeps {
  return { db, config, clock, logger: quietLogger, ...adapterPorts(config), sleep: async () => {}, ...extra };
}

/** The checklist needs an on-call for each window's local date. */
export async function onCall(db: Db, from = DAY, days = 3): Promise<void> {
  for (let i = 0; i < days; i++) {
    await setOncall(
      db,
      { systemId: "crm", day: addDays(from, i), userId: 1001, name: "Alice", setBy: "Alice" },
      at("09:00", from),
    );
  }
}

/**
 * A dispatcher that sends through the fake Bot API on its own fake clock (it sleeps by advancing
 * it), which `drain()` first brings up to the test's clock: draining never moves the windows' time.
 */
export function fakeDispatcher(db: Db, api: FakeTelegram, clock: FakeClock, pollMs = 500) {
  const own = fakeClock(clock());
  const dispatcher = createDispatcher({
    db,
    send: botApiSender(new Api(TEST_TOKEN, { fetch: api.fetch })),
    clock: own,
    logger: quietLogger,
    pollMs,
    sleep: async (ms) => own.advance(ms),
  });
  return Object.assign(dispatcher, {
    clock: own,
    drain: async () => {
      if (own() < clock()) own.set(clock());
      await dispatcher.runUntilIdle();
    },
  });
}

/** Texts of the messages the group received since `from` (an index into sentTo), split into lines. */
export const linesOf = (text: string) => text.split("\n");

/** A reported bug confirmed by an admin (severity and flow as given). */
export async function confirmedBug(
  db: Db,
  opts: {
    title?: string;
    flow?: "flow1" | "flow2";
    severity?: "low" | "medium";
    services?: string[];
    module?: string;
  } = {},
): Promise<BugRow> {
  const bug = await reportOne(db, {
    ...(opts.title ? { title: opts.title } : {}),
    services: opts.services ?? [],
    module: opts.module ?? null,
  });
  return drive(
    db,
    bug,
    [[{ type: "confirm", severity: opts.severity ?? "medium", flow: opts.flow ?? "flow1" }, ADMIN]],
    at("10:00"),
  );
}

/** Outbox rows (oldest first) as plain { method, text, markup }. */
export async function outboxRows(db: Db) {
  const rows = await db.select().from(outbox).orderBy(outbox.id);
  return rows.map((r) => ({
    id: r.id,
    method: r.method,
    chatId: r.chatId,
    text: String(r.payload.text ?? ""),
    markup: telegramPayload(r.payload).reply_markup as
      | { inline_keyboard: { text: string; callback_data: string }[][] }
      | undefined,
    editsOutboxId: r.editsOutboxId,
  }));
}
