// isDatabaseDown decides between 「系統暫時無法使用」 and the generic error: it must see postgres.js
// connection errors through drizzle's "Failed query" wrapper (the chaos drill meets them for real).
import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { connectionFailure, isDriverWriteAfterClose } from "../../src/adapters/db/database.js";
import { isDatabaseDown } from "../../src/adapters/telegram/bot.js";

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("isDatabaseDown", () => {
  it.each([
    ["refused at connect", pgError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")],
    [
      "closed mid-query, wrapped",
      new DrizzleQueryError("select 1", [], pgError("CONNECTION_CLOSED", "write CONNECTION_CLOSED")),
    ],
    [
      "admin shutdown, wrapped",
      new DrizzleQueryError(
        "update bugs …",
        [],
        pgError("57P01", "terminating connection due to administrator command"),
      ),
    ],
    ["starting up", pgError("57P03", "the database system is starting up")],
  ])("%s → down", (_, error) => expect(isDatabaseDown(error)).toBe(true));

  it.each([
    ["a unique violation", new DrizzleQueryError("insert …", [], pgError("23505", "duplicate key value"))],
    ["a bug", new TypeError("cannot read properties of undefined")],
    ["nothing", undefined],
  ])("%s → not down", (_, error) => expect(isDatabaseDown(error)).toBe(false));

  it("tells a connection never made from one lost mid-session (only the latter renews the pool)", () => {
    expect(connectionFailure(pgError("ECONNREFUSED", "connect ECONNREFUSED"))).toBe("unreachable");
    expect(connectionFailure(new DrizzleQueryError("select 1", [], pgError("57P01", "terminating")))).toBe("lost");
  });

  it("recognises postgres.js' write to a lost connection, and nothing else", () => {
    const driver = new TypeError("Cannot read properties of null (reading 'write')");
    driver.stack = `${driver.message}\n    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)`;
    expect(isDriverWriteAfterClose(driver)).toBe(true);
    expect(isDriverWriteAfterClose(new TypeError("Cannot read properties of null (reading 'write')"))).toBe(false);
  });
});
