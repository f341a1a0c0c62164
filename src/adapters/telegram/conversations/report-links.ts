// issue 13: /report's optional GitHub step, asked only when the bug's system has `github`: the reporter
// pastes an issue and/or a pull request URL of the system's repo (one message, at most one of each) or
// presses 略過 (`-` skips too). Each URL goes through checkGithubLink, the check /link uses; an issue
// another bug links is refused as /link refuses it. A refused answer re-asks (the hint names the repo)
// and is not kept in the conversation's log, as waitText does; nothing is written until 送出.
import type { Context } from "grammy";
import { bugLinkingIssue, type ReportLinks } from "../../../app/code-host.js";
import { choicePattern, encodeChoice } from "../../../core/callback-data.js";
import { boundedText, oneLine } from "../../../core/text.js";
import { codeHost, t } from "../../../i18n/index.js";
import { githubWebUrl } from "../../github/client.js";
import { checkGithubLink } from "../../github/link-check.js";
import type { BotContext } from "../context.js";
import { type Convo, onlyDashes } from "./common.js";
import type { Surface } from "./surface.js";

const SKIP = choicePattern("report", "gh", ["skip"]);
/** Code points of a refused URL repeated in the hint. */
const SHOWN_URL = 120;

type Checked = { ok: true; links: ReportLinks } | { ok: false; hint: string };

/** A typed answer (not a command), trimmed; null for anything else. */
const typedText = (ctx: Context): string | null => {
  const text = ctx.message?.text;
  return text !== undefined && !text.startsWith("/") ? text.trim() : null;
};

/** Asks for the links; null when the reporter skipped. */
export async function askReportLinks(
  conversation: Convo,
  surface: Surface,
  ctx: Context,
  system: { id: string; githubRepo: string },
): Promise<{ links: ReportLinks | null; ctx: Context }> {
  const question = codeHost.report.ask(system.githubRepo);
  const keyboard = {
    inline_keyboard: [
      [{ text: codeHost.report.skip, callback_data: encodeChoice({ flow: "report", step: "gh", value: "skip" }) }],
    ],
  };
  await surface.ask(ctx, question, keyboard);
  return waitLinks(conversation, surface, system.id, question);
}

async function waitLinks(
  conversation: Convo,
  surface: Surface,
  systemId: string,
  question: string,
): Promise<{ links: ReportLinks | null; ctx: Context }> {
  const c = await conversation.wait();
  if (SKIP.test(c.callbackQuery?.data ?? "")) {
    await surface.took(c, t.report.chosen(question, codeHost.report.skip));
    return { links: null, ctx: c };
  }
  const text = typedText(c);
  if (text === null) return conversation.skip({ next: true });
  if (onlyDashes(text)) {
    await surface.took(c);
    return { links: null, ctx: c };
  }
  const checked = await conversation.external((octx) => checkLinks(octx, systemId, text));
  if (!checked.ok) {
    await surface.hint(c, checked.hint);
    return conversation.skip({ next: false }); // a refused answer is not kept in the log
  }
  await surface.took(c);
  return { links: checked.links, ctx: c };
}

/** Every URL of the answer through checkGithubLink; at most one issue and one pull request. */
async function checkLinks(octx: BotContext, systemId: string, text: string): Promise<Checked> {
  const github = octx.deps.config.systems.find((s) => s.id === systemId)?.github ?? null;
  if (!github) return { ok: false, hint: codeHost.refused.not_configured };
  const example = githubWebUrl(github, { kind: "issue", number: 12 });
  const refuse = (url: string, why: string): Checked => ({
    ok: false,
    hint: codeHost.report.refused(boundedText(oneLine(url), SHOWN_URL) || "—", why, github.repo, example),
  });
  const urls = text.split(/[\s,，、]+/u).filter(Boolean);
  if (urls.length > 2) return { ok: false, hint: codeHost.report.tooMany(github.repo) };
  if (urls.length === 0) return refuse(text, codeHost.refused.not_url);
  const links: ReportLinks = { issue: null, pull: null };
  for (const url of urls) {
    const checked = await checkGithubLink(github, url);
    if (!checked.ok) {
      if (checked.detail) octx.log.warn({ err: checked.detail, systemId }, "GitHub link check failed at /report");
      return refuse(url, codeHost.refused[checked.refusal]);
    }
    const { kind, number } = checked.ref;
    if (links[kind === "issue" ? "issue" : "pull"] !== null)
      return { ok: false, hint: codeHost.report.tooMany(github.repo) };
    if (kind === "issue") {
      const other = await bugLinkingIssue(octx.deps.db, systemId, number);
      if (other !== null) return refuse(url, codeHost.report.takenBy(other));
      links.issue = number;
    } else links.pull = number;
  }
  return { ok: true, links };
}
