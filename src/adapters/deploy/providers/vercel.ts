// issue 11 — Vercel through its REST API (https://vercel.com/docs/rest-api).
// UAT: a preview deployment from the git ref, waited for until READY; its URL is UAT's URL.
// PROD (Flow 1, the release UAT validated): that exact deployment promoted, no rebuild.
// PROD otherwise (Flow 2, hotfix): a production deployment from the ref, waited for.
// Rollback: PROD → instant rollback to the deployment the target version recorded; UAT → the
// preview that version recorded becomes UAT again (checked READY; nothing to call on Vercel).
// State recorded: { deploymentId, url, sha }.
import { z } from "zod";
import type { DeployStep, TargetProgress, TargetResult, TargetStage } from "../../../app/ports.js";
import type { ProviderTarget } from "../../../config/pipeline-providers.js";
import { boundedText, oneLine } from "../../../core/text.js";
import {
  type ApiClient,
  callApi,
  PlatformError,
  platformRun,
  progressReporter,
  realSleep,
  stepLog,
  waitFor,
} from "./common.js";

export type VercelTarget = Extract<ProviderTarget, { type: "vercel" }>;

/** Deployment as GET /v13/deployments/{idOrUrl} and POST /v13/deployments answer it (fields we read). */
const deploymentSchema = z.object({
  id: z.string().min(1).max(200),
  url: z.string().max(500).nullish(),
  readyState: z.enum(["QUEUED", "BUILDING", "INITIALIZING", "READY", "ERROR", "CANCELED", "DELETED"]),
  errorCode: z.string().max(500).nullish(),
  errorMessage: z.string().max(2000).nullish(),
  meta: z.record(z.string(), z.unknown()).nullish(),
});
type Deployment = z.infer<typeof deploymentSchema>;
const eventsSchema = z.array(z.object({ text: z.string().max(5000).nullish() }).loose());
const listSchema = z.object({
  deployments: z.array(
    z.object({ uid: z.string().min(1), url: z.string().nullish(), meta: z.record(z.string(), z.unknown()).nullish() }),
  ),
});

export interface VercelOptions {
  sleep?: (ms: number) => Promise<void>;
  /** Called at each poll while the deployment is not READY yet (the window's progress line). */
  onProgress?: (progress: TargetProgress) => Promise<void>;
}

/** readyState while waiting: QUEUED → 排隊中, BUILDING → 建置中, INITIALIZING → 啟動中. */
const STAGE: Partial<Record<Deployment["readyState"], TargetStage>> = {
  QUEUED: "queued",
  BUILDING: "building",
  INITIALIZING: "starting",
};

function client(
  target: VercelTarget,
  log: ReturnType<typeof stepLog>,
  sleep: (ms: number) => Promise<void>,
): ApiClient {
  return {
    platform: "vercel",
    root: target.apiRoot,
    token: target.token,
    tokenEnv: target.tokenEnv,
    notFound: { thing: "project_or_deployment", project: target.project },
    log,
    sleep,
  };
}
const team = (t: VercelTarget) => ({ teamId: t.teamId });
const httpsUrl = (url: string | null | undefined) => (url ? `https://${url.replace(/^https?:\/\//, "")}` : "");
const shaOf = (d: { meta?: Record<string, unknown> | null | undefined }) =>
  typeof d.meta?.githubCommitSha === "string" ? d.meta.githubCommitSha : "";
const stateOf = (d: Deployment): Record<string, string> => ({
  provider: "vercel",
  deploymentId: d.id,
  url: httpsUrl(d.url),
  sha: shaOf(d),
});

/** Runs one release step on Vercel. */
export function runVercel(target: VercelTarget, step: DeployStep, options: VercelOptions = {}): Promise<TargetResult> {
  const sleep = options.sleep ?? realSleep;
  const log = stepLog([target.token]);
  const api = client(target, log, sleep);
  return platformRun("vercel", log, async () => {
    if (step.kind === "rollback") return rollback(api, target, step);
    const validated = step.env === "prod" && step.kind === "pipeline" ? step.history?.uat : null;
    if (validated?.deploymentId) return promote(api, target, step, validated.deploymentId);
    const created = await create(api, target, step);
    const ready = await waitReady(api, target, created.id, progressReporter("vercel", options.onProgress));
    log.add(`[vercel] ${ready.id} READY ${httpsUrl(ready.url)}`);
    return { version: step.version, state: stateOf(ready) };
  });
}

/** POST /v13/deployments — https://vercel.com/docs/rest-api/deployments/create-a-new-deployment */
async function create(api: ApiClient, target: VercelTarget, step: DeployStep): Promise<Deployment> {
  const [org, repo] = target.repo.split("/") as [string, string];
  const d = await callApi(
    api,
    {
      method: "POST",
      path: "/v13/deployments",
      query: team(target),
      body: {
        name: target.project,
        project: target.project,
        // Preview for UAT; production for PROD (Flow 2 and hotfixes build from the ref).
        ...(step.env === "prod" ? { target: "production" } : {}),
        gitSource: { type: "github", org, repo, ref: target.ref },
        meta: { nightshiftRelease: step.version, nightshiftEnv: step.env },
      },
    },
    deploymentSchema,
  );
  api.log.add(`[vercel] created ${d.id} (${step.env === "prod" ? "production" : "preview"} from ${target.ref})`);
  return d;
}

