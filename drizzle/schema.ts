import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const created = () => ts("created_at").notNull().defaultNow();
const updated = () => ts("updated_at").notNull().defaultNow();

/** One team system (e.g. "crm"): its group chat, timezone and windows. */
export const systems = pgTable("systems", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  groupChatId: bigint("group_chat_id", { mode: "number" }).notNull(),
  timezone: text("timezone").notNull(),
  t1Time: text("t1_time").notNull(),
  t2Time: text("t2_time").notNull(),
  createdAt: created(),
});

export const environments = pgTable(
  "environments",
  {
    systemId: text("system_id")
      .notNull()
      .references(() => systems.id),
    env: text("env", { enum: ["uat", "prod"] }).notNull(),
    currentVersion: text("current_version"),
    previousVersion: text("previous_version"),
    updatedAt: updated(),
  },
  (t) => [primaryKey({ columns: [t.systemId, t.env] })],
);

export const bugs = pgTable(
  "bugs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    systemId: text("system_id")
      .notNull()
      .references(() => systems.id),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    reporterId: bigint("reporter_id", { mode: "number" }).notNull(),
    reporterName: text("reporter_name").notNull(),
    severity: text("severity", { enum: ["low", "medium", "high", "critical"] }),
    foundInEnv: text("found_in_env", { enum: ["uat", "prod"] }),
    fixFlow: text("fix_flow", { enum: ["flow1", "flow2", "hotfix"] }),
    status: text("status", {
      enum: [
        "submitted",
        "confirmed",
        "analyzing",
        "planned",
        "deployed_uat",
        "pending_prod",
        "deployed_prod",
        "pending_uat_merge",
        "uat_merged",
        "closed",
        "rejected",
      ],
    })
      .notNull()
      .default("submitted"),
    module: text("module"),
    services: text("services").array().notNull().default(sql`'{}'::text[]`),
    aiRootCause: text("ai_root_cause"),
    aiFixPlan: text("ai_fix_plan"),
    aiFixDiff: text("ai_fix_diff"),
    analysisFailed: boolean("analysis_failed").notNull().default(false),
    uatAhead: boolean("uat_ahead"),
    held: boolean("held").notNull().default(false),
    // issue 13: the GitHub issue and pull request linked to the bug (numbers in the system's github.repo)
    githubIssue: integer("github_issue"),
    githubPull: integer("github_pull"),
    rowVersion: integer("row_version").notNull().default(1),
    // issue 10: the versions the flow was chosen on, an override's reason, a T1 hold for versions
    triageUatVersion: text("triage_uat_version"),
    triageProdVersion: text("triage_prod_version"),
    flowOverrideReason: text("flow_override_reason"),
    /** Held at T1 because UAT moved ahead of PROD since triage: UAT's version then (null: not held for that). */
    versionHold: text("version_hold"),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [
    index("bugs_system_status_idx").on(t.systemId, t.status),
    // issue 13: one bug per linked GitHub issue in a system (webhook intake and /link rely on it)
    uniqueIndex("bugs_github_issue_uq").on(t.systemId, t.githubIssue),
  ],
);

/** Append-only audit trail: one row per transition (and per notable non-transition). */
export const bugEvents = pgTable(
  "bug_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    bugId: bigint("bug_id", { mode: "number" })
      .notNull()
      .references(() => bugs.id),
    fromStatus: text("from_status"),
    toStatus: text("to_status").notNull(),
    event: text("event").notNull(),
    actorId: bigint("actor_id", { mode: "number" }),
    actorName: text("actor_name").notNull(),
    note: text("note"),
    releaseId: bigint("release_id", { mode: "number" }),
    at: ts("at").notNull(),
  },
  (t) => [index("bug_events_bug_idx").on(t.bugId)],
);

