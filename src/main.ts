// Composition root: loadConfig → db → migrate → bot → scheduler → http; graceful stop.
import { sql } from "drizzle-orm";
import { Api, webhookCallback } from "grammy";
import pino from "pino";
import { createAnalyzer } from "./adapters/analyze/analyzer.js";
import { createClock } from "./adapters/clock/clock.js";
import { isDriverWriteAfterClose, openDatabase } from "./adapters/db/database.js";
import { holdLiveness } from "./adapters/db/liveness.js";
import { startHttpServer } from "./adapters/http/server.js";
import { botApiSender, createDispatcher, LEASE_MS } from "./adapters/notify/dispatcher.js";
import { startScheduler } from "./adapters/scheduler/scheduler.js";
import { createBot, registerCommands } from "./adapters/telegram/bot.js";
import { settleIncidentTasks } from "./adapters/telegram/features/incident-common.js";
import { settleManualRuns } from "./adapters/telegram/features/run-window.js";
import { botHousekeeping, HOUSEKEEPING_EVERY_MS } from "./adapters/telegram/middleware.js";
import { startIncidentTimers } from "./app/freeze-admin.js";
import { recoverInterrupted, releaseDeadClaims } from "./app/recovery.js";
import { syncSystems } from "./app/systems.js";
import { watchAfterDeploy } from "./app/watch.js";
import type { WindowDeps } from "./app/windows.js";
import { ConfigError, formatConfigError, loadConfig } from "./config.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${formatConfigError(error)}\n`);
      // A first run without a token is not a crash: say how to get one and stop.
      process.exit(error.missingBotToken ? 0 : 1);
    }
    throw error;
  }

  const logger = pino({ level: config.logLevel, redact: ["config.botToken", "*.botToken", "token"] });
  const started = Date.now();
  // A known postgres.js fault thrown from a timer when Postgres drops a connection mid-transaction
  // (see isDriverWriteAfterClose; the pool is replaced meanwhile) must not take the bot down.
  process.on("uncaughtException", (err) => {
    if (isDriverWriteAfterClose(err))
      return void logger.warn({ err }, "postgres.js wrote to a lost connection (ignored)");
    logger.fatal({ err }, "uncaught exception");
    process.exit(1);
  });
  const database = await openDatabase(config.database, {
    onPoolRenewed: () => logger.warn("database connection pool renewed after a lost connection"),
  });
  await syncSystems(database.db, config.systems);
  const liveness = await holdLiveness(config.database);
  // Real time, or the drills' simulated clock (NIGHTSHIFT_CLOCK_*): every wait in app time goes through it.
  const time = createClock(config.clock);
  if (config.clock) logger.warn({ ...config.clock, now: time.now() }, "simulated clock (drills/sandbox only)");
  const clock = time.now;
  const deps: WindowDeps = {
    db: database.db,
    config,
    clock,
    logger,
    analyzer: createAnalyzer(config.analyzer),
    liveness,
    sleep: time.sleep,
  };
  deps.afterDeploy = watchAfterDeploy(deps, { sleep: time.sleep });
  const bot = createBot(deps);
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
    health: async () => {
      await database.db.execute(sql`select 1`);
      return { ok: true, detail: { database: database.kind } };
    },
    ...(config.webhook
      ? {
          webhook: { path: webhookPath, handler: webhookCallback(bot, "http", { secretToken: config.webhook.secret }) },
        }
      : {}),
  });

  dispatcher.start();
  // Under a simulated clock croner's real-time triggers never match: tick on a short interval instead.
  const scheduler = startScheduler(
    deps,
    config.clock ? { everyMs: Math.min(200, Math.max(50, time.realMs(30_000))) } : {},
  );
  void scheduler.catchUp();
  // Expires hotfix requests nobody approved and lifts stored freezes at their `until`.
  const stopIncidentTimers = startIncidentTimers(deps, config.clock ? Math.max(200, time.realMs(30_000)) : undefined);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    await bot.stop().catch(() => undefined);
    await scheduler.stop();
    stopIncidentTimers();
    clearInterval(recoveryTimer);
    clearInterval(housekeepingTimer);
    await Promise.race([
      Promise.all([settleManualRuns(), settleIncidentTasks()]),
      new Promise((resolve) => setTimeout(resolve, 25_000)),
    ]);
    await dispatcher.stop();
    await http.close();
    await liveness.close();
    await database.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));

  await bot.init();
  void registerCommands(bot.api, database.db, config, logger); // logs its failures, never throws
  if (config.webhook) {
    await bot.api.setWebhook(new URL(webhookPath, config.webhook.url).toString(), {
      secret_token: config.webhook.secret,
      allowed_updates: ["message", "callback_query"],
    });
    logger.info({ port: http.port, ms: Date.now() - started }, "ready (webhook)");
  } else {
    await bot.api.deleteWebhook();
    void bot.start({
      allowed_updates: ["message", "callback_query"],
      onStart: (me) => logger.info({ bot: me.username, port: http.port, ms: Date.now() - started }, "ready (polling)"),
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`nightshift failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
