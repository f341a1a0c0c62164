// issue 13: the one validation of a GitHub link a member pastes — by `/link`, a reply to the card's
// 「連結 GitHub」 prompt, or the /report link step. The URL must be an issue or pull request page of
// the system's configured repo (parseGithubUrl), and GitHub must know it: GET the issue or the pull
// (client.ts cites the endpoints); an /issues/N that GitHub says is a pull request links the PR.
import type { GithubConfig } from "../../config/pipeline-github.js";
import type { LinkRefusal } from "../../i18n/index.js";
import { type GithubClientOptions, GithubError, type GithubRef, githubClient, parseGithubUrl } from "./client.js";

export type LinkCheck =
  | { ok: true; ref: GithubRef; title: string | null }
  /** `detail`: GitHub's own words when it refused or failed (for the log, not the chat). */
  | { ok: false; refusal: LinkRefusal; detail?: string };

const refusalOf = (err: unknown): LinkRefusal => {
  if (!(err instanceof GithubError)) return "unreachable";
  switch (err.kind) {
    case "not_found":
      return "not_found";
    case "forbidden":
      return "forbidden";
    case "unauthorized":
      return "unauthorized";
    case "rate_limited":
      return "rate_limited";
    default:
      return "unreachable";
  }
};

/** Validates `raw` against the system's repo and reads it from GitHub. JSON-safe (conversations replay it). */
export async function checkGithubLink(
  github: GithubConfig | null | undefined,
  raw: string,
  options: GithubClientOptions = {},
): Promise<LinkCheck> {
  if (!github) return { ok: false, refusal: "not_configured" };
  const parsed = parseGithubUrl(github, raw);
  if (parsed === null) return { ok: false, refusal: "not_url" };
  if (parsed === "wrong_repo") return { ok: false, refusal: "wrong_repo" };
  try {
    const client = githubClient(github, options);
    if (parsed.kind === "issue") {
      const issue = await client.getIssue(parsed.number);
      // GitHub's issue API answers for pull requests too: /issues/N of a PR links the PR.
      const ref: GithubRef = issue.pull_request !== undefined ? { kind: "pull", number: parsed.number } : parsed;
      return { ok: true, ref, title: issue.title };
    }
    return { ok: true, ref: parsed, title: (await client.getPull(parsed.number)).title };
  } catch (err) {
    return { ok: false, refusal: refusalOf(err), detail: err instanceof Error ? err.message : String(err) };
  }
}
