// /bugs [status]: a paged list of the bugs the viewer may see here, newest first, 10 a page; a number button shows that bug's card.
import { Menu } from "@grammyjs/menu";
import { countBugs, getBug, listBugs } from "../../../app/bugs.js";
import { fitsMenuPayload } from "../../../core/callback-data.js";
import { STATUSES, type Status } from "../../../core/model.js";
import { t } from "../../../i18n/index.js";
import { cardMessage } from "../cards.js";
import type { BotContext } from "../context.js";
import { canSeeSystem, isAdminFor, visibleSystemIds } from "../guards.js";
import { editHtml, replyHtml } from "../respond.js";

export const PAGE_SIZE = 10;

/** A status as the team reads it: its zh-TW label without the emoji, e.g. 「已部署 UAT」. */
export const statusName = (status: Status): string => t.labels.status[status].replace(/^\S+\s+/u, "");

/** For matching: NFKC, lower-cased, without spaces and emoji (「🧪 已部署 UAT」 → 「已部署uat」). */
const filterKey = (text: string): string =>
  text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s|\p{Extended_Pictographic}|\uFE0F/gu, "");

/**
 * `/bugs <filter>`: an English code (`deployed_uat`), a zh-TW status name (「已部署 UAT」, with or
 * without its emoji), or the start of names (「已部署」 → UAT and PROD). Null when nothing matches.
 */
export function parseStatusFilter(arg: string): Status[] | null {
  const key = filterKey(arg);
  if (!key) return null;
  const exact = STATUSES.filter((s) => s === key || filterKey(t.labels.status[s]) === key);
  if (exact.length) return exact;
  if (Array.from(key).length < 2) return null;
  const prefixed = STATUSES.filter((s) => filterKey(t.labels.status[s]).startsWith(key));
  return prefixed.length ? prefixed : null;
}

export interface ListState {
  /** empty: every status */
  statuses: Status[];
  page: number;
}

/** Statuses as their indices (`4-6.0`), `all.0` for every status: short, no `/`. */
/** At most 39 bytes (11 statuses, a 6-digit page): within MENU_PAYLOAD_MAX_BYTES (core/callback-data.ts). */
export function encodeList(s: ListState): string {
  const payload = `${s.statuses.length ? s.statuses.map((x) => STATUSES.indexOf(x)).join("-") : "all"}.${s.page}`;
  if (!fitsMenuPayload(payload)) throw new Error(`bug list menu payload too long: ${payload}`);
  return payload;
}

export function decodeList(payload: string | undefined): ListState | null {
  const m = payload ? /^(all|\d{1,2}(?:-\d{1,2}){0,10})\.(\d{1,6})$/.exec(payload) : null;
  if (!m) return null;
  if (m[1] === "all") return { statuses: [], page: Number(m[2]) };
  const statuses = m[1]!.split("-").map((i) => STATUSES[Number(i)]);
  return statuses.every((x) => x !== undefined) ? { statuses: statuses as Status[], page: Number(m[2]) } : null;
}

async function page(ctx: BotContext, s: ListState) {
  // Re-read on every press: only the systems this viewer may see here.
  const systemIds = await visibleSystemIds(ctx);
  const query = { statuses: s.statuses, systemIds };
  const total = await countBugs(ctx.deps.db, query);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const index = Math.min(s.page, pages - 1);
  const bugs = await listBugs(ctx.deps.db, { ...query, limit: PAGE_SIZE, offset: index * PAGE_SIZE });
  return { bugs, total, pages, index };
}

export const bugListMenu = new Menu<BotContext>("bl", {
  autoAnswer: false,
  onMenuOutdated: (ctx) => ctx.answerCallbackQuery({ text: t.errors.outdated }),
});

bugListMenu.dynamic(async (ctx, range) => {
  const s = decodeList(ctx.match);
  if (!s) return;
  const payload = encodeList(s);
  const { bugs, pages, index } = await page(ctx, s);
  bugs.forEach((bug, i) => {
    range.text({ text: `#${bug.id}`, payload }, (c) => showCard(c, bug.id));
    if (i % 5 === 4) range.row();
  });
  range.row();
  if (index > 0) range.text({ text: t.buttons.prev, payload }, (c) => showList(c, { ...s, page: index - 1 }, "edit"));
  if (index < pages - 1)
    range.text({ text: t.buttons.next, payload }, (c) => showList(c, { ...s, page: index + 1 }, "edit"));
});

export async function showList(ctx: BotContext, s: ListState, mode: "reply" | "edit"): Promise<void> {
  const { bugs, total, pages, index } = await page(ctx, s);
  if (mode === "edit") await ctx.answerCallbackQuery();
  if (total === 0) return void (await replyHtml(ctx, t.list.empty));
  const html = [
    t.list.header(s.statuses.length ? s.statuses.map((x) => statusName(x)).join("、") : null, index + 1, pages, total),
    ...bugs.map((b) => t.list.line(b.id, b.severity, b.title, b.status)),
  ].join("\n");
  ctx.match = encodeList({ ...s, page: index });
  if (mode === "edit") await editHtml(ctx, html, bugListMenu);
  else await replyHtml(ctx, html, bugListMenu);
}

/** A bug's card, with the buttons only when the viewer may use them. */
export async function showCard(ctx: BotContext, id: number): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery();
  const bug = await getBug(ctx.deps.db, id);
  // Another system's bug is not shown here, nor is its existence told.
  if (!bug || !(await canSeeSystem(ctx, bug.systemId))) return void (await replyHtml(ctx, t.errors.notFound(id)));
  // The card's buttons are for the bug's system's admins: their handlers re-check it on every press.
  const card = cardMessage(ctx.deps, bug);
  await replyHtml(ctx, card.html, (await isAdminFor(ctx, bug.systemId)) ? card.markup : undefined);
}
