// The pre-deploy checklist that runs before every window: backup, monitoring, on-call,
// freeze check, rollback path. Any ✗ skips the window.

import type { Check, Config, SystemConfig } from "../config.js";
import { type FreezeVerdict, isFullyFrozen } from "../core/freeze.js";
import type { Env } from "../core/model.js";
import { localParts } from "../core/windows.js";
import { checklistText, describeFreeze, freezeReasonText } from "../i18n/index.js";
import type { Queryable } from "./db.js";
import { freezeVerdict } from "./freeze-state.js";
import { getOncall } from "./oncall.js";
import type { Calendar, RunCheck } from "./ports.js";
import { environmentVersions } from "./systems.js";

export const CHECKLIST_KEYS = ["backup", "monitoring", "oncall", "freeze", "rollback_path"] as const;
export type ChecklistKey = (typeof CHECKLIST_KEYS)[number];

export interface ChecklistItem {
  key: ChecklistKey;
  ok: boolean;
  detail: string;
}

export interface ChecklistResult {
  ok: boolean;
  items: ChecklistItem[];
  freeze: FreezeVerdict;
}

export interface ChecklistDeps {
  db: Queryable;
  config: Pick<Config, "freeze" | "configDir">;
  runCheck: RunCheck;
  calendarFacts: Calendar;
}

export const CHECKLIST_LABELS: Record<ChecklistKey, string> = checklistText.labels;

/**
 * @param envs the environments this window will deploy to (their targets must exist).
 * @param windowAt the window's scheduled instant: on-call is looked up for its local date.
 */
export async function runChecklist(
  deps: ChecklistDeps,
  system: SystemConfig,
  windowAt: Date,
  envs: readonly Env[],
): Promise<ChecklistResult> {
  const check = deps.runCheck;
  const configured = async (key: ChecklistKey, c: Check | null): Promise<ChecklistItem> => {
    if (!c) return { key, ok: true, detail: checklistText.notConfigured };
    const result = await check(c, { cwd: deps.config.configDir });
    return { key, ...result };
  };

  const day = localParts(windowAt, system.timezone).date;
  const [backup, monitoring, onDuty, freeze, versions] = await Promise.all([
    configured("backup", system.checklist.backup),
    configured("monitoring", system.checklist.monitoring),
    getOncall(deps.db, system.id, day),
    freezeVerdict(deps, system, windowAt),
    environmentVersions(deps.db, system.id),
  ]);

  const oncallItem: ChecklistItem = onDuty
    ? { key: "oncall", ok: true, detail: onDuty.name }
    : { key: "oncall", ok: false, detail: checklistText.noOncall(day) };
  const freezeItem: ChecklistItem = isFullyFrozen(freeze)
    ? { key: "freeze", ok: false, detail: freeze.full.map(freezeReasonText).join("、") }
    : {
        key: "freeze",
        ok: true,
        detail: Object.keys(freeze.modules).length ? describeFreeze(freeze).join(" ") : checklistText.notFrozen,
      };

  const missing: string[] = [];
  const notes: string[] = [];
  for (const env of envs) {
    const target = system.environments[env];
    if (!target.deploy) missing.push(checklistText.missingDeploy(env));
    if (!target.rollback) missing.push(checklistText.missingRollback(env));
    notes.push(checklistText.rollsBackTo(env, versions[env] ?? null));
  }
  const rollbackItem: ChecklistItem = missing.length
    ? { key: "rollback_path", ok: false, detail: checklistText.missing(missing) }
    : { key: "rollback_path", ok: true, detail: notes.join(";") || checklistText.noDeploy };

  const items = [backup, monitoring, oncallItem, freezeItem, rollbackItem];
  return { ok: items.every((i) => i.ok), items, freeze };
}

/** One line per item, ✓/✗ (escape nothing here: details are ours or tool output — callers escape). */
export const checklistLines = (result: ChecklistResult): string[] =>
  result.items.map((i) => checklistText.line(i.ok, CHECKLIST_LABELS[i.key], i.detail));
