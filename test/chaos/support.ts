// Shared by the chaos drills: throwaway Postgres databases, the strict fake Bot API over HTTP with a
// gate that can hold or slow its requests, a pipeline whose deploy scripts record every call, real
// bot processes (tracked, so a failed drill leaves none behind) and the "nothing lost" checks.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { asc, eq, isNull } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { bugEvents, bugs, deployments, outbox } from "../../drizzle/schema.js";
import { type Db, openDatabase } from "../../src/adapters/db/database.js";
import { applyEvent, type BugRow, reportBug } from "../../src/app/bugs.js";
import { setOncall } from "../../src/app/oncall.js";
import type { BugEvent } from "../../src/core/model.js";
import { STATUSES } from "../../src/core/model.js";
import { createFakeBotApi, serveFakeBotApi } from "../../src/sandbox/fake-bot-api.js";
import { withDatabase } from "../support/global-setup.js";
import { type BotProcess, startBotProcess } from "../support/process.js";

export const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
export const GROUP = -1001234567890;
export const ALICE = { id: 1001, first_name: "Alice", username: "alice" };
export const DEPLOY = fileURLToPath(new URL("./fixtures/deploy.sh", import.meta.url));
/** 2099-11-24 is a Tuesday (no holiday); Asia/Taipei is UTC+8. */
export const DAY = "2099-11-24";
export const taipei = (hhmmss: string, day = DAY) => new Date(`${day}T${hhmmss}+08:00`);

export const until = async (check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(50);
  }
};

// ---------- databases ----------

/** The server the drills create their databases on: CI sets TEST_DATABASE_URL. */
export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      "the chaos drills need real Postgres: set TEST_DATABASE_URL, e.g. postgres://root@127.0.0.1:5432/postgres",
    );
  return url;
}

export interface ChaosDb {
  url: string;
  db: Db;
  close(): Promise<void>;
}

