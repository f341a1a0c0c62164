// src/core must stay pure: no I/O libraries, no clock, no randomness (biome checks imports too).
// The layers point one way: src/core imports nothing relative outside src/core, and src/app never
// imports src/adapters (not even a type): it declares ports (src/app/ports.ts) that adapters implement.
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CORE = fileURLToPath(new URL("../../src/core", import.meta.url));
const APP = fileURLToPath(new URL("../../src/app", import.meta.url));
const ADAPTERS = fileURLToPath(new URL("../../src/adapters", import.meta.url));
const FORBIDDEN_PACKAGES = ["grammy", "drizzle-orm", "postgres", "croner", "@electric-sql/pglite", "date-holidays"];
const BUILTINS = new Set(builtinModules);

function isForbidden(specifier: string): boolean {
  if (specifier.startsWith("node:") || specifier.startsWith("@grammyjs/")) return true;
  if (BUILTINS.has(specifier.split("/")[0]!)) return true;
  return FORBIDDEN_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`));
}

const stripComments = (source: string): string =>
  source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");

/** Every module specifier a source file names (import, import type, export from, import(), require). */
const specifiersOf = (source: string): string[] =>
  [...stripComments(source).matchAll(/\b(?:from|import|require)\s*\(?\s*["'`]([^"'`]+)["'`]/g)].map((m) => m[1]!);

const inside = (dir: string, path: string): boolean => path === dir || path.startsWith(`${dir}${sep}`);

/** Relative imports of `file` that resolve outside `allowed` (or into `forbidden`). */
function layerViolations(file: string, source: string, rule: { allowed?: string; forbidden?: string }): string[] {
  return specifiersOf(source).filter((spec) => {
    if (!spec.startsWith(".")) return false;
    const target = resolve(dirname(file), spec);
    return (
      (rule.allowed !== undefined && !inside(rule.allowed, target)) ||
      (rule.forbidden !== undefined && inside(rule.forbidden, target))
    );
  });
}

/**
 * src/app files that still import src/adapters while other branches of issue 14 move them onto
 * ports (the engine's windows, deploy-release, incident-support, schedule). Remove an entry once
 * its file is clean; the test below fails if an entry is no longer needed.
 */
const APP_ADAPTER_IMPORTS_PENDING = new Set<string>();

function violations(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  for (const spec of specifiersOf(code)) if (isForbidden(spec)) found.push(`imports ${spec}`);
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

describe("layers point one way", () => {
  it.each(sourceFiles(CORE).map((f) => [relative(CORE, f), f]))(
    "core/%s imports nothing relative outside src/core",
    (_, file) => {
      expect(layerViolations(file, readFileSync(file, "utf8"), { allowed: CORE })).toEqual([]);
    },
  );

  it.each(sourceFiles(APP).map((f) => [relative(APP, f), f]))(
    "app/%s imports nothing from src/adapters",
    (name, file) => {
      const found = layerViolations(file, readFileSync(file, "utf8"), { forbidden: ADAPTERS });
      if (APP_ADAPTER_IMPORTS_PENDING.has(name))
        expect(found, `${name} is clean: drop it from the pending list`).not.toEqual([]);
      else expect(found).toEqual([]);
    },
  );

  it("the layer checker catches type imports, re-exports and dynamic imports", () => {
    const file = join(APP, "example.ts");
    const source = [
      'import type { Db } from "../adapters/db/database.js";',
      'export { runCheck } from "../adapters/checks/run-check.js";',
      'const m = await import("../adapters/calendar/calendar-facts.js");',
      'import { enqueue } from "./outbox.js";',
      'import { z } from "zod";',
      '// import { x } from "../adapters/commented-out.js";',
    ].join("\n");
    expect(layerViolations(file, source, { forbidden: ADAPTERS })).toEqual([
      "../adapters/db/database.js",
      "../adapters/checks/run-check.js",
      "../adapters/calendar/calendar-facts.js",
    ]);
    const coreFile = join(CORE, "example.ts");
    expect(
      layerViolations(coreFile, 'import { x } from "./text.js";\nimport type { Config } from "../config.js";', {
        allowed: CORE,
      }),
    ).toEqual(["../config.js"]);
  });
});
