// Windows firing with a linked bug: release notes in the group (grouped by service in deploy order),
// /release later, the linked issue commented and closed once Flow 1 reaches PROD (never twice, even
// when GitHub fails between the comment and the close), reopened by a /rollback with its reason; a
// token without permission and GitHub's rate limits handled; the Slack mirror of the group.

import { asc } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { deployments, outbox, relayJobs } from "../../drizzle/schema.js";
import { createRelay } from "../../src/adapters/notify/relay.js";
import { getBug } from "../../src/app/bugs.js";
import { syncSlackMirrors } from "../../src/app/code-host.js";
import type { Config } from "../../src/config.js";
import { createFakeGithub, type FakeGithub } from "../../src/sandbox/fake-github.js";
import { createFakeSlack, type FakeSlack } from "../../src/sandbox/fake-slack.js";
import { type IncidentBot, incidentBot, incidentConfig, incidentSetup, setVersions } from "../incidents/support.js";
import { fakeClock } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, messageUpdate } from "../support/telegram.js";
import { current, last, messageState, pressData, pressOn } from "../telegram/helpers.js";
import { at, confirmedBug, onCall, quietLogger, SERVICES } from "../windows/support.js";
import { githubConfig, READ_ONLY_TOKEN, REPO, TOKEN } from "./support.js";

const DAY = "2099-06-09";

