// The deploy contract: what a deploy/rollback target receives for one step of a release — the
// stdin JSON (the release, its bugs and notes) and the NIGHTSHIFT_* environment. The app describes
// the step in domain terms (src/app/ports.ts DeployStep); only this file knows the wire shape.
import type { DeployStep } from "../../app/ports.js";

export interface PreparedStep {
  env: Record<string, string>;
  stdin: string;
}

export function deployContract(step: DeployStep): PreparedStep {
  const stdin = JSON.stringify({
    releaseId: step.releaseId,
    system: step.system,
    env: step.env,
    kind: step.kind,
    version: step.version,
    targetVersion: step.targetVersion,
    service: step.service,
    services: step.services,
    actor: step.actor,
    reason: step.reason,
    bugs: step.bugs,
    notes: step.notes,
  });
  const env: Record<string, string> = {
    NIGHTSHIFT_SYSTEM: step.system,
    NIGHTSHIFT_ENV: step.env,
    NIGHTSHIFT_VERSION: step.version,
    NIGHTSHIFT_RELEASE_ID: String(step.releaseId),
    NIGHTSHIFT_BUG_IDS: step.bugIds.join(","),
    ...(step.service ? { NIGHTSHIFT_SERVICE: step.service } : {}),
    ...(step.targetVersion ? { NIGHTSHIFT_TARGET_VERSION: step.targetVersion } : {}),
  };
  return { env, stdin };
}
