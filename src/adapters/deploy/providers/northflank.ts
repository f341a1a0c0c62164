// issue 11 — Northflank through its REST API (https://northflank.com/docs/v1/api/use-the-api: Bearer
// token, JSON, answers in `data`). A combined service builds and deploys:
//   deploy:   start a build of `branch` (or the service's linked branch), wait until it concluded
//             successfully (builds take 5–10 minutes: default timeout 20), then wait until the
//             service's deployment runs that build and is healthy.
//   rollback: redeploy the previous successful build (the one the target release recorded): update
//             the service's deployment to that build's commit, then wait until it is healthy.
// State recorded: { buildId, sha }.
import { z } from "zod";
import type { DeployStep, TargetProgress, TargetResult, TargetStage } from "../../../app/ports.js";
import type { ProviderTarget } from "../../../config/pipeline-providers.js";
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

export type NorthflankTarget = Extract<ProviderTarget, { type: "northflank" }>;

const SHA = /^[0-9a-f]{40}$/;
const buildSchema = z.object({
  data: z.object({
    id: z.string().min(1).max(200),
    sha: z.string().max(64).nullish(),
    status: z.string().max(64).nullish(),
    concluded: z.boolean().nullish(),
    success: z.boolean().nullish(),
  }),
});
const serviceSchema = z.object({
  data: z.object({
    id: z.string(),
    deployment: z
      .object({ internal: z.object({ buildSHA: z.string().nullish() }).loose().nullish() })
      .loose()
      .nullish(),
    status: z
      .object({
        deployment: z
          .object({ status: z.string().max(64), reason: z.string().max(500).nullish() })
          .loose()
          .nullish(),
      })
      .loose()
      .nullish(),
  }),
});

function client(
  target: NorthflankTarget,
  log: ReturnType<typeof stepLog>,
  sleep: (ms: number) => Promise<void>,
): ApiClient {
  return {
    platform: "northflank",
    root: target.apiRoot,
    token: target.token,
    tokenEnv: target.tokenEnv,
    notFound: { thing: "project_or_service", project: target.project, service: target.service },
    log,
    sleep,
  };
}
const servicePath = (t: NorthflankTarget) =>
  `/v1/projects/${encodeURIComponent(t.project)}/services/${encodeURIComponent(t.service)}`;

export interface NorthflankOptions {
  sleep?: (ms: number) => Promise<void>;
  /** Called at each poll of the build and of the rollout (the window's progress line). */
  onProgress?: (progress: TargetProgress) => Promise<void>;
}

/**
 * A build's status as the progress line tells it: Northflank's build statuses (QUEUED, PENDING,
 * BUILDING, UPLOADING, …; https://northflank.com/docs/v1/api/services/get-service-build) become
 * 「排隊中」 until it runs, then 「建置中」.
 */
const buildStage = (status: string | null | undefined): TargetStage =>
  status === "QUEUED" || status === "PENDING" ? "queued" : "building";

