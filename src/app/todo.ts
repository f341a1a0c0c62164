// issue 17: the admin's phone as the control panel. `adminTodo` lists what waits for one admin now,
// newest first (bugs to triage, UAT releases to approve for PROD with their T2 cutoff from the one
// next-window rule, PROD releases to approve for the UAT merge, hotfix requests awaiting a second
// admin, held bugs to re-queue); `memberTodo` a member's own reports. Private notifications
// (/notify on|off) are a stored preference; `adminsToNotify` reads who asked and `privateNotices`
// builds their outbox rows, written in the transaction that creates what waits (a new bug, a release
// awaiting approval, a hotfix request).
import { and, desc, eq, gt, inArray, ne } from "drizzle-orm";
import { bugs, hotfixRequests, notifyPreferences } from "../../drizzle/schema.js";
import type { Config } from "../config.js";
import { mayMergeBackToUat } from "../core/machine.js";
import type { BugRow } from "./bugs.js";
import type { Queryable } from "./db.js";
import { type NoticeButtons, notice, type OutboxDraft } from "./outbox.js";
import type { Calendar } from "./ports.js";
import { nextWindow } from "./schedule.js";
import { adminIds } from "./systems.js";

export type TodoItem =
  | { kind: "triage" | "held" | "approveUat"; at: Date; bug: BugRow }
  | { kind: "approveProd"; at: Date; bug: BugRow; cutoff: Date | null; tz: string }
  | { kind: "hotfix"; at: Date; request: typeof hotfixRequests.$inferSelect; bug: BugRow };

export interface TodoDeps {
  db: Queryable;
  config: Config;
  calendarFacts: Calendar;
}

export async function adminTodo(
  deps: TodoDeps,
  admin: { id: number; systemIds: readonly string[] },
  now: Date,
): Promise<TodoItem[]> {
  const { db, config } = deps;
  if (admin.systemIds.length === 0) return [];
  const open = await db
    .select()
    .from(bugs)
    .where(
      and(
        inArray(bugs.systemId, [...admin.systemIds]),
        inArray(bugs.status, ["submitted", "deployed_uat", "deployed_prod", "pending_prod", "confirmed"]),
      ),
    )
    .orderBy(desc(bugs.id))
    .limit(200);
  const items: TodoItem[] = [];
  for (const bug of open) {
    const at = bug.updatedAt;
    if (bug.held) items.push({ kind: "held", at, bug });
    else if (bug.status === "submitted") items.push({ kind: "triage", at, bug });
    else if (bug.status === "deployed_uat") {
      const system = config.systems.find((s) => s.id === bug.systemId)!;
      // The cutoff is the next T2 this bug may ride (module freezes included): the one next-window rule.
      const next = await nextWindow({ db, config, calendarFacts: deps.calendarFacts }, system, "t2", now, {
        module: bug.module,
      });
      items.push({ kind: "approveProd", at, bug, cutoff: next?.at ?? null, tz: system.timezone });
    } else if (bug.status === "deployed_prod" && mayMergeBackToUat(bug)) items.push({ kind: "approveUat", at, bug });
  }
  const requests = await db
    .select({ request: hotfixRequests, bug: bugs })
    .from(hotfixRequests)
    .innerJoin(bugs, eq(bugs.id, hotfixRequests.bugId))
    .where(
      and(
        eq(hotfixRequests.status, "pending"),
        gt(hotfixRequests.expiresAt, now),
        ne(hotfixRequests.requestedById, admin.id), // a second admin approves
        inArray(bugs.systemId, [...admin.systemIds]),
      ),
    );
  for (const r of requests) items.push({ kind: "hotfix", at: r.request.createdAt, request: r.request, bug: r.bug });
  return items.sort((a, b) => b.at.getTime() - a.at.getTime());
}

/** A member's own reports, newest first (closed and rejected ones too: the latest 20). */
export function memberTodo(q: Queryable, userId: number): Promise<BugRow[]> {
  return q.select().from(bugs).where(eq(bugs.reporterId, userId)).orderBy(desc(bugs.id)).limit(20);
}

export async function setNotify(q: Queryable, userId: number, enabled: boolean, now: Date): Promise<void> {
  await q
    .insert(notifyPreferences)
    .values({ userId, enabled, updatedAt: now })
    .onConflictDoUpdate({ target: notifyPreferences.userId, set: { enabled, updatedAt: now } });
}

export async function notifyEnabled(q: Queryable, userId: number): Promise<boolean> {
  const [row] = await q.select().from(notifyPreferences).where(eq(notifyPreferences.userId, userId));
  return row?.enabled ?? false;
}

/** The admins of a system who asked to be told in private (global admins and the system's own). */
export async function adminsToNotify(q: Queryable, config: Config, systemId: string): Promise<number[]> {
  const system = config.systems.find((s) => s.id === systemId);
  const all = [...new Set([...(await adminIds(q, config.adminIds)), ...(system?.adminIds ?? [])])];
  if (all.length === 0) return [];
  const rows = await q
    .select({ userId: notifyPreferences.userId })
    .from(notifyPreferences)
    .where(and(inArray(notifyPreferences.userId, all), eq(notifyPreferences.enabled, true)));
  return rows.map((r) => r.userId);
}

/**
 * Private notices to these admins (but not to `except`, who did it), through the outbox; `buttons`
 * (the same ones as under the group's message) let them act from the notice itself.
 */
export const privateNotices = (
  adminIds: readonly number[],
  text: string,
  except?: number,
  buttons?: NoticeButtons,
): OutboxDraft[] => adminIds.filter((id) => id !== except).map((id) => notice(id, text, buttons ? { buttons } : {}));