/** A release is one deployment attempt of a set of bugs to one environment. */
export const deployments = pgTable(
  "deployments",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    systemId: text("system_id")
      .notNull()
      .references(() => systems.id),
    env: text("env", { enum: ["uat", "prod"] }).notNull(),
    kind: text("kind", { enum: ["pipeline", "hotfix", "rollback", "uat_merge"] }).notNull(),
    status: text("status", {
      enum: ["running", "succeeded", "failed", "timed_out", "interrupted", "rolled_back"],
    }).notNull(),
    version: text("version").notNull(),
    previousVersion: text("previous_version"),
    services: text("services").array().notNull().default(sql`'{}'::text[]`),
    bugIds: bigint("bug_ids", { mode: "number" }).array().notNull().default(sql`'{}'::bigint[]`),
    /** For a rollback: the deployment it undoes. */
    rollsBackId: bigint("rolls_back_id", { mode: "number" }),
    windowRunId: bigint("window_run_id", { mode: "number" }),
    /** The process running it (see adapters/db/liveness.ts): start-up recovery spares live owners. */
    owner: text("owner"),
    actorName: text("actor_name").notNull(),
    reason: text("reason"),
    output: text("output").notNull().default(""),
    startedAt: ts("started_at").notNull(),
    finishedAt: ts("finished_at"),
    // issue 11: what a platform target recorded (Vercel deployment id and URL, Worker version ids,
    // Northflank build, git tag/commit), read back by later promotes and rollbacks; null for command/webhook.
    providerState: jsonb("provider_state").$type<Record<string, string>>(),
  },
  (t) => [
    index("deployments_system_env_idx").on(t.systemId, t.env, t.startedAt),
    index("deployments_status_idx").on(t.status),
  ],
);

/** One row per window that a replica claimed (or that was recorded as missed/skipped). */
export const windowRuns = pgTable(
  "window_runs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    systemId: text("system_id")
      .notNull()
      .references(() => systems.id),
    slot: text("slot", { enum: ["t1", "t2"] }).notNull(),
    scheduledFor: ts("scheduled_for").notNull(),
    /** claimed → running → done | skipped | failed | missed */
    status: text("status").notNull(),
    trigger: text("trigger").notNull().default("schedule"),
    owner: text("owner"),
    summary: text("summary"),
    progressMessageId: bigint("progress_message_id", { mode: "number" }),
    startedAt: ts("started_at").notNull(),
    finishedAt: ts("finished_at"),
  },
  (t) => [uniqueIndex("window_runs_claim_uq").on(t.systemId, t.slot, t.scheduledFor)],
);

export const freezes = pgTable("freezes", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  systemId: text("system_id").references(() => systems.id),
  /** all: every system; system: systemId; module: systemId + module */
  scope: text("scope", { enum: ["all", "system", "module"] }).notNull(),
  module: text("module"),
  reason: text("reason").notNull().default(""),
  until: ts("until"),
  createdBy: text("created_by").notNull(),
  createdAt: created(),
  liftedAt: ts("lifted_at"),
  liftedBy: text("lifted_by"),
  // issue 12: a planned freeze starts here (null: at creation)
  startsAt: ts("starts_at"),
});

export const admins = pgTable("admins", {
  userId: bigint("user_id", { mode: "number" }).primaryKey(),
  name: text("name").notNull().default(""),
  addedBy: text("added_by").notNull().default(""),
  createdAt: created(),
});

/** Known Telegram users (for private chats and names). */
export const users = pgTable("users", {
  userId: bigint("user_id", { mode: "number" }).primaryKey(),
  name: text("name").notNull(),
  username: text("username"),
  updatedAt: updated(),
});

export const oncall = pgTable(
  "oncall",
  {
    systemId: text("system_id")
      .notNull()
      .references(() => systems.id),
    /** Local date (YYYY-MM-DD, system timezone) the on-call holds for. */
    day: text("day").notNull(),
    userId: bigint("user_id", { mode: "number" }).notNull(),
    name: text("name").notNull(),
    setBy: text("set_by").notNull(),
    createdAt: created(),
  },
  (t) => [primaryKey({ columns: [t.systemId, t.day] })],
);

/** Messages to send, written in the same transaction as the change they report. */
export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    chatId: bigint("chat_id", { mode: "number" }).notNull(),
    /** sendMessage | editMessageText | editMessageReplyMarkup */
    method: text("method").notNull().default("sendMessage"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    dedupeKey: text("dedupe_key"),
    /** Another outbox row whose sent message this one edits. */
    editsOutboxId: bigint("edits_outbox_id", { mode: "number" }),
    attempts: integer("attempts").notNull().default(0),
    /** Attempts Telegram refused as bad requests (400): a row gives up after a few; 429s and 5xx do not count. */
    badRequests: integer("bad_requests").notNull().default(0),
    /** Higher goes first within its chat (1 = urgent: rollback failures, interrupted deploys, failed watches). */
    priority: integer("priority").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    /** The process that last claimed it (liveness id): a dead claimer's lease is released on recovery. */
    claimedBy: text("claimed_by"),
    sentAt: ts("sent_at"),
    sentMessageId: bigint("sent_message_id", { mode: "number" }),
    lastError: text("last_error"),
    createdAt: created(),
  },
  (t) => [
    uniqueIndex("outbox_dedupe_uq").on(t.dedupeKey),
    index("outbox_pending_idx").on(t.sentAt, t.nextAttemptAt),
    index("outbox_edits_idx").on(t.editsOutboxId),
  ],
);

