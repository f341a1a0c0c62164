// /run t1|t2 [system] (admin): runs a window now, through the same gates as the scheduler. The
// window runs in the background so a long deploy never blocks the bot's updates.
import { Composer } from "grammy";
import { messages } from "../../../app/messages.js";
import { enqueue } from "../../../app/outbox.js";
import { systemRegistry } from "../../../app/systems.js";
import { runWindow, type WindowDeps } from "../../../app/windows/index.js";
import { t, windowText } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { chatSystemId, requireAdmin } from "../guards.js";

const running = new Set<Promise<unknown>>();

/** Waits for manual windows started by /run (tests, graceful stop). */
export const settleManualRuns = () => Promise.allSettled([...running]);

const USAGE = t.run.usage;
/** The summary of a window that found nothing to do (windows.ts): nothing else reaches the group. */
const NOTHING = windowText.nothingToDo;

const composer = new Composer<BotContext>();

onCommand(composer, "run", async (ctx) => {
  const [slotArg, systemArg] = ctx.match.trim().toLowerCase().split(/\s+/);
  const systemId = systemArg ?? chatSystemId(ctx);
  const system = systemRegistry(ctx.deps.config).find(systemId);
  const admin = await requireAdmin(ctx, system?.id); // a system admin runs their own system's windows
  if (!admin) return;
  if (slotArg !== "t1" && slotArg !== "t2") return ctx.reply(USAGE);
  if (!system) return ctx.reply(USAGE);

  const slot = slotArg.toUpperCase();
  await ctx.reply(t.run.started(admin.name, slot, system.name), { parse_mode: "HTML" });
  // Ports main.ts adds beside the bot's (analyzer, post-deploy hook) travel on the same deps object.
  const deps: WindowDeps = ctx.deps;
  const log = ctx.log;
  const run = runWindow(deps, system, slotArg, { scheduledFor: deps.clock(), trigger: "manual" })
    .then(async (row) => {
      // The promise above said the result goes to the group: a window with nothing to do says so.
      if (row?.status === "done" && row.summary === NOTHING)
        await enqueue(deps.db, messages(system.groupChatId, t.run.nothing(slot, system.name)), deps.clock());
    })
    .catch((err: unknown) => log.error({ err }, "manual window failed"))
    .finally(() => running.delete(run));
  running.add(run);
});

export { composer as runWindowFeature };
