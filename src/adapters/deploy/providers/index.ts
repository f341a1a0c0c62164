// issue 11 — the platform targets, dispatched from ../run-target.ts: one module per platform, each
// with its run function and its current-version reader (for an environment's `version` probe).
import type { DeployStep, TargetProgress, TargetResult } from "../../../app/ports.js";
import { PROVIDER_KINDS, type ProviderTarget } from "../../../config/pipeline-providers.js";
import type { Target } from "../../../config.js";
import { runHost } from "./host.js";
import { runNorthflank } from "./northflank.js";
import { runVercel } from "./vercel.js";
import { runWrangler } from "./wrangler.js";

export { hostVersion } from "./host.js";
export { northflankVersion } from "./northflank.js";
export { vercelVersion } from "./vercel.js";
export { readProviderVersion } from "./version.js";
export { wranglerVersion } from "./wrangler.js";

export const isProviderTarget = (target: Target): target is ProviderTarget =>
  (PROVIDER_KINDS as readonly string[]).includes(target.type);

export interface ProviderRun {
  target: ProviderTarget;
  step: DeployStep;
  /** The release's contract env (NIGHTSHIFT_*), for the children that run. */
  env: Record<string, string>;
  /** Build/rollout progress of the API platforms (Vercel, Northflank) while they are waited for. */
  onProgress?: (progress: TargetProgress) => Promise<void>;
}

export function runProvider(run: ProviderRun): Promise<TargetResult> {
  const { target, step } = run;
  switch (target.type) {
    case "vercel":
      return runVercel(target, step, run.onProgress ? { onProgress: run.onProgress } : {});
    case "northflank":
      return runNorthflank(target, step, run.onProgress ? { onProgress: run.onProgress } : {});
    case "wrangler":
      return runWrangler(target, step, run.env);
    case "ssh":
    case "compose":
      return runHost(target, step, run.env);
  }
}
