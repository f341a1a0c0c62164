// 確認 on a bug card opens this in-place menu: severity → flow (pre-selected from the versions) → confirmed.
// Buttons carry the state they were rendered in (the menu re-renders it to check a click); handlers
// compute the next state and re-render through ctx.match.
import { Menu } from "@grammyjs/menu";
import { type BugRow, getBug } from "../../../app/bugs.js";
import { flowFor, readFailures, recordedVersions, refreshVersions } from "../../../app/env-versions.js";
import { escalateBug } from "../../../app/escalation.js";
import { bugSystemId } from "../../../app/scopes.js";
import { systemRegistry } from "../../../app/systems.js";
import { confirmEvent } from "../../../app/triage.js";
import { fitsMenuPayload } from "../../../core/callback-data.js";
import { type FlowChoice, needsOverride, suggestedFlow } from "../../../core/flow.js";
import {
  ENVS,
  type Env,
  isPipelineEligible,
  PIPELINE_FLOWS,
  type PipelineFlow,
  SEVERITIES,
  type Severity,
} from "../../../core/model.js";
import { t, versionText } from "../../../i18n/index.js";
import { cardMessage, decide, outdated } from "../cards.js";
import type { BotContext } from "../context.js";
import type { OverrideArgs } from "../conversations/flow-override.js";
import type { HotfixArgs } from "../conversations/incidents.js";
import { adminSystemIds, requireAdmin } from "../guards.js";
import { editHtml, replyHtml } from "../respond.js";

export interface TriageState {
  id: number;
  rv: number;
  sev: Severity | null;
  flow: PipelineFlow | null;
  /** found-in environment as (corrected) at triage; issue 10 */
  env: Env | null;
  /** opened from the /triage queue: show the next bug afterwards */
  queue: boolean;
}

type PipelineChoice = Extract<FlowChoice, { uat: string | null }>;

const SEV_CODE = { low: "l", medium: "m", high: "h", critical: "c" } as const;
const FLOW_CODE = { flow1: "1", flow2: "2" } as const;
const ENV_CODE = { uat: "u", prod: "p" } as const;
const STATE = /^(\d{1,15})\.(\d{1,10})\.([lmhc-])\.([12-])\.([up-])\.([01])$/;

/** At most 34 bytes (15-digit id, 10-digit row version): within MENU_PAYLOAD_MAX_BYTES (core/callback-data.ts). */
export function encodeTriage(s: TriageState): string {
  const payload = `${s.id}.${s.rv}.${s.sev ? SEV_CODE[s.sev] : "-"}.${s.flow ? FLOW_CODE[s.flow] : "-"}.${s.env ? ENV_CODE[s.env] : "-"}.${s.queue ? 1 : 0}`;
  if (!fitsMenuPayload(payload)) throw new Error(`triage menu payload too long: ${payload}`);
  return payload;
}

export function decodeTriage(payload: string | undefined): TriageState | null {
  const m = payload ? STATE.exec(payload) : null;
  if (!m) return null;
  return {
    id: Number(m[1]),
    rv: Number(m[2]),
    sev: SEVERITIES.find((s) => SEV_CODE[s] === m[3]) ?? null,
    flow: PIPELINE_FLOWS.find((f) => FLOW_CODE[f] === m[4]) ?? null,
    env: ENVS.find((e) => ENV_CODE[e] === m[5]) ?? null,
    queue: m[6] === "1",
  };
}

export const triageMenu = new Menu<BotContext>("tr", {
  autoAnswer: false,
  onMenuOutdated: (ctx) => ctx.answerCallbackQuery({ text: t.errors.outdated }),
});

