// /oncall (who is on call tonight), /oncall me, /oncall @username (admin): the checklist's on-call item.
import { Composer } from "grammy";
import { userByUsername } from "../../../app/members.js";
import { getOncall, setOncall } from "../../../app/oncall.js";
import { localParts } from "../../../core/windows.js";
import { incidents } from "../../../i18n/index.js";
import { onCommand } from "../commands.js";
import type { BotContext } from "../context.js";
import { requireAdmin } from "../guards.js";
import { replyHtml } from "../respond.js";
import { chatSystem } from "./incident-common.js";

const O = incidents.oncall;
const composer = new Composer<BotContext>();

onCommand(composer, "oncall", async (ctx) => {
  const system = chatSystem(ctx);
  if (!system) return replyHtml(ctx, incidents.noSystem);
  const { db, clock } = ctx.deps;
  const day = localParts(clock(), system.timezone).date;
  const arg = ctx.match.trim();
  if (!arg) return replyHtml(ctx, O.show(day, (await getOncall(db, system.id, day))?.name ?? null));
  const admin = await requireAdmin(ctx, system.id); // a system admin sets their own system's on-call
  if (!admin) return;
  let person: { userId: number; name: string } | undefined;
  if (arg.toLowerCase() === "me") person = { userId: admin.id, name: admin.name };
  else {
    const username = /^@?(\w{3,32})$/.exec(arg)?.[1];
    if (!username) return replyHtml(ctx, incidents.usage.oncall);
    const known = await userByUsername(db, username);
    if (!known) return replyHtml(ctx, O.unknownUser(username));
    person = { userId: known.userId, name: known.name };
  }
  await setOncall(db, { systemId: system.id, day, ...person, setBy: admin.name }, clock());
  await replyHtml(ctx, O.set(day, person.name));
});

export { composer as oncallFeature };
