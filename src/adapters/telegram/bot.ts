// The Telegram adapter (src/adapters/telegram): turns updates into app use cases and their results
// into chat messages. bot.ts builds the bot (middleware order, features); features/ hold one Composer
// per area, menus/ the @grammyjs/menu menus, conversations/ the multi-step dialogs; guards.ts decides
// who may act on which system, chats.ts which system's group a chat is, commands.ts the command
// table, core/callback-data.ts the one button codec. No SQL here: the database is reached through
// src/app functions.
import { autoRetry } from "@grammyjs/auto-retry";
import { conversations, createConversation } from "@grammyjs/conversations";
import { sequentialize } from "@grammyjs/runner";
import {
  Bot,
  type BotConfig,
  type BotError,
  type Composer,
  type Context,
  GrammyError,
  HttpError,
  type MiddlewareFn,
} from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { CHOICE_BUTTON, isStaleCallback } from "../../core/callback-data.js";
import { conversationText, t } from "../../i18n/index.js";
import { connectionFailure } from "../db/database.js";
import { recognizeChat } from "./chats.js";
import type { BotContext, BotDeps } from "./context.js";
import { tellingTelegramErrors } from "./conversations/common.js";
import { flowOverrideConversation } from "./conversations/flow-override.js";
import { rejectConversation } from "./conversations/reject.js";
import { reportConversation } from "./conversations/report.js";
import { approvalsFeature } from "./features/approvals.js";
import { bugsFeature } from "./features/bugs.js";
import { codeHostFeature } from "./features/code-host.js";
import { deepLinkFeature } from "./features/deep-link.js";
import { freezeFeature } from "./features/freeze.js";
import { hotfixFeature } from "./features/hotfix.js";
import { oncallFeature } from "./features/oncall.js";
import { cancelFeature, reportFeature } from "./features/report.js";
import { retriageFeature } from "./features/retriage.js";
import { rollbackFeature } from "./features/rollback.js";
import { runWindowFeature } from "./features/run-window.js";
import { startFeature } from "./features/start.js";
import { statusFeature } from "./features/status.js";
import { todoFeature } from "./features/todo.js";
import { triageFeature } from "./features/triage.js";
import { unknownButton } from "./guards.js";
import {
  answerCallbacksOnce,
  attachDeps,
  conversationEnds,
  dedupeUpdates,
  housekeeping,
  onlyKnownChats,
} from "./middleware.js";
import { updateOrder } from "./polling.js";
import { kvConversationStorage, othersInConversation } from "./storage.js";

export { registerCommands } from "./commands.js";
export type { BotContext, BotDeps } from "./context.js";

export interface CreateBotOptions {
  botInfo?: UserFromGetMe;
  client?: BotConfig<BotContext>["client"];
}

/** Feature composers, in the order they see updates. */
const features: Composer<BotContext>[] = [
  hotfixFeature, // incidents first: their conversations, and /history [uat|prod] before /history <id>
  rollbackFeature,
  freezeFeature,
  oncallFeature,
  deepLinkFeature, // issue 17: /start <payload> before /start
  startFeature,
  reportFeature,
  triageFeature,
  approvalsFeature,
  bugsFeature,
  statusFeature,
  runWindowFeature,
  retriageFeature, // issue 10
  codeHostFeature, // issue 13: /link, /release, the card's GitHub button
  todoFeature, // issue 17: /todo, /notify
];

const RETRY = { maxRetryAttempts: 3, maxDelaySeconds: 60 };

/** Conversations build their own Api objects: bot-level transformers must be installed inside again. */
const retryInsideConversations: MiddlewareFn<Context> = (ctx, next) => {
  ctx.api.config.use(autoRetry(RETRY));
  return next();
};

/** Builds the bot; starts nothing (main.ts does). */
export function createBot(deps: BotDeps, options: CreateBotOptions = {}): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.config.botToken, {
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    client: {
      ...(deps.config.telegramApiRoot ? { apiRoot: deps.config.telegramApiRoot } : {}),
      ...options.client,
    },
  });
  bot.api.config.use(autoRetry(RETRY));

  bot.use(sequentialize(updateOrder)); // issue 15: a user's updates in a chat one at a time, in order
  bot.use(attachDeps(deps));
  const guarded = bot.errorBoundary(handleError);
  guarded.use(answerCallbacksOnce);
  guarded.use(dedupeUpdates);
  guarded.use(housekeeping);
  guarded.use(recognizeChat); // which system's group (migrated supergroups too); records migrations
  guarded.use(onlyKnownChats);
  guarded.use(
    conversations<BotContext, Context>({ storage: kvConversationStorage(), plugins: [retryInsideConversations] }),
  );
  guarded.use(conversationEnds); // idle ones announced; another command ends the sender's conversation
  guarded.use(cancelFeature); // before the conversations, so /cancel always leaves them
  guarded.use(createConversation(tellingTelegramErrors(reportConversation), "report"));
  guarded.use(createConversation(tellingTelegramErrors(rejectConversation), "reject"));
  guarded.use(createConversation(tellingTelegramErrors(flowOverrideConversation), "flowOverride")); // issue 10
  for (const feature of features) guarded.use(feature);
  guarded.callbackQuery(CHOICE_BUTTON, endedConversationButton);
  guarded.on("callback_query:data", staleOrUnknownButton);

  bot.catch((err) => deps.logger.error({ err: err.error, update_id: err.ctx.update.update_id }, "unhandled bot error"));
  return bot;
}

/** A button from an earlier encoding still in a chat says it expired; anything else is unknown. */
const staleOrUnknownButton = (ctx: BotContext) =>
  isStaleCallback(ctx.callbackQuery?.data) ? ctx.answerCallbackQuery({ text: t.errors.outdated }) : unknownButton(ctx);

/**
 * A conversation button no conversation took: its conversation ended (timed out, cancelled, replaced
 * by a command), unless it belongs to another member's live conversation in this group.
 */
async function endedConversationButton(ctx: BotContext): Promise<void> {
  const own = Object.keys(ctx.conversation.active()).length > 0;
  if (!own && (await othersInConversation(ctx))) return unknownButton(ctx).then(() => undefined);
  await ctx.answerCallbackQuery({ text: conversationText.ended });
}

/** The database is unreachable or dropped the connection: users hear 「系統暫時無法使用」. */
export const isDatabaseDown = (error: unknown): boolean => connectionFailure(error) !== null;

async function handleError(err: BotError<BotContext>): Promise<void> {
  const { ctx, error } = err;
  const log = ctx.log ?? ctx.deps?.logger;
  log?.error({ err: error }, "update failed");
  // Telegram refused a call (a message too long, a chat gone…): say so rather than go silent.
  const telegram = error instanceof GrammyError || error instanceof HttpError;
  const text = telegram
    ? conversationText.actionFailed
    : isDatabaseDown(error)
      ? t.errors.unavailable
      : t.errors.generic;
  try {
    if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text });
    else if (ctx.chat) await ctx.reply(text);
  } catch (replyError) {
    log?.warn({ err: replyError }, "could not tell the user about the error");
  }
}
