// src/core must stay pure: no I/O libraries, no clock, no randomness (biome checks imports too).
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CORE = fileURLToPath(new URL("../../src/core", import.meta.url));
const FORBIDDEN_PACKAGES = ["grammy", "drizzle-orm", "postgres", "croner", "@electric-sql/pglite", "date-holidays"];
const BUILTINS = new Set(builtinModules);

function isForbidden(specifier: string): boolean {
  if (specifier.startsWith("node:") || specifier.startsWith("@grammyjs/")) return true;
  if (BUILTINS.has(specifier.split("/")[0]!)) return true;
  return FORBIDDEN_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`));
}

const stripComments = (source: string): string =>
  source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");

function violations(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  const specifiers = /\b(?:from|import|require)\s*\(?\s*["'`]([^"'`]+)["'`]/g;
  for (const m of code.matchAll(specifiers)) if (isForbidden(m[1]!)) found.push(`imports ${m[1]}`);
  if (/\bDate\.now\s*\(/.test(code)) found.push("calls Date.now()");
  if (/\bMath\.random\s*\(/.test(code)) found.push("calls Math.random()");
  if (/\bnew\s+Date\s*\(\s*\)/.test(code) || /\bnew\s+Date\b(?!\s*\()/.test(code)) found.push("calls new Date()");
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.[cm]?[jt]sx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe("src/core purity", () => {
  const files = sourceFiles(CORE);

  it("finds the core files", () => {
    expect(files.map((f) => relative(CORE, f))).toEqual(
      expect.arrayContaining(["model.ts", "machine.ts", "windows.ts", "freeze.ts", "flow.ts", "release.ts"]),
    );
  });

  it.each(files.map((f) => [relative(CORE, f), f]))("%s imports no I/O and reads no clock or randomness", (_, file) => {
    expect(violations(readFileSync(file, "utf8"))).toEqual([]);
  });

  it("the checker catches what it should", () => {
    expect(
      violations(
        [
          'import { Bot } from "grammy";',
          'import type { Menu } from "@grammyjs/menu";',
          'import { eq } from "drizzle-orm/pg-core";',
          'import { readFileSync } from "node:fs";',
          'import path from "path";',
          'const pg = await import("@electric-sql/pglite");',
          'export { Cron } from "croner";',
          "const t = Date.now();",
          "const r = Math.random();",
          "const d = new Date();",
          "const e = new Date;",
        ].join("\n"),
      ),
    ).toEqual([
      "imports grammy",
      "imports @grammyjs/menu",
      "imports drizzle-orm/pg-core",
      "imports node:fs",
      "imports path",
      "imports @electric-sql/pglite",
      "imports croner",
      "calls Date.now()",
      "calls Math.random()",
      "calls new Date()",
    ]);
  });

  it("allows what the core needs", () => {
    const ok = [
      'import { z } from "zod";',
      'import { localParts } from "./windows.js";',
      "const d = new Date(ms);",
      "const u = new Date(Date.UTC(2026, 0, 1));",
      "// Date.now() is not called here",
      "/* nor Math.random() */",
      'const url = "https://example.com";',
    ].join("\n");
    expect(violations(ok)).toEqual([]);
  });
});
