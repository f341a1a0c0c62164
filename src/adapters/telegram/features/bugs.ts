// /bugs [status], /bug <id>, /history <id>, /close <id> <reason>, /reject <id> <reason>.
// Each shows or changes only the bugs of the systems the sender may see in this chat (guards.ts).
import { Composer } from "grammy";
import { bugHistory, getBug } from "../../../app/bugs.js";
import { STATUSES } from "../../../core/model.js";
import { boundedText, oneLine } from "../../../core/text.js";
import { closeRejectUsage, t } from "../../../i18n/index.js";
import { type DecisionEvent, decide } from "../cards.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { canSeeSystem, chatSystemId, requireAdmin } from "../guards.js";
import { bugListMenu, parseStatusFilter, showCard, showList, statusName } from "../menus/bug-list.js";
import { historyText, systemView } from "../render.js";
import { idAndText, replyHtml } from "../respond.js";

const composer = new Composer<BotContext>();
composer.use(bugListMenu);

onCommand(composer, "bugs", async (ctx) => {
  const arg = ctx.match.trim();
  const statuses = arg ? parseStatusFilter(arg) : [];
  if (statuses === null) return replyHtml(ctx, t.list.badStatus(arg, STATUSES.map(statusName)));
  await showList(ctx, { statuses, page: 0 }, "reply");
});

onCommand(composer, "bug", async (ctx) => {
  const args = idAndText(ctx);
  if (!args) return replyHtml(ctx, t.errors.usage("/bug <id>"));
  await showCard(ctx, args.id);
});

/** The bug if the sender may see it in this chat (another system's bug is "not found"). */
async function visibleBug(ctx: BotContext, id: number) {
  const bug = await getBug(ctx.deps.db, id);
  return bug && (await canSeeSystem(ctx, bug.systemId)) ? bug : null;
}

onCommand(composer, "history", async (ctx) => {
  const args = idAndText(ctx);
  if (!args) return replyHtml(ctx, t.errors.usage("/history <id>"));
  const bug = await visibleBug(ctx, args.id);
  if (!bug) return replyHtml(ctx, t.errors.notFound(args.id));
  const events = await bugHistory(ctx.deps.db, bug.id);
  await replyHtml(ctx, historyText(bug, events, systemView(ctx.deps.config, bug.systemId).timezone));
});

for (const type of ["close", "reject"] as const) {
  onCommand(composer, type, async (ctx) => {
    const args = idAndText(ctx);
    const bug = args ? await visibleBug(ctx, args.id) : null;
    // A system admin acts on their system's bugs only; re-checked on every command.
    const actor = await requireAdmin(ctx, bug?.systemId ?? chatSystemId(ctx));
    if (!actor) return;
    if (!args?.text) return replyHtml(ctx, t.errors.usage(closeRejectUsage(type)));
    if (!bug) return replyHtml(ctx, t.errors.notFound(args.id));
    const event: DecisionEvent = { type, reason: boundedText(oneLine(args.text), 500) }; // one line: no faked lines in the card
    const decision = await decide(ctx.deps, { bugId: args.id, event, actor });
    if (decision.kind === "applied") return replyHtml(ctx, decision.html);
    if (decision.kind === "refused") return replyHtml(ctx, t.errors.refused(args.id, decision.reason ?? ""));
    await replyHtml(
      ctx,
      decision.current ? t.errors.refused(args.id, t.refusals.wrong_status) : t.errors.notFound(args.id),
    );
  });
}

export { composer as bugsFeature };
