// /hotfix [id] (admin): the conversation collects the fix; the second admin's 核准 during a freeze
// (or when the pre-deploy checklist failed; a CTO during Lunar New Year) is a single callback whose
// claim in the database makes the deploy run once.
import { createConversation } from "@grammyjs/conversations";
import { Composer } from "grammy";
import { getBug } from "../../../app/bugs.js";
import { claimHotfixApproval, runApprovedHotfix } from "../../../app/hotfix.js";
import { hotfixRequestSystemId } from "../../../app/scopes.js";
import { CALLBACK_ACTIONS } from "../../../core/callback-data.js";
import { isPipelineEligible } from "../../../core/model.js";
import { gatesText, incidents } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { tellingTelegramErrors } from "../conversations/common.js";
import { type HotfixArgs, hotfixConversation } from "../conversations/incidents.js";
import { onAction, requireAdmin } from "../guards.js";
import { movedToPrivate } from "../quiet.js";
import { idAndText, replyHtml } from "../respond.js";
import { chatSystem, hotfixText, inBackground } from "./incident-common.js";

const H = incidents.hotfix;
const composer = new Composer<BotContext>();
composer.use(createConversation(tellingTelegramErrors(hotfixConversation), "hotfix"));

onCommand(composer, "hotfix", async (ctx) => {
  const system = chatSystem(ctx);
  const admin = await requireAdmin(ctx, system?.id); // a system admin hotfixes their own system
  if (!admin) return;
  if (!system) return replyHtml(ctx, incidents.noSystem);
  if (!ctx.match.trim()) return enterHotfix(ctx, { systemId: system.id, bugId: null, severity: null });
  const args = idAndText(ctx);
  if (!args) return replyHtml(ctx, incidents.usage.hotfix);
  const bug = await getBug(ctx.deps.db, args.id);
  if (!bug || bug.systemId !== system.id) return replyHtml(ctx, H.notFound(args.id));
  if (bug.status !== "submitted") return replyHtml(ctx, H.wrongStatus(bug.id, bug.status));
  if (bug.severity && isPipelineEligible(bug.severity)) return replyHtml(ctx, H.lowSeverity(bug.id, bug.severity));
  await enterHotfix(ctx, { systemId: system.id, bugId: bug.id, severity: bug.severity });
});

/** issue 17: in a group where answers cannot be deleted, the questions go to a private chat. */
async function enterHotfix(ctx: BotContext, args: HotfixArgs) {
  if (await movedToPrivate(ctx, "hotfix", { ...args })) return;
  await ctx.conversation.enter("hotfix", args);
}

onAction(composer, [CALLBACK_ACTIONS.hotfixApprove], async (ctx, payload) => {
  const admin = await requireAdmin(ctx, await hotfixRequestSystemId(ctx.deps.db, payload.id));
  if (!admin) return;
  const claim = await claimHotfixApproval(ctx.deps, payload.id, admin);
  if (claim.kind !== "claimed") {
    const text = {
      own_request: H.ownRequest,
      not_cto: gatesText.hotfix.ctoOnly,
      expired: H.expired,
      already_handled: H.alreadyHandled,
    }[claim.kind];
    return ctx.answerCallbackQuery({ text, show_alert: claim.kind === "own_request" || claim.kind === "not_cto" });
  }
  await ctx.answerCallbackQuery({ text: H.running(claim.request.bugId, claim.request.mode) });
  const tz = chatSystem(ctx)?.timezone ?? "UTC";
  const deps = ctx.deps;
  inBackground(ctx, ctx.log, ctx.chat!.id, async () => {
    const outcome = await runApprovedHotfix(deps, claim.request, admin);
    return outcome.kind === "deployed" ? null : hotfixText(outcome, tz);
  });
});

export { composer as hotfixFeature };
