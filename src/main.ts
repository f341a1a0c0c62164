// Composition root: loadConfig → db → migrate → bot → scheduler → http; graceful stop.
import { sql } from "drizzle-orm";
import { webhookCallback } from "grammy";
import pino from "pino";
import { openDatabase } from "./adapters/db/database.js";
import { startHttpServer } from "./adapters/http/server.js";
import { createBot } from "./adapters/telegram/bot.js";
import { syncSystems } from "./app/systems.js";
import { ConfigError, formatConfigError, loadConfig } from "./config.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${formatConfigError(error)}\n`);
      // A first run without a token is not a crash: say how to get one and stop.
      process.exit(error.missingBotToken && error.problems.length === 1 ? 0 : 1);
    }
    throw error;
  }

  const logger = pino({ level: config.logLevel, redact: ["config.botToken", "*.botToken", "token"] });
  const started = Date.now();
  const database = await openDatabase(config.database);
  await syncSystems(database.db, config.systems);
  const clock = () => new Date();
  const deps = { db: database.db, config, clock, logger };
  const bot = createBot(deps);

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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    await bot.stop().catch(() => undefined);
    await http.close();
    await database.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));

  await bot.init();
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
