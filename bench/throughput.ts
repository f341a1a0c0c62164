// Mixed update throughput: a script of sessions (a /report conversation of 7 updates, /bugs and
// its next page, approval presses) through the whole stack, in updates/s. Compared in the same
// run with the raw SQL those sessions need (floor: the report's insert + audit + outbox, the list's
// count + page, the approval's UPDATE + 2 INSERTs) and with a bare grammY bot making the same Bot
// API calls with no database (ceiling). Sequential, as `bot.start()` handles updates in polling
// mode, and with 8 sessions in flight, as webhook mode does.

import { sql } from "drizzle-orm";
import { Bot } from "grammy";
import { bugs, users } from "../drizzle/schema.js";
import { createBot } from "../src/adapters/telegram/bot.js";
import { startPolling } from "../src/adapters/telegram/polling.js";
import { adapterPorts } from "../src/adapters/wire-ports.js";
import { CALLBACK_ACTIONS, encodeCallback, encodeChoice } from "../src/core/callback-data.js";
import { t } from "../src/i18n/index.js";
import { fakeBotInfo } from "../src/sandbox/fake-bot-api.js";
import {
  ADMIN,
  type Backend,
  benchConfig,
  type From,
  GROUP,
  instantBotApi,
  now,
  pressUpdate,
  seedBugs,
  seedSystems,
  silent,
  TOKEN,
  textUpdate,
} from "./lib.js";

export interface ThroughputRun {
  /** updates/s */
  stackSequential: number;
  stackConcurrent: number;
  /**
   * issue 15: long polling as main.ts runs it now (@grammyjs/runner, POLLING_CONCURRENCY 16,
   * getUpdates from the instant Bot API), with the same 8 sessions in flight as webhook ×8.
   */
  stackPolled: number;
  rawSequential: number;
  rawConcurrent: number;
  bareSequential: number;
  bareConcurrent: number;
}

type Session = { kind: "report"; user: From } | { kind: "list"; user: From } | { kind: "approve"; bugId: number };

const UPDATES: Record<Session["kind"], number> = { report: 7, list: 2, approve: 1 };
const CONCURRENCY = 8;
const CLOCK = new Date("2026-11-21T04:00:00Z");

/** Per cycle: 1 report, 2 list sessions, 4 approvals (15 updates). */
function script(cycles: number, approvalIds: number[], listers: From[], offset: number): Session[] {
  const out: Session[] = [];
  let a = 0;
  for (let c = 0; c < cycles; c++) {
    const member = { id: 3000 + offset + c, first_name: `Member ${offset + c}` };
    out.push({ kind: "report", user: member });
    for (let k = 0; k < 4; k++) out.push({ kind: "approve", bugId: approvalIds[a++]! });
    out.push({ kind: "list", user: listers[(2 * c) % listers.length]! });
    out.push({ kind: "list", user: listers[(2 * c + 1) % listers.length]! });
  }
  return out;
}

const count = (sessions: Session[]) => sessions.reduce((n, s) => n + UPDATES[s.kind], 0);

type Handle = (update: any) => Promise<void>;

/** Plays a session as Telegram would deliver it, reading the buttons the bot sent where needed. */
async function play(s: Session, handle: Handle, lastSent: ReturnType<typeof instantBotApi>["lastSent"]) {
  if (s.kind === "approve") {
    const data = encodeCallback({ action: CALLBACK_ACTIONS.approveProd, id: s.bugId, version: 5 });
    const keyboard = { inline_keyboard: [[{ text: `批准推 PROD #${s.bugId}`, callback_data: data }]] };
    return handle(
      pressUpdate(data, ADMIN, { chatId: GROUP, messageId: 7, text: `• #${s.bugId}`, replyMarkup: keyboard }),
    );
  }
  if (s.kind === "list") {
    const chat = s.user.id;
    await handle(textUpdate("/bugs", s.user, chat));
    const sent = lastSent.get(chat);
    const next = (sent?.payload.reply_markup?.inline_keyboard ?? [])
      .flat()
      .find((b: { text: string }) => b.text === t.buttons.next);
    if (!sent || !next)
      throw new Error(`throughput bench: /bugs showed no next page: ${JSON.stringify(sent?.payload).slice(0, 500)}`);
    return handle(
      pressUpdate(next.callback_data, s.user, {
        chatId: chat,
        messageId: sent.messageId,
        text: sent.payload.text,
        replyMarkup: sent.payload.reply_markup,
      }),
    );
  }
  const u = s.user;
  const press = (step: string, value: string) =>
    handle(pressUpdate(encodeChoice({ flow: "report", step, value }), u, { chatId: GROUP, messageId: 9, text: "?" }));
  await handle(textUpdate("/report", u, GROUP));
  await handle(textUpdate(`Checkout fails for ${u.first_name}`, u, GROUP));
  await handle(textUpdate("Paying with a card shows a blank page", u, GROUP));
  await press("env", "prod");
  await press("sev", "low");
  await handle(textUpdate("-", u, GROUP));
  await press("ok", "yes");
}

