// Approve-callback latency: a 批准推 PROD press through the whole stack (update → middleware →
// handlers → transaction → Bot API answers), against a raw transaction doing the same UPDATE + 2
// INSERTs (floor) and a bare grammY bot making the same three Bot API calls with no database
// (ceiling). The three are interleaved press by press so that they share the machine's state.

import { eq, sql } from "drizzle-orm";
import { Bot } from "grammy";
import { bugs } from "../drizzle/schema.js";
import { adapterPorts } from "../src/adapters/ports.js";
import { createBot } from "../src/adapters/telegram/bot.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../src/core/callback-data.js";
import { fakeBotInfo } from "../src/sandbox/fake-bot-api.js";
import {
  ADMIN,
  type Backend,
  benchConfig,
  GROUP,
  instantBotApi,
  now,
  percentile,
  pressUpdate,
  seedBugs,
  seedSystems,
  silent,
  TOKEN,
} from "./lib.js";

export interface ApproveRun {
  stackP50: number;
  stackP99: number;
  rawP50: number;
  rawP99: number;
  bareP50: number;
  bareP99: number;
}

const CLOCK = new Date("2026-11-21T04:00:00Z"); // 12:00 in Taipei, before T2

const pressOf = (id: number) => {
  const data = encodeCallback({ action: CALLBACK_ACTIONS.approveProd, id, version: 5 });
  return pressUpdate(data, ADMIN, {
    chatId: GROUP,
    messageId: 500 + id,
    text: `🔧 Bug Fix Pipeline — Flow 1 已部署 UAT\n• #${id} [medium] Bench bug ${id}`,
    replyMarkup: { inline_keyboard: [[{ text: `批准推 PROD #${id}`, callback_data: data }]] },
  });
};

/** The floor: what applyEvent writes for an approval, plus the outbox row, with no app around it. */
function rawApprove(backend: Backend, id: number) {
  return backend.rawTransaction(async (q) => {
    await q(
      `update bugs set status = 'pending_prod', row_version = row_version + 1, updated_at = $1::timestamptz
       where id = $2 and status = 'deployed_uat' and row_version = $3 returning *`,
      [CLOCK.toISOString(), id, 5],
    );
    await q(
      `insert into bug_events (bug_id, from_status, to_status, event, actor_id, actor_name, at)
       values ($1, 'deployed_uat', 'pending_prod', 'approve_prod', $2, $3, $4::timestamptz)`,
      [id, ADMIN.id, ADMIN.first_name, CLOCK.toISOString()],
    );
    await q(`insert into outbox (chat_id, method, payload) values ($1, 'sendMessage', $2::jsonb)`, [
      GROUP,
      JSON.stringify({ text: `✅ 已批准推 PROD:#${id}`, parse_mode: "HTML" }),
    ]);
  });
}

/** The ceiling: grammY alone, answering, editing and replying as the approval handler does. */
function bareBot(fetch: typeof globalThis.fetch) {
  const bot = new Bot(TOKEN, { botInfo: fakeBotInfo, client: { fetch } });
  bot.callbackQuery(/^v1:ap:(\d+):(\d+)$/, async (ctx) => {
    await ctx.answerCallbackQuery({ text: "已批准 1 筆" });
    await ctx.editMessageText(
      `${ctx.callbackQuery.message?.text ?? ""}\n\n✅ #${ctx.match[1]} 已由 Alice 批准推 PROD`,
      {
        parse_mode: "HTML",
        reply_markup: { inline_keyboard: [] },
      },
    );
    await ctx.reply(`✅ 已批准推 PROD:#${ctx.match[1]}`, { parse_mode: "HTML" });
  });
  return bot;
}

export async function approveRun(backend: Backend, presses = 500, warmup = 50): Promise<ApproveRun> {
  await backend.reset();
  const config = benchConfig();
  await seedSystems(backend.db, config);
  const n = presses + warmup;
  const stackIds = await seedBugs(backend.db, n, "deployed_uat");
  const rawIds = await seedBugs(backend.db, n, "deployed_uat");
  const api = instantBotApi();
  const bot = createBot(
    { db: backend.db, config, clock: () => new Date(CLOCK), logger: silent, ...adapterPorts },
    { botInfo: fakeBotInfo, client: { fetch: api.fetch } },
  );
  await bot.init();
  const bare = bareBot(instantBotApi().fetch);
  await bare.init();

  const stack: number[] = [];
  const raw: number[] = [];
  const ceiling: number[] = [];
  for (let i = 0; i < n; i++) {
    const update = pressOf(stackIds[i]!);
    const bareUpdate = pressOf(stackIds[i]!);
    let t = now();
    await bot.handleUpdate(update);
    const s = now() - t;
    t = now();
    await rawApprove(backend, rawIds[i]!);
    const r = now() - t;
    t = now();
    await bare.handleUpdate(bareUpdate);
    const b = now() - t;
    if (i >= warmup) {
      stack.push(s);
      raw.push(r);
      ceiling.push(b);
    }
  }
  const [moved] = await backend.db
    .select({ n: sql<number>`count(*)::int` })
    .from(bugs)
    .where(eq(bugs.status, "pending_prod"));
  if (moved?.n !== 2 * n) throw new Error(`approve bench: expected ${2 * n} approvals, found ${moved?.n}`);
  return {
    stackP50: percentile(stack, 50),
    stackP99: percentile(stack, 99),
    rawP50: percentile(raw, 50),
    rawP99: percentile(raw, 99),
    bareP50: percentile(ceiling, 50),
    bareP99: percentile(ceiling, 99),
  };
}
