// The state machine of DESIGN.md as data: which event moves which status where, and who may.
import {
  type Actor,
  type BugEvent,
  type BugEventType,
  type BugState,
  type Env,
  type FixFlow,
  isPipelineEligible,
  isTerminal,
  type Status,
} from "./model.js";

export type Who = "admin" | "system" | "admin_or_system";

export interface TransitionRule {
  from: readonly Status[] | "non_terminal";
  to: Status | "same" | "rollback_target";
  who: Who;
}

export const TRANSITIONS: Record<BugEventType, TransitionRule> = {
  confirm: { from: ["submitted"], to: "confirmed", who: "admin" },
  reject: { from: ["submitted"], to: "rejected", who: "admin" },
  hotfix: { from: ["submitted"], to: "deployed_prod", who: "admin" },
  start_analysis: { from: ["confirmed"], to: "analyzing", who: "system" },
  record_analysis: { from: ["analyzing"], to: "planned", who: "system" },
  deploy_uat_ok: { from: ["planned"], to: "deployed_uat", who: "system" },
  queue_prod: { from: ["planned"], to: "pending_prod", who: "system" },
  approve_prod: { from: ["deployed_uat"], to: "pending_prod", who: "admin" },
  deploy_prod_ok: { from: ["pending_prod"], to: "deployed_prod", who: "system" },
  approve_uat_merge: { from: ["deployed_prod"], to: "pending_uat_merge", who: "admin" },
  uat_merge_ok: { from: ["pending_uat_merge"], to: "uat_merged", who: "system" },
  close: { from: "non_terminal", to: "closed", who: "admin" },
  rollback: {
    from: ["deployed_uat", "pending_prod", "deployed_prod", "pending_uat_merge", "uat_merged"],
    to: "rollback_target",
    who: "admin_or_system",
  },
  version_hold: { from: ["planned"], to: "same", who: "system" },
  requeue: {
    from: ["confirmed", "planned", "deployed_uat", "pending_prod", "deployed_prod", "pending_uat_merge"],
    to: "same",
    who: "admin",
  },
};

/**
 * Whether a bug at deployed_prod may be merged back to UAT: flow2 always, a hotfix only when UAT
 * was ahead of PROD when it went out. The one place this rule is written (machine, approvals,
 * reminders and the card's buttons all ask here).
 */
export const mayMergeBackToUat = (bug: { fixFlow: FixFlow | null; uatAhead?: boolean | null }): boolean =>
  bug.fixFlow === "flow2" || (bug.fixFlow === "hotfix" && bug.uatAhead === true);

/** Where a rollback of the release that produced `from` may send a bug back to. */
export const ROLLBACK_TARGETS: Partial<Record<Status, readonly Status[]>> = {
  deployed_uat: ["planned"],
  pending_prod: ["planned"],
  deployed_prod: ["pending_prod", "submitted"],
  pending_uat_merge: ["pending_prod"],
  uat_merged: ["pending_uat_merge"],
};

/** Events a window runs: refused for held bugs and during a freeze. */
export const WINDOW_EVENTS: readonly BugEventType[] = [
  "start_analysis",
  "deploy_uat_ok",
  "queue_prod",
  "deploy_prod_ok",
  "uat_merge_ok",
];

export type RefusalReason =
  | "wrong_status"
  | "not_admin"
  | "not_system"
  | "severity_not_eligible"
  | "wrong_flow"
  | "frozen"
  | "held"
  | "not_held"
  | "needs_second_admin"
  | "invalid";

export interface TransitionContext {
  /** Set when a freeze applies to this bug now. */
  freeze?: { reason: string } | null;
  /** For a hotfix during a freeze: the admin who approved it as second person. */
  secondApproverId?: number | null;
}

/** Fields of the bug that change beside status/held. */
export interface BugPatch {
  severity?: BugState["severity"];
  fixFlow?: BugState["fixFlow"];
  aiRootCause?: string | null;
  aiFixPlan?: string | null;
  aiFixDiff?: string | null;
  analysisFailed?: boolean;
  // issue 10
  foundInEnv?: Env | null;
  triageUatVersion?: string | null;
  triageProdVersion?: string | null;
  flowOverrideReason?: string | null;
  versionHold?: string | null;
}

export type TransitionResult =
  | { ok: true; from: Status; to: Status; held: boolean; patch: BugPatch; note: string | null }
  | { ok: false; reason: RefusalReason; message: string };

const refuse = (reason: RefusalReason, message: string): TransitionResult => ({
  ok: false,
  reason,
  message,
});

function actorAllowed(who: Who, actor: Actor): RefusalReason | null {
  const admin = actor.kind === "user" && actor.isAdmin;
  const system = actor.kind === "system";
  if (who === "admin") return admin ? null : "not_admin";
  if (who === "system") return system ? null : "not_system";
  return admin || system ? null : "not_admin";
}

