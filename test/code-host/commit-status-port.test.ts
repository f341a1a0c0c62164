// The checklist's "all tests passing" item from GitHub (issue 12 × 13): the port main.ts wires
// (adapters/github/client.ts githubCommitStatusPort) against the strict fake GitHub API — the default
// branch's head when the release names no commit, a named commit otherwise, failing and pending check
// runs, no repo linked, and a refused token (the checklist turns the throw into a failed item).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubCommitStatusPort } from "../../src/adapters/github/client.js";
import type { SystemConfig } from "../../src/config.js";
import { createFakeGithub, type FakeGithub } from "../../src/sandbox/fake-github.js";
import { githubConfig, REPO, TOKEN } from "./support.js";

describe("GitHub as the checklist's commit-status source", () => {
  let gh: FakeGithub;
  let apiRoot: string;
  beforeAll(async () => {
    gh = createFakeGithub({ repo: REPO, token: TOKEN });
    apiRoot = await gh.listen();
  });
  afterAll(() => gh.close());

  const system = (github: unknown) => ({ id: "crm", github }) as unknown as SystemConfig;
  const port = githubCommitStatusPort();

  it("reads the default branch's head when no commit is named, and a named commit otherwise", async () => {
    gh.setStatus("main", "success", [{ context: "ci/unit", state: "success" }]);
    gh.setCheckRuns("main", [{ name: "build", status: "completed", conclusion: "success" }]);
    expect(await port(system(githubConfig(apiRoot)), null)).toEqual({
      state: "success",
      sha: "main",
      detail: "2 checks",
    });
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toContain(`GET /repos/${REPO}`);

    gh.setStatus("abc1234", "failure", [{ context: "ci/unit", state: "failure" }]);
    expect(await port(system(githubConfig(apiRoot)), "abc1234")).toEqual({
      state: "failure",
      sha: "abc1234",
      detail: "ci/unit: failure",
    });

    gh.setCheckRuns("def5678", [{ name: "e2e", status: "in_progress", conclusion: null }]);
    expect((await port(system(githubConfig(apiRoot)), "def5678"))?.state).toBe("pending");
  });

  it("says nothing for a system without a repo or a commit without CI, and throws when GitHub refuses the token", async () => {
    expect(await port(system(undefined), null)).toBeNull();
    expect(await port(system(githubConfig(apiRoot)), "no-ci-here")).toBeNull();
    await expect(port(system({ ...githubConfig(apiRoot), token: "wrong" }), "abc1234")).rejects.toThrow(/token/);
  });
});
