// issue 13: GitHub links, issue intake, release notes, the Slack mirror — chat text and the comments
// the bot leaves on GitHub issues (Markdown there, HTML here).
import { escapeHtml as e } from "../../core/html.js";
import type { Env } from "../../core/model.js";
import { ENV_LABEL } from "./labels.js";

/** Commands of this area (merged into t.commands). */
export const codeHostCommands = {
  link: "連結 GitHub：/link <id> <Issue 或 PR 網址>",
  release: "發佈說明：/release <版本>",
} as const;

export type LinkRefusal =
  | "not_configured"
  | "not_url"
  | "wrong_repo"
  | "not_found"
  | "forbidden"
  | "unauthorized"
  | "rate_limited"
  | "unreachable"
  | "taken"
  | "is_pull"
  | "is_issue";

export const codeHost = {
  /** `（Issue #12・PR #34）` after a bug's title in cards and template bullets; "" without links. */
  linksSuffix: (issue: number | null | undefined, pull: number | null | undefined): string => {
    const parts = [issue ? `Issue #${issue}` : "", pull ? `PR #${pull}` : ""].filter(Boolean);
    return parts.length ? `（${parts.join("・")}）` : "";
  },
  /** The card's line. */
  cardLine: (issue: number | null | undefined, pull: number | null | undefined): string | null => {
    const parts = [issue ? `Issue #${issue}` : "", pull ? `PR #${pull}` : ""].filter(Boolean);
    return parts.length ? `🔗 GitHub：${parts.join(" · ")}` : null;
  },
  linkButton: "🔗 連結 GitHub",
  linkUsage: e("用法：/link <bug id> <GitHub Issue 或 PR 網址>，例如 /link 12 https://github.com/acme/crm/issues/34"),
  /** The prompt a card's button sends; the reply carries the URL. `#id` is read back from it. */
  linkPrompt: (bugId: number, repo: string) =>
    `🔗 請回覆此訊息，貼上 bug #${bugId} 的 GitHub Issue 或 PR 網址（${e(repo)}）。`,
  linkPromptToast: "請回覆機器人的訊息貼上網址",
  linked: (bugId: number, kind: "issue" | "pull", number: number, url: string, title: string | null) =>
    `🔗 bug #${bugId} 已連結 ${kind === "pull" ? "PR" : "Issue"} <a href="${e(url)}">#${number}</a>${title ? `：${e(title)}` : ""}`,
  bugNotFound: (id: number) => `找不到 bug #${id}`,
  refused: {
    not_configured: "此系統沒有設定 GitHub（PIPELINE_CONFIG 的 github.repo 與 tokenEnv）",
    not_url: "這不是 GitHub Issue 或 PR 的網址",
    wrong_repo: "只能連結本系統設定的 GitHub 儲存庫",
    not_found: "GitHub 找不到這個 Issue 或 PR（或權杖看不到這個儲存庫）",
    forbidden: "GitHub 拒絕：權杖沒有讀取此儲存庫的權限",
    unauthorized: "GitHub 拒絕了權杖（已失效或不正確）",
    rate_limited: "GitHub 暫時限制請求次數，請稍後再試",
    unreachable: "目前連不上 GitHub，請稍後再試",
    taken: "這個 Issue 已連結到另一個 bug",
    is_pull: "這個網址是 PR，不是 Issue",
    is_issue: "這個網址是 Issue，不是 PR",
  } satisfies Record<LinkRefusal, string>,
  refusedLine: (bugId: number, why: string) => `⚠️ 無法連結 bug #${bugId}：${why}`,
  /** The /report step that links an issue and/or a pull request (only for a system with GitHub). */
  report: {
    ask: (repo: string) =>
      `🔗 有相關的 GitHub Issue 或 PR 嗎？請貼上 <b>${e(repo)}</b> 的網址（Issue、PR 各一個，可一次貼上，以空白分隔），或按「略過」。`,
    skip: "略過",
    /** A refused answer (plain text: shown as the panel's hint or a reply). */
    refused: (url: string, why: string, repo: string, example: string) =>
      `無法連結 ${url}：${why}。請貼上 ${repo} 的 Issue 或 PR 網址（例如 ${example}），或按「略過」。`,
    tooMany: (repo: string) =>
      `最多只能連結一個 Issue 和一個 PR。請重新貼上 ${repo} 的 Issue 或 PR 網址，或按「略過」。`,
    takenBy: (bugId: number) => `這個 Issue 已連結到 bug #${bugId}`,
    /** The issue was linked to another bug while the report was being filed: the bug is filed without it. */
    droppedIssue: (issue: number, bugId: number) => `⚠️ Issue #${issue} 已連結到 bug #${bugId}，這筆回報未連結它。`,
  },
  /** A GitHub issue became a bug (before its card). */
  intakeReporter: (login: string) => `GitHub @${login}`,
  /** The relay could not update a linked issue (permission, missing issue): said once in the group. */
  relayFailed: (issue: number, action: "close" | "reopen", reason: string) =>
    `⚠️ 無法${action === "close" ? "關閉" : "重新開啟"} GitHub Issue #${issue}：${e(reason)}`,
  relayReasons: {
    forbidden: "權杖沒有寫入 Issue 的權限（需要 Issues：Read and write）",
    unauthorized: "GitHub 拒絕了權杖",
    not_found: "找不到此 Issue 或儲存庫",
    invalid: "GitHub 拒絕了這個請求",
    other: "GitHub 回應異常",
  },
  // ---------- release notes ----------
  notesHeader: (version: string, env: Env) => `📝 <b>Release notes — ${e(version)}</b>（${ENV_LABEL[env]}）`,
  noteLine: (line: string) => e(line),
  releaseUsage: e("用法：/release <版本>，例如 /release 2026.11.21-1"),
  releaseNotFound: (version: string) => `找不到版本 ${e(version)} 的發佈紀錄`,
  releaseNoBugs: "（此發佈沒有 bug 修正）",
  // ---------- comments on GitHub (Markdown) ----------
  comment: {
    closed: (p: { bugId: number; title: string; env: Env; version: string; kind: "flow1" | "flow2" | "hotfix" }) =>
      [
        p.kind === "flow2"
          ? `✅ 已部署 PROD 並 Merge 回 UAT（版本 \`${md(p.version)}\`）：Flow 2 完成。`
          : p.kind === "hotfix"
            ? `🚑 緊急修正已部署 ${ENV_LABEL[p.env]}（版本 \`${md(p.version)}\`）。`
            : `🚀 已部署 ${ENV_LABEL[p.env]}（版本 \`${md(p.version)}\`）：Flow 1 完成。`,
        "",
        `Nightshift bug #${p.bugId}：${md(p.title)}`,
        "此 Issue 由 Nightshift 自動關閉。",
      ].join("\n"),
    reopened: (p: { bugId: number; env: Env; version: string; reason: string }) =>
      [
        `⏪ ${ENV_LABEL[p.env]} 已回滾至 \`${md(p.version)}\`，修正已撤回。`,
        `原因：${md(p.reason)}`,
        "",
        `Nightshift bug #${p.bugId} 已重新開啟此 Issue。`,
      ].join("\n"),
  },
} as const;

/** Outside text inside a GitHub comment: no mentions, no HTML, one line. */
const md = (text: string): string =>
  text
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"))
    .replace(/@/g, "@\u200b")
    .replace(/`/g, "'");
