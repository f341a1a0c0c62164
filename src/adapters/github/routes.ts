// issue 13: the HTTP routes of the code host, for startHttpServer's `posts` (main.ts).

import type { Logger } from "pino";
import type { BugRow } from "../../app/bugs.js";
import type { OutboxDraft } from "../../app/outbox.js";
import type { Config } from "../../config.js";
import type { Db } from "../db/database.js";
import { GITHUB_WEBHOOK_PATH, githubWebhookHandler } from "./webhook.js";

/** `{ posts: { "/github/webhook": … } }`: without a configured secret every delivery is refused (401). */
export function codeHostRoutes(
  deps: { db: Db; config: Pick<Config, "systems">; clock: () => Date; logger: Logger },
  cardDrafts: (bug: BugRow) => OutboxDraft[],
) {
  return { posts: { [GITHUB_WEBHOOK_PATH]: githubWebhookHandler({ ...deps, cardDrafts }) } };
}