/**
 * A group upgraded to a supergroup gets a new chat id (Telegram answers 400 with migrate_to_chat_id).
 * Group chat ids come from the configuration, so the new id is kept here and applied to every
 * message enqueued for the old one until the operator updates the configuration.
 */
export const chatMigrations = pgTable("chat_migrations", {
  oldChatId: bigint("old_chat_id", { mode: "number" }).primaryKey(),
  newChatId: bigint("new_chat_id", { mode: "number" }).notNull(),
  migratedAt: ts("migrated_at").notNull(),
});

/** Key/value storage (conversation state, misc). */
export const kv = pgTable("kv", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: updated(),
});

export const processedUpdates = pgTable("processed_updates", {
  updateId: bigint("update_id", { mode: "number" }).primaryKey(),
  processedAt: created(),
});

/** Two-person approval for an emergency hotfix during a freeze. */
export const hotfixRequests = pgTable("hotfix_requests", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  bugId: bigint("bug_id", { mode: "number" })
    .notNull()
    .references(() => bugs.id),
  requestedById: bigint("requested_by_id", { mode: "number" }).notNull(),
  requestedByName: text("requested_by_name").notNull(),
  mode: text("mode", { enum: ["run", "manual"] }).notNull(),
  diff: text("diff").notNull().default(""),
  severity: text("severity", { enum: ["low", "medium", "high", "critical"] }).notNull(),
  status: text("status", { enum: ["pending", "approved", "expired", "done", "failed"] }).notNull(),
  approvedById: bigint("approved_by_id", { mode: "number" }),
  approvedByName: text("approved_by_name"),
  // issue 12: the pre-deploy checklist's failed items at request time (the second admin's approval
  // overrides them) and the role the second approver must hold ("cto" during Lunar New Year).
  checklistFailed: jsonb("checklist_failed").$type<string[]>(),
  approverRole: text("approver_role", { enum: ["cto"] }),
  expiresAt: ts("expires_at").notNull(),
  createdAt: created(),
});

/** Who has been seen in which system's group: a member sees (and reports into) those systems only. */
export const systemMembers = pgTable(
  "system_members",
  {
    systemId: text("system_id")
      .notNull()
      .references(() => systems.id),
    userId: bigint("user_id", { mode: "number" }).notNull(),
    seenAt: ts("seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.systemId, t.userId] }), index("system_members_user_idx").on(t.userId)],
);

/**
 * A claim that survives restarts and replicas: the first insert of (kind, subject) wins. Kinds:
 * `watch` (one post-deploy watch per release), `rollback-of` / `rollback-now` (one rollback per
 * release), `env-lock` (one change at a time per system and environment, subject `system:env`).
 * `owner` is the claiming process (liveness id): recovery releases the claims of dead owners.
 */
export const claims = pgTable(
  "claims",
  {
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    value: jsonb("value").$type<Record<string, unknown>>().notNull().default({}),
    owner: text("owner"),
    createdAt: created(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.subject] })],
);

/** A /rollback preview with its reason, waiting for the confirm button (its id is the button's id). */
export const rollbackPlans = pgTable(
  "rollback_plans",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    status: text("status", { enum: ["pending", "confirmed", "cancelled", "done", "failed"] }).notNull(),
    systemId: text("system_id").notNull(),
    env: text("env", { enum: ["uat", "prod"] }).notNull(),
    fromVersion: text("from_version").notNull(),
    targetVersion: text("target_version").notNull(),
    /** The releases being undone, newest first. */
    undoIds: bigint("undo_ids", { mode: "number" }).array().notNull(),
    bugIds: bigint("bug_ids", { mode: "number" }).array().notNull().default(sql`'{}'::bigint[]`),
    /** Reverse dependency order. */
    services: text("services").array().notNull().default(sql`'{}'::text[]`),
    actorId: bigint("actor_id", { mode: "number" }).notNull(),
    actorName: text("actor_name").notNull(),
    reason: text("reason").notNull(),
    // issue 12: the kind of problem the admin named (minor, functional, data); null for older plans.
    problemKind: text("problem_kind", { enum: ["minor", "functional", "data"] }),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [index("rollback_plans_status_idx").on(t.status)],
);

