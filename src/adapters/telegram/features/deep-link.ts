// issue 17: `/start q<nonce>` in a private chat continues what a member began in a group where the bot
// may not delete answers (/report, /hotfix, /rollback): the link is the member's own, used once, and
// its arguments are checked again here. A my_chat_member update forgets the bot's cached rights.
import { Composer } from "grammy";
import { z } from "zod";
import { takeDeepLink } from "../../../app/quiet.js";
import { ENVS, SEVERITIES } from "../../../core/model.js";
import { quietText } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { forgetRights } from "../quiet.js";
import { replyHtml } from "../respond.js";
import { idleLimitMs } from "../storage.js";

const SystemId = z.string().regex(/^[a-z0-9_-]{1,32}$/);
const ARGS = {
  report: z.strictObject({ systemId: SystemId.optional() }),
  hotfix: z.strictObject({
    systemId: SystemId,
    bugId: z.number().int().positive().nullable(),
    severity: z.enum(SEVERITIES).nullable(),
  }),
  rollback: z.strictObject({ systemId: SystemId, env: z.enum(ENVS), version: z.string().max(64).nullable() }),
};

const composer = new Composer<BotContext>();

composer.on("my_chat_member", async (ctx, next) => {
  forgetRights(ctx.deps, ctx.chat.id);
  await next();
});

onCommand(composer, "start", async (ctx, next) => {
  const payload = ctx.match.trim();
  if (!payload || ctx.chat.type !== "private" || !ctx.from) return next();
  const cutoff = new Date(ctx.deps.clock().getTime() - idleLimitMs(ctx.deps));
  const link = await takeDeepLink(ctx.deps.db, payload, ctx.from.id, cutoff);
  const args = link ? ARGS[link.kind].safeParse(link.args) : null;
  if (!link || !args?.success) return void (await replyHtml(ctx, quietText.linkExpired));
  await ctx.conversation.exitAll();
  await ctx.conversation.enter(link.kind, args.data);
});

export { composer as deepLinkFeature };
