// issue 11 — a fake Vercel REST API (the endpoints the vercel target calls), strict like the real one:
// Bearer token required, unknown paths 404, wrong methods 405, `name` and a complete `gitSource`
// required to create a deployment, an unknown project 404, promoting a deployment that is not READY or
// of another project refused, rollback only to a READY production deployment.
// Deployments go QUEUED → BUILDING → READY over `buildPolls` GETs (or ERROR when the ref is in
// `failingRefs`). Shapes follow https://vercel.com/docs/rest-api/deployments/create-a-new-deployment
// and https://vercel.com/docs/rest-api/deployments/get-a-deployment-by-id-or-url.
import { createHash } from "node:crypto";
import { type FakeServer, startFakeServer } from "./http.js";

export interface FakeDeployment {
  id: string;
  project: string;
  url: string;
  target: "production" | null;
  ref: string;
  readyState: "QUEUED" | "BUILDING" | "READY" | "ERROR";
  polls: number;
  meta: Record<string, string>;
  createdAt: number;
}

export interface FakeVercel extends FakeServer {
  deployments: FakeDeployment[];
  /** The deployment production domains point at, per project. */
  production: Map<string, string>;
  /** Refs whose builds end in ERROR. */
  failingRefs: Set<string>;
  /** Refs whose builds never finish. */
  hangingRefs: Set<string>;
}

const err = (status: number, message: string) => ({
  error: { code: status === 404 ? "not_found" : status === 403 ? "forbidden" : "bad_request", message },
});

export async function startFakeVercel(opts: {
  token: string;
  projects: string[];
  /** GETs a deployment needs before READY (default 1). */
  buildPolls?: number;
  port?: number;
}): Promise<FakeVercel> {
  const deployments: FakeDeployment[] = [];
  const production = new Map<string, string>();
  const failingRefs = new Set<string>();
  const hangingRefs = new Set<string>();
  const buildPolls = opts.buildPolls ?? 1;
  const view = (d: FakeDeployment) => ({
    id: d.id,
    url: d.url,
    name: d.project,
    readyState: d.readyState,
    target: d.target,
    meta: d.meta,
    createdAt: d.createdAt,
    ...(d.readyState === "ERROR"
      ? { errorCode: "BUILD_FAILED", errorMessage: 'Command "npm run build" exited with 1' }
      : {}),
  });
  const find = (id: string) => deployments.find((d) => d.id === id || d.url === id);

  const server = await startFakeServer({
    token: opts.token,
    port: opts.port,
    error: err,
    routes: [
      {
        method: "POST",
        path: "/v13/deployments",
        handler: (req) => {
          const b = req.body ?? {};
          if (typeof b.name !== "string" || !b.name)
            return { status: 400, body: err(400, "Missing required field name") };
          const project = typeof b.project === "string" ? b.project : b.name;
          if (!opts.projects.includes(project)) return { status: 404, body: err(404, "Project not found") };
          const g = b.gitSource;
          if (g?.type !== "github" || typeof g.ref !== "string" || !(g.repoId || (g.org && g.repo)))
            return { status: 400, body: err(400, "gitSource requires type, ref and repoId or org and repo") };
          if (b.target !== undefined && b.target !== "production" && b.target !== "staging")
            return { status: 400, body: err(400, "Invalid target") };
          const n = deployments.length + 1;
          const sha = createHash("sha1").update(`${g.org}/${g.repo}@${g.ref}#${n}`).digest("hex");
          const d: FakeDeployment = {
            id: `dpl_${n}${"x".repeat(8)}`,
            project,
            url: `${project}-${sha.slice(0, 9)}.vercel.app`,
            target: b.target === "production" ? "production" : null,
            ref: g.ref,
            readyState: "QUEUED",
            polls: 0,
            meta: { ...(b.meta ?? {}), githubCommitSha: sha, githubCommitRef: g.ref },
            createdAt: Date.now(),
          };
          deployments.push(d);
          return { status: 200, body: view(d) };
        },
      },
      {
        method: "GET",
        path: "/v13/deployments/:id",
        handler: (_req, [id]) => {
          const d = find(id!);
          if (!d) return { status: 404, body: err(404, "Deployment not found") };
          if (d.readyState === "QUEUED" || d.readyState === "BUILDING") {
            d.polls++;
            if (!hangingRefs.has(d.ref) && d.polls >= buildPolls) {
              d.readyState = failingRefs.has(d.ref) ? "ERROR" : "READY";
              if (d.readyState === "READY" && d.target === "production") production.set(d.project, d.id);
            } else d.readyState = "BUILDING";
          }
          return { status: 200, body: view(d) };
        },
      },
      {
        method: "GET",
        path: "/v3/deployments/:id/events",
        handler: (_req, [id]) => {
          const d = find(id!);
          if (!d) return { status: 404, body: err(404, "Deployment not found") };
          return {
            status: 200,
            body: [
              { type: "stdout", text: 'Running "npm run build"' },
              ...(d.readyState === "ERROR" ? [{ type: "stderr", text: "Error: Cannot find module './missing'" }] : []),
            ],
          };
        },
      },
      {
        method: "POST",
        path: "/v10/projects/:project/promote/:id",
        handler: (_req, [project, id]) => {
          if (!opts.projects.includes(project!)) return { status: 404, body: err(404, "Project not found") };
          const d = find(id!);
          if (!d || d.project !== project) return { status: 404, body: err(404, "Deployment not found") };
          if (d.readyState !== "READY") return { status: 400, body: err(400, "Deployment is not ready") };
          production.set(project!, d.id);
          return { status: 201, body: {} };
        },
      },
      {
        method: "POST",
        path: "/v1/projects/:project/rollback/:id",
        handler: (_req, [project, id]) => {
          if (!opts.projects.includes(project!)) return { status: 404, body: err(404, "Project not found") };
          const d = find(id!);
          if (!d || d.project !== project) return { status: 404, body: err(404, "Deployment not found") };
          if (d.readyState !== "READY") return { status: 400, body: err(400, "Deployment is not ready") };
          if (production.get(project!) === d.id)
            return { status: 409, body: err(409, "Already the production deployment") };
          production.set(project!, d.id);
          return { status: 201, body: {} };
        },
      },
      {
        method: "GET",
        path: "/v6/deployments",
        handler: (req) => {
          const project = req.query.get("projectId");
          const target = req.query.get("target");
          const list = deployments
            .filter((d) => !project || d.project === project)
            .filter((d) => !req.query.get("state") || d.readyState === req.query.get("state"))
            .filter((d) =>
              target === "production"
                ? production.get(d.project) === d.id
                : target === "preview"
                  ? d.target === null
                  : true,
            )
            .reverse()
            .slice(0, Number(req.query.get("limit") ?? 20));
          return { status: 200, body: { deployments: list.map((d) => ({ uid: d.id, url: d.url, meta: d.meta })) } };
        },
      },
    ],
  });
  return Object.assign(server, { deployments, production, failingRefs, hangingRefs });
}
