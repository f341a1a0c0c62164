// /bugs <status>: zh-TW status names (with or without their emoji, or the start of names such as
// 「已部署」) and the English codes filter the list; the filter survives paging; unknown names are
// answered with the zh-TW names.
import { inArray } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { bugs } from "../../drizzle/schema.js";
import type { Status } from "../../src/core/model.js";
import { startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { carol, messageUpdate } from "../support/telegram.js";
import { last, messageState, pressOn } from "./helpers.js";

describe.each(testBackends())("/bugs filters on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  const said = () => last(tb, "sendMessage", GROUP).payload.text as string;

  async function bugsIn(status: Status, n: number, title: string) {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push((await reportOne(t.db, { title: `${title} ${i}` })).id);
    await t.db.update(bugs).set({ status }).where(inArray(bugs.id, ids));
  }

  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db);
    await bugsIn("deployed_uat", 8, "on uat");
    await bugsIn("deployed_prod", 4, "on prod");
    await bugsIn("closed", 1, "closed one");
    await bugsIn("submitted", 1, "new one");
  });

  it("/bugs 已部署 lists UAT and PROD deployments; exact names, emoji and codes pick one status", async () => {
    await tb.send(messageUpdate("/bugs 已部署", carol, GROUP));
    const list = last(tb, "sendMessage", GROUP);
    expect(said()).toContain("📋 <b>Bug 列表</b>（已部署 UAT、已部署 PROD） · 第 1/2 頁 · 共 12 筆");
    expect(said()).not.toContain("closed one");
    // The next page keeps the filter.
    await tb.send(pressOn(list, "下一頁 ▶", carol));
    const page2 = messageState(tb, GROUP, list.result.message_id).payload.text as string;
    expect(page2).toContain("第 2/2 頁 · 共 12 筆");
    expect(page2).not.toContain("new one");

    for (const [arg, header, count] of [
      ["已部署 UAT", "已部署 UAT", 8],
      ["🧪 已部署 UAT", "已部署 UAT", 8],
      ["已部署PROD", "已部署 PROD", 4],
      ["deployed_prod", "已部署 PROD", 4],
      ["DEPLOYED_UAT", "已部署 UAT", 8],
      ["已關閉", "已關閉", 1],
      ["待確認", "待確認", 1],
      ["已拒絕", "已拒絕", 0],
    ] as const) {
      await tb.send(messageUpdate(`/bugs ${arg}`, carol, GROUP));
      if (count === 0) expect(said(), arg).toBe("沒有符合的 bug。");
      else expect(said(), arg).toContain(`（${header}） · 第 1/${Math.ceil(count / 10)} 頁 · 共 ${count} 筆`);
    }
  });

  it("an unknown status is answered with the zh-TW names, no English codes", async () => {
    await tb.send(messageUpdate("/bugs 已", carol, GROUP));
    expect(said()).toContain("不認得狀態「已」");
    await tb.send(messageUpdate("/bugs nonsense", carol, GROUP));
    expect(said()).toContain("不認得狀態「nonsense」");
    expect(said()).toContain("<code>已部署 UAT</code>");
    expect(said()).not.toMatch(/deployed_|submitted|pending_/);
  });
});
