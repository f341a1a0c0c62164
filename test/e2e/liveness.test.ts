// The real process when Telegram is out of reach: it says so in the log and keeps trying, /healthz
// answers 503 with the reason until updates arrive, and SIGTERM stops it even while Telegram hangs.
// Waits are bounded generously (a loaded machine is slow): they guard against hangs, they are not
// speed targets.
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeBotApi, serveFakeBotApi } from "../../src/sandbox/fake-bot-api.js";
import { withDatabase } from "../support/global-setup.js";
import { type BotProcess, startBotProcess } from "../support/process.js";

const TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz";
const BOUND = 90_000;

const baseEnv = (apiRoot: string, extra: Record<string, string> = {}) => ({
  BOT_TOKEN: TOKEN,
  DATABASE_URL: "memory://",
  GROUP_CHAT_ID: "-1001",
  TELEGRAM_API_ROOT: apiRoot,
  PORT: "0",
  ...extra,
});

/** A port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Accepts connections and never answers: a Telegram that hangs. */
async function blackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function httpPort(bot: BotProcess): Promise<number> {
  return JSON.parse(await bot.waitFor(/"msg":"http listening/, BOUND)).port;
}

async function healthz(port: number): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function until(check: () => Promise<boolean>, what: string, bot: BotProcess): Promise<void> {
  const end = Date.now() + BOUND;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${bot.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const logLines = (bot: BotProcess, msg: RegExp) =>
  bot
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, any>)
    .filter((entry) => msg.test(String(entry.msg)));

describe("the real process when Telegram cannot be reached", () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it("logs it with the error, retries each attempt with backoff, answers 503, then 200 once the API is up", async () => {
    const port = await closedPort();
    const bot = startBotProcess(baseEnv(`http://127.0.0.1:${port}`));
    closers.push(() => bot.stop());
    const http = await httpPort(bot);

    const first = JSON.parse(await bot.waitFor(/Telegram cannot be reached/, BOUND));
    expect(first).toMatchObject({ call: "getMe", attempt: 1, level: 40 });
    expect(first.error).toContain("ECONNREFUSED");
    const down = await healthz(http);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ ok: false, telegram: "unreachable", database: "pglite" });
    expect(down.body.reason).toMatch(/^Telegram cannot be reached: .*ECONNREFUSED/);

    // it keeps trying, logging every attempt, waiting longer each time
    await bot.waitFor(/"attempt":3/, BOUND);
    const attempts = logLines(bot, /Telegram cannot be reached/);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts[1]!.retryInSeconds).toBeGreaterThan(attempts[0]!.retryInSeconds);

    const api = createFakeBotApi();
    const server = await serveFakeBotApi(api, port);
    closers.push(() => server.close());
    await bot.waitFor(/"msg":"ready \(polling\)"/, BOUND);
    await until(async () => (await healthz(http)).status === 200, "/healthz 200", bot);
    expect((await healthz(http)).body).toMatchObject({ ok: true, telegram: "receiving" });
    expect(bot.output()).toContain('"msg":"receiving updates from Telegram"');
    expect(bot.output()).not.toContain("TEST-token");
    expect(api.of("getMe")).toHaveLength(1);

    expect(await bot.stop()).toBe(0);
  });

  it("stops on SIGTERM while a getMe hangs (no answer from Telegram)", async () => {
    const hole = await blackHole();
    closers.push(() => hole.close());
    const bot = startBotProcess(baseEnv(hole.url));
    closers.push(() => bot.stop());
    const http = await httpPort(bot);
    const line = JSON.parse(await bot.waitFor(/Telegram cannot be reached/, BOUND));
    expect(line.error).toMatch(/timed out/);
    expect((await healthz(http)).status).toBe(503);

    // exits by itself (the helper would SIGKILL only after a bound longer than the bot's own 25 s)
    expect(await bot.stop()).toBe(0);
    expect(bot.output()).toContain('"msg":"stopped"');
  });

  it("stops on SIGTERM while polling and Telegram stops answering", async () => {
    const api = createFakeBotApi();
    let hang = false;
    let hanging = 0;
    const server = await serveFakeBotApi({
      ...api,
      fetch: ((url, init) => {
        if (!hang) return api.fetch(url, init);
        hanging++;
        return new Promise(() => {}); // until the server closes the connection
      }) as typeof fetch,
    });
    closers.push(() => server.close());
    const bot = startBotProcess(baseEnv(server.url));
    closers.push(() => bot.stop());
    const http = await httpPort(bot);
    await until(async () => (await healthz(http)).status === 200, "/healthz 200", bot);

    hang = true;
    // the fake ends a long poll within 2 s: the next getUpdates is one that hangs
    await until(async () => hanging > 0, "a getUpdates left hanging", bot);
    expect(await bot.stop()).toBe(0);
    expect(bot.output()).toContain('"msg":"stopped"');
  });

  it("webhook mode: 503 until setWebhook has succeeded, retried and logged", async () => {
    const api = createFakeBotApi();
    api.failNext("setWebhook", { error_code: 502, description: "Bad Gateway" }, 2);
    const server = await serveFakeBotApi(api);
    closers.push(() => server.close());
    const bot = startBotProcess(
      baseEnv(server.url, { WEBHOOK_URL: "https://bot.example.com", WEBHOOK_SECRET: "webhook-secret-1234567890" }),
    );
    closers.push(() => bot.stop());
    const http = await httpPort(bot);
    const failed = JSON.parse(await bot.waitFor(/Telegram cannot be reached/, BOUND));
    expect(failed).toMatchObject({ call: "setWebhook", attempt: 1, error: "502 Bad Gateway" });
    await bot.waitFor(/"msg":"ready \(webhook\)"/, BOUND);
    expect((await healthz(http)).status).toBe(200);
    expect(api.of("setWebhook")).toHaveLength(1);
    expect(api.of("setWebhook", true)).toHaveLength(3);
    expect(await bot.stop()).toBe(0);
  });

  const serverUrl = process.env.TEST_DATABASE_URL;
  it.skipIf(!serverUrl)("answers 503 naming the database once Postgres cannot be used", async () => {
    const name = `nightshift_e2e_health_${process.pid}_${Date.now()}`;
    const admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
    closers.push(async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    });
    await admin.unsafe(`create database ${name}`);
    const api = createFakeBotApi();
    const server = await serveFakeBotApi(api);
    closers.push(() => server.close());
    const bot = startBotProcess(baseEnv(server.url, { DATABASE_URL: withDatabase(serverUrl!, name) }));
    closers.push(() => bot.stop());
    const http = await httpPort(bot);
    await until(async () => (await healthz(http)).status === 200, "/healthz 200", bot);

    await admin.unsafe(`drop database ${name} with (force)`);
    const down = await healthz(http);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ ok: false, database: "postgres" });
    expect(down.body.reason).toMatch(/^database unreachable: /);
    expect(await bot.stop()).toBe(0);
  });
});
