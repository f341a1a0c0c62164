// callback_data for every button the bot renders: one versioned, zod-parsed codec, at most 64 bytes.
// Two shapes under one version prefix:
//   `v1:<action>:<id>:<version>`  an action on a subject (bug, release, request, plan) — CALLBACK_ACTIONS
//   `v1:<flow>:<step>:<value>`    a choice inside a conversation (report, hotfix) — CHOICE_FLOWS
// Menus built with @grammyjs/menu (the triage menu, the /bugs list) keep that plugin's encoding
// `menuId/row/col/payload/h<hash>`: their payloads stay within MENU_PAYLOAD_MAX_BYTES, which with a
// 2-letter menu id, one-digit row/col and the worst-case hash (4 bytes, each possibly U+FFFD = 3
// bytes in UTF-8) keeps the whole under 64 bytes. Anything older (`rp:`, `hfx:`, `tq:`, another
// version) is stale: `isStaleCallback` says so, and the bot answers 「此按鈕已過期」.
import { z } from "zod";

export const CALLBACK_VERSION = "v1";

export const CALLBACK_ACTIONS = {
  /** 批准推 PROD for one bug (deployed_uat → pending_prod); id = bug id, v = row version */
  approveProd: "ap",
  /** 批准 Merge UAT for one bug (deployed_prod → pending_uat_merge) */
  approveUatMerge: "au",
  /** 全部批准 under a UAT notification; id = deployment id, v = 0 */
  approveProdAll: "apall",
  /** 全部批准 under a PROD notification; id = deployment id, v = 0 */
  approveUatMergeAll: "auall",
  /** 確認 on a bug card: opens the triage menu */
  confirm: "cf",
  /** 拒絕 on a bug card: asks for a reason */
  reject: "rj",
  /** second admin approves a hotfix during a freeze; id = hotfix request id */
  hotfixApprove: "hfa",
  /** confirm a prepared rollback; id = rollback plan id (kv), v = 0 */
  rollbackConfirm: "rbc",
  /** cancel a prepared rollback */
  rollbackCancel: "rbn",
  /** 立即回滾 offered by a watch in "ask" mode; id = deployment id */
  rollbackNow: "rbw",
  /** re-queue a held bug */
  requeue: "rq",
  /** 略過 on a /triage queue card; id = bug id, v = 0 */
  queueSkip: "tq",
  /** issue 12: 建立後續修正 bug under a stable post-rollback watch; id = incident id, v = 0 */
  incidentFollowUp: "ifb",
  /** issue 10: 重新分類 a Flow 1 bug held at T1 because UAT moved ahead; id = bug id, v = row version */
  retriage: "rt",
  /** issue 13: 連結 GitHub on a bug card (asks for the URL as a reply); id = bug id, v = 0 */
  linkGithub: "gl",
} as const;
export type CallbackAction = (typeof CALLBACK_ACTIONS)[keyof typeof CALLBACK_ACTIONS];

/** Conversations whose questions are answered with buttons. */
export const CHOICE_FLOWS = { report: "rp", hotfix: "hx", rollback: "rb" } as const;
export type ChoiceFlow = keyof typeof CHOICE_FLOWS;

/** The largest payload a @grammyjs/menu button may carry (see the header). */
export const MENU_PAYLOAD_MAX_BYTES = 40;
export const CALLBACK_MAX_BYTES = 64;

export interface CallbackPayload {
  action: CallbackAction;
  id: number;
  version: number;
}

export interface ChoicePayload {
  flow: ChoiceFlow;
  /** the question, e.g. `sev` */
  step: string;
  /** the answer, e.g. `high` or an option's index */
  value: string;
}

const actionValues = Object.values(CALLBACK_ACTIONS) as [CallbackAction, ...CallbackAction[]];
const flowCodes = Object.values(CHOICE_FLOWS) as [string, ...string[]];
const flowOf = Object.fromEntries(Object.entries(CHOICE_FLOWS).map(([flow, code]) => [code, flow])) as Record<
  string,
  ChoiceFlow
>;

const STEP = /^[a-z]{1,4}$/;
const VALUE = /^[a-z0-9_]{1,16}$/;
const digits = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);

