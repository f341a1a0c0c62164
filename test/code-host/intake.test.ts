// POST /github/webhook through the real HTTP server: signature, malformed JSON, intake of a labelled
// issue (bug + link + card in the group), re-deliveries and repeated events creating nothing twice.
import { beforeEach, describe, expect, it } from "vitest";
import { bugs, githubDeliveries, outbox } from "../../drizzle/schema.js";
import { codeHostRoutes } from "../../src/adapters/github/routes.js";
import { signBody } from "../../src/adapters/github/webhook.js";
import { type RunningServer, startHttpServer } from "../../src/adapters/http/server.js";
import { groupCardDraft } from "../../src/adapters/telegram/cards.js";
import { fakeClock, startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { deliverOutbox } from "../telegram/helpers.js";
import { quietLogger } from "../windows/support.js";
import { githubConfig, REPO, SECRET, withCodeHost } from "./support.js";

const issuePayload = (
  over: { action?: string; number?: number; labels?: string[]; label?: string; repo?: string } = {},
) => ({
  action: over.action ?? "opened",
  issue: {
    number: over.number ?? 7,
    title: "Checkout <total> is wrong",
    body: "Steps: add 2 items\nExpected 200",
    user: { login: "octocat" },
    labels: (over.labels ?? ["bug"]).map((name) => ({ name })),
  },
  ...(over.label ? { label: { name: over.label } } : {}),
  repository: { full_name: over.repo ?? REPO },
});

describe.each(testBackends())("GitHub webhook intake on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  let http: RunningServer;
  beforeEach(async () => {
    await t.reset();
    const config = withCodeHost(undefined, { github: githubConfig("http://127.0.0.1:9") });
    tb = await startTestBot(t.db, { config, clock: fakeClock("2099-03-10T02:00:00Z") });
    http = await startHttpServer({
      port: 0,
      logger: quietLogger,
      health: async () => ({ ok: true }),
      ...codeHostRoutes(tb.deps, (bug) => groupCardDraft(tb.deps, bug)),
    });
    return () => http.close();
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${http.port}/github/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const deliver = (payload: unknown, delivery: string, opts: { event?: string; secret?: string } = {}) => {
    const body = JSON.stringify(payload);
    return post(body, {
      "x-github-event": opts.event ?? "issues",
      "x-github-delivery": delivery,
      "x-hub-signature-256": signBody(opts.secret ?? SECRET, body),
    });
  };
  const counts = async () => ({
    bugs: (await t.db.select().from(bugs)).length,
    deliveries: (await t.db.select().from(githubDeliveries)).length,
    outbox: (await t.db.select().from(outbox)).length,
  });

  it("a labelled issue becomes a submitted bug with the issue linked, and its card goes to the group", async () => {
    const res = await deliver(issuePayload(), "d-1");
    expect(res.status).toBe(201);
    const [bug] = await t.db.select().from(bugs);
    expect(bug).toMatchObject({
      status: "submitted",
      githubIssue: 7,
      title: "Checkout <total> is wrong",
      systemId: "crm",
    });
    expect(bug!.reporterName).toBe("GitHub @octocat");
    await deliverOutbox(tb);
    const card = tb.api.sentTo(GROUP).at(-1)!;
    expect(card.payload.text).toContain(`#${bug!.id} Checkout &lt;total&gt; is wrong`);
    expect(card.payload.text).toContain("🔗 GitHub：Issue #7");
  });

  it("a re-delivery and a later 'labeled' event of the same issue create nothing twice", async () => {
    expect((await deliver(issuePayload(), "d-1")).status).toBe(201);
    const again = await deliver(issuePayload(), "d-1");
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true });
    const labelled = await deliver(issuePayload({ action: "labeled", label: "bug" }), "d-2");
    expect(labelled.status).toBe(200);
    expect(await counts()).toEqual({ bugs: 1, deliveries: 2, outbox: 1 });
  });

  it("issues without the label, other labels, and other events are ignored", async () => {
    expect((await deliver(issuePayload({ labels: ["question"] }), "d-1")).status).toBe(202);
    expect((await deliver(issuePayload({ action: "labeled", label: "docs" }), "d-2")).status).toBe(202);
    expect((await deliver({ zen: "hi" }, "d-3", { event: "ping" })).status).toBe(200);
    expect((await deliver(issuePayload(), "d-4", { event: "push" })).status).toBe(202);
    expect(await counts()).toEqual({ bugs: 0, deliveries: 0, outbox: 0 });
  });

  it("a forged or missing signature is 401 and stores nothing; malformed JSON is 400; another repo is 422", async () => {
    expect((await deliver(issuePayload(), "d-1", { secret: "not-the-secret" })).status).toBe(401);
    const body = JSON.stringify(issuePayload());
    expect((await post(body, { "x-github-event": "issues", "x-github-delivery": "d-2" })).status).toBe(401);
    const tampered = body.replace("octocat", "mallory");
    const res = await post(tampered, {
      "x-github-event": "issues",
      "x-github-delivery": "d-3",
      "x-hub-signature-256": signBody(SECRET, body),
    });
    expect(res.status).toBe(401);
    const broken = '{"action": "opened", ';
    const bad = await post(broken, {
      "x-github-event": "issues",
      "x-github-delivery": "d-4",
      "x-hub-signature-256": signBody(SECRET, broken),
    });
    expect(bad.status).toBe(400);
    expect((await deliver(issuePayload({ repo: "evil/other" }), "d-5")).status).toBe(422);
    expect((await deliver({ action: "opened" }, "d-6")).status).toBe(400);
    expect(await counts()).toEqual({ bugs: 0, deliveries: 0, outbox: 0 });
  });
});
