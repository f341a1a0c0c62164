// /bugs [status]: a paged list, newest first, 10 a page; a number button shows that bug's card.
import { Menu } from "@grammyjs/menu";
import { countBugs, getBug, listBugs } from "../../../app/bugs.js";
import { STATUSES, type Status } from "../../../core/model.js";
import { t } from "../../../i18n/zh-tw.js";
import { cardMessage } from "../cards.js";
import type { BotContext } from "../context.js";
import { editHtml, replyHtml } from "../respond.js";

export const PAGE_SIZE = 10;

export interface ListState {
  status: Status | null;
  page: number;
}

export const encodeList = (s: ListState): string => `${s.status ?? "all"}.${s.page}`;

export function decodeList(payload: string | undefined): ListState | null {
  const m = payload ? /^([a-z_]+)\.(\d{1,6})$/.exec(payload) : null;
  if (!m) return null;
  if (m[1] === "all") return { status: null, page: Number(m[2]) };
  const status = STATUSES.find((s) => s === m[1]);
  return status ? { status, page: Number(m[2]) } : null;
}

async function page(ctx: BotContext, s: ListState) {
  const query = s.status ? { statuses: [s.status] } : {};
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
    t.list.header(s.status, index + 1, pages, total),
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
  if (!bug) return void (await replyHtml(ctx, t.errors.notFound(id)));
  const actor = await ctx.actor();
  const card = cardMessage(ctx.deps, bug);
  await replyHtml(ctx, card.html, actor.kind === "user" && actor.isAdmin ? card.markup : undefined);
}
