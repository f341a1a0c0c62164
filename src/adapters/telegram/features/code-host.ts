// issue 13: /link <id> <url>, the card's 「連結 GitHub」 button (asks for the URL as a reply to the
// bot's prompt), and /release <version>. A link is validated against the system's repo, then read
// from GitHub (it exists, and an /issues/N that is a pull request is linked as the PR).
import { Composer, type InlineKeyboard } from "grammy";
import type { BugRow } from "../../../app/bugs.js";
import { getBug } from "../../../app/bugs.js";
import { linkBug, releaseNotesOf } from "../../../app/code-host.js";
import type { SystemConfig } from "../../../config.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../../core/callback-data.js";
import { codeHost, type LinkRefusal, t } from "../../../i18n/index.js";
import { githubWebUrl } from "../../github/client.js";
import { checkGithubLink } from "../../github/link-check.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { canSeeSystem, onAction, visibleSystemIds } from "../guards.js";
import { idAndText, replyHtml } from "../respond.js";

const composer = new Composer<BotContext>();

/** The card's button, for bugs of a system with GitHub that still lack a link (cards.ts adds it). */
export function linkButton(system: Pick<SystemConfig, "github"> | undefined, bug: BugRow) {
  if (!system?.github || (bug.githubIssue && bug.githubPull)) return undefined;
  if (["closed", "rejected", "uat_merged"].includes(bug.status)) return undefined;
  return (kb: InlineKeyboard) =>
    kb.row().text(codeHost.linkButton, encodeCallback({ action: CALLBACK_ACTIONS.linkGithub, id: bug.id, version: 0 }));
}

/** Validates (checkGithubLink, the one check /report uses too) and links; answers in the chat. */
async function linkFromChat(ctx: BotContext, bugId: number, raw: string): Promise<void> {
  const bug = await getBug(ctx.deps.db, bugId);
  if (!bug || !(await canSeeSystem(ctx, bug.systemId))) return void (await replyHtml(ctx, codeHost.bugNotFound(bugId)));
  const refuse = (why: LinkRefusal) => replyHtml(ctx, codeHost.refusedLine(bugId, codeHost.refused[why]));
  const github = ctx.deps.config.systems.find((s) => s.id === bug.systemId)?.github;
  if (!github) return void (await refuse("not_configured"));
  const checked = await checkGithubLink(github, raw);
  if (!checked.ok) {
    if (checked.detail) ctx.log.warn({ err: checked.detail, bugId }, "GitHub link check failed");
    return void (await refuse(checked.refusal));
  }
  const { ref, title } = checked;
  const actor = await ctx.actor();
  const outcome = await linkBug(ctx.deps.db, { bugId, ref, actor, now: ctx.deps.clock() });
  if (outcome.kind === "not_found") return void (await replyHtml(ctx, codeHost.bugNotFound(bugId)));
  if (outcome.kind === "taken") return void (await refuse("taken"));
  await replyHtml(ctx, codeHost.linked(bugId, ref.kind, ref.number, githubWebUrl(github, ref), title));
}

onCommand(composer, "link", async (ctx) => {
  const args = idAndText(ctx);
  if (!args?.text) return replyHtml(ctx, codeHost.linkUsage);
  await linkFromChat(ctx, args.id, args.text.split(/\s+/)[0]!);
});

onAction(composer, [CALLBACK_ACTIONS.linkGithub], async (ctx, p) => {
  const bug = await getBug(ctx.deps.db, p.id);
  const github = bug ? ctx.deps.config.systems.find((s) => s.id === bug.systemId)?.github : undefined;
  if (!bug || !github || !(await canSeeSystem(ctx, bug.systemId)))
    return ctx.answerCallbackQuery({ text: t.errors.outdated });
  await ctx.answerCallbackQuery({ text: codeHost.linkPromptToast });
  await ctx.reply(codeHost.linkPrompt(bug.id, github.repo), {
    parse_mode: "HTML",
    reply_markup: { force_reply: true, selective: true, input_field_placeholder: "https://…" },
  });
});

/** A reply to the bot's link prompt: the prompt names the bug (`bug #12`), the reply carries the URL. */
composer.on("message:text", async (ctx, next) => {
  const prompt = ctx.message.reply_to_message;
  if (!prompt || prompt.from?.id !== ctx.me.id || !("text" in prompt) || !prompt.text) return next();
  if (!prompt.text.startsWith(codeHost.linkPrompt(0, "").slice(0, 8))) return next();
  const id = /#(\d{1,15})/.exec(prompt.text)?.[1];
  const url = ctx.message.text.trim().split(/\s+/)[0] ?? "";
  if (!id || !/^https?:\/\//i.test(url)) return next();
  await linkFromChat(ctx, Number(id), url);
});

onCommand(composer, "release", async (ctx) => {
  const version = ctx.match.trim().split(/\s+/)[0] ?? "";
  if (!version || version.length > 200) return replyHtml(ctx, codeHost.releaseUsage);
  const ids = new Set(await visibleSystemIds(ctx));
  const systems = ctx.deps.config.systems.filter((s) => ids.has(s.id));
  const found = await releaseNotesOf(ctx.deps.db, systems, version);
  if (found.length === 0) return replyHtml(ctx, codeHost.releaseNotFound(version));
  const text = found
    .map((r) =>
      [
        codeHost.notesHeader(r.version, r.env),
        ...(r.lines.length ? r.lines.map(codeHost.noteLine) : [codeHost.releaseNoBugs]),
      ].join("\n"),
    )
    .join("\n\n");
  await replyHtml(ctx, text);
});

export { composer as codeHostFeature };
