// issue 13: bugs linked to the code host (GitHub), issues turned into bugs by the webhook, the
// linked issue closed when the bug's flow completes (reopened by a rollback), release notes posted
// with every release, and group notifications mirrored to Slack. Work for GitHub and Slack goes
// into relay_jobs in the transaction of the change it reports; src/adapters/notify/relay.ts runs it.
import { and, asc, eq, inArray, isNull, like, ne, sql } from "drizzle-orm";
import {
  bugEvents,
  bugs,
  chatMigrations,
  deployments,
  githubDeliveries,
  relayJobs,
  slackMirrors,
} from "../../drizzle/schema.js";
import { slackWebhookFor } from "../config/pipeline-github.js";
import type { Config, SystemConfig } from "../config.js";
import type { Actor, Env } from "../core/model.js";
import { groupedReleaseNotes, htmlToSlack } from "../core/release-notes.js";
import { boundedText, cleanText, oneLine } from "../core/text.js";
import { codeHost } from "../i18n/index.js";
import { actorColumns, type BugRow, type NewBug, reportBug } from "./bugs.js";
import type { Queryable, Tx } from "./db.js";
import { messages } from "./messages.js";
import { enqueue, type OutboxDraft } from "./outbox.js";

export type DeploymentRow = typeof deployments.$inferSelect;
export type RelayKind = (typeof relayJobs.$inferInsert)["kind"];

// ---------- relay jobs ----------

export interface RelayDraft {
  kind: RelayKind;
  systemId: string;
  lane: string;
  payload: Record<string, unknown>;
  dedupeKey?: string;
}

/** Writes relay jobs (once per dedupe key) inside the caller's transaction. */
export async function enqueueRelay(q: Queryable, jobs: readonly RelayDraft[], now: Date): Promise<number[]> {
  if (jobs.length === 0) return [];
  const rows = await q
    .insert(relayJobs)
    .values(
      jobs.map((j) => ({
        kind: j.kind,
        systemId: j.systemId,
        lane: j.lane,
        payload: j.payload,
        dedupeKey: j.dedupeKey ?? null,
        nextAttemptAt: now,
        createdAt: now,
      })),
    )
    .onConflictDoNothing({ target: relayJobs.dedupeKey })
    .returning({ id: relayJobs.id });
  return rows.map((r) => r.id);
}

export const githubLane = (systemId: string, issue: number): string => `github:${systemId}:${issue}`;
export const slackLane = (systemId: string): string => `slack:${systemId}`;

// ---------- links ----------

export type LinkOutcome =
  | { kind: "linked"; bug: BugRow }
  | { kind: "not_found" }
  | { kind: "taken"; otherBugId: number }
  | { kind: "unchanged"; bug: BugRow };

/**
 * Links a GitHub issue or pull request (a number in the system's repo, validated by the caller) to a
 * bug, with its audit row. The row version is not bumped: buttons under the bug stay valid.
 */
export function linkBug(
  db: Queryable,
  input: { bugId: number; ref: { kind: "issue" | "pull"; number: number }; actor: Actor; now: Date },
): Promise<LinkOutcome> {
  return db.transaction(async (tx) => {
    const [bug] = await tx.select().from(bugs).where(eq(bugs.id, input.bugId)).for("update");
    if (!bug) return { kind: "not_found" };
    const column = input.ref.kind === "issue" ? "githubIssue" : "githubPull";
    if (bug[column] === input.ref.number) return { kind: "unchanged", bug };
    if (input.ref.kind === "issue") {
      const [other] = await tx
        .select({ id: bugs.id })
        .from(bugs)
        .where(and(eq(bugs.systemId, bug.systemId), eq(bugs.githubIssue, input.ref.number), ne(bugs.id, bug.id)));
      if (other) return { kind: "taken", otherBugId: other.id };
    }
    const [updated] = await tx
      .update(bugs)
      .set({ [column]: input.ref.number, updatedAt: input.now })
      .where(eq(bugs.id, bug.id))
      .returning();
    await tx.insert(bugEvents).values({
      bugId: bug.id,
      fromStatus: bug.status,
      toStatus: bug.status,
      event: "link",
      ...actorColumns(input.actor),
      note: `${input.ref.kind === "issue" ? "issue" : "PR"} #${input.ref.number}`,
      at: input.now,
    });
    return { kind: "linked", bug: updated! };
  });
}