triageMenu.dynamic((ctx, range) => {
  const s = decodeTriage(ctx.match);
  if (!s) return;
  const payload = encodeTriage(s);
  const button = (text: string, handler: (ctx: BotContext) => Promise<unknown>) =>
    range.text({ text, payload }, handler);
  if (!s.sev) {
    SEVERITIES.forEach((sev, i) => {
      button(t.labels.severity[sev], (c) => step(c, s, { sev, flow: null }));
      if (i % 2 === 1) range.row();
    });
    button(t.buttons.back, (c) => backToCard(c, s));
  } else if (isPipelineEligible(s.sev)) {
    for (const flow of PIPELINE_FLOWS) {
      const label = t.labels.flow[flow];
      button(flow === s.flow ? t.buttons.selected(label) : label, (c) => step(c, s, { flow }));
    }
    range.row();
    button(t.buttons.submitConfirm, (c) => finish(c, s));
    range.row();
    button(t.buttons.reselect, (c) => step(c, s, { sev: null, flow: null }));
    range.row();
    for (const env of ENVS)
      button(versionText.triage.foundInButton(env, s.env === env), (c) => step(c, s, { env, flow: null })); // the suggestion re-applies
  } else {
    button(t.buttons.hotfix, (c) => startHotfix(c, s));
    range.row();
    button(t.buttons.reselect, (c) => step(c, s, { sev: null, flow: null }));
  }
});

/** Shows the triage step for `s` on the pressed message. */
export async function showTriage(ctx: BotContext, bug: BugRow, s: TriageState, read = false): Promise<void> {
  let prompt: string = t.triage.chooseSeverity;
  if (s.sev && isPipelineEligible(s.sev)) {
    // issue 10: the versions read now (on entering the flow step), or as recorded (later steps)
    const system = systemRegistry(ctx.deps.config).get(bug.systemId);
    const versions = read ? await refreshVersions(ctx.deps, system) : await recordedVersions(ctx.deps.db, system);
    const choice = flowFor(versions, s.sev, s.env);
    s = { ...s, flow: s.flow ?? suggestedFlow(choice) };
    const failures = readFailures(versions).map((f) => versionText.readFailed(f.env, f.error));
    prompt = `${versionText.triage.foundIn(s.env)}\n${versionText.triage.suggestion(choice as PipelineChoice, failures)}`;
  } else if (s.sev) {
    prompt = t.triage.mustHotfix(bug.id, s.sev);
  }
  ctx.match = encodeTriage(s);
  await editHtml(ctx, `${cardMessage(ctx.deps, bug).html}\n\n${prompt}`, triageMenu);
}

/** The sender if an admin of the bug's system (a system admin triages their own system only). */
const adminOfBug = async (ctx: BotContext, s: TriageState) => requireAdmin(ctx, await bugSystemId(ctx.deps.db, s.id));

/** The bug if the menu is still current for it; otherwise "outdated" and the card refreshed. */
async function current(ctx: BotContext, s: TriageState): Promise<BugRow | null> {
  const bug = await getBug(ctx.deps.db, s.id);
  if (bug && bug.rowVersion === s.rv && bug.status === "submitted") return bug;
  // Decided meanwhile (another admin's press won the race): say so, not merely "outdated".
  if (bug && bug.status !== "submitted") {
    await ctx.answerCallbackQuery({ text: t.errors.alreadyHandled });
    return null;
  }
  await outdated(ctx, bug);
  return null;
}

async function step(ctx: BotContext, s: TriageState, change: Partial<TriageState>): Promise<void> {
  if (!(await adminOfBug(ctx, s))) return;
  // Pressing the flow already selected changes nothing: an identical edit is an error at Telegram.
  if (change.flow && change.flow === s.flow) return;
  if (change.env && change.env === s.env) return;
  const bug = await current(ctx, s);
  if (!bug) return;
  // issue 12: triaged as high/critical → the admins (and, critical, the on-call) are told at once
  if (change.sev) await escalateBug(ctx.deps, bug.id, ctx.deps.clock(), change.sev);
  // Entering the flow step reads the versions afresh; a flow or found-in toggle uses what was just read.
  await showTriage(ctx, bug, { ...s, ...change }, change.sev !== undefined && change.sev !== null);
}

