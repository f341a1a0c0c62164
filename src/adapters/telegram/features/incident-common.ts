// Shared by the incident features: background work (a deploy must not hold the update loop) and
// turning use-case outcomes into chat text.
import type { Logger } from "pino";
import type { HotfixOutcome } from "../../../app/hotfix.js";
import type { RollbackOutcome } from "../../../app/rollback.js";
import { systemRegistry } from "../../../app/systems.js";
import { settleWatches } from "../../../app/watch.js";
import type { SystemConfig } from "../../../config.js";
import { splitMessage } from "../../../core/html.js";
import { formatDateTime } from "../../../core/windows.js";
import { gatesText, incidents } from "../../../i18n/index.js";
import { liveChatId } from "../chats.js";
import type { BotContext } from "../context.js";
import { chatSystemId } from "../guards.js";

const running = new Set<Promise<unknown>>();

/** Waits for deploys and rollbacks started from chat, then for the watches they started (tests, graceful stop). */
export const settleIncidentTasks = async () => {
  const done = await Promise.allSettled([...running]);
  await settleWatches();
  return done;
};

/** Runs `work` after the handler returns; its report goes to `chatId` (the group gets the outbox messages). */
export function inBackground(
  ctx: Pick<BotContext, "api" | "deps">,
  log: Logger,
  chatId: number,
  work: () => Promise<string | null>,
): void {
  const task = work()
    .then(async (text) => {
      if (!text) return;
      const to = await liveChatId(ctx.deps, chatId); // the group may have become a supergroup meanwhile
      for (const part of splitMessage(text)) await ctx.api.sendMessage(to, part, { parse_mode: "HTML" });
    })
    .catch((err: unknown) => log.error({ err }, "incident task failed"))
    .finally(() => running.delete(task));
  running.add(task);
}

export function chatSystem(ctx: BotContext): SystemConfig | null {
  const id = chatSystemId(ctx);
  return systemRegistry(ctx.deps.config).find(id) ?? null;
}

export function hotfixText(outcome: HotfixOutcome, tz: string): string {
  const T = incidents.hotfix;
  switch (outcome.kind) {
    case "deployed":
      return outcome.mode === "manual"
        ? T.recorded(outcome.bug.id)
        : T.deployed(outcome.bug.id, outcome.deployment.version);
    case "failed":
      return T.failed(outcome.deployment.bugIds[0] ?? 0, outcome.deployment.status);
    case "awaiting_approval":
      return outcome.freeze || outcome.failed.length === 0
        ? T.awaiting(outcome.request.bugId, outcome.freeze, formatDateTime(outcome.request.expiresAt, tz))
        : gatesText.hotfix.awaiting(
            outcome.request.bugId,
            outcome.failed,
            formatDateTime(outcome.request.expiresAt, tz),
          );
    case "refused":
      return outcome.message;
  }
}

export function rollbackText(outcome: RollbackOutcome): string | null {
  const T = incidents.rollback;
  switch (outcome.kind) {
    case "rolled_back":
    case "failed":
      return null; // the group message says it all
    case "refused":
      return outcome.message;
    case "already_handled":
      return T.alreadyHandled;
  }
}
