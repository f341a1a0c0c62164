// Telegram HTML parse mode: escape every user-supplied string, keep messages under the limit.

export const TELEGRAM_TEXT_LIMIT = 4096;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The text Telegram shows for an HTML message (tags removed, entities decoded). */
export function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, "&");
}

/** Visible length as Telegram counts it for HTML: tags removed, entities count as one. */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(amp|lt|gt|quot|#\d+);/g, "x").length;
}

/**
 * Splits a message on line boundaries so each part stays under the limit. A tag open across a
 * break (a multi-line <pre> or <blockquote>) is closed at the end of the part and reopened at the
 * start of the next, so every part is valid HTML. A single line longer than the limit is cut on
 * character boundaries outside entities and surrogate pairs (its own tags dropped).
 */
export function splitMessage(html: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  if (visibleLength(html) <= limit && html.length <= limit * 2) return [html];
  const parts: string[] = [];
  let current = "";
  /** The opening tags still open at the end of `current`. */
  let open: string[] = [];
  const reopen = () => open.join("");
  const close = () =>
    open
      .map(tagName)
      .reverse()
      .map((name) => `</${name}>`)
      .join("");
  const push = () => {
    if (visibleText(current).trim()) parts.push(`${current}${close()}`);
    current = "";
  };
  for (const line of html.split("\n")) {
    const candidate = current ? `${current}\n${line}` : `${reopen()}${line}`;
    if (visibleLength(candidate) <= limit) {
      current = candidate;
      open = openTagsAfter(open, line);
      continue;
    }
    push();
    if (visibleLength(line) <= limit) {
      current = `${reopen()}${line}`;
      open = openTagsAfter(open, line);
      continue;
    }
    for (const chunk of cutLongLine(line, limit)) parts.push(`${reopen()}${chunk}${close()}`);
    open = openTagsAfter(open, line);
  }
  push();
  return parts;
}

const tagName = (tag: string): string => /^<([a-z-]+)/i.exec(tag)?.[1]?.toLowerCase() ?? "";

function openTagsAfter(open: readonly string[], line: string): string[] {
  const stack = [...open];
  for (const m of line.matchAll(/<(\/?)([a-z-]+)[^>]*>/gi)) {
    const name = m[2]!.toLowerCase();
    if (!m[1]) stack.push(m[0]);
    else {
      const at = stack.findLastIndex((t) => tagName(t) === name);
      if (at >= 0) stack.splice(at, 1);
    }
  }
  return stack;
}

function cutLongLine(line: string, limit: number): string[] {
  const plain = line.replace(/<[^>]*>/g, "");
  const chunks: string[] = [];
  let i = 0;
  while (i < plain.length) {
    let end = Math.min(i + limit, plain.length);
    const amp = plain.lastIndexOf("&", end - 1);
    if (amp >= i && amp > end - 8 && plain.indexOf(";", amp) >= end) end = amp;
    // never between the two halves of a surrogate pair (an emoji)
    const code = plain.charCodeAt(end - 1);
    if (end < plain.length && end - 1 > i && code >= 0xd800 && code <= 0xdbff) end--;
    chunks.push(plain.slice(i, end));
    i = end;
  }
  return chunks;
}