export function runNorthflank(
  target: NorthflankTarget,
  step: DeployStep,
  options: NorthflankOptions = {},
): Promise<TargetResult> {
  const sleep = options.sleep ?? realSleep;
  const log = stepLog([target.token]);
  const api = client(target, log, sleep);
  const started = Date.now();
  const left = () => Math.max(target.timeoutSeconds * 1000 - (Date.now() - started), 0);
  const poll = { pollMs: target.pollSeconds * 1000, sleep };
  const progress = progressReporter("northflank", options.onProgress);
  return platformRun("northflank", log, async () => {
    if (step.kind === "rollback") {
      const to = step.targetVersion ?? step.version;
      const sha = step.history?.target?.sha;
      const buildId = step.history?.target?.buildId ?? "";
      if (!sha || !SHA.test(sha)) throw new PlatformError("northflank", { kind: "no_previous", version: to });
      // POST /v1/projects/{projectId}/services/{serviceId}/deployment — https://northflank.com/docs/v1/api/services/update-service-deployment
      // (marked deprecated in favour of the service's PATCH endpoint, still served; it names the build by its commit).
      // A POST: sent once (callApi retries GETs only).
      await callApi(
        api,
        {
          method: "POST",
          path: `${servicePath(target)}/deployment`,
          body: {
            internal: { id: target.service, ...(target.branch ? { branch: target.branch } : {}), buildSHA: sha },
          },
        },
        z.unknown(),
      );
      log.add(`[northflank] redeploying build ${buildId || sha}`);
      await waitHealthy(api, target, sha, { ...poll, timeoutMs: left() }, progress);
      return { version: to, state: { provider: "northflank", buildId, sha } };
    }
    // POST /v1/projects/{projectId}/services/{serviceId}/build — https://northflank.com/docs/v1/api/services/start-service-build
    const build = await callApi(
      api,
      { method: "POST", path: `${servicePath(target)}/build`, body: target.branch ? { branch: target.branch } : {} },
      buildSchema,
    );
    log.add(`[northflank] build ${build.data.id} started${target.branch ? ` (${target.branch})` : ""}`);
    await progress(buildStage(build.data.status));
    // GET /v1/projects/{projectId}/services/{serviceId}/build/{buildId} — https://northflank.com/docs/v1/api/services/get-service-build
    const done = await waitFor("northflank", { ...poll, timeoutMs: left() }, async () => {
      const b = await callApi(
        api,
        { method: "GET", path: `${servicePath(target)}/build/${encodeURIComponent(build.data.id)}` },
        buildSchema,
      );
      if (b.data.concluded) return b.data;
      await progress(buildStage(b.data.status));
      return null;
    });
    if (!done.success)
      throw new PlatformError("northflank", {
        kind: "build_failed",
        detail: `build ${done.id} ${done.status ?? "FAILURE"}`,
      });
    const sha = done.sha ?? build.data.sha ?? "";
    log.add(`[northflank] build ${done.id} succeeded (${sha})`);
    await waitHealthy(api, target, sha, { ...poll, timeoutMs: left() }, progress);
    return { version: step.version, state: { provider: "northflank", buildId: done.id, sha } };
  });
}

/** GET /v1/projects/{projectId}/services/{serviceId} until its deployment runs `sha` and is COMPLETED — https://northflank.com/docs/v1/api/services/get-service */
async function waitHealthy(
  api: ApiClient,
  target: NorthflankTarget,
  sha: string,
  opts: { timeoutMs: number; pollMs: number; sleep: (ms: number) => Promise<void> },
  progress: (stage: TargetStage) => Promise<void>,
) {
  await waitFor("northflank", opts, async () => {
    const s = await callApi(api, { method: "GET", path: servicePath(target) }, serviceSchema);
    const state = s.data.status?.deployment?.status ?? "";
    const running = s.data.deployment?.internal?.buildSHA ?? "";
    if (state === "FAILED")
      throw new PlatformError("northflank", {
        kind: "build_failed",
        detail: `deployment FAILED${s.data.status?.deployment?.reason ? `: ${s.data.status.deployment.reason}` : ""}`,
      });
    if (state === "COMPLETED" && (!sha || !running || running === sha)) return true;
    await progress("starting");
    return null;
  });
  api.log.add(`[northflank] service ${target.service} healthy`);
}

/** The commit the service runs: its deployment's buildSHA (GET /v1/projects/{p}/services/{s}). */
export async function northflankVersion(target: NorthflankTarget, options: NorthflankOptions = {}): Promise<string> {
  const log = stepLog([target.token]);
  const s = await callApi(
    client(target, log, options.sleep ?? realSleep),
    { method: "GET", path: servicePath(target) },
    serviceSchema,
  );
  const sha = s.data.deployment?.internal?.buildSHA;
  if (!sha) throw new PlatformError("northflank", { kind: "bad_answer", detail: "no deployment.internal.buildSHA" });
  return sha;
}
