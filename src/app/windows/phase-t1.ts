// T1: analysis of confirmed bugs, Flow 1 → UAT (with the 批准推 PROD buttons), Flow 2 → queued for PROD.
import type { BugEvent } from "../../core/model.js";
import { formatDateTime, localParts } from "../../core/windows.js";
import { flow1Uat, flow2Queued, formatWindowTime, quietText, versionText, windowText } from "../../i18n/index.js";
import { applyEvent, type BugRow } from "../bugs.js";
import { approvalKeyboard, messages } from "../messages.js";
import { enqueue } from "../outbox.js";
import type { Analyzer } from "../ports.js";
import { adminsToNotify, privateNotices } from "../todo.js";
import { allocateVersion } from "../versions.js";
import { applyAll, ids, nextT2, type Outcome, type WindowContext } from "./context.js";
import { deployRelease, releaseSummary } from "./release-step.js";
import { gateFlow1 } from "./version-gate.js";

export async function phaseT1(ctx: WindowContext, bugs: BugRow[]): Promise<Outcome> {
  const { deps } = ctx;
  const summary: string[] = [];
  const planned: BugRow[] = [];
  for (const bug of bugs) {
    const b = bug.status === "planned" ? bug : await analyze(ctx, deps.analyzer, bug);
    if (b?.status === "planned") planned.push(b);
  }
  const analysed = bugs.length - bugs.filter((b) => b.status === "planned").length;
  if (analysed) summary.push(windowText.analysed(analysed));

  const flow2 = planned.filter((b) => b.fixFlow === "flow2");
  if (flow2.length) {
    const queued = await deps.db.transaction(async (tx) => {
      const applied = await applyAll(tx, ctx, flow2, { type: "queue_prod" });
      if (applied.length) {
        const now = deps.clock();
        const t2 = await nextT2(ctx, now, applied);
        const tz = ctx.system.timezone;
        const text = flow2Queued({
          bugs: applied,
          t2: formatDateTime(t2, tz),
          tonight: localParts(t2, tz).date === localParts(now, tz).date,
        });
        await enqueue(tx, messages(ctx.chatId, text), now);
      }
      return applied;
    });
    summary.push(windowText.flow2Queued(ids(queued)));
  }

  let failed = false;
  // issue 10: a Flow 1 bug whose UAT moved ahead of PROD since triage is held, not deployed
  const gate = await gateFlow1(
    ctx,
    planned.filter((b) => b.fixFlow === "flow1"),
  );
  if (gate.held.length) summary.push(versionText.t1HeldSummary(ids(gate.held)));
  const flow1 = gate.deploy;
  if (flow1.length) {
    const { deployment, applied } = await deployRelease(ctx, {
      env: "uat",
      kind: "pipeline",
      bugs: flow1,
      version: await allocateVersion(deps.db, ctx.system, deps.clock()),
      event: (releaseId) => ({ type: "deploy_uat_ok", releaseId }),
      notify: async (applied, d, tx) => {
        const now = deps.clock();
        const t2 = formatWindowTime(await nextT2(ctx, now, applied), now, ctx.system.timezone);
        const buttons = approvalKeyboard("prod", applied, d.id);
        // issue 17: admins who asked (/notify on) are told in private that the approval awaits them.
        const notified = applied.length ? await adminsToNotify(tx, deps.config, ctx.system.id) : [];
        return [
          ...messages(
            ctx.chatId,
            flow1Uat({
              bugs: applied,
              version: d.version,
              // issue 11: a platform's preview URL (Vercel) is the URL to verify before promoting.
              uatUrl: d.providerState?.url ?? ctx.system.environments.uat.url,
              nextT2: t2,
            }),
            { replyMarkup: buttons },
          ),
          ...privateNotices(
            notified,
            quietText.notify.approvalDue({ version: d.version, bugs: applied, cutoff: t2 }),
            undefined,
            buttons,
          ),
        ];
      },
    });
    failed = deployment.status !== "succeeded";
    summary.push(releaseSummary(deployment, applied));
  }
  return { status: failed ? "failed" : "done", summary: summary.join(";") || windowText.nothingToDo };
}

async function analyze(ctx: WindowContext, analyzer: Analyzer, bug: BugRow): Promise<BugRow | null> {
  const { deps } = ctx;
  let current = bug;
  if (bug.status === "confirmed") {
    const started = await applyEvent(deps.db, {
      bugId: bug.id,
      event: { type: "start_analysis" },
      actor: ctx.actor,
      now: deps.clock(),
    });
    if (started.kind !== "applied") return null;
    current = started.bug;
  }
  let event: Extract<BugEvent, { type: "record_analysis" }>;
  let note: string | undefined;
  try {
    const a = await analyzer.analyze({
      id: current.id,
      title: current.title,
      description: current.description,
      severity: current.severity,
      foundInEnv: current.foundInEnv,
      services: current.services,
      module: current.module,
    });
    event = {
      type: "record_analysis",
      rootCause: a?.rootCause ?? null,
      fixPlan: a ? windowText.fixPlan(a.fixPlan, a.risk) : null,
      failed: false,
    };
    if (!a) note = windowText.noAnalyzer;
  } catch (error) {
    ctx.log.warn({ err: error, bugId: bug.id }, "analysis failed");
    event = { type: "record_analysis", rootCause: null, fixPlan: null, failed: true };
    note = windowText.analysisFailed(error instanceof Error ? error.message : String(error));
  }
  const recorded = await applyEvent(deps.db, {
    bugId: current.id,
    event,
    actor: ctx.actor,
    now: deps.clock(),
    ...(note ? { note } : {}),
  });
  return recorded.kind === "applied" ? recorded.bug : null;
}