/** The GitHub issue and pull request a reporter named at /report (numbers in the system's repo). */
export interface ReportLinks {
  issue: number | null;
  pull: number | null;
}

/** The bug of `systemId` that already links `issue`, if any (an issue belongs to one bug). */
export async function bugLinkingIssue(q: Queryable, systemId: string, issue: number): Promise<number | null> {
  const [other] = await q
    .select({ id: bugs.id })
    .from(bugs)
    .where(and(eq(bugs.systemId, systemId), eq(bugs.githubIssue, issue)));
  return other?.id ?? null;
}

/** Serializes whatever links `issue` to a new bug (intake, /report) in one transaction at a time. */
const lockIssue = (tx: Queryable, systemId: string, issue: number) =>
  tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`gh-intake:${systemId}:${issue}`}))`);

/**
 * /report with links (validated by the conversation): the bug, its report row, a `link` audit row per
 * link and its card (notify, which sees the links) in one transaction. An issue another bug linked
 * meanwhile is left out (`droppedIssue` names that bug); the rest is filed.
 */
export function reportLinkedBug(
  db: Queryable,
  input: NewBug,
  links: ReportLinks,
  now: Date,
  notify?: (bug: BugRow) => OutboxDraft[],
): Promise<{ bug: BugRow; droppedIssue: number | null }> {
  return db.transaction(async (tx) => {
    const reported = await reportBug(tx, input, now);
    let issue = links.issue;
    let droppedIssue: number | null = null;
    if (issue !== null) {
      await lockIssue(tx, input.systemId, issue);
      droppedIssue = await bugLinkingIssue(tx, input.systemId, issue);
      if (droppedIssue !== null) issue = null;
    }
    let bug = reported;
    if (issue !== null || links.pull !== null) {
      const [updated] = await tx
        .update(bugs)
        .set({ githubIssue: issue, githubPull: links.pull })
        .where(eq(bugs.id, reported.id))
        .returning();
      bug = updated!;
      const refs = [
        ...(issue !== null ? [`issue #${issue}`] : []),
        ...(links.pull !== null ? [`PR #${links.pull}`] : []),
      ];
      await tx.insert(bugEvents).values(
        refs.map((note) => ({
          bugId: bug.id,
          fromStatus: bug.status,
          toStatus: bug.status,
          event: "link",
          actorId: input.reporter.id,
          actorName: input.reporter.name,
          note,
          at: now,
        })),
      );
    }
    if (notify) await enqueue(tx, notify(bug), now);
    return { bug, droppedIssue };
  });
}

// ---------- intake ----------

export interface IssueIntake {
  systemId: string;
  deliveryId: string;
  event: string;
  issue: { number: number; title: string; body: string; login: string };
}

export type IntakeOutcome =
  | { kind: "created"; bug: BugRow }
  | { kind: "duplicate_delivery" }
  | { kind: "already_linked"; bugId: number };

/**
 * A GitHub issue becomes a submitted bug with the issue linked, its card enqueued (cardDrafts), in
 * one transaction with the delivery's record: a re-delivery (same X-GitHub-Delivery) or a second
 * event about the same issue creates nothing.
 */
export function intakeIssue(
  db: Queryable,
  input: IssueIntake,
  now: Date,
  cardDrafts: (bug: BugRow) => OutboxDraft[],
): Promise<IntakeOutcome> {
  return db.transaction(async (tx) => {
    const [delivery] = await tx
      .insert(githubDeliveries)
      .values({ deliveryId: input.deliveryId, systemId: input.systemId, event: input.event, receivedAt: now })
      .onConflictDoNothing()
      .returning();
    if (!delivery) return { kind: "duplicate_delivery" };
    // Serializes intakes of one issue (an "opened" and a "labeled" delivered together), and /report.
    await lockIssue(tx, input.systemId, input.issue.number);
    const [existing] = await tx
      .select({ id: bugs.id })
      .from(bugs)
      .where(and(eq(bugs.systemId, input.systemId), eq(bugs.githubIssue, input.issue.number)));
    if (existing) {
      await tx
        .update(githubDeliveries)
        .set({ bugId: existing.id })
        .where(eq(githubDeliveries.deliveryId, input.deliveryId));
      return { kind: "already_linked", bugId: existing.id };
    }
    const reported = await reportBug(
      tx,
      {
        systemId: input.systemId,
        title: boundedText(oneLine(cleanText(input.issue.title)), 200) || `#${input.issue.number}`,
        description: boundedText(cleanText(input.issue.body), 4000),
        reporter: { id: 0, name: codeHost.intakeReporter(boundedText(oneLine(input.issue.login), 60)) },
        foundInEnv: null,
        severity: null,
        services: [],
        module: null,
      },
      now,
    );
    const [bug] = await tx
      .update(bugs)
      .set({ githubIssue: input.issue.number })
      .where(eq(bugs.id, reported.id))
      .returning();
    await tx.update(githubDeliveries).set({ bugId: bug!.id }).where(eq(githubDeliveries.deliveryId, input.deliveryId));
    await enqueue(tx, cardDrafts(bug!), now);
    return { kind: "created", bug: bug! };
  });
}

