// Composition root: loadConfig → db → migrate → bot → scheduler → http; graceful stop.
import { sql } from "drizzle-orm";
import { Api, webhookCallback } from "grammy";
import pino from "pino";
import { createClock } from "./adapters/clock/clock.js";
import { describeDatabaseError, isDriverWriteAfterClose, openDatabase } from "./adapters/db/database.js";
import { holdLiveness } from "./adapters/db/liveness.js";
import { codeHostRoutes } from "./adapters/github/routes.js";
import { startHttpServer } from "./adapters/http/server.js";
import { abortWith, createTelegramLink, TelegramRefusedError } from "./adapters/http/telegram-link.js";
import { botApiSender, createDispatcher, LEASE_MS } from "./adapters/notify/dispatcher.js";
import { createRelay, RELAY_LEASE_MS } from "./adapters/notify/relay.js";
import { collectStartupGarbage } from "./adapters/process/memory.js";
import { startScheduler } from "./adapters/scheduler/scheduler.js";
import { createBot, registerCommands } from "./adapters/telegram/bot.js";
import { groupCardDraft } from "./adapters/telegram/cards.js";
import { settleIncidentTasks } from "./adapters/telegram/features/incident-common.js";
import { settleManualRuns } from "./adapters/telegram/features/run-window.js";
import { botHousekeeping, HOUSEKEEPING_EVERY_MS } from "./adapters/telegram/middleware.js";
import { type Polling, startPolling } from "./adapters/telegram/polling.js";
import { adapterPorts } from "./adapters/wire-ports.js";
import { syncSlackMirrors } from "./app/code-host.js";
import { startIncidentTimers } from "./app/freeze-admin.js";
import { recoverInterrupted, releaseDeadClaims } from "./app/recovery.js";
import { syncSystems } from "./app/systems.js";
import { watchAfterDeploy } from "./app/watch.js";
import type { WindowDeps } from "./app/windows/index.js";
import { ConfigError, formatConfigError, loadConfig } from "./config.js";

/** The documented bound on a graceful stop (README "Graceful stop"): after it the process exits anyway. */
const STOP_DEADLINE_MS = 25_000;
/** Within it: running windows and incident tasks get until here, the rest is for closing. */
const SETTLE_MS = 18_000;
/** Telegram requests still in flight then (a send to an API that does not answer) are cut. */
const CUT_TELEGRAM_MS = 21_000;
/** Polling's final getUpdates (which confirms the offset) gets this long. */
const BOT_STOP_MS = 3_000;

