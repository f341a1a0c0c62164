// issue 11 — platform test helpers: a PIPELINE_CONFIG file written for one platform target and
// loaded by the real loader, the incident bot (windows + chat) on it, Flow 1 driven through T1 →
// 批准 → T2 and /rollback through the chat, on dates in 2099.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { Db } from "../../src/adapters/db/database.js";
import type { Config } from "../../src/config.js";
import { type IncidentBot, incidentBot } from "../incidents/support.js";
import { fakeClock, testConfig } from "../support/app.js";
import { GROUP } from "../support/fixtures.js";
import { alice, messageUpdate } from "../support/telegram.js";
import { current, messageState, pressOn } from "../telegram/helpers.js";
import { confirmedBug, onCall } from "../windows/support.js";

export const DAY1 = "2099-03-03";
export const DAY2 = "2099-03-04";
export const at2099 = (local: string, day = DAY1) => new Date(`${day}T${local}:00+08:00`);

/** Fake executables (ssh, wrangler, docker, systemctl, sudo) that record their argv. */
export const FAKE_BIN = fileURLToPath(new URL("../fixtures/platforms/bin/", import.meta.url));

/** Loads a PIPELINE_CONFIG with `deploy`/`rollback` targets per environment through the real loader. */
export function platformConfig(
  environments: { uat: Record<string, unknown>; prod: Record<string, unknown> },
  env: Record<string, string> = {},
): Config {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-platform-"));
  const file = join(dir, "pipeline.json");
  const environment = (e: Record<string, unknown>) => ({
    ...e,
    watch: { minutes: 10, intervalSeconds: 30, smoke: { command: ["true"] } },
  });
  writeFileSync(
    file,
    JSON.stringify({
      systems: [
        {
          id: "crm",
          name: "Barber CRM",
          groupChatId: GROUP,
          environments: { uat: environment(environments.uat), prod: environment(environments.prod) },
        },
      ],
    }),
  );
  return testConfig({}, { PIPELINE_CONFIG: file, ...env });
}

export async function platformBot(db: Db, config: Config): Promise<IncidentBot> {
  const tb = await incidentBot(db, config, fakeClock(at2099("10:00")));
  await onCall(db, DAY1, 3);
  return tb;
}

/** Flow 1 for new bugs on `day`: T1 (UAT), 全部批准, T2 (PROD). Returns the UAT message's text. */
export async function flow1(tb: IncidentBot, db: Db, day: string, titles: string[]) {
  const bugs = [];
  for (const title of titles) bugs.push(await confirmedBug(db, { title }));
  const before = groupMessages(tb).length;
  const t1 = await tb.window("t1", day);
  await tb.settle();
  // quiet group: the window's progress line becomes the release template by edit
  const uat = groupMessages(tb)
    .slice(before)
    .filter((c) => String(c.payload.text).startsWith("🔧 Bug Fix Pipeline — Flow 1 已部署 UAT"))
    .at(-1);
  if (!uat) return { bugs, t1, uatText: null, t2: null };
  tb.clock.set(at2099("21:00", day));
  await tb.send(pressOn(uat, titles.length > 1 ? "全部批准" : /^批准推 PROD/, alice));
  await tb.settle();
  const t2 = await tb.window("t2", day);
  await tb.settle();
  return { bugs, t1, uatText: String(uat.payload.text), t2 };
}

/** /rollback <env> from the group with a reason, confirmed; returns the group texts after it. */
export async function rollbackFromChat(
  tb: IncidentBot,
  env: "uat" | "prod",
  reason: string,
  local = "23:00",
  day = DAY2,
) {
  tb.clock.set(at2099(local, day));
  await tb.send(messageUpdate(`/rollback ${env}`, alice, GROUP));
  // issue 12: the kind of problem first, then the reason (quiet group: one panel edited in place)
  expect(current(tb, GROUP).payload.text).toContain("這是哪一種問題？");
  await tb.send(pressOn(current(tb, GROUP), "🟠 功能回歸", alice));
  await tb.send(messageUpdate(reason, alice, GROUP));
  const prompt = current(tb, GROUP);
  expect(prompt.payload.text).toContain("確認要執行回滾嗎");
  await tb.send(pressOn(prompt, "⚠️ 確認回滾", alice));
  await tb.settle();
}

/** The group messages the bot sent, each in its latest state (edits applied), oldest first. */
export const groupMessages = (tb: IncidentBot) =>
  tb.api
    .of("sendMessage")
    .filter((c) => c.payload.chat_id === GROUP && !c.error)
    .map((c) => messageState(tb, GROUP, c.result!.message_id));

/** The group messages the bot sent (texts, edits applied), oldest first. */
export const groupTexts = (tb: IncidentBot) => groupMessages(tb).map((c) => String(c.payload.text));
