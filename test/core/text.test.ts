import { describe, expect, it } from "vitest";
import {
  boundedTail,
  boundedText,
  cleanText,
  headCodePoints,
  normalizeModule,
  oneLine,
  tailCodePoints,
} from "../../src/core/text.js";

const hasLoneSurrogate = (s: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe("outside text", () => {
  it("removes NUL and control characters, keeps newlines and tabs", () => {
    expect(cleanText("a\u0000b\u0007c\n\td\r")).toBe("abc\n\td\r");
  });

  it("replaces lone surrogates, keeps pairs", () => {
    const emoji = "🚀";
    expect(cleanText(`x${emoji[0]}y`)).toBe("x\uFFFDy");
    expect(cleanText(`x${emoji[1]}y`)).toBe("x\uFFFDy");
    expect(cleanText(`x${emoji}y`)).toBe(`x${emoji}y`);
    expect(cleanText(cleanText("\uD800\uD800"))).toBe("\uFFFD\uFFFD");
  });

  it("cuts on code points, never inside an emoji", () => {
    const s = "🚀🚀🚀";
    expect(headCodePoints(s, 2)).toBe("🚀🚀");
    expect(tailCodePoints(s, 1)).toBe("🚀");
    expect(hasLoneSurrogate(boundedText("🚀".repeat(100), 11))).toBe(false);
    expect(hasLoneSurrogate(boundedTail(`a${"🚀".repeat(100)}`, 7))).toBe(false);
    expect(boundedTail("abc", 10)).toBe("abc");
  });

  it("makes titles one line", () => {
    expect(oneLine(" 登入\n✅ #9 [low] 假的\r\n行 ")).toBe("登入 ✅ #9 [low] 假的 行");
  });

  it("normalizes module names so look-alikes match", () => {
    for (const m of ["financial", "Financial", " ＦＩＮＡＮＣＩＡＬ ", "fin\u200Bancial", "financ\uFEFFial"])
      expect(normalizeModule(m)).toBe("financial");
    expect(normalizeModule("金流 模組")).toBe("金流 模組");
  });
});