// issue 12: incidents — one per rollback: what was deployed and when, what broke (the reason), who,
// the kind of problem, the post-rollback watch result, the down-migration and the follow-up bug.
export const incidents = pgTable(
  "incidents",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    systemId: text("system_id").notNull(),
    env: text("env", { enum: ["uat", "prod"] }).notNull(),
    problemKind: text("problem_kind", { enum: ["minor", "functional", "data"] }).notNull(),
    reason: text("reason").notNull(),
    actorName: text("actor_name").notNull(),
    /** The newest release undone: its id, version and start. */
    deployedId: bigint("deployed_id", { mode: "number" }),
    deployedVersion: text("deployed_version").notNull(),
    deployedAt: ts("deployed_at"),
    targetVersion: text("target_version").notNull(),
    undoIds: bigint("undo_ids", { mode: "number" }).array().notNull().default(sql`'{}'::bigint[]`),
    bugIds: bigint("bug_ids", { mode: "number" }).array().notNull().default(sql`'{}'::bigint[]`),
    /** The rollback deployment and its status. */
    rollbackId: bigint("rollback_id", { mode: "number" }).notNull(),
    rollbackStatus: text("rollback_status").notNull(),
    watchResult: text("watch_result", { enum: ["watching", "stable", "unstable", "unmonitored"] }),
    watchDetail: text("watch_detail"),
    migrateDownStatus: text("migrate_down_status"),
    migrateDownOutput: text("migrate_down_output"),
    followUpBugId: bigint("follow_up_bug_id", { mode: "number" }),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [
    uniqueIndex("incidents_rollback_idx").on(t.rollbackId),
    index("incidents_system_idx").on(t.systemId, t.createdAt),
  ],
);

// issue 10: each environment's real version as last read from it (or reported by its deploy).
export const envVersions = pgTable(
  "environment_versions",
  {
    systemId: text("system_id")
      .notNull()
      .references(() => systems.id),
    env: text("env", { enum: ["uat", "prod"] }).notNull(),
    /** null: unknown (the last read failed, or a deploy reported none and there is no probe) */
    version: text("version"),
    /** When this version was deployed (by the bot) or first seen by a read. */
    since: ts("since"),
    /** When the version was last read or reported. */
    readAt: ts("read_at"),
    /** The last read's failure, shown as such; null after a good read. */
    error: text("error"),
    errorAt: ts("error_at"),
    /** The version before this one (rollback targets). */
    previousVersion: text("previous_version"),
  },
  (t) => [primaryKey({ columns: [t.systemId, t.env] })],
);
// issue 13: code host (GitHub) intake, its background jobs, and the Slack mirror.

/** GitHub webhook deliveries already handled (X-GitHub-Delivery): a re-delivery creates nothing twice. */
export const githubDeliveries = pgTable("github_deliveries", {
  deliveryId: text("delivery_id").primaryKey(),
  systemId: text("system_id").notNull(),
  event: text("event").notNull(),
  /** The bug it created, if any. */
  bugId: bigint("bug_id", { mode: "number" }),
  receivedAt: ts("received_at").notNull(),
});

/**
 * Work for outside services other than Telegram, written in the transaction of the change it
 * reports: `slack` (a group notification mirrored to Slack), `github_close` / `github_reopen` (a
 * linked issue's comment and state). Claimed with SKIP LOCKED and a lease, retried with backoff,
 * never deleted; a separate table, so a Slack or GitHub outage never delays Telegram.
 */
export const relayJobs = pgTable(
  "relay_jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind", { enum: ["slack", "github_close", "github_reopen"] }).notNull(),
    systemId: text("system_id").notNull(),
    /** Jobs of one lane run one at a time, in id order (`slack:<system>`, `github:<system>:<issue>`). */
    lane: text("lane").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    dedupeKey: text("dedupe_key"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull(),
    claimedBy: text("claimed_by"),
    doneAt: ts("done_at"),
    /** done | gave_up (a permanent refusal), with lastError saying why */
    outcome: text("outcome"),
    lastError: text("last_error"),
    createdAt: created(),
  },
  (t) => [
    uniqueIndex("relay_jobs_dedupe_uq").on(t.dedupeKey),
    index("relay_jobs_pending_idx").on(t.doneAt, t.nextAttemptAt),
  ],
);

/** Group chats whose notifications are mirrored to Slack (written from the configuration at start-up). */
export const slackMirrors = pgTable("slack_mirrors", {
  groupChatId: bigint("group_chat_id", { mode: "number" }).primaryKey(),
  systemId: text("system_id").notNull(),
});

// issue 17: admins' private notifications (/notify on|off): whether this admin is told in private
// when something awaits them (a bug to triage, an approval before the cutoff, a hotfix request).
export const notifyPreferences = pgTable("notify_preferences", {
  userId: bigint("user_id", { mode: "number" }).primaryKey(),
  enabled: boolean("enabled").notNull(),
  updatedAt: updated(),
});
