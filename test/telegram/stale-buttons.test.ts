// Buttons of earlier encodings (`rp:`, `hfx:`, `tq:`, another version) still sit in chats: a press
// says the button expired and writes nothing.
import { beforeEach, describe, expect, it } from "vitest";
import { startTestBot, type TestBot } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP, reportOne } from "../support/fixtures.js";
import { alice, messageUpdate } from "../support/telegram.js";
import { last, pressData, toasts, writes } from "./helpers.js";

describe.each(testBackends())("stale buttons on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db);
  });

  it("an old-format button answers 「此按鈕已過期」; an unknown one 「無法辨識的按鈕」", async () => {
    await reportOne(t.db);
    await tb.send(messageUpdate("/bug 1", alice, GROUP));
    const card = last(tb, "sendMessage", GROUP);
    const before = await writes(t.db);
    for (const old of ["rp:sev:high", "hfx:m:run", "tq:1", "v0:cf:1:1"]) {
      await tb.send(pressData(card, old, alice));
      expect([old, toasts(tb).at(-1)]).toEqual([old, "此按鈕已過期"]);
    }
    await tb.send(pressData(card, "hello", alice));
    expect(toasts(tb).at(-1)).toBe("無法辨識的按鈕");
    expect(await writes(t.db)).toEqual(before);
  });
});