let counter = 0;
/** A fresh, migrated database, dropped on close. */
export async function throwawayDatabase(server = serverUrl()): Promise<ChaosDb> {
  const name = `nightshift_chaos_${process.pid}_${Date.now()}_${counter++}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = withDatabase(server, name);
  const database = await openDatabase({ kind: "postgres", url }, { poolSize: 4 });
  return {
    url,
    db: database.db,
    close: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

// ---------- Telegram ----------

type Hold = (method: string, payload: Record<string, any>) => boolean;

/**
 * The fake Bot API on a local port. `hold(when)` parks matching requests until `release()`; a parked
 * request is served on release even if its client died meanwhile — Telegram delivered the message
 * but the bot never heard back, the case that can produce a duplicate. `latency` slows every call.
 */
export async function fakeTelegramServer() {
  const api = createFakeBotApi();
  const parked: (() => void)[] = [];
  let holdWhen: Hold | null = null;
  let latencyMs = 0;
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const method = String(url).split("/").pop()!;
    if (method !== "getUpdates") {
      const payload = init?.body ? JSON.parse(String(init.body)) : {};
      if (holdWhen?.(method, payload)) await new Promise<void>((resolve) => parked.push(resolve));
      else if (latencyMs) await delay(latencyMs);
    }
    return api.fetch(url, init);
  }) as typeof globalThis.fetch;
  const server = await serveFakeBotApi({ ...api, fetch });
  const release = () => {
    holdWhen = null;
    for (const resolve of parked.splice(0)) resolve();
  };
  return Object.assign(api, {
    url: server.url,
    hold: (when: Hold) => {
      holdWhen = when;
    },
    parked: () => parked.length,
    release,
    latency: (ms: number) => {
      latencyMs = ms;
    },
    /**
     * Texts of the bot's messages in the group, in order, as they stand now: a progress line edited
     * into its release's template shows the template (issue 17); deleted ones are gone.
     */
    groupTexts: () =>
      [...api.messages.values()]
        .filter((m) => m.chatId === GROUP && m.fromBot)
        .sort((a, b) => a.messageId - b.messageId)
        .map((m) => String(m.text)),
    close: async () => {
      release();
      await server.close();
    },
  });
}
export type FakeTelegramServer = Awaited<ReturnType<typeof fakeTelegramServer>>;

// ---------- the pipeline and its deploy records ----------

/** Writes a PIPELINE_CONFIG for system "crm" whose deploy/rollback targets record into `dir`; returns its path. */
export function writePipeline(
  dir: string,
  opts: {
    hangProd?: boolean;
    /** PROD's deploy waits for the file `<dir>/go` (written by `openGate`), then succeeds. */
    gateProd?: boolean;
    hangRollback?: boolean;
    smoke?: boolean;
    windows?: { t1: string; t2: string };
  } = {},
): string {
  const target = (label: string, mode: "hang" | "gate" | null = null) => ({
    command: [DEPLOY, dir, label, ...(mode ? [mode] : [])],
  });
  // Something to watch on both environments: the checklist's monitoring item fails an unwatched one
  // (issue 12). Without `smoke` the watch only runs round 0 and its end (10 minutes, the minimum).
  const watch = { minutes: 10, intervalSeconds: opts.smoke ? 60 : 600, smoke: { command: ["true"] } };
  const env = (prod: boolean) => ({
    deploy: target("deploy", prod && opts.hangProd ? "hang" : prod && opts.gateProd ? "gate" : null),
    rollback: target("rollback", prod && opts.hangRollback ? "hang" : null),
    watch,
  });
  const file = join(dir, "pipeline.json");
  const config = {
    systems: [
      {
        id: "crm",
        name: "Barber CRM",
        groupChatId: GROUP,
        timezone: "Asia/Taipei",
        windows: { ...(opts.windows ?? { t1: "20:00", t2: "22:00" }), graceMinutes: 30 },
        environments: { uat: env(false), prod: env(true) },
      },
    ],
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface DeployCall {
  label: string;
  env: string;
  releaseId: number;
  version: string;
  bugIds: string;
}

/** Every deploy/rollback call the fixture recorded, in order. */
export function deployCalls(dir: string): DeployCall[] {
  const file = join(dir, "calls");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [label = "", env = "", releaseId = "", version = "", bugIds = ""] = line.split(" ");
      return { label, env, releaseId: Number(releaseId), version, bugIds };
    });
}

/** Lets a `gate` deploy script finish. */
export const openGate = (dir: string): void => writeFileSync(join(dir, "go"), "go\n");

/** Ends a `hang` deploy script still running (its own process group, it outlives a killed bot). */
export function killHungDeploy(dir: string): void {
  const file = join(dir, "pgid");
  if (!existsSync(file)) return;
  try {
    process.kill(-Number(readFileSync(file, "utf8")), "SIGKILL");
  } catch {}
}

const dirs: string[] = [];
/** A temp dir (deploy records, the pipeline file), removed by removeTempDirs. */
export const tempDir = (label: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `nightshift-chaos-${label}-`));
  dirs.push(dir);
  return dir;
};
export const removeTempDirs = () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
};

// ---------- bot processes ----------

const live = new Set<BotProcess>();

export interface BotOptions {
  databaseUrl: string;
  telegram: FakeTelegramServer;
  pipeline: string;
  /** Simulated clock; `anchor` is the real instant it reads `start` (share it across restarts and replicas). */
  clock?: { start: Date; speed: number; anchor: Date };
  env?: Record<string, string>;
}

/** Starts `node --import tsx src/main.ts` and waits until it is ready; returns it with its HTTP port. */
export async function startBot(options: BotOptions): Promise<BotProcess & { port: number }> {
  const bot = startBotProcess({
    BOT_TOKEN: TOKEN,
    DATABASE_URL: options.databaseUrl,
    TELEGRAM_API_ROOT: options.telegram.url,
    PIPELINE_CONFIG: options.pipeline,
    ADMIN_IDS: String(ALICE.id),
    PORT: "0",
    OUTBOX_POLL_MS: "100",
    // one update at a time: a drill's next getUpdates (its offset) then says the previous one was handled
    POLLING_CONCURRENCY: "1",
    ...(options.clock
      ? {
          NIGHTSHIFT_CLOCK_START: options.clock.start.toISOString(),
          NIGHTSHIFT_CLOCK_SPEED: String(options.clock.speed),
          NIGHTSHIFT_CLOCK_ANCHOR: options.clock.anchor.toISOString(),
        }
      : {}),
    ...options.env,
  });
  live.add(bot);
  void bot.exited.then(() => live.delete(bot));
  const ready = await bot.waitFor(/"msg":"ready/, 60_000);
  return Object.assign(bot, { port: Number(JSON.parse(ready).port) });
}

/** Kills every bot process a drill left running (afterEach/afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((bot) => bot.kill9()));
}

/** Log lines (pino JSON) of a process whose msg matches. */
export const logLines = (bot: BotProcess, msg: RegExp): Record<string, any>[] =>
  bot
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, any>)
    .filter((entry) => msg.test(String(entry.msg)));

// ---------- seeding ----------

/** A reported bug driven through `events` by Alice (an admin) and the system, as if it had happened earlier. */
export async function seedBug(db: Db, title: string, events: BugEvent[]): Promise<BugRow> {
  const at = taipei("10:00:00");
  let bug = await reportBug(
    db,
    {
      systemId: "crm",
      title,
      description: "seen in the drill",
      reporter: { id: 2001, name: "Carol" },
      foundInEnv: "prod",
      severity: null,
      services: [],
      module: null,
    },
    at,
  );
  for (const event of events) {
    const user = event.type === "confirm" || event.type.startsWith("approve");
    const actor = user
      ? ({ kind: "user", id: ALICE.id, name: "Alice", isAdmin: true } as const)
      : ({ kind: "system", name: "T1" } as const);
    const result = await applyEvent(db, { bugId: bug.id, event, actor, now: at });
    if (result.kind !== "applied") throw new Error(`${event.type} did not apply to #${bug.id}: ${result.kind}`);
    bug = result.bug;
  }
  return bug;
}

