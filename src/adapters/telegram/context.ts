import type { ConversationFlavor } from "@grammyjs/conversations";
import type { MenuFlavor } from "@grammyjs/menu";
import type { Context } from "grammy";
import type { Logger } from "pino";
import type { Analyzer, Calendar, Metrics, ReadVersion, RunCheck, RunTarget } from "../../app/ports.js";
import type { Config } from "../../config.js";
import type { Actor } from "../../core/model.js";
import type { Db } from "../db/database.js";

/** The ports a bot needs. Passed in, never hung on globals; main.ts builds them. */
export interface BotDeps {
  db: Db;
  config: Config;
  /** The only clock the bot reads (tests inject a fake one). */
  clock: () => Date;
  logger: Logger;
  /** The app's ports (src/app/ports.ts), wired by main.ts: the use cases the bot runs need them. */
  calendarFacts: Calendar;
  runTarget: RunTarget;
  runCheck: RunCheck;
  metrics: Metrics;
  analyzer: Analyzer;
  /** issue 10: reads an environment's running version (absent: versions come from deploys only) */
  readVersion?: ReadVersion;
}

export interface NightshiftFlavor {
  deps: BotDeps;
  /** A child logger bound to this update. */
  log: Logger;
  /** The system whose group this chat is (following supergroup migrations), else null. Set by chats.ts. */
  groupSystemId: string | null;
  /** The sender as a core Actor, with admin rights re-read from the database. */
  actor(): Promise<Actor>;
}

export type BotContext = Context & NightshiftFlavor & MenuFlavor & ConversationFlavor<Context & NightshiftFlavor>;

/** The context inside conversations: a plain Context rebuilt by the plugin (no deps; reach them via external). */
export type ConvoContext = Context;
