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
 * Splits a message on line boundaries so each part stays under the limit. Lines must not
 * carry an open tag across the break (our templates keep tags within one line). A single
 * line longer than the limit is cut on character boundaries outside entities.
 */
export function splitMessage(html: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  if (visibleLength(html) <= limit && html.length <= limit * 2) return [html];
  const parts: string[] = [];
  let current = "";
  const push = () => {
    if (current) parts.push(current);
    current = "";
  };
  for (const line of html.split("\n")) {
    const candidate = current ? `${current}\n${line}` : line;
    if (visibleLength(candidate) <= limit) {
      current = candidate;
      continue;
    }
    push();
    if (visibleLength(line) <= limit) {
      current = line;
      continue;
    }
    for (const chunk of cutLongLine(line, limit)) parts.push(chunk);
  }
  push();
  return parts;
}

function cutLongLine(line: string, limit: number): string[] {
  const plain = line.replace(/<[^>]*>/g, "");
  const chunks: string[] = [];
  let i = 0;
  while (i < plain.length) {
    let end = Math.min(i + limit, plain.length);
    const amp = plain.lastIndexOf("&", end - 1);
    if (amp >= i && amp > end - 8 && plain.indexOf(";", amp) >= end) end = amp;
    chunks.push(plain.slice(i, end));
    i = end;
  }
  return chunks;
}