/** Flow 2 bugs T1 queued for PROD: what T2 deploys. */
export const pendingProd = (db: Db, title: string) =>
  seedBug(db, title, [
    { type: "confirm", severity: "medium", flow: "flow2" },
    { type: "start_analysis" },
    { type: "record_analysis", rootCause: null, fixPlan: null, failed: false },
    { type: "queue_prod" },
  ]);

/** A Flow 1 bug deployed to UAT and approved for PROD (its UAT release id is made up). */
export const approvedForProd = (db: Db, title: string) =>
  seedBug(db, title, [
    { type: "confirm", severity: "low", flow: "flow1" },
    { type: "start_analysis" },
    { type: "record_analysis", rootCause: null, fixPlan: null, failed: false },
    { type: "deploy_uat_ok", releaseId: 0 },
    { type: "approve_prod" },
  ]);

/** The checklist needs an on-call for the window's local date. */
export const seedOncall = (db: Db, day = DAY) =>
  setOncall(db, { systemId: "crm", day, userId: ALICE.id, name: "Alice", setBy: "Alice" }, taipei("09:00:00", day));

// ---------- what must hold after every drill ----------

export const unsentCount = async (db: Db) => (await db.select().from(outbox).where(isNull(outbox.sentAt))).length;

/** How many times the fake received each sendMessage outbox row (matched by chat and text). */
export async function deliveries(db: Db, telegram: FakeTelegramServer) {
  const rows = await db.select().from(outbox).where(eq(outbox.method, "sendMessage")).orderBy(asc(outbox.id));
  return rows.map((row) => {
    const text = String(row.payload.text);
    const copies = telegram
      .of("sendMessage")
      .filter((c) => c.payload.chat_id === row.chatId && c.payload.text === text);
    return { id: row.id, text, copies: copies.length };
  });
}

/**
 * Nothing lost: every bug in a status of the table whose newest audit row names that status, one
 * audit row per row version (no half-written transition); every outbox row sent, none given up;
 * no deployment left `running`.
 */
export async function expectNothingLost(db: Db): Promise<void> {
  const events = await db.select().from(bugEvents).orderBy(asc(bugEvents.id));
  for (const bug of await db.select().from(bugs)) {
    const own = events.filter((e) => e.bugId === bug.id);
    expect(STATUSES, `#${bug.id}`).toContain(bug.status);
    expect(own.at(-1)?.toStatus, `#${bug.id} newest audit row`).toBe(bug.status);
    expect(own.length, `#${bug.id} audit rows per row version`).toBe(bug.rowVersion);
  }
  const rows = await db.select().from(outbox);
  expect(
    rows.filter((r) => r.sentAt === null).map((r) => r.id),
    "unsent outbox rows",
  ).toEqual([]);
  expect(
    rows.filter((r) => r.lastError?.startsWith("gave up")).map((r) => r.lastError),
    "given up",
  ).toEqual([]);
  const running = await db.select().from(deployments).where(eq(deployments.status, "running"));
  expect(running, "deployments left running").toEqual([]);
}

/**
 * A drill's throwaway database and fake Bot API for the enclosing describe block; bot processes
 * are killed after each test and everything is removed after the block. Use inside tests only.
 */
export function useDrill(): { pg: ChaosDb; telegram: FakeTelegramServer } {
  const drill = {} as { pg: ChaosDb; telegram: FakeTelegramServer };
  beforeAll(async () => {
    [drill.pg, drill.telegram] = await Promise.all([throwawayDatabase(), fakeTelegramServer()]);
  });
  afterEach(killAll);
  afterAll(async () => {
    removeTempDirs();
    await drill.telegram?.close();
    await drill.pg?.close();
  });
  return drill;
}
