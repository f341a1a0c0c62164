// /bugs [status], /bug <id>, /history <id>, /close <id> <reason>, /reject <id> <reason>.
import { Composer } from "grammy";
import { bugHistory, getBug } from "../../../app/bugs.js";
import { STATUSES } from "../../../core/model.js";
import { boundedText, oneLine } from "../../../core/text.js";
import { t } from "../../../i18n/zh-tw.js";
import { type DecisionEvent, decide } from "../cards.js";
import type { BotContext } from "../context.js";
import { requireAdmin } from "../guards.js";
import { bugListMenu, showCard, showList } from "../menus/bug-list.js";
import { historyText, systemView } from "../render.js";
import { commandArgs, idAndText, replyHtml } from "../respond.js";

const composer = new Composer<BotContext>();
composer.use(bugListMenu);

composer.command("bugs", async (ctx) => {
  const [arg] = commandArgs(ctx);
  const status = arg ? STATUSES.find((s) => s === arg.toLowerCase()) : null;
  if (status === undefined) return replyHtml(ctx, t.list.badStatus(arg!, STATUSES));
  await showList(ctx, { status, page: 0 }, "reply");
});

composer.command("bug", async (ctx) => {
  const args = idAndText(ctx);
  if (!args) return replyHtml(ctx, t.errors.usage("/bug <id>"));
  await showCard(ctx, args.id);
});

composer.command("history", async (ctx) => {
  const args = idAndText(ctx);
  if (!args) return replyHtml(ctx, t.errors.usage("/history <id>"));
  const bug = await getBug(ctx.deps.db, args.id);
  if (!bug) return replyHtml(ctx, t.errors.notFound(args.id));
  const events = await bugHistory(ctx.deps.db, bug.id);
  await replyHtml(ctx, historyText(bug, events, systemView(ctx.deps.config, bug.systemId).timezone));
});

for (const type of ["close", "reject"] as const) {
  composer.command(type, async (ctx) => {
    const actor = await requireAdmin(ctx);
    if (!actor) return;
    const args = idAndText(ctx);
    if (!args?.text) return replyHtml(ctx, t.errors.usage(`/${type} <id> <原因>`));
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
