// Outside HTTP answers read safely: redirects are never followed (a 302 to a login page is not a
// success, and a POST must not wander to another host), bodies are streamed and cut at a byte
// limit, decoded across chunk borders and cleaned.
import { cleanText } from "../../core/text.js";

/** Answers longer than this are cut (and said to be). */
export const ANSWER_LIMIT_BYTES = 1024 * 1024;

export interface HttpAnswer {
  status: number;
  /** For a 3xx: the host its Location points to (cleaned), or "?" when it has none. */
  redirectHost: string | null;
  /** The body, decoded and cleaned; at most `limit` bytes were read. */
  text: string;
  /** The body went past the limit: `text` is its beginning only. */
  cut: boolean;
}

export const isRedirect = (status: number): boolean => status >= 300 && status < 400;

/** The host a Location header points to (relative locations stay on `base`'s host). */
export function locationHost(location: string | null, base: string | URL): string {
  if (!location) return "?";
  try {
    return cleanText(new URL(location, base).host) || "?";
  } catch {
    return "?";
  }
}

/** fetch with `redirect: "manual"`; the body read up to `limit` bytes (skipped for a redirect). */
export async function fetchAnswer(
  url: string | URL,
  init: RequestInit,
  options: { limit?: number; readBody?: boolean } = {},
): Promise<HttpAnswer> {
  const limit = options.limit ?? ANSWER_LIMIT_BYTES;
  const response = await fetch(url, { ...init, redirect: "manual" });
  if (isRedirect(response.status)) {
    await response.body?.cancel().catch(() => {});
    return {
      status: response.status,
      redirectHost: locationHost(response.headers.get("location"), url),
      text: "",
      cut: false,
    };
  }
  if (options.readBody === false || !response.body) {
    await response.body?.cancel().catch(() => {});
    return { status: response.status, redirectHost: null, text: "", cut: false };
  }
  const { text, cut } = await readLimited(response.body, limit);
  return { status: response.status, redirectHost: null, text, cut };
}

/** Reads a byte stream as UTF-8 up to `limit` bytes, then stops reading (the rest is cancelled). */
export async function readLimited(
  body: ReadableStream<Uint8Array>,
  limit: number,
): Promise<{ text: string; cut: boolean }> {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let read = 0;
  let cut = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - read;
      if (value.byteLength > room) {
        text += decoder.decode(value.subarray(0, room), { stream: true });
        cut = true;
        break;
      }
      read += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
    // A character cut at the limit decodes to U+FFFD rather than a broken surrogate.
    text += decoder.decode();
  } finally {
    if (cut) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  return { text: cleanText(text), cut };
}

export const sizeLabel = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
