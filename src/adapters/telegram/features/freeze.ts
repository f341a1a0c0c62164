// /freeze: active freezes with their source and exactly what each blocks; /freeze on … and
// /freeze off [id] (admin) for stored freezes. Env freezes cannot be lifted from chat.
// `/freeze on <text>` freezes the whole system with <text> as the reason; a module freeze needs
// `module:<name>` and a module the system knows. `/freeze on from <date[ HH:MM]> until <date[ HH:MM]>
// [module:x] — reason` plans one (reminded by app/freeze-reminders.ts); `/freeze cancel <id>` cancels it.
import { Composer } from "grammy";
import { addFreeze, freezeOverview, liftFreezes, parseFreezeCommand } from "../../../app/freeze-admin.js";
import { escapeHtml } from "../../../core/html.js";
import { incidents, plannedFreeze } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { requireAdmin } from "../guards.js";
import { replyHtml } from "../respond.js";
import { chatSystem } from "./incident-common.js";

const composer = new Composer<BotContext>();

onCommand(composer, "freeze", async (ctx) => {
  const system = chatSystem(ctx);
  if (!system) return replyHtml(ctx, incidents.noSystem);
  const command = parseFreezeCommand(ctx.match);
  if (command.action === "show") return replyHtml(ctx, await freezeOverview(ctx.deps, system));
  if (command.action === "invalid") {
    return replyHtml(ctx, command.problem ? escapeHtml(command.problem) : plannedFreeze.usage);
  }
  const admin = await requireAdmin(ctx, system.id); // a system admin freezes their own system only
  if (!admin) return;
  if (command.action === "on") {
    const added = await addFreeze(ctx.deps, system, command, admin);
    return replyHtml(ctx, added.ok ? await freezeOverview(ctx.deps, system) : added.message);
  }
  const lifted = await liftFreezes(ctx.deps, system, command.id, admin);
  if (!lifted.ok) return replyHtml(ctx, lifted.message);
  const overview = await freezeOverview(ctx.deps, system);
  const envNote = lifted.envReasons.length ? `\n\n${incidents.freeze.envCannotLift(lifted.envReasons)}` : "";
  await replyHtml(ctx, `${overview}${envNote}`);
});

export { composer as freezeFeature };
