// 拒絕 on a card: ask the admin for a reason, then reject (see ./reasoned-decision.ts).
import type { Context } from "grammy";
import { t } from "../../../i18n/index.js";
import type { Convo } from "./common.js";
import { reasonedDecision } from "./reasoned-decision.js";

export interface RejectArgs {
  bugId: number;
  rowVersion: number;
  chatId: number;
  messageId: number;
  queue: boolean;
}

export function rejectConversation(conversation: Convo, ctx: Context, args: RejectArgs): Promise<void> {
  return reasonedDecision(conversation, ctx, {
    ...args,
    prompt: t.triage.askRejectReason(args.bugId),
    event: (reason) => ({ type: "reject", reason }),
  });
}
