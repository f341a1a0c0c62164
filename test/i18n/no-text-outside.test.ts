// All chat text lives in src/i18n: no string or template literal outside it contains Han characters.
// Comments may (they name buttons the way users see them); regex literals that accept zh-TW input may.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SRC = join(ROOT, "src");

/** Where text belongs, and the sandbox (a developer CLI around the real bot; its demo lines are its own). */
const TEXT_HOMES = ["src/i18n/", "src/sandbox/"];

/**
 * Operator-facing start-up errors, bilingual on purpose: they go to the terminal/log before any
 * chat exists (a wrong DATABASE_URL, a refused BOT_TOKEN), not to Telegram.
 */
const OPERATOR_FACING = [
  "src/adapters/db/database.ts",
  "src/adapters/http/telegram-link.ts",
  // bilingual start-up configuration errors for the operator, printed before any chat exists
  "src/config/env.ts",
  "src/config/load.ts",
  "src/config/messages.ts",
  "src/config/pipeline-freeze.ts",
  "src/config/pipeline-providers.ts",
  "src/config/pipeline-refs.ts",
  "src/config/pipeline-targets.ts",
  "src/config/pipeline.ts",
  "src/config/pipeline-gates.ts",
  "src/config/pipeline-github.ts", // issue 13
  "src/config/pipeline-versions.ts",
  "src/config/pipeline-watch.ts", // issue 12
];

/**
 * Files being refactored by other engineers that still hold chat text (issue 14): their owners move
 * it into src/i18n. Shrink this list as they do; the test fails when an entry no longer has text.
 */
const PENDING: string[] = [];

const hasHan = (text: string): boolean => /\p{Script=Han}/u.test(text);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.[cm]?tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** `line: literal` for every string/template literal with Han characters in `file`. */
function hanLiterals(file: string, text = readFileSync(file, "utf8")): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isStringLiteral(node) ||
        ts.isNoSubstitutionTemplateLiteral(node) ||
        ts.isTemplateHead(node) ||
        ts.isTemplateMiddle(node) ||
        ts.isTemplateTail(node)) &&
      hasHan(node.text)
    ) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`${line + 1}: ${node.getText(source)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const rel = (file: string): string => relative(ROOT, file).split("\\").join("/");
const withText = new Map(
  sourceFiles(SRC)
    .map((file) => [rel(file), hanLiterals(file)] as const)
    .filter(([path, found]) => found.length > 0 && !TEXT_HOMES.some((home) => path.startsWith(home))),
);

describe("chat text lives in src/i18n", () => {
  it("no string literal outside src/i18n (and the listed operator-facing files) has Han characters", () => {
    const offenders = [...withText].filter(([path]) => !OPERATOR_FACING.includes(path) && !PENDING.includes(path));
    expect(Object.fromEntries(offenders)).toEqual({});
  });

  it("every allowlisted file still has text (shrink the list when it moves)", () => {
    const stale = [...OPERATOR_FACING, ...PENDING].filter((path) => !withText.has(path));
    expect(stale).toEqual([]);
  });

  it("the scan sees template parts and ignores comments", () => {
    const probe = [
      "// 註解 /* 也是註解 */",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source to scan, not a template
      'const ok = /模組/.test(x) ? "ok" : `${x} ok`;',
      'const a = "確認";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source to scan, not a template
      "const b = `#${id} 已部署 ${env}（${version}）`;",
      "const c = '拒絕';",
    ].join("\n");
    expect(hanLiterals("probe.ts", probe)).toEqual(['3: "確認"', "4: } 已部署 ${", "5: '拒絕'"]);
  });
});
