// Human approvals of the pipeline: 批准推 PROD (deployed_uat → pending_prod) and 批准 Merge UAT
// (deployed_prod → pending_uat_merge). Shared by the buttons, /approve_prod, /approve_uat and the engine.
import { and, eq } from "drizzle-orm";
import { bugs, deployments } from "../../drizzle/schema.js";
import { mayMergeBackToUat } from "../core/machine.js";
import type { Actor, BugEvent, Status } from "../core/model.js";
import type { WindowResult } from "../core/windows.js";
import { type ApplyInput, type ApplyResult, applyEvent, type BugRow } from "./bugs.js";
import { coSign } from "./checklist.js";
import type { Queryable } from "./db.js";
import { storedFreezesForReply } from "./freeze-cache.js";
import { inTransaction } from "./hot-path.js";
import type { Calendar } from "./ports.js";
import { type FreezeConfig, nextWindow } from "./schedule.js";

export type ApprovalKind = "prod" | "uat_merge";

export const APPROVAL: Record<ApprovalKind, { event: BugEvent; from: Status; to: Status }> = {
  prod: { event: { type: "approve_prod" }, from: "deployed_uat", to: "pending_prod" },
  uat_merge: { event: { type: "approve_uat_merge" }, from: "deployed_prod", to: "pending_uat_merge" },
};

export interface ApproveInput {
  kind: ApprovalKind;
  bugIds: readonly number[];
  actor: Actor;
  now: Date;
  /** Per bug: the row version its button carried; a different current version → already handled. */
  expectedRowVersions?: Readonly<Record<number, number>>;
  /** Env and calendar freezes to skip frozen T2s (stored freezes are always read). */
  config?: FreezeConfig;
  /** The calendar the freeze rules read (with `config`). */
  calendarFacts?: Calendar;
  notify?: ApplyInput["notify"];
  /**
   * issue 15: whether the actor may approve a bug of this system (null: the bug is gone), checked
   * on the bug as each approval's transaction reads it (applyEventIn's `mayAct`): a refused bug is
   * "forbidden", with nothing written and no co-signature.
   */
  allowed?: (systemId: string | null) => boolean;
}

export interface ApprovalResult {
  bugId: number;
  result: ApplyResult;
  /** For an applied approval: the T2 it will run at, in the system's timezone. */
  runsAt?: WindowResult & { tz: string };
}

/** Approves each bug in its own transaction (one bug losing a race does not undo the others). */
export async function approve(db: Queryable, input: ApproveInput): Promise<ApprovalResult[]> {
  const { event } = APPROVAL[input.kind];
  const out: ApprovalResult[] = [];
  // 全部批准 of a whole release: the next open T2 is read once per system and module, not per bug.
  const nextT2 = new Map<string, ReturnType<typeof nextWindow>>();
  // issue 15: the stored freezes the reply names come from the freeze cache (no statement while it
  // is warm: src/app/freeze-cache.ts), else are read alongside the approvals (another connection on
  // Postgres), not after them; as of `now` either way. In a transaction: read after, as before.
  const early = input.config && input.calendarFacts && !inTransaction(db);
  const stored = early ? storedFreezesForReply(db, input.now) : undefined;
  stored?.catch(() => undefined); // awaited below only if a bug is approved
  for (const bugId of input.bugIds) {
    const expected = input.expectedRowVersions?.[bugId];
    let result = await applyEvent(db, {
      bugId,
      event,
      actor: input.actor,
      now: input.now,
      ...(expected === undefined ? {} : { expectedRowVersion: expected }),
      ...(input.notify ? { notify: input.notify } : {}),
      ...(input.allowed ? { mayAct: (bug: BugRow | null) => input.allowed!(bug?.systemId ?? null) } : {}),
    });
    if (result.kind === "forbidden") {
      out.push({ bugId, result });
      continue;
    }
    result = (await coSign(db, input, result)) ?? result; // issue 12: a further admin's approval counts
    const entry: ApprovalResult = { bugId, result };
    if (result.kind === "applied") {
      const { systemId, module } = result.bug;
      const key = JSON.stringify([systemId, module]);
      const schedule = { db, config: input.config, calendarFacts: input.calendarFacts };
      if (!nextT2.has(key))
        nextT2.set(
          key,
          (async () =>
            nextWindow(schedule, systemId, "t2", input.now, { module, ...(stored && { stored: await stored }) }))(),
        );
      const at = await nextT2.get(key)!;
      if (at) entry.runsAt = at;
    }
    out.push(entry);
  }
  return out;
}

/** Bugs waiting for this approval, oldest first (for `/approve_* all`). */
export async function awaitingApproval(q: Queryable, kind: ApprovalKind, systemId?: string): Promise<number[]> {
  const rows = await q
    .select({ id: bugs.id, fixFlow: bugs.fixFlow, uatAhead: bugs.uatAhead })
    .from(bugs)
    .where(
      and(
        eq(bugs.status, APPROVAL[kind].from),
        systemId ? eq(bugs.systemId, systemId) : undefined,
        eq(bugs.held, false),
      ),
    )
    .orderBy(bugs.id);
  // A flow1 bug at deployed_prod is done: only flow2 (or a hotfix while UAT was ahead) merges back.
  return rows.filter((r) => kind === "prod" || mayMergeBackToUat(r)).map((r) => r.id);
}

/**
 * The system and bugs of a deployment (a batch 「全部批准」 button carries the deployment id), or null:
 * one read for the button's scope and its bugs (issue 15).
 */
export async function deploymentForApproval(
  q: Queryable,
  deploymentId: number,
): Promise<{ systemId: string; bugIds: number[] } | null> {
  const [row] = await q
    .select({ systemId: deployments.systemId, bugIds: deployments.bugIds })
    .from(deployments)
    .where(eq(deployments.id, deploymentId));
  return row ?? null;
}
