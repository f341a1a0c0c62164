import { describe, expect, it } from "vitest";
import { telegramKeyboard } from "../../src/adapters/notify/render.js";
import { approvalKeyboard as domainKeyboard, MAX_BUG_BUTTONS } from "../../src/app/messages.js";
import { parseCallback } from "../../src/core/callback-data.js";

/** The keyboard as Telegram receives it. */
const approvalKeyboard = (...args: Parameters<typeof domainKeyboard>) => telegramKeyboard(domainKeyboard(...args));

const bugs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, rowVersion: 3 }));

describe("approval keyboards", () => {
  it("one button per bug with its row version, and 全部批准 for several", () => {
    const keyboard = approvalKeyboard("prod", bugs(2), 77).inline_keyboard.flat();
    expect(keyboard.map((b) => b.text)).toEqual(["批准推 PROD #1", "批准推 PROD #2", "全部批准"]);
    expect(keyboard.map((b) => parseCallback(b.callback_data))).toEqual([
      { action: "ap", id: 1, version: 3 },
      { action: "ap", id: 2, version: 3 },
      { action: "apall", id: 77, version: 0 },
    ]);
    expect(
      approvalKeyboard("uatMerge", bugs(1), 77)
        .inline_keyboard.flat()
        .map((b) => b.text),
    ).toEqual(["批准 Merge UAT #1"]);
  });

  it("a release too large for one keyboard gets only 全部批准 （Telegram caps keyboards near 100 buttons）", () => {
    expect(approvalKeyboard("prod", bugs(MAX_BUG_BUTTONS), 9).inline_keyboard).toHaveLength(MAX_BUG_BUTTONS + 1);
    expect(
      approvalKeyboard("prod", bugs(500), 9)
        .inline_keyboard.flat()
        .map((b) => b.text),
    ).toEqual(["全部批准"]);
  });
});