export function transition(
  bug: BugState,
  event: BugEvent,
  actor: Actor,
  ctx: TransitionContext = {},
): TransitionResult {
  const rule = TRANSITIONS[event.type];
  if (!rule) return refuse("invalid", `unknown event ${String((event as { type: unknown }).type)}`);
  const who = actorAllowed(rule.who, actor);
  if (who) return refuse(who, who === "not_admin" ? "only an admin may do this" : "only the scheduler may do this");

  const fromOk = rule.from === "non_terminal" ? !isTerminal(bug) : rule.from.includes(bug.status);
  if (!fromOk) return refuse("wrong_status", `${event.type} is not possible from ${bug.status}`);

  const windowEvent = WINDOW_EVENTS.includes(event.type);
  if (windowEvent && bug.held) return refuse("held", "the bug is held after a rollback until an admin re-queues it");
  if (windowEvent && ctx.freeze) return refuse("frozen", `frozen: ${ctx.freeze.reason}`);
  // A hotfix made while UAT was ahead is cherry-picked back to UAT at T2, whatever its severity.
  const hotfixMerge = event.type === "uat_merge_ok" && bug.fixFlow === "hotfix";
  if (windowEvent && bug.severity && !isPipelineEligible(bug.severity) && !hotfixMerge) {
    return refuse("severity_not_eligible", `${bug.severity} bugs never enter the windows`);
  }

  // The target comes from the table; the switch below only adds guards, patches and notes.
  // A rollback names its target in the event (checked against ROLLBACK_TARGETS below).
  const asked = event.type === "rollback" ? event.toStatus : bug.status;
  const to: Status = rule.to === "same" ? bug.status : rule.to === "rollback_target" ? asked : rule.to;
  const ok = (patch: BugPatch = {}, held = bug.held, note: string | null = null): TransitionResult => ({
    ok: true,
    from: bug.status,
    to,
    held,
    patch,
    note,
  });

  switch (event.type) {
    case "confirm":
      if (!isPipelineEligible(event.severity)) {
        return refuse("severity_not_eligible", `${event.severity} bugs go through /hotfix, not the pipeline`);
      }
      return ok(
        {
          severity: event.severity,
          fixFlow: event.flow,
          ...(event.foundIn ? { foundInEnv: event.foundIn } : {}),
          ...(event.versions ? { triageUatVersion: event.versions.uat, triageProdVersion: event.versions.prod } : {}),
          flowOverrideReason: event.overrideReason?.trim() || null,
        },
        false,
      );
    case "reject":
      return ok({}, bug.held, event.reason);
    case "hotfix":
      if (isPipelineEligible(event.severity)) {
        return refuse("severity_not_eligible", `${event.severity} bugs go through the pipeline, not /hotfix`);
      }
      if (ctx.freeze) {
        const second = ctx.secondApproverId;
        if (second == null || (actor.kind === "user" && second === actor.id)) {
          return refuse("needs_second_admin", `frozen (${ctx.freeze.reason}): a second, different admin must approve`);
        }
      }
      return ok({ severity: event.severity, fixFlow: "hotfix", aiFixDiff: event.diff }, false);
    case "record_analysis":
      return ok(
        { aiRootCause: event.rootCause, aiFixPlan: event.fixPlan, analysisFailed: event.failed },
        bug.held,
        event.failed ? "analysis failed" : null,
      );
    case "deploy_uat_ok":
      if (bug.fixFlow !== "flow1") return refuse("wrong_flow", "only flow1 bugs deploy to UAT at T1");
      return ok();
    case "queue_prod":
      if (bug.fixFlow !== "flow2") return refuse("wrong_flow", "only flow2 bugs are queued for PROD at T1");
      return ok();
    case "approve_uat_merge":
      if (mayMergeBackToUat(bug)) return ok();
      return refuse("wrong_flow", "a UAT merge follows flow2 or a hotfix made while UAT was ahead");
    case "close":
      return ok({}, bug.held, event.reason);
    case "rollback":
      if (!(ROLLBACK_TARGETS[bug.status] ?? []).includes(event.toStatus)) {
        return refuse("invalid", `a rollback cannot move ${bug.status} back to ${event.toStatus}`);
      }
      return ok({}, true);
    case "version_hold":
      if (bug.fixFlow !== "flow1") return refuse("wrong_flow", "only flow1 bugs wait for UAT and PROD to align");
      if (bug.held) return refuse("held", "the bug is already held");
      return ok({ versionHold: event.uat }, true, `uat=${event.uat} prod=${event.prod}`);
    case "requeue":
      if (!bug.held) return refuse("not_held", "the bug is not held");
      if (event.flow)
        return ok(
          {
            fixFlow: event.flow,
            versionHold: null,
            ...(event.versions ? { triageUatVersion: event.versions.uat, triageProdVersion: event.versions.prod } : {}),
          },
          false,
        );
      return ok({ versionHold: null }, false);
    case "start_analysis":
    case "approve_prod":
    case "deploy_prod_ok":
    case "uat_merge_ok":
      return ok();
  }
}
