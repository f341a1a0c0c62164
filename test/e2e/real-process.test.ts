// The product as users meet it: the real process (the README's command, minus npm), configured
// through PIPELINE_CONFIG, talking HTTP to the strict Bot API stand-in through TELEGRAM_API_ROOT.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTeamChat, type TeamChat } from "./team-chat.js";

const GROUP = -100200300;
const RECORD = fileURLToPath(new URL("../fixtures/deploy/record-deploy.sh", import.meta.url));
const people = {
  alice: { id: 1001, is_bot: false, first_name: "Alice" },
  carol: { id: 2001, is_bot: false, first_name: "Carol" },
};
type Who = keyof typeof people;
/** Bound on each wait: generous, for a loaded machine (a guard against hangs, not a speed target). */
const BOUND = 90_000;

describe("the real process over HTTP", () => {
  let chat: TeamChat<Who>;
  let calls: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-e2e-"));
    calls = join(dir, "calls");
    const target = { command: [RECORD, calls], timeoutSeconds: 30 };
    // At least 10 minutes, and something to watch: the checklist's monitoring item fails an environment with nothing (issue 12).
    const watch = { minutes: 10, intervalSeconds: 300, smoke: { command: ["true"] } };
    writeFileSync(
      join(dir, "pipeline.json"),
      JSON.stringify({
        systems: [
          {
            id: "crm",
            name: "Barber CRM",
            groupChatId: GROUP,
            environments: {
              uat: { url: "https://uat.example.com", deploy: target, rollback: target, watch },
              prod: { url: "https://example.com", deploy: target, rollback: target, watch },
            },
          },
        ],
      }),
    );
    chmodSync(RECORD, 0o755);
    chat = await startTeamChat({
      group: GROUP,
      people,
      bound: BOUND,
      env: {
        DATABASE_URL: "memory://",
        PIPELINE_CONFIG: join(dir, "pipeline.json"),
        ADMIN_IDS: "1001",
      },
    });
  }, 2 * BOUND);

  afterAll(async () => {
    await chat?.stop();
  });

  const say = (who: Who, text: string) => chat.say(who, text);
  const press = (who: Who, label: RegExp) => chat.press(who, label);
  const groupMessage = (pattern: RegExp) => chat.groupMessage(pattern);

  it("takes a reported bug through triage, T1, approval and T2 with payloads Telegram accepts", async () => {
    const title = `</b><a href="tg://x">y</a> & <i>`;
    await say("alice", "/oncall me");
    await say("carol", "/report");
    await say("carol", title);
    await say("carol", "Tap login, nothing happens");
    await press("carol", /^UAT$/);
    await press("carol", /不確定/);
    await say("carol", "-");
    await press("carol", /送出/);

    const card = await groupMessage(/#1 /);
    expect(card.text).toContain("&lt;/b&gt;&lt;a href=&quot;tg://x&quot;&gt;y&lt;/a&gt; &amp; &lt;i&gt;");
    await press("carol", /確認/); // a member: refused with a toast, nothing changes
    await press("alice", /確認/);
    await press("alice", /medium/);
    await press("alice", /^Flow 1/); // no version probe: the versions are unknown, the flow is chosen explicitly
    await press("alice", /確認分類/);

    await say("alice", "/run t1");
    await groupMessage(/Flow 1 已部署 UAT/);
    await press("alice", /批准推 PROD #1/);
    await groupMessage(/已由 Alice 批准推 PROD/);
    await say("alice", "/run t2");
    await groupMessage(/Flow 1 已部署 PROD/);

    expect(chat.api.errors()).toEqual([]);
    const answers = chat.api.of("answerCallbackQuery").map((c) => c.payload.callback_query_id);
    expect(new Set(answers).size).toBe(answers.length);
    expect(answers.length).toBeGreaterThanOrEqual(7);
    const toasts = chat.api.of("answerCallbackQuery").map((c) => c.payload.text);
    expect(toasts).toContain("只有管理員可以操作");
    const deploys = readdirSync(calls).map((c) => readFileSync(join(calls, c, "NIGHTSHIFT_ENV"), "utf8"));
    expect(deploys).toEqual(["uat", "prod"]);
    const stdin = JSON.parse(readFileSync(join(calls, readdirSync(calls)[0]!, "stdin"), "utf8"));
    expect(stdin.bugs[0].title).toBe(title);
  }, 600_000);
});
