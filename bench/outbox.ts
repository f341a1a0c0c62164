// Outbox drain in real time: 1,000 messages to 50 private chats (20 each) sent by the real
// dispatcher (production poll interval) through the fake Bot API with Telegram's limits enforced:
// messages/s against the 30/s ceiling, and how many 429s the fake returned (must be 0).
import { Api } from "grammy";
import { botApiSender, createDispatcher } from "../src/adapters/notify/dispatcher.js";
import { messages } from "../src/app/messages.js";
import { enqueue } from "../src/app/outbox.js";
import { createFakeBotApi, TELEGRAM_LIMITS } from "../src/sandbox/fake-bot-api.js";
import { type Backend, silent, TOKEN } from "./lib.js";

export interface OutboxRun {
  messages: number;
  /** From the dispatcher's start to the last message accepted. */
  seconds: number;
  /** Messages after the first second's burst ÷ time from the first to the last send. */
  perSecond: number;
  /** perSecond ÷ the 30/s ceiling */
  ofCeiling: number;
  refused429: number;
}

const CHATS = 50;
const POLL_MS = 500; // OUTBOX_POLL_MS default

export async function outboxRun(backend: Backend, total = 1000): Promise<OutboxRun> {
  await backend.reset();
  const drafts = Array.from({ length: total }, (_, i) => messages(7000 + (i % CHATS), `訊息 ${i} · message ${i}`)[0]!);
  for (let i = 0; i < drafts.length; i += 500) await enqueue(backend.db, drafts.slice(i, i + 500), new Date());

  const api = createFakeBotApi({ limits: true });
  const dispatcher = createDispatcher({
    db: backend.db,
    send: botApiSender(new Api(TOKEN, { fetch: api.fetch })),
    clock: () => new Date(),
    logger: silent,
    pollMs: POLL_MS,
  });
  const sentAt: number[] = [];
  const done = new Promise<void>((resolve) => {
    api.onCall((call) => {
      if (call.method === "sendMessage" && !call.error && sentAt.push(call.at) === total) resolve();
    });
  });
  const start = Date.now();
  dispatcher.start();
  // bounded: at the ceiling this takes 33 s
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 120_000));
  const outcome = await Promise.race([done, timeout]);
  const seconds = (Date.now() - start) / 1000;
  await dispatcher.stop();
  if (outcome === "timeout") throw new Error(`outbox bench: ${api.of("sendMessage").length}/${total} sent in 120 s`);
  // Steady state: the first second's burst of 30 goes out at once; after it a compliant sender
  // manages at most 30/s, so (n − 30) ÷ (last send − first send) is comparable to the ceiling.
  const perSecond = (total - TELEGRAM_LIMITS.perSecond) / ((sentAt.at(-1)! - sentAt[0]!) / 1000);
  return {
    messages: total,
    seconds,
    perSecond,
    ofCeiling: perSecond / TELEGRAM_LIMITS.perSecond,
    refused429: api.floodRefusals(),
  };
}
