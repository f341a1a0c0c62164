// /report: title → description → environment → severity → services → module → GitHub links (issue 13,
// only for a system with `github`; report-links.ts) → summary (送出/取消).
// The module is one of the system's known modules (buttons, or typed), or a new one added explicitly.
// Only collects input; the bug is created in `external` when 送出 is pressed.
import { type Context, InlineKeyboard } from "grammy";
import { knownModules } from "../../../app/bugs.js";
import { type ReportLinks, reportLinkedBug } from "../../../app/code-host.js";
import { escalateBug } from "../../../app/escalation.js";
import { systemRegistry } from "../../../app/systems.js";
import { adminsToNotify, privateNotices } from "../../../app/todo.js";
import { choicePattern, encodeChoice } from "../../../core/callback-data.js";
import { ENVS, type Env, SEVERITIES, type Severity } from "../../../core/model.js";
import { boundedText, codePointLength, normalizeModule } from "../../../core/text.js";
import { codeHost, conversationText, quietText, t } from "../../../i18n/index.js";
import { groupCardDraft } from "../cards.js";
import { visibleSystemIds } from "../guards.js";
import { displayName } from "../middleware.js";
import { type Convo, onlyDashes, waitButton, waitText } from "./common.js";
import { askReportLinks } from "./report-links.js";
import { openSurface, type Surface } from "./surface.js";

const LIMITS = { title: 200, description: 3000, module: 64 } as const;
/** Code points of the description the summary shows (≤ 2 UTF-16 units each, well under Telegram's 4096). */
const SUMMARY_DESCRIPTION = 1200;
/** Known modules offered as buttons (the rest can be typed). */
const MODULE_BUTTONS = 30;
const MODULE_BUTTON = choicePattern("report", "mod", "\\d{1,3}|none|new|add");
const answer = (step: string, value: string) => encodeChoice({ flow: "report", step, value });

/** A typed answer (not a command), trimmed; null for anything else. */
const typedText = (ctx: Context): string | null => {
  const text = ctx.message?.text;
  return text !== undefined && !text.startsWith("/") ? text.trim() : null;
};