// ---------- after a release ----------

/** What completes a bug's flow with this release, if anything. */
function completion(bug: BugRow, d: DeploymentRow): "flow1" | "flow2" | "hotfix" | null {
  if (d.kind === "uat_merge" && bug.status === "uat_merged") return bug.fixFlow === "hotfix" ? null : "flow2";
  if (d.env !== "prod" || bug.status !== "deployed_prod") return null;
  if (d.kind === "hotfix" || bug.fixFlow === "hotfix") return "hotfix";
  return bug.fixFlow === "flow1" ? "flow1" : null;
}

/**
 * Runs in the transaction that records a finished release (app/deploy-release.ts), after the bug
 * transitions: a succeeded release posts its notes to the group; a bug whose flow it completes gets
 * its linked issue commented and closed; a rollback reopens the issues it had closed.
 */
export async function afterReleaseRecorded(tx: Tx, system: SystemConfig, d: DeploymentRow, now: Date): Promise<void> {
  if (d.status !== "succeeded" || d.bugIds.length === 0) return;
  const rows = await tx.select().from(bugs).where(inArray(bugs.id, d.bugIds)).orderBy(asc(bugs.id));
  // Every release but a rollback posts notes, a hotfix too. They follow the release's own notice: the
  // callers run this hook after their outcome step in the same transaction (deploy-release.ts
  // recordOutcome; hotfix.ts recordManualDeploy), and that step enqueues the notice (a window's
  // template, the Emergency Hotfix template), so the notes' outbox row comes after it.
  if (d.kind !== "rollback") {
    const lines = groupedReleaseNotes(system.services, rows);
    const text = [codeHost.notesHeader(d.version, d.env), ...lines.map(codeHost.noteLine)].join("\n");
    await enqueue(tx, messages(system.groupChatId, text, { dedupeKey: `release-notes:${d.id}` }), now);
  }
  if (!system.github) return;
  const jobs: RelayDraft[] = [];
  for (const bug of rows) {
    if (!bug.githubIssue) continue;
    const lane = githubLane(system.id, bug.githubIssue);
    if (d.kind === "rollback") {
      const [closed] = await tx
        .select({ id: relayJobs.id })
        .from(relayJobs)
        .where(
          and(
            eq(relayJobs.lane, lane),
            eq(relayJobs.kind, "github_close"),
            like(relayJobs.dedupeKey, `gh-close:${bug.id}:%`),
          ),
        )
        .limit(1);
      if (!closed) continue;
      jobs.push({
        kind: "github_reopen",
        systemId: system.id,
        lane,
        dedupeKey: `gh-reopen:${bug.id}:${d.id}`,
        payload: {
          issue: bug.githubIssue,
          bugId: bug.id,
          body: codeHost.comment.reopened({
            bugId: bug.id,
            env: d.env as Env,
            version: d.version,
            reason: d.reason ?? "—",
          }),
        },
      });
      continue;
    }
    const kind = completion(bug, d);
    if (!kind) continue;
    jobs.push({
      kind: "github_close",
      systemId: system.id,
      lane,
      dedupeKey: `gh-close:${bug.id}:${d.id}`,
      payload: {
        issue: bug.githubIssue,
        bugId: bug.id,
        body: codeHost.comment.closed({ bugId: bug.id, title: bug.title, env: d.env as Env, version: d.version, kind }),
      },
    });
  }
  await enqueueRelay(tx, jobs, now);
}