describe.each(testBackends())("code host through the pipeline on $name", (backend) => {
  const t = useTestDatabase(backend);
  let gh: FakeGithub;
  let slack: FakeSlack;
  let config: Config;
  let tb: IncidentBot;
  beforeEach(async () => {
    await t.reset();
    gh = createFakeGithub({ repo: REPO, token: TOKEN, readOnlyToken: READ_ONLY_TOKEN });
    gh.add({ number: 5, title: "Login broken" });
    const apiRoot = await gh.listen();
    slack = createFakeSlack();
    const slackUrl = await slack.listen();
    const setup = incidentSetup();
    setup.smoke.pass();
    config = incidentConfig(setup, {
      services: SERVICES,
      system: { github: githubConfig(apiRoot), slackWebhookUrl: slackUrl },
    });
    tb = await incidentBot(t.db, config, fakeClock(at("10:00", DAY)));
    await syncSlackMirrors(t.db, config);
    await onCall(t.db, DAY);
    await setVersions(t.db, { uat: "2099.06.01-1", prod: "2099.06.01-1" }, at("09:00", DAY));
    return async () => {
      await gh.close();
      await slack.close();
    };
  });

  /** A relay on its own fake clock (a "process"): `drain` runs every due job, moving its clock to the next. */
  const relayOn = (cfg: Config = config, fetch?: typeof globalThis.fetch) => {
    const clock = fakeClock(tb.clock());
    const relay = createRelay({ db: t.db, config: cfg, clock, logger: quietLogger, ...(fetch ? { fetch } : {}) });
    return Object.assign(relay, {
      clock,
      drain: async (maxRounds = 50) => {
        for (let i = 0; i < maxRounds; i++) {
          if ((await relay.step()) > 0) continue;
          const due = await relay.nextDue();
          if (!due) return;
          if (due > clock()) clock.set(due);
        }
        throw new Error("relay did not drain");
      },
    });
  };

  /**
   * The group notifications Slack must get: every message sent to the group, and the edits that are
   * notifications of their own (a progress line become the release's template, a watch's summary).
   */
  const mirroredRows = async () =>
    (await t.db.select().from(outbox)).filter(
      (r) =>
        r.chatId === GROUP &&
        (r.method === "sendMessage" ||
          (r.method === "editMessageText" && (r.payload as { mirror?: boolean }).mirror === true)),
    );

  /** Flow 1 of two bugs (one linked to issue 5) through T1, /approve_prod, T2. */
  async function flow1ToProd() {
    const a = await confirmedBug(t.db, { title: "Login broken", services: ["backend"] });
    const b = await confirmedBug(t.db, { title: "Schema <fix>", services: ["frontend", "db-migration"] });
    tb.clock.set(at("11:00", DAY));
    await tb.send(messageUpdate(`/link ${a.id} https://github.com/acme/crm/issues/5`, alice, GROUP));
    expect((await getBug(t.db, a.id))?.githubIssue).toBe(5);
    await tb.window("t1", DAY);
    await tb.settle();
    tb.clock.set(at("21:00", DAY));
    await tb.send(messageUpdate("/approve_prod all", alice, GROUP));
    await tb.settle();
    await tb.window("t2", DAY);
    await tb.settle();
    return { a, b };
  }

  it("posts release notes per release, /release shows them, closes the linked issue at PROD and reopens it on rollback", async () => {
    const { a, b } = await flow1ToProd();
    const version = "2099.06.09-1";
    const texts = await tb.groupTexts();
    const notes = texts.filter((x) => x.startsWith("📝"));
    expect(notes).toHaveLength(2);
    expect(notes[0]!.split("\n")).toEqual([
      `📝 <b>Release notes — ${version}</b>（UAT）`,
      `[db-migration] Fix: Schema &lt;fix&gt; (#${b.id})`,
      `[backend] Fix: Login broken (#${a.id})`,
      `[frontend] Fix: Schema &lt;fix&gt; (#${b.id})`,
    ]);
    expect(notes[1]!.split("\n")[0]).toBe(`📝 <b>Release notes — ${version}</b>（PROD）`);
    // the templates' bug lines show the link, in the spec's line order
    // (issue 17: a progress line becomes its template by an edit — read the messages as they read now)
    const shownNow = tb.api
      .botMessagesLeft(GROUP)
      .map((m) => String(messageState(tb, GROUP, m.messageId).payload.text));
    const prod = shownNow.find((x) => x.startsWith("🚀 Bug Fix Pipeline — Flow 1 已部署 PROD"))!;
    expect(prod.split("\n")[1]).toBe(`• #${a.id} [medium] Login broken（Issue #5）`);

    // only PROD completes Flow 1: one close job
    const jobs = await t.db.select().from(relayJobs);
    expect(jobs.filter((j) => j.kind === "github_close")).toHaveLength(1);
    // GitHub fails between the comment and the close: the retry does not comment twice
    gh.fail(1, "PATCH");
    const relay = relayOn();
    await relay.drain();
    const issue = gh.issues.get(5)!;
    expect(issue.state).toBe("closed");
    expect(issue.comments).toHaveLength(1);
    expect(issue.comments[0]!.body).toContain(`已部署 PROD（版本 \`${version}\`）：Flow 1 完成。`);
    expect(issue.comments[0]!.body).toContain(`Nightshift bug #${a.id}`);

    tb.clock.set(at("23:00", DAY));
    await tb.send(messageUpdate(`/release ${version}`, alice, GROUP));
    const shown = String(last(tb, "sendMessage", GROUP).payload.text);
    expect(shown).toContain(`Release notes — ${version}</b>（UAT）`);
    expect(shown).toContain(`[backend] Fix: Login broken (#${a.id})`);
    await tb.send(messageUpdate("/release 1999.01.01-1", alice, GROUP));
    expect(String(last(tb, "sendMessage", GROUP).payload.text)).toContain("找不到版本 1999.01.01-1");

    await tb.send(messageUpdate("/rollback prod", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "🟠 功能回歸", alice)); // issue 12: the kind, then the reason
    await tb.send(messageUpdate("登入後白畫面", alice, GROUP));
    await tb.send(pressOn(current(tb, GROUP), "⚠️ 確認回滾", alice)); // one message, edited (issue 17)
    await tb.settle();
    await relay.drain();
    expect(issue.state).toBe("open");
    expect(issue.comments).toHaveLength(2);
    expect(issue.comments[1]!.body).toContain("原因：登入後白畫面");

    // every group message went to Slack too, as text
    const mirrored = slack.received.join("\n---\n");
    expect(mirrored).toContain("🚀 Bug Fix Pipeline — Flow 1 已部署 PROD");
    expect(mirrored).toContain(`*Release notes — ${version}*（UAT）`);
    expect(mirrored).toContain("Schema &lt;fix&gt;");
    expect(slack.received.length).toBe((await mirroredRows()).length);
  });

  /** A critical bug linked to issue 5, hotfixed from chat (`run` deploys through the target, `manual` records). */
  async function hotfixLinked(mode: "run" | "manual") {
    const bug = await reportOne(
      t.db,
      { title: "Checkout <crashes>", severity: "critical", foundInEnv: "prod", services: ["backend"] },
      at("10:00", DAY),
    );
    tb.clock.set(at("11:00", DAY));
    await tb.send(messageUpdate(`/link ${bug.id} https://github.com/acme/crm/issues/5`, alice, GROUP));
    await tb.send(messageUpdate(`/hotfix ${bug.id}`, alice, GROUP));
    await tb.send(messageUpdate("--- a/pay.ts\n+++ b/pay.ts\n+if (!card) return;", alice, GROUP));
    await tb.send(pressData(current(tb, GROUP), `v1:hx:m:${mode}`, alice));
    await tb.settle();
    expect((await getBug(t.db, bug.id))?.status).toBe("deployed_prod");
    const [release] = (await t.db.select().from(deployments)).filter((d) => d.kind === "hotfix");
    return { bug, version: release!.version };
  }

  it.each(["run", "manual"] as const)(
    "a hotfix (%s) posts its release notes after its Emergency Hotfix notice; /release shows them; the issue is closed",
    async (mode) => {
      const { bug, version } = await hotfixLinked(mode);
      const noteHeader = `📝 <b>Release notes — ${version}</b>（PROD）`;
      // in the outbox (the dispatcher's order: same priority, by id) and as Telegram got them
      const rows = (await t.db.select().from(outbox).orderBy(asc(outbox.id))).filter(
        (r) => r.chatId === GROUP && r.method === "sendMessage",
      );
      const template = rows.findIndex((r) => String(r.payload.text).startsWith("🚨 Emergency Hotfix"));
      const notes = rows.findIndex((r) => String(r.payload.text).startsWith(noteHeader));
      expect(template).toBeGreaterThanOrEqual(0);
      expect(notes).toBe(template + 1);
      expect(rows[notes]!.priority).toBe(rows[template]!.priority);
      expect(String(rows[notes]!.payload.text).split("\n")).toEqual([
        noteHeader,
        `[backend] Fix: Checkout &lt;crashes&gt; (#${bug.id})`,
      ]);
      const sent = tb.api.sentTo(GROUP).map((c) => String(c.payload.text));
      const sentTemplate = sent.findIndex((x) => x.startsWith("🚨 Emergency Hotfix"));
      expect(sent.findIndex((x) => x.startsWith(noteHeader))).toBeGreaterThan(sentTemplate);
      expect(sent.filter((x) => x.startsWith("📝"))).toHaveLength(1);

      tb.clock.set(at("12:00", DAY));
      await tb.send(messageUpdate(`/release ${version}`, alice, GROUP));
      const shown = String(last(tb, "sendMessage", GROUP).payload.text);
      expect(shown).toContain(noteHeader);
      expect(shown).toContain(`[backend] Fix: Checkout &lt;crashes&gt; (#${bug.id})`);

      // the hotfix completes the bug's flow: its linked issue is commented and closed
      await relayOn().drain();
      const issue = gh.issues.get(5)!;
      expect(issue.state).toBe("closed");
      expect(issue.comments[0]!.body).toContain(`緊急修正已部署 PROD（版本 \`${version}\`）`);
      // the notes are mirrored to Slack like every group notification
      expect(slack.received.some((x) => x.startsWith(`📝 *Release notes — ${version}*（PROD）`))).toBe(true);
      expect(tb.api.errors()).toEqual([]);
    },
  );

  it("a token without permission: the job gives up and the group is told once; rate limits wait for the reset", async () => {
    await flow1ToProd();
    const readOnly: Config = {
      ...config,
      systems: config.systems.map((s) => ({ ...s, github: { ...s.github!, token: READ_ONLY_TOKEN } })),
    };
    // 429 with retry-after first: nothing is tried again before it
    gh.rateLimit(1, 429, { "retry-after": "120" });
    const relay = relayOn(readOnly, undefined);
    await relay.step();
    const [job] = (await t.db.select().from(relayJobs)).filter((j) => j.kind === "github_close");
    expect(job!.nextAttemptAt.getTime() - relay.clock().getTime()).toBe(120_000);
    relay.clock.advance(60_000);
    const asked = gh.requests.length;
    await relay.step(); // Slack jobs may run; GitHub is not asked again before the reset
    expect(gh.requests.length).toBe(asked);
    await relay.drain();
    const [done] = (await t.db.select().from(relayJobs)).filter((j) => j.kind === "github_close");
    expect(done).toMatchObject({ outcome: "gave_up" });
    expect(gh.issues.get(5)!.state).toBe("open");
    const texts = await tb.groupTexts();
    expect(texts.filter((x) => x.startsWith("⚠️ 無法關閉 GitHub Issue #5"))).toEqual([
      "⚠️ 無法關閉 GitHub Issue #5：權杖沒有寫入 Issue 的權限（需要 Issues：Read and write）",
    ]);
  });

  it("Slack: an outage never delays Telegram, and a job claimed by a relay that died is sent by the next one", async () => {
    slack.down(1000);
    await flow1ToProd();
    // Telegram got every group message although Slack is down
    const telegram = tb.api.sentTo(GROUP).length;
    expect(telegram).toBeGreaterThan(5);
    const first = relayOn();
    await first.step();
    expect(slack.received).toEqual([]);
    slack.down(0);
    // a relay that claims the next job and dies mid-call (its fetch never returns)
    const dead = relayOn(config, (() => new Promise<Response>(() => {})) as typeof globalThis.fetch);
    dead.clock.set(new Date(first.clock().getTime() + 10 * 60_000));
    void dead.step();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // a new relay ("after a restart") waits out the lease, then sends everything once, in order
    const next = relayOn();
    next.clock.set(dead.clock());
    await next.drain();
    const groupTexts = await tb.groupTexts();
    expect(slack.received).toHaveLength((await mirroredRows()).length);
    expect(slack.received[0]).toBe(groupTexts[0]!.replace(/<\/?b>/g, "*"));
    expect(new Set(slack.received).size).toBe(slack.received.length);
  });
});
