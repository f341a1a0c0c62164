// issue 13: /report's optional GitHub step, through Telegram updates with the strict fake Bot API and
// the fake GitHub API. A valid issue + PR is stored with the bug (audit rows, card line); a URL of
// another repo, a missing issue or an issue another bug links is refused with the repo named and asked
// again, nothing stored; 略過 or `-` links nothing; a system without `github` never asks.
import { beforeEach, describe, expect, it } from "vitest";
import { bugEvents, bugs } from "../../drizzle/schema.js";
import { bugHistory, getBug } from "../../src/app/bugs.js";
import type { Config } from "../../src/config.js";
import { createFakeGithub, type FakeGithub } from "../../src/sandbox/fake-github.js";
import { fakeClock, startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, carol, messageUpdate, type Person } from "../support/telegram.js";
import { current, deliverOutbox, messageState, pressOn } from "../telegram/helpers.js";
import { githubConfig, REPO, withCodeHost } from "./support.js";

const ASK = "有相關的 GitHub Issue 或 PR 嗎";

describe.each(testBackends())("/report links GitHub on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  let gh: FakeGithub;
  let config: Config;
  beforeEach(async () => {
    await t.reset();
    gh = createFakeGithub({ repo: REPO, token: "ghp_test_token_0123456789" });
    gh.add({ number: 5, title: "Login broken" });
    gh.add({ number: 9, title: "Fix login", isPull: true });
    config = withCodeHost(undefined, { github: githubConfig(await gh.listen()) });
    tb = await startTestBot(t.db, { config, clock: fakeClock("2099-03-10T02:00:00Z") });
    return () => gh.close();
  });

  /** A message typed now (by the bot's clock), as Telegram would date it. */
  const say = (text: string, from: Person, chatId: number) =>
    tb.send(messageUpdate(text, from, chatId, Math.floor(tb.clock().getTime() / 1000)));
  const shown = (chatId: number) => String(current(tb, chatId).payload.text);

  /** /report up to (and including) the module question, answered with `-`. */
  async function upToLinks(chatId: number, from: Person = carol) {
    await say("/report", from, chatId);
    await say("Login button does nothing", from, chatId);
    await say("Tap login, nothing happens", from, chatId);
    await tb.send(pressOn(current(tb, chatId), "UAT", from));
    await tb.send(pressOn(current(tb, chatId), "不確定", from));
    await say("-", from, chatId);
  }

  /** Every callback_data the bot has sent, in bytes. */
  const callbackBytes = () =>
    tb.api.calls
      .flatMap((c) => (c.payload.reply_markup?.inline_keyboard ?? []).flat())
      .map((b: { callback_data?: string }) => Buffer.byteLength(b.callback_data ?? ""));

  it("a valid issue and PR (one message) are stored with the bug, audited and shown on its card; the group keeps only the card", async () => {
    await upToLinks(GROUP);
    expect(shown(GROUP)).toContain(ASK);
    expect(shown(GROUP)).toContain(`<b>${REPO}</b>`);
    expect(
      current(tb, GROUP)
        .payload.reply_markup.inline_keyboard.flat()
        .map((b: any) => b.text),
    ).toEqual(["略過"]);
    await say("https://github.com/acme/crm/issues/5  https://github.com/ACME/crm/pull/9", carol, GROUP);
    expect(shown(GROUP)).toContain("確認送出");
    expect(shown(GROUP)).toContain("🔗 GitHub：Issue #5 · PR #9");
    expect(await t.db.select().from(bugs)).toEqual([]); // nothing written before 送出
    await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));

    const bug = await getBug(t.db, 1);
    expect(bug).toMatchObject({ title: "Login button does nothing", githubIssue: 5, githubPull: 9, rowVersion: 1 });
    const history = await bugHistory(t.db, 1);
    expect(history.map((e) => [e.event, e.note, e.actorName])).toEqual([
      ["report", null, "Carol"],
      ["link", "issue #5", "Carol"],
      ["link", "PR #9", "Carol"],
    ]);
    const [card] = await deliverOutbox(tb);
    expect(String(card!.payload.text)).toContain("🔗 GitHub：Issue #5 · PR #9");
    // both linked: the card offers no 連結 GitHub button
    expect(JSON.stringify(card!.payload.reply_markup)).not.toContain("連結 GitHub");
    // the quiet panel: typed answers deleted, the card is all that stays
    expect(tb.api.botMessagesLeft(GROUP).map((m) => m.messageId)).toEqual([card!.result.message_id]);
    const deleted = tb.api.of("deleteMessage").map((c) => c.payload.message_id);
    expect(deleted.length).toBeGreaterThanOrEqual(5); // /report, title, description, "-", the links
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /repos/acme/crm/issues/5",
      "GET /repos/acme/crm/pulls/9",
    ]);
    expect(Math.max(...callbackBytes())).toBeLessThanOrEqual(64);
    expect(tb.api.errors()).toEqual([]);
  });

  it("a URL of another repo or a missing issue is refused naming the repo and asked again; nothing is stored; 略過 links nothing", async () => {
    await upToLinks(GROUP);
    await say("https://github.com/evil/other/issues/5", carol, GROUP);
    const refused = shown(GROUP);
    expect(refused).toContain("無法連結 https://github.com/evil/other/issues/5：只能連結本系統設定的 GitHub 儲存庫");
    expect(refused).toContain(`請貼上 ${REPO} 的 Issue 或 PR 網址（例如 https://github.com/${REPO}/issues/12）`);
    expect(refused).toContain(ASK); // the question again, under the hint, with its button
    expect(
      current(tb, GROUP)
        .payload.reply_markup.inline_keyboard.flat()
        .map((b: any) => b.text),
    ).toEqual(["略過"]);
    expect(gh.requests).toEqual([]); // another repo is refused before GitHub is asked
    await say("https://github.com/acme/crm/issues/404", carol, GROUP);
    expect(shown(GROUP)).toContain("GitHub 找不到這個 Issue 或 PR");
    await say("https://github.com/acme/crm/issues/5 https://github.com/acme/crm/issues/9 x", carol, GROUP);
    expect(shown(GROUP)).toContain("最多只能連結一個 Issue 和一個 PR");
    expect(await t.db.select().from(bugs)).toEqual([]);

    await tb.send(pressOn(current(tb, GROUP), "略過", carol));
    expect(shown(GROUP)).toContain("確認送出");
    expect(shown(GROUP)).not.toContain("🔗 GitHub");
    await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));
    expect(await getBug(t.db, 1)).toMatchObject({ githubIssue: null, githubPull: null });
    expect((await t.db.select().from(bugEvents)).map((e) => e.event)).toEqual(["report"]);
    const [card] = await deliverOutbox(tb);
    expect(String(card!.payload.text)).not.toContain("🔗 GitHub：");
    expect(tb.api.botMessagesLeft(GROUP).map((m) => m.messageId)).toEqual([card!.result.message_id]);
    expect(tb.api.errors()).toEqual([]);
  });

  it("in a private chat (an admin): an issue another bug links is refused (its bug named), `-` skips, a PR alone is linked", async () => {
    const other = await reportOne(t.db, {}, new Date("2099-03-10T01:00:00Z"));
    await t.db.update(bugs).set({ githubIssue: 5 });
    await upToLinks(alice.id, alice);
    expect(shown(alice.id)).toContain(ASK);
    await say("https://github.com/acme/crm/issues/5", alice, alice.id);
    const hint = tb.api.of("sendMessage").at(-1)!;
    expect(String(hint.payload.text)).toContain(`這個 Issue 已連結到 bug #${other.id}`);
    expect(String(hint.payload.text)).toContain(`請貼上 ${REPO} 的 Issue 或 PR 網址`);
    // an /issues/N that GitHub says is a pull request links the PR
    await say("https://github.com/acme/crm/issues/9", alice, alice.id);
    expect(shown(alice.id)).toContain("🔗 GitHub：PR #9");
    await tb.send(pressOn(current(tb, alice.id), "📨 送出", alice));
    const bug = (await t.db.select().from(bugs)).find((b) => b.id !== other.id)!;
    expect(bug).toMatchObject({ githubIssue: null, githubPull: 9 });
    expect(tb.api.of("sendMessage").at(-1)!.payload.text).toContain(`已建立 #${bug.id}`);

    // `-` skips the step, like the other optional answers
    await upToLinks(alice.id, alice);
    await say("-", alice, alice.id);
    expect(shown(alice.id)).toContain("確認送出");
    await tb.send(pressOn(current(tb, alice.id), "📨 送出", alice));
    const third = (await t.db.select().from(bugs)).sort((a, b) => a.id - b.id).at(-1)!;
    expect(third).toMatchObject({ githubIssue: null, githubPull: null });
    expect(tb.api.errors()).toEqual([]);
  });

  it("an issue another bug linked between the step and 送出: filed without it, the reporter told", async () => {
    const other = await reportOne(t.db, {}, new Date("2099-03-10T01:00:00Z"));
    await upToLinks(GROUP);
    await say("https://github.com/acme/crm/issues/5 https://github.com/acme/crm/pull/9", carol, GROUP);
    const panel = current(tb, GROUP);
    expect(String(panel.payload.text)).toContain("🔗 GitHub：Issue #5 · PR #9");
    await say(`/link ${other.id} https://github.com/acme/crm/issues/5`, alice, GROUP);
    await tb.send(pressOn(panel, "📨 送出", carol));
    const filed = (await t.db.select().from(bugs)).find((b) => b.id !== other.id)!;
    expect(filed).toMatchObject({ githubIssue: null, githubPull: 9 });
    expect((await getBug(t.db, other.id))?.githubIssue).toBe(5);
    const links = (await bugHistory(t.db, filed.id)).filter((e) => e.event === "link").map((e) => e.note);
    expect(links).toEqual(["PR #9"]);
    // the quiet panel stays as the last word
    const id = panel.result?.message_id ?? panel.payload.message_id;
    expect(messageState(tb, GROUP, id).payload.text).toBe(`⚠️ Issue #5 已連結到 bug #${other.id}，這筆回報未連結它。`);
    expect(tb.api.errors()).toEqual([]);
  });

  it("a system without github: no link step, the summary follows the module", async () => {
    const plain = await startTestBot(t.db, { clock: fakeClock("2099-03-10T02:00:00Z") });
    tb = plain;
    await upToLinks(GROUP);
    expect(shown(GROUP)).toContain("確認送出");
    expect(tb.api.calls.some((c) => String(c.payload.text ?? "").includes(ASK))).toBe(false);
    await tb.send(pressOn(current(tb, GROUP), "📨 送出", carol));
    expect(await getBug(t.db, 1)).toMatchObject({ githubIssue: null, githubPull: null, status: "submitted" });
    const [card] = await deliverOutbox(tb);
    expect(String(card!.payload.text)).not.toContain("GitHub");
    expect(gh.requests).toEqual([]);
  });
});