const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
};

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${formatConfigError(error)}\n`);
      // Without a token (a first run) the help says how to get one; the bot did not start: non-zero.
      process.exit(1);
    }
    throw error;
  }

  const token = config.botToken;
  const logger = pino({
    level: config.logLevel,
    redact: ["config.botToken", "*.botToken", "token"],
    // Network errors carry the request URL, which holds the token (…/bot<token>/getMe): never log it.
    hooks: { streamWrite: (line) => (line.includes(token) ? line.replaceAll(token, "<BOT_TOKEN>") : line) },
  });
  const started = Date.now();
  // A known postgres.js fault thrown from a timer when Postgres drops a connection mid-transaction
  // (see isDriverWriteAfterClose; the pool is replaced meanwhile) must not take the bot down.
  process.on("uncaughtException", (err) => {
    if (isDriverWriteAfterClose(err))
      return void logger.warn({ err }, "postgres.js wrote to a lost connection (ignored)");
    logger.fatal({ err }, "uncaught exception");
    process.exit(1);
  });
  const databaseTarget = config.database;
  const openFailed = (error: unknown): never => {
    const line = databaseTarget.kind === "postgres" ? describeDatabaseError(error, databaseTarget.url) : null;
    if (!line) throw error;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  };
  const database = await openDatabase(config.database, {
    prepare: config.databasePrepare,
    listen: config.databaseListen,
    onPoolRenewed: () => logger.warn("database connection pool renewed after a lost connection"),
  }).catch(openFailed);
  await syncSystems(database.db, config.systems).catch(openFailed);
  await syncSlackMirrors(database.db, config).catch(openFailed); // issue 13: which groups Slack mirrors
  const liveness = await holdLiveness(config.database).catch(openFailed);
  // Real time, or the drills' simulated clock (NIGHTSHIFT_CLOCK_*): every wait in app time goes through it.
  const time = createClock(config.clock);
  if (config.clock) logger.warn({ ...config.clock, now: time.now() }, "simulated clock (drills/sandbox only)");
  const clock = time.now;
  const deps: WindowDeps = {
    db: database.db,
    config,
    clock,
    logger,
    ...adapterPorts(config),
    liveness,
    sleep: time.sleep,
  };
  deps.afterDeploy = watchAfterDeploy(deps, { sleep: time.sleep });
  // `stopping` ends start-up retries at once; `cutTelegram` ends every Telegram request still in
  // flight (a pending getUpdates, a send to an unresponsive API) before the stop bound runs out.
  const stopping = new AbortController();
  const cutTelegram = new AbortController();
  const link = createTelegramLink({
    token: config.botToken,
    apiRoot: config.telegramApiRoot,
    logger,
    signal: stopping.signal,
    webhook: config.webhook !== null,
  });
  const bot = createBot(deps);
  bot.api.config.use(link.pollWatcher, abortWith(cutTelegram.signal));
  // Deployments left `running` by a process that died become `interrupted` (alerted, never re-run);
  // outbox rows it had claimed are sent now rather than when their lease runs out.
  const recover = async () => {
    const interrupted = await recoverInterrupted(deps);
    if (interrupted.length) logger.warn({ ids: interrupted.map((d) => d.id) }, "deployments interrupted (owner gone)");
    const released = await releaseDeadClaims(deps);
    if (released) logger.warn({ released }, "outbox rows released (claimer gone)");
  };
  await recover();
  // Another replica may die mid-deploy while this one lives on.
  const recoveryTimer = setInterval(
    () => void recover().catch((err) => logger.error({ err }, "recovery failed")),
    60_000,
  );
  // Idle conversations end (and are told so) and processed_updates stay bounded in a quiet bot too.
  const housekeepingTimer = setInterval(
    () => void botHousekeeping(deps).catch((err) => logger.error({ err }, "bot housekeeping failed")),
    HOUSEKEEPING_EVERY_MS,
  );
  // Its own Api without auto-retry: the dispatcher honours retry_after itself, without blocking.
  const outboxApi = new Api(config.botToken, config.telegramApiRoot ? { apiRoot: config.telegramApiRoot } : undefined);
  outboxApi.config.use(abortWith(cutTelegram.signal));
  const dispatcher = createDispatcher({
    db: database.db,
    send: botApiSender(outboxApi),
    clock,
    logger,
    pollMs: config.outboxPollMs,
    owner: liveness.instanceId,
    // A lease guards a send in flight, which takes real time.
    leaseMs: LEASE_MS * time.speed,
  });

  const webhookPath = "/telegram/webhook";
  const http = await startHttpServer({
    port: config.port,
    logger,
    // 200 only while the database answers and updates arrive from Telegram.
    health: async () => {
      try {
        await database.db.execute(sql`select 1`);
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause ?? error;
        return {
          ok: false,
          reason: `database unreachable: ${cause instanceof Error ? cause.message : String(cause)}`,
          detail: { database: database.kind },
        };
      }
      const telegram = link.health();
      return {
        ok: telegram.ok,
        ...(telegram.reason ? { reason: telegram.reason } : {}),
        detail: { database: database.kind, telegram: telegram.state },
      };
    },
    ...codeHostRoutes(deps, (bug) => groupCardDraft(deps, bug)), // issue 13: POST /github/webhook
    ...(config.webhook
      ? {
          webhook: { path: webhookPath, handler: webhookCallback(bot, "http", { secretToken: config.webhook.secret }) },
        }
      : {}),
  });

  logger.info({ port: http.port }, "http listening (GET /healthz)");
  dispatcher.start();
  // issue 13: Slack mirror and linked GitHub issues (relay_jobs), beside the Telegram outbox.
  const relay = createRelay({
    db: database.db,
    config,
    clock,
    logger,
    owner: liveness.instanceId,
    leaseMs: RELAY_LEASE_MS * time.speed,
  });
  relay.start();
  // Under a simulated clock croner's real-time triggers never match: tick on a short interval instead.
  const scheduler = startScheduler(
    deps,
    config.clock ? { everyMs: Math.min(200, Math.max(50, time.realMs(30_000))) } : {},
  );
  void scheduler.catchUp();
  // Expires hotfix requests nobody approved and lifts stored freezes at their `until`.
  const stopIncidentTimers = startIncidentTimers(deps, config.clock ? Math.max(200, time.realMs(30_000)) : undefined);

  let stopCalled = false;
  let polling: Polling | null = null;
  const stop = async (signal: string, exitCode = 0) => {
    if (stopCalled) return;
    stopCalled = true;
    const began = Date.now();
    const left = () => STOP_DEADLINE_MS - (Date.now() - began);
    logger.info({ signal }, "stopping");
    // Whatever hangs below, the process ends within the documented bound.
    setTimeout(() => {
      logger.error({ ms: STOP_DEADLINE_MS }, "could not stop in time; exiting anyway");
      process.exit(exitCode || 1);
    }, STOP_DEADLINE_MS);
    // A send in flight normally finishes (cutting it could deliver it twice); one that hangs is cut.
    setTimeout(() => cutTelegram.abort(), CUT_TELEGRAM_MS);
    stopping.abort();
    link.close();
    // grammY's stop confirms the offset with one more getUpdates, which hangs (retried forever)
    // when Telegram is unreachable: give it a moment, then go on without it.
    await within(
      polling
        ? // issue 15: updates in flight finish (within the settle budget), then the offset is confirmed
          polling.stop(SETTLE_MS - BOT_STOP_MS).then((left) => {
            if (left) logger.warn({ left }, "updates still in flight at stop");
          })
        : bot.stop().catch(() => undefined),
      polling ? SETTLE_MS : BOT_STOP_MS,
    );
    stopIncidentTimers();
    clearInterval(recoveryTimer);
    clearInterval(housekeepingTimer);
    // Running windows (scheduled or /run) and incident tasks finish, within the settle budget.
    const settleMs = Math.max(0, SETTLE_MS - (Date.now() - began));
    await within(Promise.all([scheduler.stop(settleMs), settleManualRuns(), settleIncidentTasks()]), settleMs);
    await within(Promise.all([dispatcher.stop(), relay.stop()]), left() - 3_000);
    await within(http.close(), left() - 2_000);
    await within(liveness.close(), left() - 1_000);
    await within(database.close(), left() - 500);
    logger.info({ ms: Date.now() - began }, "stopped");
    process.exit(exitCode);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));

  // Telegram: getMe, then setWebhook or long polling. Each start-up call is retried with backoff
  // and every failed attempt logged until it succeeds (or the process stops); /healthz stays 503.
  try {
    const me = await link.reach();
    if (!me) return;
    bot.botInfo = me;
    void registerCommands(bot.api, database.db, config, logger); // logs its failures, never throws
    if (config.webhook) {
      const { url, secret } = config.webhook;
      const done = await link.call("setWebhook", (api, signal) =>
        api.setWebhook(
          new URL(webhookPath, url).toString(),
          { secret_token: secret, allowed_updates: ["message", "callback_query"] },
          signal,
        ),
      );
      if (done === null) return;
      link.webhookSet();
      collectStartupGarbage();
      logger.info({ bot: me.username, port: http.port, ms: Date.now() - started }, "ready (webhook)");
    } else {
      const done = await link.call("deleteWebhook", (api, signal) => api.deleteWebhook({}, signal));
      if (done === null) return;
      // issue 15: POLLING_CONCURRENCY updates at once (@grammyjs/runner), each user's in order
      polling = await startPolling(bot, {
        concurrency: config.pollingConcurrency,
        allowedUpdates: ["message", "callback_query"],
      });
      collectStartupGarbage();
      logger.info(
        { bot: me.username, port: http.port, ms: Date.now() - started, concurrency: config.pollingConcurrency },
        "ready (polling)",
      );
      polling.task.catch((err: unknown) => {
        if (stopCalled) return;
        // 401 (token revoked) or 409 (another process polls with this token): grammY gives up.
        logger.fatal({ err }, "long polling stopped");
        void stop("polling failed", 1);
      });
    }
  } catch (error) {
    if (!(error instanceof TelegramRefusedError)) throw error;
    process.stderr.write(`${error.message}\n`);
    logger.fatal("Telegram refused BOT_TOKEN");
    await stop("token refused", 1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`nightshift failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
