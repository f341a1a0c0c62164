// Input for incidents: the hotfix's title/severity/fix details/mode and a rollback's reason.
// Decisions run in `external` (hotfix) or behind a single confirm button (rollback).
import type { Context } from "grammy";
import { reportBug } from "../../../app/bugs.js";
import { escalateBug } from "../../../app/escalation.js";
import { requestHotfix } from "../../../app/hotfix.js";
import { describePlan, planRollback, prepareRollback } from "../../../app/rollback.js";
import { systemRegistry } from "../../../app/systems.js";
import {
  CALLBACK_ACTIONS,
  type CallbackAction,
  type ChoiceFlow,
  choicePattern,
  encodeCallback,
  encodeChoice,
} from "../../../core/callback-data.js";
import type { Env, Severity } from "../../../core/model.js";
import { conversationText, incidentRecords, incidents, t } from "../../../i18n/index.js";
import { hotfixText, inBackground } from "../features/incident-common.js";
import { isAdminFor } from "../guards.js";
import { displayName } from "../middleware.js";
import { HTML } from "../respond.js";
import { type Convo, onlyDashes, waitButton, waitText } from "./common.js";
import { openSurface, type Surface } from "./surface.js";

const LIMITS = { title: 200, diff: 3500, reason: 300 } as const;
const H = incidents.hotfix;
const R = incidents.rollback;

const keyboard = (rows: [string, string][]) => ({
  inline_keyboard: rows.map(([text, callback_data]) => [{ text, callback_data }]),
});

/** Asks with answer buttons (encodeChoice); the question is edited to show the choice. */
async function choose<V extends string>(
  conversation: Convo,
  surface: Surface,
  ctx: Context,
  step: string,
  question: string,
  options: [label: string, value: V][],
  flow: ChoiceFlow = "hotfix",
): Promise<{ value: V; ctx: Context }> {
  const data = (value: string) => encodeChoice({ flow, step, value });
  await surface.ask(ctx, question, keyboard(options.map(([label, value]) => [label, data(value)])));
  const c = await waitButton(
    conversation,
    choicePattern(
      flow,
      step,
      options.map(([, v]) => v),
    ),
    t.report.useButtons,
    surface,
  );
  const value = c.match[1] as V;
  await surface.took(c, `${question} ${options.find(([, v]) => v === value)![0]}`);
  return { value, ctx: c };
}

export interface HotfixArgs {
  systemId: string;
  /** null: a new bug, titled in the conversation */
  bugId: number | null;
  /** the existing bug's severity when already high/critical */
  severity: Severity | null;
}

/**
 * The hotfix's questions, in order. Adding one: `await surface.ask(...)` then `waitText`/`choose`
 * with the surface (see conversations/surface.ts); a quiet group keeps it all in one message.
 */
export async function hotfixConversation(conversation: Convo, ctx: Context, args: HotfixArgs): Promise<void> {
  const surface = await openSurface(conversation, ctx);
  await surface.took(ctx); // the /hotfix command, in a quiet group
  let last = ctx;
  let title: string | null = null;
  if (args.bugId === null) {
    await surface.ask(last, H.askTitle);
    const answer = await waitText(
      conversation,
      LIMITS.title,
      t.report.tooLong(LIMITS.title),
      { line: true, refuse: (text) => (onlyDashes(text) ? conversationText.titleRequired : null) },
      surface,
    );
    title = answer.text;
    last = answer.ctx;
  }
  let severity = args.severity;
  if (severity === null) {
    const chosen = await choose(conversation, surface, last, "s", H.askSeverity, [
      [t.labels.severity.high, "high"],
      [t.labels.severity.critical, "critical"],
    ]);
    severity = chosen.value;
    last = chosen.ctx;
  }
  await surface.ask(last, H.askDiff);
  const diff = await waitText(conversation, LIMITS.diff, t.report.tooLong(LIMITS.diff), {}, surface);
  const mode = await choose(conversation, surface, diff.ctx, "m", H.askMode, [
    [H.modeRun, "run"],
    [H.modeManual, "manual"],
    [H.cancel, "cancel"],
  ]);
  if (mode.value === "cancel") return surface.finish(mode.ctx, surface.quiet ? null : H.cancelled);
  const chosenMode = mode.value;
  const chosenSeverity = severity;

  const reply = await conversation.external(async (octx) => {
    const actor = await octx.actor();
    if (actor.kind !== "user" || !(await isAdminFor(octx, args.systemId))) return t.errors.adminOnly;
    const { deps } = octx;
    const system = systemRegistry(deps.config).get(args.systemId);
    let bugId = args.bugId;
    if (bugId === null) {
      const bug = await reportBug(
        deps.db,
        {
          systemId: system.id,
          title: title!,
          description: "",
          reporter: { id: actor.id, name: octx.from ? displayName(octx.from) : actor.name },
          foundInEnv: "prod",
          severity: chosenSeverity,
          services: [],
          module: null,
        },
        deps.clock(),
      );
      bugId = bug.id;
    }
    await escalateBug(deps, bugId, deps.clock(), chosenSeverity); // issue 12: mentions at once
    const admin = { ...actor, isAdmin: true };
    const input = { bugId, severity: chosenSeverity, diff: diff.text, mode: chosenMode, actor: admin };
    inBackground(octx, octx.log, octx.chat!.id, async () =>
      hotfixText(await requestHotfix(deps, input), system.timezone),
    );
    return H.accepted(bugId);
  });
  // In a quiet group the panel goes: the request or its outcome follows as its own message.
  await surface.finish(mode.ctx, reply, { keep: reply === t.errors.adminOnly });
}