/** GET /v13/deployments/{idOrUrl} until READY — https://vercel.com/docs/rest-api/deployments/get-a-deployment-by-id-or-url */
async function waitReady(
  api: ApiClient,
  target: VercelTarget,
  id: string,
  progress: (stage: TargetStage) => Promise<void>,
): Promise<Deployment> {
  const d = await waitFor(
    "vercel",
    { timeoutMs: target.timeoutSeconds * 1000, pollMs: target.pollSeconds * 1000, sleep: api.sleep },
    async () => {
      const d = await callApi(
        api,
        { method: "GET", path: `/v13/deployments/${encodeURIComponent(id)}`, query: team(target) },
        deploymentSchema,
      );
      const stage = STAGE[d.readyState];
      if (!stage) return d; // READY, ERROR, CANCELED, DELETED: the wait is over
      await progress(stage);
      return null;
    },
  );
  if (d.readyState === "CANCELED" || d.readyState === "DELETED")
    throw new PlatformError("vercel", { kind: "build_canceled" });
  if (d.readyState === "ERROR") {
    const lines = await buildLog(api, target, id);
    for (const line of lines) api.log.add(`[vercel build] ${line}`);
    const why = [d.errorCode, d.errorMessage].filter(Boolean).join(": ") || lines.at(-1) || "ERROR";
    throw new PlatformError("vercel", { kind: "build_failed", detail: boundedText(oneLine(why), 300) });
  }
  return d;
}

/** Last build log lines: GET /v3/deployments/{idOrUrl}/events — https://vercel.com/docs/rest-api/deployments/get-deployment-events */
async function buildLog(api: ApiClient, target: VercelTarget, id: string): Promise<string[]> {
  try {
    const events = await callApi(
      api,
      {
        method: "GET",
        path: `/v3/deployments/${encodeURIComponent(id)}/events`,
        query: { ...team(target), direction: "backward", limit: "20" },
      },
      eventsSchema,
    );
    return events
      .map((e) => oneLine(e.text ?? ""))
      .filter(Boolean)
      .slice(-10);
  } catch {
    return [];
  }
}

/** POST /v10/projects/{projectId}/promote/{deploymentId} (no rebuild; answers 201/202) — https://vercel.com/docs/rest-api/projects/point-production-traffic-to-a-given-deployment */
async function promote(api: ApiClient, target: VercelTarget, step: DeployStep, id: string) {
  const d = await callApi(
    api,
    { method: "GET", path: `/v13/deployments/${encodeURIComponent(id)}`, query: team(target) },
    deploymentSchema,
  );
  if (d.readyState !== "READY")
    throw new PlatformError("vercel", { kind: "build_failed", detail: `UAT deployment ${id} is ${d.readyState}` });
  await callApi(
    api,
    {
      method: "POST",
      path: `/v10/projects/${encodeURIComponent(target.project)}/promote/${encodeURIComponent(id)}`,
      query: team(target),
    },
    z.unknown(),
  );
  api.log.add(`[vercel] promoted ${id} (validated on UAT) to production, no rebuild`);
  return { version: step.version, state: stateOf(d) };
}

/** POST /v1/projects/{projectId}/rollback/{deploymentId}?description=<the reason> (answers 201) — https://vercel.com/docs/rest-api/projects/point-production-traffic-to-a-previous-production-deployment-by-id */
async function rollback(api: ApiClient, target: VercelTarget, step: DeployStep) {
  const to = step.targetVersion ?? step.version;
  const id = step.history?.target?.deploymentId;
  if (!id) throw new PlatformError("vercel", { kind: "no_previous", version: to });
  const d = await callApi(
    api,
    { method: "GET", path: `/v13/deployments/${encodeURIComponent(id)}`, query: team(target) },
    deploymentSchema,
  );
  if (d.readyState !== "READY")
    throw new PlatformError("vercel", { kind: "build_failed", detail: `deployment ${id} is ${d.readyState}` });
  if (step.env === "prod") {
    await callApi(
      api,
      {
        method: "POST",
        path: `/v1/projects/${encodeURIComponent(target.project)}/rollback/${encodeURIComponent(id)}`,
        query: { ...team(target), description: boundedText(oneLine(step.reason ?? `rollback to ${to}`), 200) },
      },
      z.unknown(),
    );
    api.log.add(`[vercel] instant rollback of production to ${id}`);
  } else {
    api.log.add(`[vercel] UAT is preview ${id} again: ${httpsUrl(d.url)}`);
  }
  return { version: to, state: stateOf(d) };
}

/**
 * The current version on Vercel (an environment's `version` probe): the newest READY deployment of
 * the project (production for PROD, preview for UAT): its release (meta.nightshiftRelease, set by
 * the bot), else its commit SHA, else its id. GET /v6/deployments — https://vercel.com/docs/rest-api/deployments/list-deployments
 */
export async function vercelVersion(
  target: VercelTarget,
  env: "uat" | "prod",
  options: VercelOptions = {},
): Promise<string> {
  const log = stepLog([target.token]);
  const list = await callApi(
    client(target, log, options.sleep ?? realSleep),
    {
      method: "GET",
      path: "/v6/deployments",
      query: {
        ...team(target),
        projectId: target.project,
        target: env === "prod" ? "production" : "preview",
        state: "READY",
        limit: "1",
      },
    },
    listSchema,
  );
  const d = list.deployments[0];
  if (!d)
    throw new PlatformError("vercel", { kind: "not_found", what: { thing: "deployments", project: target.project } });
  const release = d.meta?.nightshiftRelease;
  return typeof release === "string" && release ? release : shaOf(d) || d.uid;
}
