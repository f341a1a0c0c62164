// The group notices a rollback posts: its failure (urgent), the executed template with a
// 重新排入 button per held bug, and a data-corruption escalation (the post-rollback watch is
// ./watch-rounds.ts). Text comes from src/i18n; the
// buttons are domain buttons (src/adapters/notify/render.ts makes them Telegram's).
import type { Actor, Env } from "../core/model.js";
import { tailCodePoints } from "../core/text.js";
import { formatDateTime } from "../core/windows.js";
import { incidentRecords, incidents, rollbackExecuted } from "../i18n/index.js";
import type { Escalation } from "./incident-support.js";
import { messages } from "./messages.js";
import type { NoticeDraft } from "./outbox.js";

const T = incidents.rollback;
/** At most this many 重新排入 buttons under one template. */
const REQUEUE_BUTTONS = 8;

interface Where {
  chatId: number;
  timezone: string;
}
interface PlanFacts {
  env: Env;
  targetVersion: string;
}

export const rollbackFailedNotices = (
  at: Where,
  plan: PlanFacts,
  deployment: { status: string; output: string },
  oncall: string | null,
): NoticeDraft[] =>
  messages(
    at.chatId,
    T.failedGroup(plan.env, plan.targetVersion, deployment.status, tailCodePoints(deployment.output, 1500), oncall),
    { urgent: true },
  );

export function rollbackExecutedNotices(
  at: Where,
  plan: PlanFacts,
  input: { reason: string; actor: Actor; now: Date; reverted: readonly { id: number; rowVersion: number }[] },
): NoticeDraft[] {
  const text = rollbackExecuted({
    env: plan.env,
    reason: input.reason,
    toVersion: plan.targetVersion,
    at: formatDateTime(input.now, at.timezone),
    admin: input.actor.kind === "user" ? input.actor.name : T.autoActor,
    next: T.nextSteps(input.reverted.map((b) => b.id)),
  });
  const buttons = input.reverted
    .slice(0, REQUEUE_BUTTONS)
    .map((b) => [{ label: T.requeueButton(b.id), action: "requeue" as const, id: b.id, version: b.rowVersion }]);
  return messages(at.chatId, text, { buttons });
}

/** issue 12: a data-corruption rollback's escalation, with the down-migration's state. */
export const dataEscalationText = (
  facts: { incidentId: number; env: Env; version: string; reason: string },
  migrateDown: "none" | "running" | "succeeded" | "failed" | "timed_out",
  who: Escalation,
  output: string,
): string => incidentRecords.dataEscalation({ ...facts, ...who, migrateDown, output });
