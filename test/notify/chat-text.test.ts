// Taiwan-ready chat text (issue 9 §6): every message of a full sandbox demo run — plus /history,
// /bug, /bugs, /status, /freeze and the deploy history — read as the chat shows them: no English
// status codes or internal names, 「視窗」 not 「窗口」, full-width ,:()? next to Chinese. The
// spec's fixed template lines keep the punctuation they have.
import { afterAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";

const CODES =
  /deployed_prod|deployed_uat|pending_prod|pending_uat_merge|uat_merged|rolled_back|succeeded|uat_merge|hotfix_requested|hotfix_expired|system:|mode=|ai_fix_diff|· done ·|Default|UAT:\?|PROD:\?|窗口/;
const HALF_WIDTH_NEXT_TO_CJK = /[\p{Script=Han}][,:()?]|[,:()?][\p{Script=Han}]/u;
/** The spec's fixed template lines (placeholders → anything): their punctuation is the spec's. */
const FIXED = [
  /^✅ 請驗收 UAT:/,
  /^下次 T2 時間:/,
  /^⏳ (今晚|下次) T2\(.*\)自動部署至 PROD。$/,
  /^部署後請驗收,確認後點「批准 Merge UAT」。$/,
  /^時間:/,
  /^部署人:/,
  /^狀態:已部署,請立即驗收$/,
  /^需要跟進:/,
  /^原因:/,
  /^回滾至:/,
  /^執行人:/,
  /^狀態:已回滾,正在監控$/,
  /^下一步:/,
];
/** What the fixed label leaves after it (a placeholder value) is chat text like any other. */
const afterFixedLabel = (line: string): string => {
  const fixed = FIXED.find((re) => re.test(line));
  if (!fixed) return line;
  const label = /^(✅ 請驗收 UAT:|下次 T2 時間:|時間:|部署人:|需要跟進:|原因:|回滾至:|執行人:|下一步:)/.exec(line);
  return label ? line.slice(label[0].length) : "";
};

describe("chat text of a full demo run", () => {
  let sandbox: Sandbox | undefined;
  afterAll(() => sandbox?.close());

  it("has no internal codes, no 窗口 and no half-width ,:()? next to Chinese", async () => {
    sandbox = await createSandbox();
    const out: string[] = [];
    for (const line of [
      "demo",
      "as alice /history 3",
      "as alice /bug 3",
      "as bob /bugs",
      "as alice /status",
      "as alice /freeze",
      "as alice /history prod",
      "as alice /run t1",
    ]) {
      out.push(...(await sandbox.exec(line)));
    }
    // The bot's messages, buttons and toasts are indented; the sandbox's own narration is not.
    const said = out
      .flatMap((l) => l.split("\n"))
      .filter((l) => l.startsWith("  "))
      .map((l) => l.trim());
    expect(said.length).toBeGreaterThan(200);
    expect(said.some((l) => l.includes("· 回滾 ·") || l.includes("回滾 →"))).toBe(true);
    const codes = said.filter((l) => CODES.test(l));
    const punctuation = said.filter((l) => HALF_WIDTH_NEXT_TO_CJK.test(afterFixedLabel(l)));
    expect({ codes, punctuation }).toEqual({ codes: [], punctuation: [] });
  });
});
