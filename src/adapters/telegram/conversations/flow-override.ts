// issue 10: confirming a flow that contradicts the versions asks for the override's reason, then
// confirms with it (shown on the card, written to the audit trail): see ./reasoned-decision.ts.
import type { Context } from "grammy";
import type { BugEvent } from "../../../core/model.js";
import type { Convo } from "./common.js";
import { reasonedDecision } from "./reasoned-decision.js";

export interface OverrideArgs {
  bugId: number;
  rowVersion: number;
  /** the confirm as chosen, without its reason */
  event: Extract<BugEvent, { type: "confirm" }>;
  chatId: number;
  messageId: number;
  queue: boolean;
  /** the question (HTML), rendered by the menu that knows the versions */
  prompt: string;
}

export function flowOverrideConversation(conversation: Convo, ctx: Context, args: OverrideArgs): Promise<void> {
  return reasonedDecision(conversation, ctx, {
    ...args,
    event: (reason) => ({ ...args.event, overrideReason: reason }),
  });
}
