// issue 11 — a fake Northflank API (the endpoints the northflank target calls), strict like the real
// one (https://northflank.com/docs/v1/api/use-the-api): Bearer token, answers in `data`, unknown
// project/service 404, wrong method 405, `sha` must be 40 characters, `branch` only for build services
// … here a combined service: `branch` must match its linked branch; a redeploy needs
// `internal.buildSHA` of a successful build. Builds go QUEUED → BUILDING → SUCCESS over `buildPolls`
// GETs (FAILURE when the fake's `failBuilds` is set); the service's deployment then runs the build.
import { createHash } from "node:crypto";
import { type FakeServer, startFakeServer } from "./http.js";

export interface FakeBuild {
  id: string;
  sha: string;
  branch: string;
  status: "QUEUED" | "BUILDING" | "SUCCESS" | "FAILURE";
  polls: number;
}

export interface FakeNorthflank extends FakeServer {
  builds: FakeBuild[];
  /** The commit the service runs ("" before the first deploy). */
  running: () => string;
  setFailBuilds(fail: boolean): void;
  setHangBuilds(hang: boolean): void;
}

const err = (status: number, message: string) => ({ error: { status, message } });

export async function startFakeNorthflank(opts: {
  token: string;
  project: string;
  service: string;
  branch?: string;
  buildPolls?: number;
  /** GETs of the service that still show the rollout in progress after a build succeeded. */
  rolloutPolls?: number;
  port?: number;
}): Promise<FakeNorthflank> {
  const builds: FakeBuild[] = [];
  let running = "";
  let failBuilds = false;
  let hangBuilds = false;
  const buildPolls = opts.buildPolls ?? 1;
  let rollout = 0;
  const linked = opts.branch ?? "main";
  const known = (p: string, s: string) => p === opts.project && s === opts.service;
  const view = (b: FakeBuild) => ({
    id: b.id,
    sha: b.sha,
    branch: b.branch,
    status: b.status,
    concluded: b.status === "SUCCESS" || b.status === "FAILURE",
    success: b.status === "SUCCESS",
  });
  const base = "/v1/projects/:project/services/:service";
  const server = await startFakeServer({
    token: opts.token,
    port: opts.port,
    error: err,
    routes: [
      {
        method: "POST",
        path: `${base}/build`,
        handler: (req, [p, s]) => {
          if (!known(p!, s!)) return { status: 404, body: err(404, "Service not found") };
          const b = req.body ?? {};
          if (b.sha !== undefined && (typeof b.sha !== "string" || b.sha.length !== 40))
            return { status: 400, body: err(400, "sha must be 40 characters") };
          if (b.branch !== undefined && b.branch !== linked)
            return { status: 400, body: err(400, `branch ${b.branch} is not the linked branch`) };
          const n = builds.length + 1;
          const build: FakeBuild = {
            id: `build-${n}`,
            sha: b.sha ?? createHash("sha1").update(`build ${n}`).digest("hex"),
            branch: linked,
            status: "QUEUED",
            polls: 0,
          };
          builds.push(build);
          return { status: 200, body: { data: view(build) } };
        },
      },
      {
        method: "GET",
        path: `${base}/build/:build`,
        handler: (_req, [p, s, id]) => {
          if (!known(p!, s!)) return { status: 404, body: err(404, "Service not found") };
          const b = builds.find((x) => x.id === id);
          if (!b) return { status: 404, body: err(404, "Build not found") };
          if (b.status === "QUEUED" || b.status === "BUILDING") {
            b.polls++;
            if (!hangBuilds && b.polls >= buildPolls) {
              b.status = failBuilds ? "FAILURE" : "SUCCESS";
              if (b.status === "SUCCESS") {
                running = b.sha;
                rollout = opts.rolloutPolls ?? 0;
              }
            } else b.status = "BUILDING";
          }
          return { status: 200, body: { data: view(b) } };
        },
      },
      {
        method: "GET",
        path: base,
        handler: (_req, [p, s]) => {
          if (!known(p!, s!)) return { status: 404, body: err(404, "Service not found") };
          const rollingOut = rollout > 0;
          if (rollingOut) rollout--;
          return {
            status: 200,
            body: {
              data: {
                id: opts.service,
                deployment: { internal: { id: opts.service, branch: linked, buildSHA: running || null } },
                status: { deployment: { status: running && !rollingOut ? "COMPLETED" : "PENDING" } },
              },
            },
          };
        },
      },
      {
        method: "POST",
        path: `${base}/deployment`,
        handler: (req, [p, s]) => {
          if (!known(p!, s!)) return { status: 404, body: err(404, "Service not found") };
          const sha = req.body?.internal?.buildSHA;
          if (typeof sha !== "string" || sha.length !== 40)
            return { status: 400, body: err(400, "internal.buildSHA is required") };
          if (!builds.some((b) => b.sha === sha && b.status === "SUCCESS"))
            return { status: 400, body: err(400, `no successful build of ${sha}`) };
          running = sha;
          return { status: 200, body: { data: {} } };
        },
      },
    ],
  });
  return Object.assign(server, {
    builds,
    running: () => running,
    setFailBuilds: (f: boolean) => {
      failBuilds = f;
    },
    setHangBuilds: (h: boolean) => {
      hangBuilds = h;
    },
  });
}
