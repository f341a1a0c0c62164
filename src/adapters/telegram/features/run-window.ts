// /run t1|t2 [system] (admin): runs a window now, through the same gates as the scheduler. The
// window runs in the background so a long deploy never blocks the bot's updates.
import { Composer } from "grammy";
import { runWindow, type WindowDeps } from "../../../app/windows.js";
import { escapeHtml } from "../../../core/html.js";
import type { BotContext } from "../context.js";
import { chatSystemId, requireAdmin } from "../guards.js";

const running = new Set<Promise<unknown>>();

/** Waits for manual windows started by /run (tests, graceful stop). */
export const settleManualRuns = () => Promise.allSettled([...running]);

const USAGE = "用法:/run t1 或 /run t2(多個系統時加上系統 id,例如 /run t1 crm)";

const composer = new Composer<BotContext>();

composer.command("run", async (ctx) => {
  const admin = await requireAdmin(ctx);
  if (!admin) return;
  const [slotArg, systemArg] = ctx.match.trim().toLowerCase().split(/\s+/);
  if (slotArg !== "t1" && slotArg !== "t2") return ctx.reply(USAGE);
  const systemId = systemArg ?? chatSystemId(ctx);
  const system = ctx.deps.config.systems.find((s) => s.id === systemId);
  if (!system) return ctx.reply(USAGE);

  const slot = slotArg.toUpperCase();
  await ctx.reply(
    `▶️ ${escapeHtml(admin.name)} 手動執行 ${slot}(${escapeHtml(system.name)}):封版檢查 → 部署前檢查 → 執行,結果會發到群組。`,
    { parse_mode: "HTML" },
  );
  // Ports main.ts adds beside the bot's (analyzer, post-deploy hook) travel on the same deps object.
  const deps: WindowDeps = ctx.deps;
  const log = ctx.log;
  const run = runWindow(deps, system, slotArg, { scheduledFor: deps.clock(), trigger: "manual" })
    .catch((err: unknown) => log.error({ err }, "manual window failed"))
    .finally(() => running.delete(run));
  running.add(run);
});

export { composer as runWindowFeature };