async function backToCard(ctx: BotContext, s: TriageState): Promise<void> {
  if (!(await adminOfBug(ctx, s))) return;
  const bug = await current(ctx, s);
  if (!bug) return;
  const card = cardMessage(ctx.deps, bug, s.queue);
  await editHtml(ctx, card.html, card.markup);
}

/** Hands the bug to the incidents' /hotfix conversation (the card stays as it is until the hotfix is done). */
async function startHotfix(ctx: BotContext, s: TriageState): Promise<void> {
  if (!(await adminOfBug(ctx, s))) return;
  const bug = await current(ctx, s);
  if (!bug || !s.sev) return;
  if (Object.keys(ctx.conversation.active()).length > 0)
    return void (await ctx.answerCallbackQuery({ text: t.errors.busy }));
  await ctx.answerCallbackQuery();
  const card = cardMessage(ctx.deps, bug, s.queue);
  await editHtml(ctx, card.html, card.markup);
  const args: HotfixArgs = { systemId: bug.systemId, bugId: bug.id, severity: s.sev };
  try {
    await ctx.conversation.enter("hotfix", args);
  } catch (error) {
    ctx.log.warn({ err: error }, "could not enter the hotfix conversation");
    await replyHtml(ctx, t.triage.useHotfix(s.id));
  }
}

async function finish(ctx: BotContext, s: TriageState): Promise<void> {
  const actor = await adminOfBug(ctx, s);
  if (!actor || !s.sev) return;
  const bug = await current(ctx, s);
  if (!bug) return;
  if (!s.flow) return void (await ctx.answerCallbackQuery({ text: versionText.triage.chooseFirst }));
  const message = ctx.callbackQuery?.message;
  // issue 10: a flow that contradicts the versions is confirmed only with a reason (asked in a conversation)
  const system = systemRegistry(ctx.deps.config).get(bug.systemId);
  const versions = await recordedVersions(ctx.deps.db, system);
  const choice = flowFor(versions, s.sev, s.env);
  const event = confirmEvent(s.sev, s.flow, s.env, versions);
  if (needsOverride(choice, s.flow)) {
    if (Object.keys(ctx.conversation.active()).length > 0)
      return void (await ctx.answerCallbackQuery({ text: t.errors.busy }));
    await ctx.answerCallbackQuery();
    const args: OverrideArgs = {
      bugId: s.id,
      rowVersion: s.rv,
      event,
      chatId: message?.chat.id ?? 0,
      messageId: message?.message_id ?? 0,
      queue: s.queue,
      prompt: versionText.triage.askOverrideReason(s.id, s.flow, choice as PipelineChoice),
    };
    await ctx.conversation.enter("flowOverride", args);
    return;
  }
  const decision = await decide(ctx.deps, {
    bugId: s.id,
    rowVersion: s.rv,
    event,
    actor,
    ...(message ? { pressed: { chatId: message.chat.id, messageId: message.message_id } } : {}),
    queue: s.queue ? await adminSystemIds(ctx) : undefined,
  });
  await showDecision(ctx, decision);
}

/** What a decision leaves on the pressed message (and the next /triage card). */
export async function showDecision(ctx: BotContext, decision: Awaited<ReturnType<typeof decide>>): Promise<void> {
  if (decision.kind === "refused") {
    await ctx.answerCallbackQuery({ text: decision.reason ?? t.errors.generic });
    return;
  }
  if (decision.kind === "already_handled") {
    await ctx.answerCallbackQuery({ text: decision.current ? t.errors.outdated : t.errors.alreadyHandled });
    if (decision.current) await editHtml(ctx, decision.current.html, decision.current.markup);
    return;
  }
  await ctx.answerCallbackQuery();
  await editHtml(ctx, decision.html);
  if (decision.next) await replyHtml(ctx, decision.next.html, decision.next.markup);
}