// ---------- /release <version> ----------

export interface ReleaseNotesView {
  env: Env;
  version: string;
  lines: string[];
  finishedAt: Date | null;
}

/** The notes of the succeeded releases named `version` of the systems given (oldest first). */
export async function releaseNotesOf(
  q: Queryable,
  systems: readonly SystemConfig[],
  version: string,
): Promise<(ReleaseNotesView & { systemId: string })[]> {
  if (systems.length === 0) return [];
  const found = await q
    .select()
    .from(deployments)
    .where(
      and(
        inArray(
          deployments.systemId,
          systems.map((s) => s.id),
        ),
        eq(deployments.version, version),
        eq(deployments.status, "succeeded"),
        ne(deployments.kind, "rollback"),
      ),
    )
    .orderBy(asc(deployments.id));
  const out: (ReleaseNotesView & { systemId: string })[] = [];
  for (const d of found) {
    const system = systems.find((s) => s.id === d.systemId)!;
    const rows = d.bugIds.length
      ? await q.select().from(bugs).where(inArray(bugs.id, d.bugIds)).orderBy(asc(bugs.id))
      : [];
    out.push({
      systemId: d.systemId,
      env: d.env,
      version: d.version,
      lines: groupedReleaseNotes(system.services, rows),
      finishedAt: d.finishedAt,
    });
  }
  return out;
}

// ---------- Slack mirror ----------

/** Records which group chats are mirrored to Slack (from the configuration; at start-up). */
export async function syncSlackMirrors(
  db: Queryable,
  config: Pick<Config, "systems" | "slackWebhookUrl">,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(slackMirrors);
    const rows = config.systems
      .filter((s) => slackWebhookFor(config, s) !== null)
      .map((s) => ({ groupChatId: s.groupChatId, systemId: s.id }));
    if (rows.length) await tx.insert(slackMirrors).values(rows).onConflictDoNothing();
  });
}

/**
 * Called by enqueue (app/outbox.ts) with the rows it wrote: every new message to a mirrored group
 * gets a Slack job in the same transaction; edits only when marked as notifications (NoticeDraft.mirror).
 */
export async function mirrorToSlack(
  q: Queryable,
  rows: readonly { id: number; chatId: number; method: string; payload: Record<string, unknown> }[],
  now: Date,
): Promise<void> {
  // New messages, and the edits that are notifications of their own (a progress line become the
  // release's template, a watch's summary: NoticeDraft.mirror); other edits (progress ticks,
  // conversation panels) are not mirrored.
  const mirrored = (r: (typeof rows)[number]) =>
    r.method === "sendMessage" || (r.method === "editMessageText" && r.payload.mirror === true);
  const sends = rows.filter((r) => mirrored(r) && r.chatId < 0 && typeof r.payload.text === "string");
  if (sends.length === 0) return;
  const mirrors = await q.select().from(slackMirrors);
  if (mirrors.length === 0) return;
  const systemOf = new Map(mirrors.map((m) => [m.groupChatId, m.systemId]));
  // A group that became a supergroup: its rows carry the new id.
  const moved = await q
    .select()
    .from(chatMigrations)
    .where(
      inArray(
        chatMigrations.oldChatId,
        mirrors.map((m) => m.groupChatId),
      ),
    );
  for (const m of moved) if (systemOf.has(m.oldChatId)) systemOf.set(m.newChatId, systemOf.get(m.oldChatId)!);
  const jobs: RelayDraft[] = sends.flatMap((r) => {
    const systemId = systemOf.get(r.chatId);
    if (!systemId) return [];
    return [
      {
        kind: "slack" as const,
        systemId,
        lane: slackLane(systemId),
        dedupeKey: `slack:${r.id}`,
        payload: { text: htmlToSlack(String(r.payload.text)), outboxId: r.id },
      },
    ];
  });
  await enqueueRelay(q, jobs, now);
}

/** Pending relay jobs (tests, /status). */
export async function pendingRelayJobs(q: Queryable): Promise<number> {
  const [row] = await q.select({ n: sql<number>`count(*)::int` }).from(relayJobs).where(isNull(relayJobs.doneAt));
  return row?.n ?? 0;
}
