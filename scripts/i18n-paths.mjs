// Moves flat src/i18n/*.ts files into the active locale folder (src/i18n/zh-TW/) and points every
// import of an i18n module at src/i18n/index.js, keeping the named imports as they are.
// Idempotent and mechanical: re-run it after merging branches that still import the old paths
// (../i18n/zh-tw.js, ../i18n/templates.js …) or that added new flat files (src/i18n/<area>.ts).
//
//   node scripts/i18n-paths.mjs            # move, rewrite, then biome merges duplicate imports
//   node scripts/i18n-paths.mjs --dry-run  # only say what would change
//
// Afterwards run `npx tsc --noEmit`: two locale files exporting the same name is an error there.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const I18N = join(ROOT, "src", "i18n");
const LOCALE = join(I18N, "zh-TW");
const LOCALE_INDEX = join(LOCALE, "index.ts");
/** Flat files whose name changes inside the locale folder. */
const RENAMES = { "zh-tw.ts": "bot.ts" };
/** Folders whose files may import i18n modules. */
const SCAN = ["src", "test", "bench", "scripts", "drizzle"];
const dryRun = process.argv.includes("--dry-run");

/** `from "./x.js"`, `import("./x.js")`, `import "./x.js"`, `vi.mock("./x.js")`: relative specifiers only. */
const SPECIFIER = /((?:\bfrom|\bimport|\bmock|\bimportActual)\s*\(?\s*)(["'])(\.\.?\/[^"'\n]+)\2/g;

const posix = (path) => path.split(sep).join("/");
const asSpecifier = (fromDir, target) => {
  const rel = posix(relative(fromDir, target));
  return rel.startsWith(".") ? rel : `./${rel}`;
};
const changed = new Set();
const say = (line) => console.log(dryRun ? `(dry run) ${line}` : line);

function write(file, text) {
  changed.add(file);
  if (!dryRun) writeFileSync(file, text);
}

function move(from, to) {
  say(`move ${posix(relative(ROOT, from))} → ${posix(relative(ROOT, to))}`);
  if (dryRun) return;
  mkdirSync(dirname(to), { recursive: true });
  try {
    execFileSync("git", ["mv", from, to], { cwd: ROOT, stdio: "ignore" });
  } catch {
    renameSync(from, to);
  }
}

function rewriteSpecifiers(text, map) {
  return text.replace(SPECIFIER, (whole, lead, quote, spec) => {
    const next = map(spec);
    return next === spec ? whole : `${lead}${quote}${next}${quote}`;
  });
}

// 1. Flat files into the locale folder, their own relative imports fixed for the new depth.
const flat = readdirSync(I18N).filter((f) => f.endsWith(".ts") && f !== "index.ts");
const moved = [];
for (const name of flat) {
  const from = join(I18N, name);
  const to = join(LOCALE, RENAMES[name] ?? name);
  if (existsSync(to)) {
    console.warn(`! both ${posix(relative(ROOT, from))} and ${posix(relative(ROOT, to))} exist: merge them by hand`);
    continue;
  }
  const text = readFileSync(from, "utf8");
  const fixed = rewriteSpecifiers(text, (spec) => {
    const target = resolve(I18N, spec);
    if (dirname(target) === I18N) {
      const sibling = target.slice(I18N.length + 1).replace(/\.js$/, ".ts");
      return asSpecifier(LOCALE, join(LOCALE, (RENAMES[sibling] ?? sibling).replace(/\.ts$/, ".js")));
    }
    return asSpecifier(LOCALE, target);
  });
  move(from, to);
  moved.push(to);
  if (!dryRun) writeFileSync(to, fixed);
  changed.add(to);
}

// 2. Every module of the locale folder is re-exported by its index.ts.
if (existsSync(LOCALE_INDEX)) {
  let index = readFileSync(LOCALE_INDEX, "utf8");
  const modules = dryRun
    ? [...readdirSync(LOCALE), ...moved.map((m) => m.slice(LOCALE.length + 1))]
    : readdirSync(LOCALE);
  const missing = [...new Set(modules)]
    .filter((f) => f.endsWith(".ts") && f !== "index.ts")
    .map((f) => `export * from "./${f.replace(/\.ts$/, ".js")}";`)
    .filter((line) => !index.includes(line));
  if (missing.length) {
    const exports = [...index.matchAll(/^export \* from .*$/gm)];
    const at = exports.length ? exports.at(-1).index + exports.at(-1)[0].length : index.length;
    index = `${index.slice(0, at)}\n${missing.join("\n")}${index.slice(at)}`;
    for (const line of missing) say(`${posix(relative(ROOT, LOCALE_INDEX))}: + ${line}`);
    write(LOCALE_INDEX, index);
  }
} else {
  console.warn(`! ${posix(relative(ROOT, LOCALE_INDEX))} is missing`);
}

// 3. Imports of any i18n module from outside src/i18n go through src/i18n/index.js.
function* sourceFiles(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === "node_modules" || path === I18N) continue;
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(?:[cm]?ts|mjs|js)$/.test(entry)) yield path;
  }
}
const INDEX_JS = join(I18N, "index.js");
for (const file of SCAN.flatMap((dir) => [...sourceFiles(join(ROOT, dir))])) {
  if (file === fileURLToPath(import.meta.url)) continue;
  const text = readFileSync(file, "utf8");
  const next = rewriteSpecifiers(text, (spec) => {
    const target = resolve(dirname(file), spec).replace(/\.js$/, "");
    if (!target.startsWith(I18N + sep) || target === join(I18N, "index")) return spec;
    return asSpecifier(dirname(file), INDEX_JS);
  });
  if (next !== text) {
    say(`imports → src/i18n/index.js: ${posix(relative(ROOT, file))}`);
    write(file, next);
  }
}

// 4. Two imports from src/i18n/index.js in one file become one (biome's import organizer).
if (!dryRun && changed.size) {
  execFileSync("npx", ["biome", "check", "--write", ...[...changed].map((f) => relative(ROOT, f))], {
    cwd: ROOT,
    stdio: "inherit",
  });
}
say(`${changed.size} file(s) ${dryRun ? "would change" : "changed"}`);
