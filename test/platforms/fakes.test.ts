// issue 11 — the platform fakes refuse what the real services refuse: no or a wrong Bearer token, an
// unknown path, a known path with the wrong method, a body that is not JSON, and missing required
// fields. (The provider tests drive the accepted paths through whole releases.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeNorthflank, startFakeNorthflank } from "../../src/sandbox/fakes/northflank.js";
import { type FakeVercel, startFakeVercel } from "../../src/sandbox/fakes/vercel.js";

const TOKEN = "fake-test-token-0123456789";

async function call(
  root: string,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; raw?: string; type?: string } = {},
) {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const response = await fetch(root + path, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": opts.type ?? "application/json" }),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, json: (await response.json().catch(() => null)) as any };
}

describe("fake Vercel API", () => {
  let vercel: FakeVercel;
  beforeAll(async () => {
    vercel = await startFakeVercel({ token: TOKEN, projects: ["crm-web"] });
  });
  afterAll(() => vercel.close());
  const git = { type: "github", org: "acme", repo: "crm", ref: "main" };

  it("refuses a missing or wrong token", async () => {
    expect((await call(vercel.url, "GET", "/v13/deployments/x", { token: null })).status).toBe(401);
    expect((await call(vercel.url, "GET", "/v13/deployments/x", { token: "nope" })).status).toBe(403);
  });

  it("refuses unknown paths (404) and wrong methods (405)", async () => {
    expect((await call(vercel.url, "GET", "/v12/deployments/x")).status).toBe(404);
    expect((await call(vercel.url, "GET", "/v13/deployments")).status).toBe(405);
    expect((await call(vercel.url, "GET", "/v10/projects/crm-web/promote/x")).status).toBe(405);
    expect((await call(vercel.url, "DELETE", "/v1/projects/crm-web/rollback/x")).status).toBe(405);
  });

  it("refuses a create without name or a complete gitSource, a non-JSON body and an unknown project", async () => {
    expect((await call(vercel.url, "POST", "/v13/deployments", { body: { gitSource: git } })).status).toBe(400);
    const noRef = { name: "crm-web", gitSource: { type: "github", org: "acme", repo: "crm" } };
    expect((await call(vercel.url, "POST", "/v13/deployments", { body: noRef })).status).toBe(400);
    const noRepo = { name: "crm-web", gitSource: { type: "github", ref: "main" } };
    expect((await call(vercel.url, "POST", "/v13/deployments", { body: noRepo })).status).toBe(400);
    expect(
      (await call(vercel.url, "POST", "/v13/deployments", { raw: "name=crm-web", type: "text/plain" })).status,
    ).toBe(400);
    expect(
      (await call(vercel.url, "POST", "/v13/deployments", { body: { name: "other", gitSource: git } })).status,
    ).toBe(404);
    expect(vercel.deployments).toHaveLength(0);
  });

  it("refuses promoting a deployment that is not READY, and an unknown one", async () => {
    const created = await call(vercel.url, "POST", "/v13/deployments", { body: { name: "crm-web", gitSource: git } });
    expect(created.status).toBe(200);
    expect((await call(vercel.url, "POST", `/v10/projects/crm-web/promote/${created.json.id}`)).status).toBe(400);
    expect((await call(vercel.url, "POST", "/v10/projects/crm-web/promote/dpl_nope")).status).toBe(404);
  });
});

describe("fake Northflank API", () => {
  let nf: FakeNorthflank;
  beforeAll(async () => {
    nf = await startFakeNorthflank({ token: TOKEN, project: "crm", service: "api" });
  });
  afterAll(() => nf.close());
  const service = "/v1/projects/crm/services/api";

  it("refuses a missing or wrong token", async () => {
    expect((await call(nf.url, "GET", service, { token: null })).status).toBe(401);
    expect((await call(nf.url, "POST", `${service}/build`, { token: "nope", body: {} })).status).toBe(403);
    expect(nf.builds).toHaveLength(0);
  });

  it("refuses unknown paths, services (404) and wrong methods (405)", async () => {
    expect((await call(nf.url, "GET", "/v1/projects/crm/service/api")).status).toBe(404);
    expect((await call(nf.url, "GET", "/v1/projects/crm/services/other")).status).toBe(404);
    expect((await call(nf.url, "GET", `${service}/deployment`)).status).toBe(405);
    expect((await call(nf.url, "POST", service, { body: {} })).status).toBe(405);
  });

  it("refuses a build of another branch, a short sha, a non-JSON body, and a redeploy without a successful build's sha", async () => {
    expect((await call(nf.url, "POST", `${service}/build`, { body: { branch: "dev" } })).status).toBe(400);
    expect((await call(nf.url, "POST", `${service}/build`, { body: { sha: "abc" } })).status).toBe(400);
    expect((await call(nf.url, "POST", `${service}/build`, { raw: "branch=main", type: "text/plain" })).status).toBe(
      400,
    );
    expect((await call(nf.url, "POST", `${service}/deployment`, { body: { internal: { id: "api" } } })).status).toBe(
      400,
    );
    const unknownSha = { internal: { id: "api", buildSHA: "a".repeat(40) } };
    expect((await call(nf.url, "POST", `${service}/deployment`, { body: unknownSha })).status).toBe(400);
    expect(nf.builds).toHaveLength(0);
    expect(nf.running()).toBe("");
  });
});
