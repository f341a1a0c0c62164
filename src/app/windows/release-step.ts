// A release inside a window: one progress message edited as the steps go, then — in the
// transaction that records the outcome — the bugs moved and the slot's template sent, or the
// failure reported. executeRelease returns the deployment and what the outcome step applied.

import type { BugEvent, Env } from "../../core/model.js";
import { affectedServices } from "../../core/release.js";
import { tailCodePoints } from "../../core/text.js";
import {
  deployFailed,
  type PlatformWait,
  type ProgressState,
  progressLine,
  reliability,
  windowText,
} from "../../i18n/index.js";
import type { BugRow } from "../bugs.js";
import type { Tx } from "../db.js";
import { type DeploymentRow, executeRelease, type ReleaseProgress } from "../deploy-release.js";
import { editMessage, messages } from "../messages.js";
import { enqueue, type NoticeDraft, noticeEdit, type OutboxDraft } from "../outbox.js";
import type { TargetProgress } from "../ports.js";
import { applyAll, ids, type WindowContext } from "./context.js";

export interface ReleaseSpec {
  env: Env;
  kind: "pipeline" | "uat_merge";
  bugs: BugRow[];
  version: string;
  event: (releaseId: number) => BugEvent;
  /**
   * The slot's template for the bugs moved, and any private notices (issue 17). Runs inside the
   * outcome transaction: reads go through `tx`.
   */
  notify: (applied: BugRow[], deployment: DeploymentRow, tx: Tx) => Promise<OutboxDraft[]>;
}

export interface ReleaseDone {
  deployment: DeploymentRow;
  /** The bugs moved by the release (none when it failed). */
  applied: BugRow[];
}

/** Deploys, editing one progress message as it goes; on success moves the bugs and sends the template. */
export async function deployRelease(ctx: WindowContext, spec: ReleaseSpec): Promise<ReleaseDone> {
  const { deps, system, chatId } = ctx;
  const services = affectedServices(
    system.services,
    spec.bugs.map((b) => b.services),
  );
  const progress = progressMessage(ctx, spec);

  const { deployment, outcome } = await executeRelease(
    deps,
    {
      system,
      env: spec.env,
      kind: spec.kind,
      bugIds: spec.bugs.map((b) => b.id),
      services,
      version: spec.version,
      windowRunId: ctx.run.id,
      actorName: `system:${ctx.slot.toUpperCase()}`,
      label: reliability.holders.window(ctx.slot),
      onStep: progress.show,
      onTargetProgress: progress.wait,
    },
    async (tx, d, last): Promise<BugRow[]> => {
      const ok = d.status === "succeeded";
      if (!ok) {
        await progress.finish(tx, "failed", last);
        const text = deployFailed({
          env: spec.env,
          version: d.version,
          bugs: spec.bugs,
          status: d.status,
          step: last.service,
          // Short enough that the template's own cut never splits a character.
          output: tailCodePoints(d.output, 400),
        });
        await enqueue(tx, messages(chatId, text, { dedupeKey: `deploy-failed:${d.id}` }), deps.clock());
        return [];
      }
      const applied = await applyAll(tx, ctx, spec.bugs, spec.event(d.id));
      await enqueue(tx, progress.becomes(await spec.notify(applied, d, tx)), deps.clock());
      return applied;
    },
  );

  if (deployment.status === "succeeded") ctx.deployed.push(deployment);
  return { deployment, applied: outcome ?? [] };
}

/**
 * issue 11: a platform's build progress edits the line at most once per this long while its stage
 * stays the same (a change of stage shows at once); an edit that would change nothing is never sent.
 */
export const PLATFORM_PROGRESS_EVERY_MS = 30_000;

/** The release's one progress message: sent at the first step, edited at each next one and at the end. */
function progressMessage(ctx: WindowContext, spec: ReleaseSpec) {
  const { deps, chatId } = ctx;
  let id: number | undefined;
  // What the message says now, and (issue 11) the platform wait it last showed.
  let shown = "";
  let stepStarted = 0;
  let lastWait: { stage: PlatformWait["stage"]; at: number } | null = null;
  const line = (state: ProgressState, at: ReleaseProgress, wait: PlatformWait | null = null) =>
    progressLine({
      slot: ctx.slot,
      env: spec.env,
      version: spec.version,
      state,
      done: state === "succeeded" ? at.total : at.n,
      total: at.total,
      service: state === "succeeded" ? null : at.service,
      wait,
    });
  const edit = async (text: string): Promise<void> => {
    if (id === undefined || text === shown) return;
    await enqueue(deps.db, [editMessage(chatId, id, text)], deps.clock());
    shown = text;
  };
  return {
    show: async (at: ReleaseProgress): Promise<void> => {
      stepStarted = deps.clock().getTime();
      lastWait = null;
      const text = line("running", at);
      if (id === undefined) {
        [id] = await enqueue(deps.db, messages(chatId, text), deps.clock());
        shown = text;
      } else await edit(text);
    },
    /** issue 11: the platform's build/rollout (throttled; see PLATFORM_PROGRESS_EVERY_MS). */
    wait: async (at: ReleaseProgress, p: TargetProgress): Promise<void> => {
      const now = deps.clock().getTime();
      if (lastWait && lastWait.stage === p.stage && now - lastWait.at < PLATFORM_PROGRESS_EVERY_MS) return;
      const minutes = Math.max(Math.floor((now - stepStarted) / 60_000), 0);
      const text = line("running", at, { platform: p.platform, stage: p.stage, minutes });
      if (text === shown) return;
      await edit(text);
      lastWait = { stage: p.stage, at: now };
    },
    finish: async (tx: Tx, state: ProgressState, at: ReleaseProgress): Promise<void> => {
      if (id !== undefined) await enqueue(tx, [editMessage(chatId, id, line(state, at))], deps.clock());
    },
    /**
     * issue 17: one message per release in the group. The template takes the progress line's place:
     * an edit of it when the template is one message to this chat, else the template is sent and
     * the progress line deleted.
     */
    becomes: (templates: OutboxDraft[]): OutboxDraft[] => {
      if (id === undefined) return templates;
      const here = templates.filter((d) => d.chatId === chatId && "kind" in d && d.kind === "send");
      if (here.length !== 1) return [...templates, { chatId, kind: "delete", editsOutboxId: id }];
      const template = here[0] as NoticeDraft;
      return templates.map((d) =>
        d === template
          ? noticeEdit(chatId, id!, template.text ?? "", {
              ...(template.buttons ? { buttons: template.buttons } : {}),
              mirror: true, // the release's template: a notification of its own (Slack mirror)
            })
          : d,
      );
    },
  };
}

export const releaseSummary = (d: DeploymentRow, applied: BugRow[]) =>
  d.status === "succeeded"
    ? windowText.releaseSucceeded(d.env.toUpperCase(), d.version, ids(applied))
    : windowText.releaseFailed(d.env.toUpperCase(), d.version, d.status);
