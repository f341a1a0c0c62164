// issue 10 end to end: the real process reads each environment's version from endpoints served on
// 127.0.0.1 (UAT answers JSON {"build":{"version":"1.4.0"}}, PROD a plain "1.3.0"): a PROD bug is
// suggested Flow 2, forcing Flow 1 asks for a reason, and /status shows both versions.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTeamChat, type TeamChat } from "./team-chat.js";

const GROUP = -100200301;
const people = {
  alice: { id: 1001, is_bot: false, first_name: "Alice" },
  carol: { id: 2001, is_bot: false, first_name: "Carol" },
};
type Who = keyof typeof people;
const BOUND = 90_000;

/**
 * The environments' version endpoints: GET only (405 otherwise), the two paths only (404), as a
 * typical `/version` route of a web app answers.
 */
function serveVersions(): Promise<{ server: Server; url: string; reads: string[] }> {
  const reads: string[] = [];
  const server = createServer((req, res) => {
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    reads.push(req.url ?? "");
    if (req.url === "/uat/version") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ build: { version: "1.4.0" } }));
    } else if (req.url === "/prod/version") {
      res.writeHead(200, { "content-type": "text/plain" }).end("1.3.0\n");
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reads }),
    ),
  );
}

describe("real versions in the real process", () => {
  let chat: TeamChat<Who>;
  let versions: Awaited<ReturnType<typeof serveVersions>>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "nightshift-e2e-versions-"));
    versions = await serveVersions();
    writeFileSync(
      join(dir, "pipeline.json"),
      JSON.stringify({
        systems: [
          {
            id: "crm",
            name: "Barber CRM",
            groupChatId: GROUP,
            environments: {
              uat: { version: { http: `${versions.url}/uat/version`, json: "build.version", timeoutSeconds: 5 } },
              prod: { version: { http: `${versions.url}/prod/version`, timeoutSeconds: 5 } },
            },
          },
        ],
      }),
    );
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
    await new Promise((r) => versions?.server.close(r));
  });

  const say = (who: Who, text: string) => chat.say(who, text);
  const press = (who: Who, label: RegExp) => chat.press(who, label);
  const groupMessage = (pattern: RegExp) => chat.groupMessage(pattern);

  it(
    "suggests Flow 2 for a PROD bug while UAT (1.4.0) is ahead of PROD (1.3.0); Flow 1 needs a reason; /status shows both",
    async () => {
      await say("carol", "/report");
      await say("carol", "Invoice total is wrong");
      await say("carol", "PROD shows 0 for discounted invoices");
      await press("carol", /^PROD$/);
      await press("carol", /不確定/);
      await say("carol", "-");
      await press("carol", /送出/);

      await groupMessage(/#1 /);
      await press("alice", /^✅ 確認$/);
      await press("alice", /medium/);
      const flows = await groupMessage(/建議流程/);
      expect(flows.text).toContain("建議流程：<b>Flow 2（先 PROD）</b>");
      expect(flows.text).toContain("UAT（1.4.0）領先 PROD（1.3.0）");
      expect(versions.reads).toEqual(expect.arrayContaining(["/uat/version", "/prod/version"]));

      await press("alice", /^Flow 1/);
      await press("alice", /確認分類/);
      const asked = await groupMessage(/與版本不符/);
      expect(asked.text).toContain("選擇 <b>Flow 1（先 UAT）</b> 與版本不符");
      expect(asked.text).toContain("要強制使用請輸入原因");
      await say("alice", "hotfix branch already verified on UAT");
      const card = await groupMessage(/強制流程，原因/);
      expect(card.text).toContain("⚠️ 強制流程，原因：hotfix branch already verified on UAT");
      expect(card.text).toContain("Alice 已確認");

      await say("carol", "/status");
      const status = await groupMessage(/📊/);
      expect(status.text).toMatch(/UAT：<code>1\.4\.0<\/code>（\d{4}-\d{2}-\d{2} \d{2}:\d{2} 讀取）/);
      expect(status.text).toMatch(/PROD：<code>1\.3\.0<\/code>（\d{4}-\d{2}-\d{2} \d{2}:\d{2} 讀取）/);

      expect(chat.api.errors()).toEqual([]);
    },
    4 * BOUND,
  );
});
