// Message rendering shared by every feature: the bug card, its buttons, lists and history.
import { InlineKeyboard } from "grammy";
import type { BugEventRow, BugRow } from "../../app/bugs.js";
import { systemRegistry } from "../../app/systems.js";
import type { Config } from "../../config.js";
import { CALLBACK_ACTIONS, encodeCallback } from "../../core/callback-data.js";
import { mayMergeBackToUat } from "../../core/machine.js";
import { formatDateTime } from "../../core/windows.js";
import { cardHtml, t } from "../../i18n/index.js";

export interface SystemView {
  id: string;
  name: string;
  timezone: string;
}

export function systemView(config: Config, systemId: string): SystemView {
  const s = systemRegistry(config).find(systemId);
  return { id: systemId, name: s?.name ?? systemId, timezone: s?.timezone ?? "Asia/Taipei" };
}

export const at = (date: Date, tz: string): string => formatDateTime(date, tz);

export const bugCard = (bug: BugRow, system: SystemView): string => cardHtml(bug, system);

/** The admin buttons a bug offers in its current status (none when it needs no human decision). */
export function cardKeyboard(bug: BugRow, extra?: (kb: InlineKeyboard) => void): InlineKeyboard | undefined {
  const kb = new InlineKeyboard();
  const data = (action: (typeof CALLBACK_ACTIONS)[keyof typeof CALLBACK_ACTIONS]) =>
    encodeCallback({ action, id: bug.id, version: bug.rowVersion });
  if (bug.status === "submitted") {
    kb.text(t.buttons.confirm, data(CALLBACK_ACTIONS.confirm)).text(t.buttons.reject, data(CALLBACK_ACTIONS.reject));
  } else if (bug.status === "deployed_uat") {
    kb.text(t.buttons.approveProd(bug.id), data(CALLBACK_ACTIONS.approveProd));
  } else if (bug.status === "deployed_prod" && mayMergeBackToUat(bug)) {
    kb.text(t.buttons.approveUatMerge(bug.id), data(CALLBACK_ACTIONS.approveUatMerge));
  }
  extra?.(kb);
  return kb.inline_keyboard.some((row) => row.length > 0) ? kb : undefined;
}

export function historyText(bug: BugRow, events: BugEventRow[], tz: string): string {
  return [
    t.history.header(bug.id, bug.title),
    ...events.map((ev) =>
      t.history.line(
        at(ev.at, tz),
        ev.fromStatus as BugRow["status"] | null,
        ev.toStatus as BugRow["status"],
        ev.event,
        ev.actorName,
        ev.note,
      ),
    ),
  ].join("\n");
}