/** The floor: the SQL each session needs, without drizzle, grammY or the app. */
async function playRaw(s: Session, backend: Backend) {
  const at = CLOCK.toISOString();
  if (s.kind === "approve") {
    return backend.rawTransaction(async (q) => {
      await q(
        `update bugs set status = 'pending_prod', row_version = row_version + 1, updated_at = $1::timestamptz
         where id = $2 and status = 'deployed_uat' and row_version = $3 returning *`,
        [at, s.bugId, 5],
      );
      await q(
        `insert into bug_events (bug_id, from_status, to_status, event, actor_id, actor_name, at)
         values ($1, 'deployed_uat', 'pending_prod', 'approve_prod', $2, $3, $4::timestamptz)`,
        [s.bugId, ADMIN.id, ADMIN.first_name, at],
      );
      await q(`insert into outbox (chat_id, method, payload) values ($1, 'sendMessage', $2::jsonb)`, [
        GROUP,
        JSON.stringify({ text: `✅ 已批准推 PROD:#${s.bugId}` }),
      ]);
    });
  }
  if (s.kind === "list") {
    for (const page of [0, 1]) {
      await backend.rawTransaction(async (q) => {
        await q(`select count(*)::int as n from bugs`, []);
        await q(`select * from bugs order by id desc limit 10 offset $1`, [page * 10]);
      });
    }
    return;
  }
  await backend.rawTransaction(async (q) => {
    const [bug] = (await q(
      `insert into bugs (system_id, title, description, reporter_id, reporter_name, found_in_env, severity, status,
                         created_at, updated_at)
       values ('crm', $1, $2, $3, $4, 'prod', 'low', 'submitted', $5::timestamptz, $5::timestamptz) returning id`,
      [
        `Checkout fails for ${s.user.first_name}`,
        "Paying with a card shows a blank page",
        s.user.id,
        s.user.first_name,
        at,
      ],
    ).then((r: any) => (Array.isArray(r) ? r : r.rows))) as { id: number }[];
    await q(
      `insert into bug_events (bug_id, to_status, event, actor_id, actor_name, at)
       values ($1, 'submitted', 'report', $2, $3, $4::timestamptz)`,
      [bug!.id, s.user.id, s.user.first_name, at],
    );
    await q(`insert into outbox (chat_id, method, payload, dedupe_key) values ($1, 'sendMessage', $2::jsonb, $3)`, [
      GROUP,
      JSON.stringify({ text: `🐛 #${bug!.id}` }),
      `card:${bug!.id}`,
    ]);
  });
}

/** The ceiling: grammY alone, with the Bot API calls the stack makes for the same updates. */
function bareBot(fetch: typeof globalThis.fetch) {
  const bot = new Bot(TOKEN, { botInfo: fakeBotInfo, client: { fetch } });
  bot.command("bugs", (ctx) =>
    ctx.reply("📋 Bugs (1/5)", {
      reply_markup: { inline_keyboard: [[{ text: t.buttons.next, callback_data: "bl/0/0/all.0/hx" }]] },
    }),
  );
  bot.on("message:text", (ctx) => ctx.reply(`OK: ${ctx.message.text}`));
  bot.on("callback_query:data", async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(`✅ ${ctx.callbackQuery.data}`);
    if (!ctx.callbackQuery.data.startsWith("bl/")) await ctx.reply("✅");
  });
  return bot;
}

async function runAll<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const start = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
  return now() - start;
}

