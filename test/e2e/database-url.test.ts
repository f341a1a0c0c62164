// A DATABASE_URL that does not work: the real process says in one line what failed (server
// unreachable, database missing, authentication refused), in zh-TW and English, exits non-zero,
// and never prints the password.
import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startBotProcess } from "../support/process.js";

const PASSWORD = "secretpw";

function start(databaseUrl: string) {
  return startBotProcess({
    BOT_TOKEN: "123456:TEST-token-abcdefghijklmnopqrstuvwxyz",
    GROUP_CHAT_ID: "-1001",
    DATABASE_URL: databaseUrl,
    TELEGRAM_API_ROOT: "http://127.0.0.1:9",
    PORT: "0",
  });
}

/** The output's lines that are not pino JSON: what a person reads at start-up. */
const plainLines = (output: string) => output.split("\n").filter((line) => line.trim() && !line.startsWith("{"));

/**
 * A Postgres server that asks for the password in clear text and refuses it (28P01), the way a
 * server with `password` auth in pg_hba.conf answers a wrong one. Records what the client sent.
 */
async function refusingPostgres(): Promise<{ port: number; received: () => string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let received = "";
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    let startup = true;
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (startup) {
        startup = false;
        const ask = Buffer.alloc(9);
        ask.write("R", 0);
        ask.writeInt32BE(8, 1);
        ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        socket.write(ask);
        return;
      }
      const fields = ["SFATAL", "VFATAL", "C28P01", 'Mpassword authentication failed for user "root"'];
      const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
      const head = Buffer.alloc(5);
      head.write("E", 0);
      head.writeInt32BE(body.length + 4, 1);
      socket.end(Buffer.concat([head, body]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    received: () => received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("a DATABASE_URL that does not work", () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("no server at the address: says it cannot reach it, exits 1, no password", async () => {
    const bot = start(`postgres://root:${PASSWORD}@127.0.0.1:1/x`);
    expect(await bot.exited).toBe(1);
    const lines = plainLines(bot.output());
    expect(lines).toEqual([
      "DATABASE_URL：無法連線到資料庫伺服器 127.0.0.1:1（ECONNREFUSED），請確認 Postgres 正在執行，且主機與連接埠正確。" +
        " / DATABASE_URL: cannot reach the database server at 127.0.0.1:1 (ECONNREFUSED): check that Postgres is running and the host and port are right.",
    ]);
    expect(bot.output()).not.toContain(PASSWORD);
  });

  it("a host name that does not resolve: says so", async () => {
    const bot = start(`postgres://root:${PASSWORD}@no-such-host.invalid:5432/x`);
    expect(await bot.exited).toBe(1);
    expect(plainLines(bot.output()).join("\n")).toMatch(
      /^DATABASE_URL：找不到資料庫主機 no-such-host\.invalid:5432.* \/ DATABASE_URL: cannot resolve the database host no-such-host\.invalid:5432 \((ENOTFOUND|EAI_AGAIN)\)/,
    );
    expect(bot.output()).not.toContain(PASSWORD);
  });

  it("the password refused: says authentication failed for the user, exits 1, no password", async () => {
    const pg = await refusingPostgres();
    closers.push(() => pg.close());
    const bot = start(`postgres://root:${PASSWORD}@127.0.0.1:${pg.port}/nightshift`);
    expect(await bot.exited).toBe(1);
    expect(pg.received()).toContain(PASSWORD); // the bot did send it, to the server only
    expect(plainLines(bot.output())).toEqual([
      `DATABASE_URL：資料庫伺服器 127.0.0.1:${pg.port} 拒絕了使用者「root」的登入，請檢查使用者名稱與密碼。` +
        ` / DATABASE_URL: authentication failed for user "root" on 127.0.0.1:${pg.port} (password authentication failed for user "root"): check the user name and password.`,
    ]);
    expect(bot.output()).not.toContain(PASSWORD);
  });

  const server = process.env.TEST_DATABASE_URL ? new URL(process.env.TEST_DATABASE_URL) : null;

  it.skipIf(!server)("a database that does not exist on a real Postgres: names it, exits 1, no password", async () => {
    const url = new URL(server!.toString());
    url.password = PASSWORD;
    url.pathname = "/no_such_db";
    const bot = start(url.toString());
    expect(await bot.exited).toBe(1);
    const where = `${url.hostname}:${url.port || "5432"}`;
    expect(plainLines(bot.output())).toEqual([
      `DATABASE_URL：資料庫伺服器 ${where} 上沒有名為「no_such_db」的資料庫，請先建立（createdb no_such_db）或修正名稱。` +
        ` / DATABASE_URL: database "no_such_db" does not exist on ${where}: create it (createdb no_such_db) or fix the name.`,
    ]);
    expect(bot.output()).not.toContain(PASSWORD);
  });

  it.skipIf(!server)(
    "a user the real Postgres does not know: authentication failed, exits 1, no password",
    async () => {
      const url = new URL(server!.toString());
      url.username = "no_such_user";
      url.password = PASSWORD;
      const bot = start(url.toString());
      expect(await bot.exited).toBe(1);
      expect(plainLines(bot.output()).join("\n")).toContain('authentication failed for user "no_such_user"');
      expect(bot.output()).not.toContain(PASSWORD);
    },
  );
});
