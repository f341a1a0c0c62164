// /status: per system, versions, counts per status, next T1/T2 (frozen days skipped), freezes, last window.
import { Composer } from "grammy";
import { countByStatus } from "../../../app/bugs.js";
import { refreshVersions } from "../../../app/env-versions.js";
import { freezeVerdict } from "../../../app/freeze-state.js";
import { lastWindowRun, nextWindow } from "../../../app/schedule.js";
import { environmentVersions } from "../../../app/systems.js";
import type { SystemConfig } from "../../../config.js";
import { ENVS, STATUSES, type Status } from "../../../core/model.js";
import { describeFreeze, formatWindowTime, t, versionText } from "../../../i18n/index.js";
import { APP_VERSION } from "../../../version.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { visibleSystemIds } from "../guards.js";
import { at } from "../render.js";
import { replyHtml } from "../respond.js";

async function systemStatus(ctx: BotContext, system: SystemConfig): Promise<string> {
  const { db, config } = ctx.deps;
  const now = ctx.deps.clock();
  const tz = system.timezone;
  // issue 10: each environment's real version, read now, with when it was read (a failed read says so)
  const versions = await refreshVersions(ctx.deps, system);
  const counts = await countByStatus(db, system.id);
  const nonZero = STATUSES.filter((s) => (counts[s] ?? 0) > 0).map((s): [Status, number] => [s, counts[s]!]);
  const lines = [
    t.status.header(system.name, system.id),
    ...ENVS.map((env) => {
      const v = versions[env];
      return versionText.statusLine(env, { ...v, readAt: v.readAt ? at(v.readAt, tz) : null });
    }),
    t.status.counts(nonZero),
  ];
  for (const slot of ["t1", "t2"] as const) {
    const next = await nextWindow(ctx.deps, system, slot, now);
    const name = slot === "t1" ? "T1" : "T2";
    lines.push(next ? t.status.next(name, formatWindowTime(next.at, now, tz)) : t.status.noNext(name));
    if (next?.skipped.length) lines.push(t.status.skipped(next.skipped));
  }
  lines.push(
    ...describeFreeze(await freezeVerdict({ db, config, calendarFacts: ctx.deps.calendarFacts }, system, now), tz).map(
      t.status.freeze,
    ),
  );
  const last = await lastWindowRun(db, system.id);
  lines.push(
    last ? t.status.lastWindow(last.slot, at(last.scheduledFor, tz), last.status, last.summary) : t.status.noWindow,
  );
  return lines.join("\n");
}

const composer = new Composer<BotContext>();

onCommand(composer, "status", async (ctx) => {
  // A group sees its own system; a private chat the systems the sender belongs to.
  const visible = await visibleSystemIds(ctx);
  const rows = ctx.deps.config.systems.filter((s) => visible.includes(s.id));
  const blocks: string[] = [];
  for (const system of rows) blocks.push(await systemStatus(ctx, system));
  await replyHtml(ctx, blocks.join("\n\n") || t.status.noWindow);
});

onCommand(composer, "version", async (ctx) => {
  const lines = [t.version.app(APP_VERSION)];
  const visible = await visibleSystemIds(ctx);
  for (const system of ctx.deps.config.systems.filter((s) => visible.includes(s.id))) {
    const versions = await environmentVersions(ctx.deps.db, system.id);
    lines.push(t.version.system(system.name, versions.uat, versions.prod));
  }
  await replyHtml(ctx, lines.join("\n"));
});

export { composer as statusFeature };