export interface RollbackArgs {
  systemId: string;
  env: Env;
  version: string | null;
}

/**
 * /rollback: the preview, then the kind of problem (the seed's severity branches: a minor UX glitch
 * is advised against and rolls back only if confirmed anyway), the reason, and 確認回滾.
 */
export async function rollbackConversation(conversation: Convo, ctx: Context, args: RollbackArgs): Promise<void> {
  const preview = await conversation.external(async (octx) => {
    const system = systemRegistry(octx.deps.config).get(args.systemId);
    const planned = await planRollback(octx.deps.db, system, args.env, args.version ? { version: args.version } : {});
    if (!planned.ok) return { ok: false as const, error: planned.message };
    return { ok: true as const, plan: planned.plan, html: await describePlan(octx.deps.db, system, planned.plan) };
  });
  if (!preview.ok) return void (await ctx.reply(preview.error, HTML));
  const surface = await openSurface(conversation, ctx);
  await surface.took(ctx); // the /rollback command, in a quiet group
  const K = incidentRecords.kind;
  // The preview with the question (the surface splits a long one), then the kind of problem.
  const kind = await choose(
    conversation,
    surface,
    ctx,
    "k",
    `${preview.html}\n\n${K.ask}`,
    [
      [K.minor, "minor"],
      [K.functional, "functional"],
      [K.data, "data"],
      [K.cancel, "cancel"],
    ],
    "rollback",
  );
  if (kind.value === "cancel") return surface.finish(kind.ctx, K.cancelled, { keep: true });
  let last = kind.ctx;
  if (kind.value === "minor") {
    const anyway = await choose(
      conversation,
      surface,
      last,
      "m",
      K.minorAdvice,
      [
        [K.rollbackAnyway, "yes"],
        [K.keepRunning, "no"],
      ],
      "rollback",
    );
    if (anyway.value === "no") return surface.finish(anyway.ctx, K.keptRunning, { keep: true });
    last = anyway.ctx;
  }
  const problemKind = kind.value;
  await surface.ask(last, R.askReason);
  const reason = await waitText(conversation, LIMITS.reason, t.report.tooLong(LIMITS.reason), { line: true }, surface);
  const planId = await conversation.external(async (octx) => {
    const actor = await octx.actor();
    if (actor.kind !== "user" || !(await isAdminFor(octx, args.systemId))) return null;
    return prepareRollback(octx.deps, {
      plan: preview.plan,
      actor: { ...actor, isAdmin: true },
      reason: reason.text,
      kind: problemKind,
    });
  });
  if (planId === null) return surface.finish(reason.ctx, t.errors.adminOnly, { keep: true });
  const data = (action: CallbackAction) => encodeCallback({ action, id: planId, version: 0 });
  // The confirmation is the rollback's own message: in a quiet group the panel becomes it.
  await surface.finish(reason.ctx, incidentRecords.confirmPrompt(problemKind, reason.text), {
    keep: true,
    keyboard: keyboard([
      [R.confirm, data(CALLBACK_ACTIONS.rollbackConfirm)],
      [R.cancel, data(CALLBACK_ACTIONS.rollbackCancel)],
    ]),
  });
}
