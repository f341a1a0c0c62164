// issue 13: release notes grouped by service in deploy order, and group notifications as Slack text.
import { dependencyOrder, releaseNotes, type ServiceDecl } from "./release.js";

export interface NoteBug {
  id: number;
  title: string;
  services: string[];
}

/**
 * `[backend] Fix: <title> (#12)` lines (core/release.ts releaseNotes), grouped by service: declared
 * services in dependency (deploy) order, then undeclared ones by name, then `[all]` (bugs without
 * services). Within a service, bugs keep their order.
 */
export function groupedReleaseNotes(services: ServiceDecl[], bugs: readonly NoteBug[]): string[] {
  let order: string[];
  try {
    order = dependencyOrder(services);
  } catch {
    order = services.map((s) => s.name);
  }
  const lines = bugs.flatMap((b) =>
    releaseNotes([b]).map((line, i) => ({ line, service: b.services.length ? [...new Set(b.services)][i]! : "all" })),
  );
  const rank = (s: string): [number, string] =>
    s === "all" ? [2, ""] : order.includes(s) ? [0, String(order.indexOf(s)).padStart(6, "0")] : [1, s];
  return lines
    .map((l, i) => ({ ...l, i }))
    .sort((a, b) => {
      const [ra, ka] = rank(a.service);
      const [rb, kb] = rank(b.service);
      return ra - rb || ka.localeCompare(kb) || a.i - b.i;
    })
    .map((l) => l.line);
}

const ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&quot;": '"', "&amp;": "&", "&#39;": "'" };
const unescapeHtml = (s: string): string => s.replace(/&(lt|gt|quot|amp|#39);/g, (m) => ENTITIES[m] ?? m);
/** Slack's own escaping of text (https://api.slack.com/reference/surfaces/formatting#escaping). */
const slackEscape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Telegram HTML (b, i, u, s, code, pre, a, blockquote, tg-spoiler) as Slack mrkdwn: *bold*, _italic_,
 * ~strike~, `code`, ```pre```, <url|text>, "> " quotes; other tags dropped; text escaped for Slack.
 */
export function htmlToSlack(html: string): string {
  let out = "";
  const quote: number[] = [];
  const parts = html.split(/(<\/?[a-zA-Z-]+(?:\s[^>]*)?>)/);
  const hrefs: string[] = [];
  for (const part of parts) {
    const tag = /^<(\/?)([a-zA-Z-]+)(\s[^>]*)?>$/.exec(part);
    if (!tag) {
      out += slackEscape(unescapeHtml(part));
      continue;
    }
    const closing = tag[1] === "/";
    const name = tag[2]!.toLowerCase();
    switch (name) {
      case "b":
      case "strong":
        out += "*";
        break;
      case "i":
      case "em":
        out += "_";
        break;
      case "s":
      case "del":
      case "strike":
        out += "~";
        break;
      case "code":
        out += "`";
        break;
      case "pre":
        out += "```";
        break;
      case "a":
        if (!closing) {
          const href = /href="([^"]*)"/.exec(tag[3] ?? "")?.[1];
          hrefs.push(href ? unescapeHtml(href) : "");
          out += href ? "\u0000" : "";
        } else {
          const href = hrefs.pop() ?? "";
          if (href) {
            const at = out.lastIndexOf("\u0000");
            const text = out.slice(at + 1);
            out = `${out.slice(0, at)}<${href.replace(/[<>|]/g, "")}|${text}>`;
          }
        }
        break;
      case "blockquote":
        if (!closing) quote.push(out.length);
        else {
          const start = quote.pop() ?? 0;
          const body = out.slice(start).replace(/^/gm, "> ");
          out = out.slice(0, start) + body;
        }
        break;
      default:
        break;
    }
  }
  return out.replace(/\u0000/g, "");
}
