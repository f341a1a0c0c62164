// Outside text made safe at the boundary. Postgres `text`/`jsonb` refuse NUL bytes and lone UTF-16
// surrogates (one of them makes the whole transaction fail), and a cut in the middle of a surrogate
// pair leaves one behind: every string that comes from outside (script output, webhook and provider
// answers, titles, descriptions, reasons, module names) goes through `cleanText` before it is
// stored or sent, and is cut only with the code-point helpers below — never `slice` on UTF-16 units.

const REPLACEMENT = "\uFFFD";

/**
 * NUL and the other C0/C1 control characters (except tab, newline, carriage return) removed; lone
 * surrogates replaced by U+FFFD. Idempotent.
 */
export function cleanText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, "")
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, REPLACEMENT);
}

/** The first `max` code points (a surrogate pair is never split). */
export function headCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  return points.length <= max ? text : points.slice(0, max).join("");
}

/** The last `max` code points (a surrogate pair is never split). */
export function tailCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  return points.length <= max ? text : points.slice(points.length - max).join("");
}

/** Code points, as a person counts characters (not UTF-16 units). */
export const codePointLength = (text: string): number => Array.from(text).length;

/** Cleaned and bounded to `max` code points, with `…` when cut. */
export function boundedText(text: string, max: number): string {
  const clean = cleanText(text);
  return codePointLength(clean) <= max ? clean : `${headCodePoints(clean, max - 1)}…`;
}

/** Cleaned, with its tail kept (`…(truncated)` first when cut): for command output. */
export function boundedTail(text: string, max: number): string {
  const clean = cleanText(text);
  return codePointLength(clean) <= max ? clean : `…(truncated)\n${tailCodePoints(clean, max)}`;
}

/** One line: newlines and other line breaks become spaces, runs of spaces collapse, trimmed. */
export function oneLine(text: string): string {
  return cleanText(text)
    .replace(/[\r\n\u2028\u2029\u0085\t]+/g, " ")
    .replace(/ {2,}/g, " ")
    .trim();
}

const ZERO_WIDTH = /[\u200B-\u200F\u2060-\u2064\uFEFF\u00AD\u180E]|\u034F/g;

/**
 * A module name as compared for freezes and stored on bugs: Unicode NFKC, zero-width and
 * invisible characters removed, whitespace collapsed, trimmed, case-folded. `ｆｉｎａｎｃｉａｌ`,
 * `Financial` and `fin\u200Bancial` all become `financial`.
 */
export function normalizeModule(name: string): string {
  return oneLine(name.normalize("NFKC").replace(ZERO_WIDTH, "")).toLowerCase();
}
