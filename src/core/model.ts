// src/core — the pure domain: no I/O, no clock, no randomness, nothing imported from outside src/core
// (biome noRestrictedImports and test/core/purity.test.ts enforce it). Time, ids and outside facts come
// in as arguments; results go out as codes and values that src/i18n puts into words. Here: the state
// machine and the secondary lifecycles, window math and the one skip-day rule, freeze rules, flow
// selection, releases, watch thresholds, the callback codec, outside-text and HTML helpers.
//
// model.ts: the pipeline's vocabulary as const data. Everything else in the core is built on these.

export const STATUSES = [
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
] as const;
export type Status = (typeof STATUSES)[number];

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const PIPELINE_SEVERITIES = ["low", "medium"] as const satisfies readonly Severity[];
export const isPipelineEligible = (severity: Severity): boolean =>
  (PIPELINE_SEVERITIES as readonly Severity[]).includes(severity);

/** flow1: UAT first; flow2: PROD first then merge back to UAT; hotfix: outside the pipeline. */
export const FIX_FLOWS = ["flow1", "flow2", "hotfix"] as const;
export type FixFlow = (typeof FIX_FLOWS)[number];
export const PIPELINE_FLOWS = ["flow1", "flow2"] as const;
export type PipelineFlow = (typeof PIPELINE_FLOWS)[number];

export const ENVS = ["uat", "prod"] as const;
export type Env = (typeof ENVS)[number];

export const SLOTS = ["t1", "t2"] as const;
export type Slot = (typeof SLOTS)[number];

export const DEPLOYMENT_KINDS = ["pipeline", "hotfix", "rollback", "uat_merge"] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

export const DEPLOYMENT_STATUSES = [
  "running",
  "succeeded",
  "failed",
  "timed_out",
  "interrupted",
  "rolled_back",
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const TERMINAL_STATUSES = ["uat_merged", "closed", "rejected"] as const satisfies readonly Status[];

/** deployed_prod is terminal for flow1 (and for a hotfix when nothing is left to merge). */
export function isTerminal(bug: { status: Status; fixFlow: FixFlow | null }): boolean {
  if ((TERMINAL_STATUSES as readonly Status[]).includes(bug.status)) return true;
  return bug.status === "deployed_prod" && bug.fixFlow === "flow1";
}

/** Who acts. Admin rights are decided by the caller from the database, never by the core. */
export type Actor =
  | { kind: "user"; id: number; name: string; isAdmin: boolean }
  | { kind: "system"; name: "T1" | "T2" | "auto-rollback" | "startup" };

export const actorLabel = (actor: Actor): string =>
  actor.kind === "user" ? `${actor.name} (${actor.id})` : `system:${actor.name}`;

export type BugEvent =
  | {
      type: "confirm";
      severity: Severity;
      flow: PipelineFlow;
      // issue 10: the found-in environment as corrected at triage, the versions the flow was chosen on,
      // and the reason when the flow contradicts them (absent: not given)
      foundIn?: Env;
      versions?: { uat: string | null; prod: string | null };
      overrideReason?: string;
    }
  | { type: "reject"; reason: string }
  | { type: "hotfix"; severity: Severity; diff: string }
  | { type: "start_analysis" }
  | { type: "record_analysis"; rootCause: string | null; fixPlan: string | null; failed: boolean }
  | { type: "deploy_uat_ok"; releaseId: number }
  | { type: "queue_prod" }
  | { type: "approve_prod" }
  | { type: "deploy_prod_ok"; releaseId: number }
  | { type: "approve_uat_merge" }
  | { type: "uat_merge_ok"; releaseId: number }
  | { type: "close"; reason: string }
  | { type: "rollback"; releaseId: number; toStatus: Status }
  /** issue 10: T1 holds a Flow 1 bug whose UAT moved ahead of PROD since triage (UAT's version now). */
  | { type: "version_hold"; uat: string; prod: string }
  | {
      type: "requeue" /** issue 10: re-triage of a bug held for versions, to this flow */;
      flow?: PipelineFlow;
      versions?: { uat: string | null; prod: string | null };
    };
export type BugEventType = BugEvent["type"];

export const BUG_EVENT_TYPES = [
  "confirm",
  "reject",
  "hotfix",
  "start_analysis",
  "record_analysis",
  "deploy_uat_ok",
  "queue_prod",
  "approve_prod",
  "deploy_prod_ok",
  "approve_uat_merge",
  "uat_merge_ok",
  "close",
  "rollback",
  "version_hold",
  "requeue",
] as const satisfies readonly BugEventType[];

/** The part of a bug the state machine reads and writes. */
export interface BugState {
  status: Status;
  severity: Severity | null;
  fixFlow: FixFlow | null;
  held: boolean;
  /** Whether UAT was ahead of PROD when a hotfix went out (decides if a UAT merge may follow). */
  uatAhead?: boolean;
}
