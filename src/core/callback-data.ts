// callback_data for the bot's own buttons: short, versioned, parsed with zod. Menus built with
// @grammyjs/menu use that plugin's encoding instead.
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
} as const;
export type CallbackAction = (typeof CALLBACK_ACTIONS)[keyof typeof CALLBACK_ACTIONS];

const actionValues = Object.values(CALLBACK_ACTIONS) as [CallbackAction, ...CallbackAction[]];

const digits = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);
const callbackSchema = z
  .tuple([z.literal(CALLBACK_VERSION), z.enum(actionValues), digits, digits])
  .transform(([, action, id, version]) => ({ action, id, version }))
  .refine((p) => p.id > 0 && p.version <= 2_147_483_647);

export interface CallbackPayload {
  action: CallbackAction;
  id: number;
  version: number;
}

export function encodeCallback(payload: CallbackPayload): string {
  const data = `${CALLBACK_VERSION}:${payload.action}:${payload.id}:${payload.version}`;
  if (new TextEncoder().encode(data).length > 64) throw new Error(`callback_data over 64 bytes: ${data}`);
  return data;
}

/** null for anything that is not exactly one of our buttons (old versions, forged data). */
export function parseCallback(data: string | undefined): CallbackPayload | null {
  if (!data) return null;
  if (new TextEncoder().encode(data).length > 64) return null;
  const parsed = callbackSchema.safeParse(data.split(":"));
  return parsed.success ? parsed.data : null;
}
