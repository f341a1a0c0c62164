// src/app — the use cases: each state change is one transaction with its audit row and its outbox
// notices (domain text and buttons, never Bot API payloads). The app owns its ports (below) and its
// database types (db.ts); src/main.ts wires the adapters in through src/adapters/wire-ports.ts.
//
// ports.ts: the ports the use cases need from the outside world. The app layer owns these interfaces;
// src/adapters implements them and src/main.ts wires the implementations in. Nothing in src/app
// imports an adapter at run time (a lint rule and test/core/purity.test.ts enforce it).
import type { AnalyzerConfig, Check, PrometheusConfig, Target, VersionProbe } from "../config.js";
import type { CalendarFacts, CalendarRules } from "../core/freeze.js";
import type { DeploymentKind, Env } from "../core/model.js";
import type { Readings } from "../core/watch-rules.js";
import type { PlatformName } from "../i18n/index.js";

// ---------- deploy targets ----------

/** One bug of a release, as the deploy target is told about it. */
export interface DeployBug {
  id: number;
  title: string;
  severity: string | null;
  fixFlow: string | null;
  module: string | null;
  services: string[];
  rootCause: string | null;
  fixPlan: string | null;
  fixDiff: string | null;
}

/**
 * One service step of a release, in domain terms. The deploy adapter turns it into the target's
 * contract (the stdin JSON and the NIGHTSHIFT_* environment); the app never builds that.
 */
export interface DeployStep {
  releaseId: number;
  system: string;
  env: Env;
  kind: DeploymentKind;
  version: string;
  /** Rollbacks: the version to return to. */
  targetVersion: string | null;
  /** The service this step deploys; null for a system without services (one step). */
  service: string | null;
  /** Every service of the release, in dependency order. */
  services: string[];
  actor: string;
  reason: string | null;
  bugIds: number[];
  bugs: DeployBug[];
  /** Release notes, one line per bug and service. */
  notes: string[];
  /** issue 11: what platform targets recorded on earlier deployments (see app/provider-state.ts). */
  history?: ProviderHistory;
}

/** issue 11: provider state (deployments.provider_state) of the deployments a platform target builds on. */
export interface ProviderHistory {
  /** The deployment now live in this environment. */
  current: Record<string, string> | null;
  /** Rollbacks: the deployment of the version to return to, in this environment. */
  target: Record<string, string> | null;
  /** PROD releases carrying the version UAT runs: UAT's live deployment (Vercel promotes it). */
  uat: Record<string, string> | null;
}

export interface TargetRun {
  target: Target;
  step: DeployStep;
  cwd: string;
  /**
   * issue 11: a platform target's long wait (a build, a rollout) reported at each poll; the caller
   * decides what to show and how often. Never throws into the target (failures are the caller's).
   */
  onProgress?: (progress: TargetProgress) => Promise<void>;
}

/** issue 11: where a platform target's wait is: queued for a builder, building, starting the new build. */
export type TargetStage = "queued" | "building" | "starting";

export interface TargetProgress {
  platform: PlatformName;
  stage: TargetStage;
}

export interface TargetResult {
  status: "succeeded" | "failed" | "timed_out";
  output: string;
  version: string | null;
  /** issue 11: what a platform target recorded (stored in deployments.provider_state). */
  state?: Record<string, string> | null;
}

/** Runs one deploy/rollback target once (one service step of a release). */
export type RunTarget = (run: TargetRun) => Promise<TargetResult>;

// ---------- checks ----------

export interface CheckResult {
  ok: boolean;
  detail: string;
}

/** Runs one configured check (command or HTTP). */
export type RunCheck = (check: Check, options?: { cwd?: string; env?: Record<string, string> }) => Promise<CheckResult>;

// ---------- monitoring ----------

export interface Metrics {
  /** The current readings of the configured queries; throws when Prometheus cannot be reached. */
  read(config: PrometheusConfig, at?: Date): Promise<Readings>;
  /** p95 just before a deploy, the watch's baseline; null when unknown. */
  baselineP95(config: PrometheusConfig, before: Date): Promise<number | null>;
}

// ---------- calendar ----------

/** What the calendar says about one local date (YYYY-MM-DD): holidays, Lunar New Year, month end. */
export type Calendar = (rules: CalendarRules, localDate: string) => CalendarFacts;

// ---------- liveness ----------

/** Which process owns a `running` row: this process's id, and whether another owner still lives. */
export interface Liveness {
  /** Written as `owner` on rows this process runs. */
  instanceId: string;
  isAlive(owner: string | null): Promise<boolean>;
  close(): Promise<void>;
}

// ---------- analysis ----------

export interface BugForAnalysis {
  id: number;
  title: string;
  description: string;
  severity: string | null;
  foundInEnv: string | null;
  services: string[];
  module: string | null;
}

export interface Analysis {
  rootCause: string;
  fixPlan: string;
  risk: string;
}

export interface Analyzer {
  /** null when no analyzer is configured; throws AnalysisError-like errors on a bad answer. */
  analyze(bug: BugForAnalysis): Promise<Analysis | null>;
}

export type AnalyzerFactory = (config: AnalyzerConfig) => Analyzer;

// ---------- versions (issue 10) ----------

/** What reading an environment's running version gave. */
export type VersionRead = { ok: true; version: string; readAt: Date } | { ok: false; error: string; readAt: Date };

/** Reads the version an environment runs, once, through its configured probe. */
export type ReadVersion = (
  probe: VersionProbe,
  options: { cwd: string; now: () => Date /** the environment read (platform probes ask for it) */; env?: Env },
) => Promise<VersionRead>;