const actionSchema = z
  .tuple([z.literal(CALLBACK_VERSION), z.enum(actionValues), digits, digits])
  .transform(([, action, id, version]): CallbackPayload => ({ action, id, version }))
  .refine((p) => p.id > 0 && p.version <= 2_147_483_647);
const choiceSchema = z
  .tuple([z.literal(CALLBACK_VERSION), z.enum(flowCodes), z.string().regex(STEP), z.string().regex(VALUE)])
  .transform(([, code, step, value]): ChoicePayload => ({ flow: flowOf[code]!, step, value }));

export type CallbackData = ({ kind: "action" } & CallbackPayload) | ({ kind: "choice" } & ChoicePayload);

const byteLength = (data: string): number => new TextEncoder().encode(data).length;

function checked(data: string): string {
  if (byteLength(data) > CALLBACK_MAX_BYTES) throw new Error(`callback_data over 64 bytes: ${data}`);
  return data;
}

/** A button acting on a subject: `v1:<action>:<id>:<version>`. */
export function encodeCallback(payload: CallbackPayload): string {
  return checked(`${CALLBACK_VERSION}:${payload.action}:${payload.id}:${payload.version}`);
}

/** A conversation's answer button: `v1:<flow>:<step>:<value>`. */
export function encodeChoice(payload: ChoicePayload): string {
  if (!STEP.test(payload.step) || !VALUE.test(payload.value))
    throw new Error(`choice step/value must match ${STEP} and ${VALUE}: ${payload.step}:${payload.value}`);
  return checked(`${CALLBACK_VERSION}:${CHOICE_FLOWS[payload.flow]}:${payload.step}:${payload.value}`);
}

/** Either shape, parsed; null for anything that is not exactly one of our current buttons. */
export function decodeButton(data: string | undefined): CallbackData | null {
  if (!data || byteLength(data) > CALLBACK_MAX_BYTES) return null;
  const parts = data.split(":");
  const action = actionSchema.safeParse(parts);
  if (action.success) return { kind: "action", ...action.data };
  const choice = choiceSchema.safeParse(parts);
  return choice.success ? { kind: "choice", ...choice.data } : null;
}

/** An action button; null for anything else (choices, old versions, forged data). */
export function decodeCallback(data: string | undefined): CallbackPayload | null {
  const decoded = decodeButton(data);
  return decoded?.kind === "action" ? { action: decoded.action, id: decoded.id, version: decoded.version } : null;
}

/** The earlier name of decodeCallback. */
export const parseCallback = decodeCallback;

/** A conversation's answer; null for anything else. */
export function decodeChoice(data: string | undefined): ChoicePayload | null {
  const decoded = decodeButton(data);
  return decoded?.kind === "choice" ? { flow: decoded.flow, step: decoded.step, value: decoded.value } : null;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * What a conversation waits for: the buttons of `flow`'s `step` whose value is one of `values`
 * (or matches the regular-expression source `valuePattern`); the value is capture group 1.
 */
export function choicePattern(flow: ChoiceFlow, step: string, values: readonly string[] | string): RegExp {
  const alternatives = typeof values === "string" ? values : values.map(escapeRegExp).join("|");
  return new RegExp(`^${CALLBACK_VERSION}:${CHOICE_FLOWS[flow]}:${escapeRegExp(step)}:(${alternatives})$`);
}

/** Any conversation's answer button (to tell one whose conversation has ended). */
export const CHOICE_BUTTON = new RegExp(`^${CALLBACK_VERSION}:(${flowCodes.join("|")}):`);

/**
 * A button from an earlier encoding (`rp:`, `hfx:`, `tq:`), another version, or an action this
 * version no longer has: still in old chats, answered as expired rather than as an error.
 */
export function isStaleCallback(data: string | undefined): boolean {
  if (!data || decodeButton(data) !== null) return false;
  return /^(rp|hfx|tq):/.test(data) || /^v\d{1,3}:/.test(data);
}

/** Whether a @grammyjs/menu payload is short enough (see the header). */
export const fitsMenuPayload = (payload: string): boolean =>
  byteLength(payload) <= MENU_PAYLOAD_MAX_BYTES && !payload.includes("/");
