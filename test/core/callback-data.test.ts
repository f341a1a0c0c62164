// Every button the bot can render fits Telegram's 64 bytes of callback_data, and is read back by the
// one codec; buttons of earlier encodings still in chats are told apart as stale.
import { describe, expect, it } from "vitest";
import { decodeList, encodeList } from "../../src/adapters/telegram/menus/bug-list.js";
import { decodeTriage, encodeTriage } from "../../src/adapters/telegram/menus/triage.js";
import {
  CALLBACK_ACTIONS,
  CHOICE_FLOWS,
  type ChoiceFlow,
  choicePattern,
  decodeButton,
  decodeCallback,
  decodeChoice,
  encodeCallback,
  encodeChoice,
  isStaleCallback,
  MENU_PAYLOAD_MAX_BYTES,
  parseCallback,
} from "../../src/core/callback-data.js";
import { PIPELINE_FLOWS, SEVERITIES, STATUSES } from "../../src/core/model.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const MAX_ID = 999_999_999_999_999; // 15 digits: the largest id the codec reads
const MAX_VERSION = 2_147_483_647;

/** What @grammyjs/menu makes of a payload: `id/row/col/payload/h` + a 4-byte hash, each byte up to U+FFFD (3 bytes). */
const menuData = (menuId: string, payload: string) => `${menuId}/9/9/${payload}/h${"\uFFFD".repeat(4)}`;

describe("callback data", () => {
  it("every action, with the largest id and version, fits 64 bytes and decodes to itself", () => {
    for (const action of Object.values(CALLBACK_ACTIONS)) {
      for (const version of [0, MAX_VERSION]) {
        const data = encodeCallback({ action, id: MAX_ID, version });
        expect(bytes(data)).toBeLessThanOrEqual(64);
        expect(decodeCallback(data)).toEqual({ action, id: MAX_ID, version });
        expect(parseCallback(data)).toEqual(decodeCallback(data));
        expect(decodeButton(data)).toMatchObject({ kind: "action", action });
      }
    }
  });

  it("every conversation answer, with the longest step and value the codec accepts, fits and is waited for", () => {
    for (const flow of Object.keys(CHOICE_FLOWS) as ChoiceFlow[]) {
      const choice = { flow, step: "abcd", value: "z".repeat(16) };
      const data = encodeChoice(choice);
      expect(bytes(data)).toBeLessThanOrEqual(64);
      expect(decodeChoice(data)).toEqual(choice);
      expect(decodeCallback(data)).toBeNull();
      expect(choicePattern(flow, "abcd", [choice.value]).exec(data)?.[1]).toBe(choice.value);
    }
    expect(() => encodeChoice({ flow: "report", step: "sev", value: "z".repeat(17) })).toThrow();
    expect(() => encodeChoice({ flow: "report", step: "sev", value: "a:b" })).toThrow();
  });

  it("menu buttons: the largest triage and list payloads fit 64 bytes with the menu's own wrapping", () => {
    for (const sev of [null, ...SEVERITIES])
      for (const flow of [null, ...PIPELINE_FLOWS])
        for (const env of [null, "uat", "prod"] as const) {
          const state = { id: MAX_ID, rv: 9_999_999_999, sev, flow, env, queue: true };
          const payload = encodeTriage(state);
          expect(bytes(payload)).toBeLessThanOrEqual(MENU_PAYLOAD_MAX_BYTES);
          expect(bytes(menuData("tr", payload))).toBeLessThanOrEqual(64);
          expect(decodeTriage(payload)).toEqual(state);
        }
    const list = { statuses: STATUSES.slice(-11), page: 999_999 };
    const payload = encodeList(list);
    expect(bytes(menuData("bl", payload))).toBeLessThanOrEqual(64);
    expect(decodeList(payload)).toEqual(list);
  });

  it("old encodings still in chats are stale, not ours and not unknown; forged data is neither", () => {
    for (const old of ["rp:sev:high", "hfx:m:run", "tq:12", "v0:ap:1:1", "v2:ap:1:1", "v1:zz:1:1"])
      expect([old, isStaleCallback(old), decodeButton(old)]).toEqual([old, true, null]);
    for (const forged of ["", "hello", "tr/0/0/1.1.l.-.0/hxxxx", "🙂"])
      expect([forged, isStaleCallback(forged)]).toEqual([forged, false]);
    expect(decodeCallback("v1:ap:0:1")).toBeNull(); // id 0 is no subject
    expect(decodeCallback(`v1:ap:1:${MAX_VERSION + 1}`)).toBeNull();
  });
});