export async function throughputRun(backend: Backend, cycles = 25): Promise<ThroughputRun> {
  await backend.reset();
  const config = benchConfig();
  await seedSystems(backend.db, config);
  await seedBugs(backend.db, 100, "submitted");
  // 5 variants (stack/raw × sequential/concurrent, polled) each approve 4 bugs a cycle
  const approvable = await seedBugs(backend.db, 5 * 4 * cycles, "deployed_uat");
  const listers: From[] = Array.from({ length: 2 * CONCURRENCY }, (_, i) => ({
    id: 5000 + i,
    first_name: `Viewer ${i}`,
  }));
  await backend.db.insert(users).values(listers.map((u) => ({ userId: u.id, name: u.first_name })));

  const api = instantBotApi();
  const bot = createBot(
    { db: backend.db, config, clock: () => new Date(CLOCK), logger: silent, ...adapterPorts(config) },
    { botInfo: fakeBotInfo, client: { fetch: api.fetch } },
  );
  await bot.init();
  const stackHandle: Handle = (u) => bot.handleUpdate(u);
  const bareApi = instantBotApi();
  const bare = bareBot(bareApi.fetch);
  await bare.init();
  const bareHandle: Handle = (u) => bare.handleUpdate(u);

  // Polling: each update goes to getUpdates; a session's next update waits for the bot to handle it.
  const polledApi = instantBotApi();
  const polledBot = createBot(
    { db: backend.db, config, clock: () => new Date(CLOCK), logger: silent, ...adapterPorts(config) },
    { botInfo: fakeBotInfo, client: { fetch: polledApi.fetch } },
  );
  const done = new Map<number, () => void>();
  const polling = await startPolling(polledBot, {
    concurrency: 16,
    allowedUpdates: ["message", "callback_query"],
    onHandled: (u) => done.get(u.update_id)?.(),
  });
  const polledHandle: Handle = (u) =>
    new Promise<void>((resolve) => {
      done.set(polledApi.pushUpdate(u), resolve);
    });

  let result: ThroughputRun;
  try {
    const slice = (k: number) => approvable.slice(k * 4 * cycles, (k + 1) * 4 * cycles);
    const scripts = [0, 1, 2, 3, 4].map((k) => script(cycles, slice(k), listers, k * cycles));
    const rate = (sessions: Session[], ms: number) => (count(sessions) / ms) * 1000;
    const [seq, conc, rawSeq, rawConc, polled] = scripts as [Session[], Session[], Session[], Session[], Session[]];

    // warm-up: a few sessions of each kind through each variant (not counted)
    const warm = script(2, await seedBugs(backend.db, 8, "deployed_uat"), listers, 10_000);
    for (const s of warm) await play(s, stackHandle, api.lastSent);
    for (const s of warm) await play(s, bareHandle, bareApi.lastSent);
    const warmPolled = script(2, await seedBugs(backend.db, 8, "deployed_uat"), listers, 20_000);
    for (const s of warmPolled) await play(s, polledHandle, polledApi.lastSent);

    result = {
      stackSequential: rate(seq, await runAll(seq, 1, (s) => play(s, stackHandle, api.lastSent))),
      rawSequential: rate(rawSeq, await runAll(rawSeq, 1, (s) => playRaw(s, backend))),
      bareSequential: rate(seq, await runAll(seq, 1, (s) => play(s, bareHandle, bareApi.lastSent))),
      stackConcurrent: rate(conc, await runAll(conc, CONCURRENCY, (s) => play(s, stackHandle, api.lastSent))),
      rawConcurrent: rate(rawConc, await runAll(rawConc, CONCURRENCY, (s) => playRaw(s, backend))),
      bareConcurrent: rate(conc, await runAll(conc, CONCURRENCY, (s) => play(s, bareHandle, bareApi.lastSent))),
      stackPolled: rate(polled, await runAll(polled, CONCURRENCY, (s) => play(s, polledHandle, polledApi.lastSent))),
    };
  } finally {
    await polling.stop(10_000); // a failed run must not leave the poller holding the process open
  }
  // every session did its work: the reports were filed and the approvals applied
  const [check] = await backend.db
    .select({
      reports: sql<number>`count(*) filter (where ${bugs.title} like 'Checkout fails%')::int`,
      approved: sql<number>`count(*) filter (where ${bugs.status} = 'pending_prod')::int`,
    })
    .from(bugs);
  const expected = { reports: 5 * cycles + 4, approved: 20 * cycles + 16 };
  if (check?.reports !== expected.reports || check.approved !== expected.approved) {
    throw new Error(`throughput bench: expected ${JSON.stringify(expected)}, found ${JSON.stringify(check)}`);
  }
  return result;
}
