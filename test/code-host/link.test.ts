// Linking a bug to a GitHub issue / pull request from chat: /link, the card's button with a reply,
// validation against the configured repo, and GitHub's refusals (404, rate limit) answered clearly.
import { beforeEach, describe, expect, it } from "vitest";
import { bugEvents, bugs } from "../../drizzle/schema.js";
import { getBug } from "../../src/app/bugs.js";
import { createFakeGithub, type FakeGithub } from "../../src/sandbox/fake-github.js";
import { fakeClock, startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, buttonsOf, carol, messageUpdate } from "../support/telegram.js";
import { deliverOutbox, pressOn } from "../telegram/helpers.js";
import { githubConfig, REPO, withCodeHost } from "./support.js";

describe.each(testBackends())("GitHub links on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  let gh: FakeGithub;
  beforeEach(async () => {
    await t.reset();
    gh = createFakeGithub({ repo: REPO, token: "ghp_test_token_0123456789" });
    gh.add({ number: 5, title: "Login broken" });
    gh.add({ number: 9, title: "Fix login", isPull: true });
    const apiRoot = await gh.listen();
    tb = await startTestBot(t.db, {
      config: withCodeHost(undefined, { github: githubConfig(apiRoot) }),
      clock: fakeClock("2099-03-10T02:00:00Z"),
    });
    return () => gh.close();
  });

  const lastReply = () => String(tb.api.of("sendMessage").at(-1)!.payload.text);
  const say = (text: string, from = carol) => tb.send(messageUpdate(text, from, GROUP));

  it("/link sets the issue and the PR (an /issues/N that is a PR links the PR); card and bug lines show them", async () => {
    const bug = await reportOne(t.db, {}, new Date("2099-03-10T01:00:00Z"));
    await say(`/link ${bug.id} https://github.com/acme/crm/issues/5`);
    expect(lastReply()).toContain(`bug #${bug.id} 已連結 Issue`);
    expect(lastReply()).toContain("Login broken");
    await say(`/link ${bug.id} https://github.com/ACME/crm/issues/9`);
    expect(lastReply()).toContain("PR");
    const linked = await getBug(t.db, bug.id);
    expect(linked).toMatchObject({ githubIssue: 5, githubPull: 9, rowVersion: bug.rowVersion });
    await say(`/bug ${bug.id}`);
    expect(lastReply()).toContain("🔗 GitHub：Issue #5 · PR #9");
    const events = await t.db.select().from(bugEvents);
    expect(events.filter((e) => e.event === "link").map((e) => e.note)).toEqual(["issue #5", "PR #9"]);
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /repos/acme/crm/issues/5",
      "GET /repos/acme/crm/issues/9",
    ]);
  });

  it("another repo, a non-GitHub URL, a missing issue and a rate limit are refused clearly and write nothing", async () => {
    const bug = await reportOne(t.db, {}, new Date("2099-03-10T01:00:00Z"));
    await say(`/link ${bug.id} https://github.com/evil/other/issues/5`);
    expect(lastReply()).toContain("只能連結本系統設定的 GitHub 儲存庫");
    await say(`/link ${bug.id} https://example.com/acme/crm/issues/5`);
    expect(lastReply()).toContain("只能連結本系統設定的 GitHub 儲存庫");
    await say(`/link ${bug.id} not-a-url`);
    expect(lastReply()).toContain("這不是 GitHub Issue 或 PR 的網址");
    await say(`/link ${bug.id} https://github.com/acme/crm/issues/404`);
    expect(lastReply()).toContain("GitHub 找不到");
    gh.rateLimit(1, 403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "4070000000" });
    await say(`/link ${bug.id} https://github.com/acme/crm/issues/5`);
    expect(lastReply()).toContain("GitHub 暫時限制請求次數");
    await say("/link");
    expect(lastReply()).toContain("用法：/link");
    expect(await getBug(t.db, bug.id)).toMatchObject({ githubIssue: null, githubPull: null });
    expect((await t.db.select().from(bugEvents)).filter((e) => e.event === "link")).toEqual([]);
  });

  it("an issue already linked to another bug is refused", async () => {
    const a = await reportOne(t.db, {}, new Date("2099-03-10T01:00:00Z"));
    const b = await reportOne(t.db, {}, new Date("2099-03-10T01:00:00Z"));
    await say(`/link ${a.id} https://github.com/acme/crm/issues/5`);
    await say(`/link ${b.id} https://github.com/acme/crm/issues/5`);
    expect(lastReply()).toContain("這個 Issue 已連結到另一個 bug");
    expect((await t.db.select().from(bugs)).map((x) => x.githubIssue).sort()).toEqual([5, null]);
  });

  it("the card's 連結 GitHub button asks for the URL; a reply to that prompt links it", async () => {
    const bug = await reportOne(t.db, {}, new Date("2099-03-10T01:00:00Z"));
    const { groupCardDraft } = await import("../../src/adapters/telegram/cards.js");
    const { enqueue } = await import("../../src/app/outbox.js");
    await enqueue(t.db, groupCardDraft(tb.deps, bug), tb.clock());
    const [card] = (await deliverOutbox(tb)).filter((c) => String(c.payload.text).includes(`#${bug.id}`));
    expect(buttonsOf(card!.payload).map((b) => b.text)).toContain("🔗 連結 GitHub");
    await tb.send(pressOn(card!, "🔗 連結 GitHub", alice));
    const prompt = tb.api.of("sendMessage").at(-1)!;
    expect(prompt.payload.reply_markup).toMatchObject({ force_reply: true });
    expect(String(prompt.payload.text)).toContain(`bug #${bug.id}`);
    const reply = messageUpdate("https://github.com/acme/crm/pull/9", alice, GROUP);
    (reply.message as any).reply_to_message = {
      message_id: prompt.result.message_id,
      date: 1,
      chat: { id: GROUP, type: "supergroup", title: "Team" },
      from: { id: 42, is_bot: true, first_name: "Nightshift" },
      text: String(prompt.payload.text).replace(/<[^>]+>/g, ""),
    };
    await tb.send(reply);
    expect(lastReply()).toContain(`bug #${bug.id} 已連結 PR`);
    expect((await getBug(t.db, bug.id))?.githubPull).toBe(9);
    expect(tb.api.errors()).toEqual([]);
  });
});