const chunk = <T>(xs: T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

interface SystemChoice {
  id: string;
  name: string;
  services: string[];
  /** issue 13: the system's GitHub repo (`org/name`); null: no link step. */
  githubRepo: string | null;
}

export interface ReportDraft {
  systemId: string;
  title: string;
  description: string;
  foundInEnv: Env;
  severity: Severity | null;
  services: string[];
  module: string | null;
}

const buttons = (rows: [string, string][][]) => {
  const kb = new InlineKeyboard();
  for (const row of rows) {
    for (const [label, data] of row) kb.text(label, data);
    kb.row();
  }
  return { inline_keyboard: kb.inline_keyboard.filter((r) => r.length > 0) };
};

/** Asks with answer buttons (encodeChoice) and returns the chosen value; the question is edited to show it. */
async function choose(
  conversation: Convo,
  surface: Surface,
  ctx: Context,
  step: string,
  question: string,
  options: [string, string][],
) {
  await surface.ask(ctx, question, buttons(options.map(([label, value]) => [[label, answer(step, value)]])));
  const values = options.map(([, v]) => v);
  const c = await waitButton(conversation, choicePattern("report", step, values), t.report.useButtons, surface);
  const value = c.match[1]!;
  const label = options.find(([, v]) => v === value)![0];
  await surface.took(c, t.report.chosen(question, label));
  return { value, ctx: c as Context };
}

/** Where /report came from: a deep link from a group names that group's system. */
export interface ReportArgs {
  systemId?: string;
}

export async function reportConversation(conversation: Convo, ctx: Context, args: ReportArgs = {}): Promise<void> {
  // issue 17: in a quiet group one panel message, answers deleted; the /report itself goes too.
  const surface = await openSurface(conversation, ctx);
  await surface.took(ctx);
  const setup = await conversation.external(async (octx) => {
    const visible = await visibleSystemIds(octx); // only the systems the reporter belongs to
    return {
      chatSystem: octx.groupSystemId, // a migrated supergroup is still its system's group
      systems: octx.deps.config.systems
        .filter((s) => visible.includes(s.id))
        .map(
          (s): SystemChoice => ({
            id: s.id,
            name: s.name,
            services: s.services.map((x) => x.name),
            githubRepo: s.github?.repo ?? null,
          }),
        ),
    };
  });
  if (setup.systems.length === 0) return surface.finish(ctx, t.errors.noSystemAccess, { keep: true });
  let last: Context = ctx;
  let system =
    setup.systems.find((s) => s.id === (setup.chatSystem ?? args.systemId)) ??
    (setup.systems.length === 1 ? setup.systems[0] : undefined);
  if (!system) {
    const pick = await choose(
      conversation,
      surface,
      last,
      "sys",
      t.report.chooseSystem,
      setup.systems.map((s, i) => [s.name, String(i)]),
    );
    system = setup.systems[Number(pick.value)]!;
  }

  await surface.ask(last, t.report.askTitle);
  // One line, never `-` or blank: a title cannot fake lines in the messages that show it.
  const title = await waitText(
    conversation,
    LIMITS.title,
    t.report.tooLong(LIMITS.title),
    { line: true, refuse: (text) => (onlyDashes(text) ? conversationText.titleRequired : null) },
    surface,
  );
  await surface.ask(title.ctx, t.report.askDescription);
  const description = await waitText(
    conversation,
    LIMITS.description,
    t.report.tooLong(LIMITS.description),
    {},
    surface,
  );
  last = description.ctx;

  const env = await choose(
    conversation,
    surface,
    last,
    "env",
    t.report.askEnv,
    ENVS.map((e) => [t.labels.env[e], e]),
  );
  const severity = await choose(conversation, surface, env.ctx, "sev", t.report.askSeverity, [
    ...SEVERITIES.map((s): [string, string] => [t.labels.severity[s], s]),
    [t.buttons.uncertain, "none"],
  ]);
  last = severity.ctx;

  const services = new Set<string>();
  if (system.services.length > 0) {
    const keyboard = () =>
      buttons([
        ...system.services.map((name, i): [string, string][] => [
          [services.has(name) ? t.buttons.selected(name) : name, answer("svc", String(i))],
        ]),
        [[t.buttons.done, answer("svc", "done")]],
      ]);
    await surface.ask(last, t.report.askServices, keyboard());
    for (;;) {
      const c = await waitButton(
        conversation,
        choicePattern("report", "svc", "\\d{1,3}|done"),
        t.report.useButtons,
        surface,
      );
      last = c;
      if (c.match[1] === "done") {
        await surface.took(c, t.report.chosen(t.report.askServices, [...services].join(", ") || "—"));
        break;
      }
      const name = system.services[Number(c.match[1])];
      if (name === undefined) continue;
      if (services.has(name)) services.delete(name);
      else services.add(name);
      if (surface.quiet) await surface.ask(c, t.report.askServices, keyboard());
      else await c.editMessageReplyMarkup({ reply_markup: keyboard() });
    }
  }

  // Module: one of the system's known modules (buttons), none, or a new one added explicitly.
  const known = await conversation.external((octx) => {
    const config = systemRegistry(octx.deps.config).get(system.id);
    return knownModules(octx.deps.db, config);
  });
  const moduleKeyboard = (pending: string | null) =>
    buttons([
      ...(pending === null ? [] : [[[t.report.addModule(pending), answer("mod", "add")] as [string, string]]]),
      ...chunk(
        known.slice(0, MODULE_BUTTONS).map((m, i): [string, string] => [m, answer("mod", String(i))]),
        3,
      ),
      [
        [t.report.noModule, answer("mod", "none")],
        [t.report.newModule, answer("mod", "new")],
      ],
    ]);
  await surface.ask(last, t.report.askModule, moduleKeyboard(null));
  let module: string | null = null;
  let pending: string | null = null;
  let moduleCtx: Context;
  for (;;) {
    const c = await conversation.waitUntil(
      (x) => MODULE_BUTTON.test(x.callbackQuery?.data ?? "") || typedText(x) !== null,
      { next: true },
    );
    moduleCtx = c;
    if (typedText(c) !== null) await surface.took(c);
    const pressed = MODULE_BUTTON.exec(c.callbackQuery?.data ?? "")?.[1];
    if (pressed === "none") break;
    if (pressed === "add" && pending !== null) {
      module = pending;
      break;
    }
    if (pressed !== undefined && /^\d+$/.test(pressed) && known[Number(pressed)] !== undefined) {
      module = known[Number(pressed)]!;
      break;
    }
    if (pressed === "new") {
      await surface.ask(c, t.report.askNewModule);
      const answer = await waitText(conversation, LIMITS.module, t.report.tooLong(LIMITS.module), {}, surface);
      moduleCtx = answer.ctx;
      module = normalizeModule(answer.text) || null;
      if (module !== null) break;
      await surface.ask(answer.ctx, t.report.badModule, moduleKeyboard(null));
      continue;
    }
    const text = typedText(c);
    if (text === null) continue; // a stale button
    if (text === "-") break;
    const name = normalizeModule(text);
    if (codePointLength(name) > LIMITS.module) {
      if (surface.quiet) await surface.hint(c, t.report.tooLong(LIMITS.module));
      else await c.reply(t.report.tooLong(LIMITS.module));
      continue;
    }
    if (name && known.includes(name)) {
      module = name;
      break;
    }
    // Not a known module: added only when the reporter says so.
    pending = name || null;
    await surface.ask(
      c,
      pending === null ? t.report.badModule : t.report.confirmNewModule(pending),
      moduleKeyboard(pending),
    );
  }

  // issue 13: an issue and/or a pull request of the system's repo (optional).
  let links: ReportLinks = { issue: null, pull: null };
  if (system.githubRepo !== null) {
    const asked = await askReportLinks(conversation, surface, moduleCtx, {
      id: system.id,
      githubRepo: system.githubRepo,
    });
    moduleCtx = asked.ctx;
    if (asked.links) links = asked.links;
  }

  const draft: ReportDraft = {
    systemId: system.id,
    title: title.text,
    description: description.text === "-" ? "" : description.text,
    foundInEnv: env.value as Env,
    severity: severity.value === "none" ? null : (severity.value as Severity),
    services: [...services],
    module,
  };
  const summary = t.report.summary([
    t.report.summaryTitle(draft.title),
    `${t.card.env(draft.foundInEnv)} · ${t.card.severity(draft.severity)}`,
    `${t.card.services(draft.services)} · ${t.card.module(draft.module)}`,
    ...[codeHost.cardLine(links.issue, links.pull)].filter((l) => l !== null),
    // Bounded so the summary (and its edit when a button is pressed) stays one message.
    ...(draft.description ? [t.card.description(boundedText(draft.description, SUMMARY_DESCRIPTION))] : []),
  ]);
  const submit = await choose(conversation, surface, moduleCtx, "ok", summary, [
    [t.buttons.submit, "yes"],
    [t.buttons.cancel, "no"],
  ]);
  // A cancelled report leaves nothing in a quiet group.
  if (submit.value === "no") return surface.finish(submit.ctx, surface.quiet ? null : t.report.cancelled);

  const filed = await conversation.external(async (octx) => {
    const from = octx.from!;
    // issue 17: admins who asked (/notify on) are told in private, in the bug's own transaction.
    const notified = await adminsToNotify(octx.deps.db, octx.deps.config, draft.systemId);
    const { bug, droppedIssue } = await reportLinkedBug(
      octx.deps.db,
      { ...draft, reporter: { id: from.id, name: displayName(from) } },
      links,
      octx.deps.clock(),
      (created) => [
        ...groupCardDraft(octx.deps, created),
        ...privateNotices(notified, quietText.notify.newBug(created.id, created.title), from.id),
      ],
    );
    await escalateBug(octx.deps, bug.id, octx.deps.clock()); // issue 12: high/critical mention at once
    return { bugId: bug.id, droppedIssue };
  });
  // issue 13: the issue was linked to another bug meanwhile (filed without it): said, in a quiet group too.
  const dropped =
    filed.droppedIssue !== null && links.issue !== null
      ? codeHost.report.droppedIssue(links.issue, filed.droppedIssue)
      : null;
  if (surface.quiet && dropped) return surface.finish(submit.ctx, dropped, { keep: true });
  // In a quiet group the card (sent through the outbox) is the one message left.
  const created = t.report.created(filed.bugId);
  await surface.finish(submit.ctx, surface.quiet ? null : [created, ...(dropped ? [dropped] : [])].join("\n"));
}
