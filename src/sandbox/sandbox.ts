// The sandbox: the real bot (createBot, every feature, the real database code on an in-memory
// PGlite) behind the in-process fake Bot API, on a fake clock that only moves when told. Each
// command returns the lines to print; after every command the background work (/run windows,
// rollbacks) is awaited and the outbox dispatcher drained, so the output is deterministic.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { asc } from "drizzle-orm";
import { Api } from "grammy";
import type { MessageEntity, Update } from "grammy/types";
import pino from "pino";
import { bugs as bugsTable } from "../../drizzle/schema.js";
import { openDatabase } from "../adapters/db/database.js";
import { botApiSender, createDispatcher } from "../adapters/notify/dispatcher.js";
import { createBot } from "../adapters/telegram/bot.js";
import { settleIncidentTasks } from "../adapters/telegram/features/incident-common.js";
import { settleManualRuns } from "../adapters/telegram/features/run-window.js";
import { adapterPorts } from "../adapters/wire-ports.js";
import { recordDeployed } from "../app/env-versions.js";
import { sweepIncidents } from "../app/freeze-admin.js";
import { setOncall } from "../app/oncall.js";
import { environmentVersions, setEnvironmentVersion, syncSystems } from "../app/systems.js";
import { watchAfterDeploy } from "../app/watch.js";
import { tick, type WindowDeps } from "../app/windows/index.js";
import { loadConfig } from "../config.js";
import { addDays, formatDateTime, localParts, windowsBetween, zonedInstant } from "../core/windows.js";
import { t } from "../i18n/index.js";
import { DEMO_SCRIPT } from "./demo.js";
import { createFakeBotApi, fakeBotInfo, visibleText } from "./fake-bot-api.js";
import { type FakeVercel, startFakeVercel } from "./fakes/vercel.js";

export const GROUP = -100100;
const TZ = "Asia/Taipei";
const START = "2026-11-23T19:50:00+08:00";
const TOKEN = "123456:SANDBOX-token-abcdefghijklmnopqrstuvwxyz";
const SCRIPTS = fileURLToPath(new URL("./scripts/", import.meta.url));

interface Person {
  id: number;
  first_name: string;
  username: string;
}
const PEOPLE: Record<string, Person> = {
  alice: { id: 1001, first_name: "Alice", username: "alice" },
  bob: { id: 1002, first_name: "Bob", username: "bob" },
  carol: { id: 2001, first_name: "Carol", username: "carol" },
};

export const HELP = [
  "Nightshift sandbox — 真正的 bot（同一套功能與資料庫程式碼，PGlite 記憶體資料庫）接在模擬的 Telegram 上。",
  "人物：alice、bob（管理員），carol（成員）。群組 -100100，系統 Demo Shop，服務 db-migration → backend → frontend。",
  "時鐘停在 2026-11-23 19:50（Asia/Taipei），只有 clock 指令會讓它前進;T1 20:00、T2 22:00。",
  "",
  "指令：",
  "  as <alice|bob|carol> <文字>      在群組發言，例：as carol /report、as alice /status",
  "  as <人>@dm <文字>                私訊 bot，例：as alice@dm /bugs（成員要先在群組說過話）",
  "  press <n> [as <人>]              按最新一則有按鈕訊息的第 n 個按鈕（預設：最後發言的人），例：press 1、press 2 as bob",
  "  clock HH:MM | +30m | +2h | +1d | YYYY-MM-DD HH:MM",
  "                                   把時鐘往前撥;經過 T1/T2 時視窗會執行（含部署後監控），例：clock 20:00",
  "  run t1|t2                        立即執行視窗（等同 alice 傳 /run t1）",
  "  fail smoke                       讓下一次 PROD 部署後的 smoke 失敗 → 自動回滾（再打一次取消）",
  "  show [n]                         重印最近 n 則訊息（預設 6）與編號按鈕",
  "  bugs                             從資料庫列出 bug 與各環境版本",
  "  demo                             自動播放 Flow 1、Flow 2 與 smoke 失敗自動回滾（從全新的 sandbox 開始）",
  "  help                             這份說明",
  "  quit                             離開",
];

/** Platforms the sandbox can deploy to, each against its local fake (issue 11): `--provider vercel`. */
export const SANDBOX_PROVIDERS = ["vercel"] as const;
export type SandboxProvider = (typeof SANDBOX_PROVIDERS)[number];
const VERCEL_TOKEN = "sandbox-vercel-token";

/** The system under demonstration, as a PIPELINE_CONFIG file would describe it. */
function pipeline(stateDir: string, vercel: FakeVercel | null = null) {
  const script = (name: string) => ({ command: [`./${name}`], timeoutSeconds: 30 });
  // issue 11: with --provider vercel, both environments deploy to the fake Vercel API instead.
  const platform = vercel && {
    vercel: {
      project: "demo-shop",
      tokenEnv: "VERCEL_TOKEN",
      repo: "acme/demo-shop",
      ref: "main",
      apiRoot: vercel.url,
      pollSeconds: 0,
    },
  };
  const target = (name: string) => platform ?? script(name);
  const env = (name: "uat" | "prod", url: string, minutes: number, intervalSeconds: number) => ({
    url,
    deploy: target("deploy.sh"),
    rollback: target("rollback.sh"),
    watch: { minutes, intervalSeconds, onFailure: "auto", smoke: { command: ["./smoke.sh", name, stateDir] } },
  });
  return {
    systems: [
      {
        id: "shop",
        name: "Demo Shop",
        groupChatId: GROUP,
        timezone: TZ,
        windows: { t1: "20:00", t2: "22:00", graceMinutes: 30 },
        services: vercel
          ? []
          : [
              { name: "db-migration" },
              { name: "backend", dependsOn: ["db-migration"] },
              { name: "frontend", dependsOn: ["backend"] },
            ],
        environments: {
          uat: env("uat", "https://uat.shop.example.com", 10, 300),
          prod: env("prod", "https://shop.example.com", 30, 600),
        },
      },
    ],
  };
}

function settableClock(start: string) {
  let now = new Date(start).getTime();
  return Object.assign(() => new Date(now), {
    set: (to: Date) => {
      now = to.getTime();
    },
    advance: (ms: number) => {
      now += ms;
    },
  });
}

const TAG_ENTITY: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  "tg-spoiler": "spoiler",
};

/** What a Telegram client holds for our HTML (plain text + entities): callbacks carry it back. */
function telegramText(html: string): { text: string; entities: MessageEntity[] } {
  let text = "";
  const open: { tag: string; offset: number; url?: string }[] = [];
  const entities: MessageEntity[] = [];
  for (const part of html.split(/(<\/?[a-z-]+(?:\s[^>]*)?>)/)) {
    const tag = /^<(\/?)([a-z-]+)(?:\s+href="([^"]*)")?/.exec(part);
    if (!tag) {
      text += visibleText(part);
      continue;
    }
    if (!tag[1]) {
      open.push({ tag: tag[2]!, offset: text.length, ...(tag[3] ? { url: visibleText(tag[3]) } : {}) });
      continue;
    }
    const start = open.pop();
    if (!start || text.length === start.offset) continue;
    const span = { offset: start.offset, length: text.length - start.offset };
    if (start.tag === "a" && start.url) entities.push({ type: "text_link", ...span, url: start.url });
    else if (TAG_ENTITY[start.tag]) entities.push({ type: TAG_ENTITY[start.tag], ...span } as MessageEntity);
  }
  return { text, entities };
}

const personById = (id: number) => Object.values(PEOPLE).find((p) => p.id === id);

type Button = { text: string; callback_data?: string; url?: string };
const buttonRows = (markup: any): Button[][] => (markup?.inline_keyboard as Button[][] | undefined) ?? [];

async function createWorld(provider: SandboxProvider | null = null) {
  const stateDir = mkdtempSync(join(tmpdir(), "nightshift-sandbox-"));
  const vercel =
    provider === "vercel"
      ? await startFakeVercel({ token: VERCEL_TOKEN, projects: ["demo-shop"], buildPolls: 2 })
      : null;
  const config = loadConfig(
    {
      BOT_TOKEN: TOKEN,
      DATABASE_URL: "memory://",
      ADMIN_IDS: `${PEOPLE.alice!.id},${PEOPLE.bob!.id}`,
      PIPELINE_CONFIG: join(SCRIPTS, "pipeline.json"),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
      ...(vercel ? { VERCEL_TOKEN } : {}),
    },
    { readFile: () => JSON.stringify(pipeline(stateDir, vercel)) },
  );
  const system = config.systems[0]!;
  const clock = settableClock(START);
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  const fake = createFakeBotApi({ now: () => clock().getTime() });
  const database = await openDatabase({ kind: "pglite", dir: null });
  const { db } = database;
  await syncSystems(db, config.systems);
  const today = localParts(clock(), TZ).date;
  // Both environments start on last week's release, so the first rollback has somewhere to go.
  for (const env of ["uat", "prod"] as const) {
    await setEnvironmentVersion(db, system.id, env, "2026.11.16-1", clock());
    // issue 10: as their deploy scripts report it (`version=`), the environments' real version
    await recordDeployed(db, system.id, env, { reported: "2026.11.16-1", read: null, now: clock() });
  }
  // The pre-deploy checklist needs an on-call for each window's date.
  for (let i = 0; i < 30; i++) {
    const day = addDays(today, i);
    await setOncall(db, { systemId: system.id, day, userId: 1001, name: "Alice", setBy: "sandbox" }, clock());
  }

  // The watch and the window's wait sleep by moving the fake clock, never in real time.
  const sleep = async (ms: number) => clock.advance(ms);
  const deps: WindowDeps = { db, config, clock, logger, ...adapterPorts(config), sleep };
  deps.afterDeploy = watchAfterDeploy(deps, { sleep });
  const bot = createBot(deps, { botInfo: fakeBotInfo, client: { fetch: fake.fetch } });
  await bot.init();

  // The dispatcher keeps its own clock (rate limits make it wait): draining never moves the windows' time.
  const outboxClock = settableClock(START);
  const dispatcher = createDispatcher({
    db,
    send: botApiSender(new Api(TOKEN, { fetch: fake.fetch })),
    clock: outboxClock,
    logger,
    pollMs: config.outboxPollMs,
    sleep: async (ms) => outboxClock.advance(ms),
  });

  return {
    stateDir,
    config,
    system,
    clock,
    fake,
    database,
    db,
    deps,
    bot,
    dispatcher,
    outboxClock,
    dirty: false,
    vercel,
  };
}
type World = Awaited<ReturnType<typeof createWorld>>;

export interface Sandbox {
  /** Runs one command line; returns the lines to print. */
  exec(line: string): Promise<string[]>;
  /** True after `quit`. */
  readonly finished: boolean;
  close(): Promise<void>;
}

export async function createSandbox(options: { provider?: SandboxProvider } = {}): Promise<Sandbox> {
  const provider = options.provider ?? null;
  let world: World = await createWorld(provider);
  let finished = false;
  let updateId = 0;
  let messageId = 0;
  let lastSpeaker = "alice";
  /** Message keys (chat:id) by last send/edit, oldest first. */
  let touched: string[] = [];
  let events: ({ kind: "message"; key: string; edited: boolean } | { kind: "line"; text: string })[] = [];
  const callbackFrom = new Map<string, string>();

  const listen = (w: World) =>
    w.fake.onCall((call) => {
      if (call.error) {
        events.push({ kind: "line", text: `⚠️ Bot API 拒絕 ${call.method}：${call.error.description}` });
        return;
      }
      const p = call.payload;
      if (call.method === "sendMessage" || call.method.startsWith("editMessage")) {
        const key = `${p.chat_id}:${call.method === "sendMessage" ? call.result.message_id : p.message_id}`;
        touched = [...touched.filter((k) => k !== key), key];
        const seen = events.find((e) => e.kind === "message" && e.key === key);
        if (!seen) events.push({ kind: "message", key, edited: call.method !== "sendMessage" });
      } else if (call.method === "answerCallbackQuery" && p.text) {
        const who = callbackFrom.get(p.callback_query_id) ?? "?";
        events.push({ kind: "line", text: `  💬 ${who} 看到提示：${p.text}` });
      }
    });
  listen(world);

  const chatName = (chatId: number) =>
    chatId === GROUP ? "群組" : `私訊 ${personById(chatId)?.username ?? String(chatId)}`;

  const render = (key: string, edited = false): string[] => {
    const m = world.fake.messages.get(key);
    if (!m) return [];
    let n = 0;
    return [
      `【${chatName(m.chatId)}${edited ? " · 已更新" : ""}】`,
      ...visibleText(m.text)
        .split("\n")
        .map((l) => `  ${l}`.trimEnd()),
      ...buttonRows(m.replyMarkup).map((row) => `  ${row.map((b) => `[${++n}] ${b.text}`).join("   ")}`),
    ];
  };

  const flush = (): string[] => {
    const out = events.flatMap((e) => (e.kind === "line" ? [e.text] : render(e.key, e.edited)));
    events = [];
    return out;
  };

  /** Waits for background work started by handlers, then delivers the outbox. */
  const settle = async () => {
    await settleManualRuns();
    await settleIncidentTasks();
    if (world.outboxClock() < world.clock()) world.outboxClock.set(world.clock());
    await world.dispatcher.runUntilIdle();
  };

  const chat = (person: Person, dm: boolean) =>
    dm
      ? { id: person.id, type: "private" as const, first_name: person.first_name }
      : { id: GROUP, type: "supergroup" as const, title: "Demo Shop 團隊" };
  const date = () => Math.floor(world.clock().getTime() / 1000);

  const say = async (who: string, dm: boolean, text: string) => {
    const person = PEOPLE[who]!;
    const command = /^\/[a-z_]+(@\w+)?/i.exec(text);
    const update = {
      update_id: ++updateId,
      message: {
        message_id: ++messageId,
        date: date(),
        chat: chat(person, dm),
        from: { ...person, is_bot: false },
        text,
        ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] } : {}),
      },
    } as Update;
    lastSpeaker = who;
    world.fake.receive(update); // the fake knows the message (the bot may delete it)
    await world.bot.handleUpdate(update);
  };

  const note = (text: string) => events.push({ kind: "line", text });

  const press = async (n: number, who: string): Promise<string[]> => {
    const key = [...touched].reverse().find((k) => buttonRows(world.fake.messages.get(k)?.replyMarkup).length > 0);
    const m = key ? world.fake.messages.get(key) : undefined;
    if (!m) return ["目前沒有帶按鈕的訊息。"];
    const button = buttonRows(m.replyMarkup).flat()[n - 1];
    if (!button) return [`這則訊息只有 ${buttonRows(m.replyMarkup).flat().length} 個按鈕（用 show 查看）。`];
    if (!button.callback_data) return [`「${button.text}」是連結：${button.url ?? ""}`];
    const person = PEOPLE[who]!;
    const id = `sandbox-${++updateId}`;
    callbackFrom.set(id, who);
    const { text, entities } = telegramText(m.text);
    const update = {
      update_id: updateId,
      callback_query: {
        id,
        from: { ...person, is_bot: false },
        chat_instance: "sandbox",
        data: button.callback_data,
        message: {
          message_id: m.messageId,
          date: date(),
          chat: chat(personById(m.chatId) ?? person, m.chatId !== GROUP),
          from: { id: fakeBotInfo.id, is_bot: true, first_name: fakeBotInfo.first_name },
          text,
          ...(entities.length ? { entities } : {}),
          ...(m.replyMarkup ? { reply_markup: m.replyMarkup } : {}),
        },
      },
    } as Update;
    lastSpeaker = who;
    note(`（${who} 按下「${button.text}」）`);
    await world.bot.handleUpdate(update);
    return [];
  };

  const nowLine = () => {
    const local = localParts(world.clock(), TZ);
    return `🕒 現在 ${formatDateTime(world.clock(), TZ)}（週${"日一二三四五六"[local.weekday]}）`;
  };

  /** Moves the clock to `target`, ticking the scheduler at every T1, T2 and T2 − 30 min reminder on the way. */
  const moveClock = async (target: Date): Promise<string[]> => {
    const { clock, system, deps } = world;
    if (target <= clock()) return [`時鐘只能往前撥;${nowLine()}`];
    const [h, m] = system.windows.t2.split(":").map(Number) as [number, number];
    const reminder = `${String(h - (m < 30 ? 1 : 0)).padStart(2, "0")}:${String((m + 30) % 60).padStart(2, "0")}`;
    const stops = (
      [
        [system.windows.t1, "T1"],
        [system.windows.t2, "T2"],
        [reminder, "T2 前 30 分鐘：批准提醒"],
      ] as const
    )
      .flatMap(([time, label]) => windowsBetween(clock(), target, time, system.timezone).map((at) => ({ at, label })))
      .sort((a, b) => a.at.getTime() - b.at.getTime());
    for (const { at, label } of stops) {
      if (clock() < at) clock.set(at);
      note(`⏰ ${formatDateTime(clock(), TZ)} ${label}`);
      await tick(deps, clock());
      await settle();
    }
    if (clock() < target) clock.set(target);
    await sweepIncidents(deps);
    return [nowLine()];
  };

  const parseTarget = (arg: string): Date | null => {
    const now = world.clock();
    const rel = /^\+(\d+)\s*(m|min|h|d)$/i.exec(arg);
    if (rel) {
      const unit = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2]!.toLowerCase()]!;
      return new Date(now.getTime() + Number(rel[1]) * unit);
    }
    const full = /^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})$/.exec(arg);
    if (full) return zonedInstant(full[1]!, full[2]!.padStart(5, "0"), TZ);
    const time = /^(\d{1,2}:\d{2})$/.exec(arg);
    if (time) {
      const today = zonedInstant(localParts(now, TZ).date, time[1]!.padStart(5, "0"), TZ);
      return today > now ? today : new Date(today.getTime() + 86_400_000);
    }
    return null;
  };

  const bugTable = async (): Promise<string[]> => {
    const rows = await world.db.select().from(bugsTable).orderBy(asc(bugsTable.id));
    const versions = await environmentVersions(world.db, world.system.id);
    const head = `UAT ${versions.uat ?? "?"} · PROD ${versions.prod ?? "?"}`;
    if (rows.length === 0) return [head, "（還沒有 bug — 試試 as carol /report）"];
    const cells = rows.map((b) => [
      `#${b.id}`,
      `${b.status}${b.held ? " (held)" : ""}`,
      t.labels.status[b.status],
      b.severity ?? "-",
      b.fixFlow ?? "-",
      b.title,
    ]);
    const header = ["id", "status", "狀態", "severity", "flow", "title"];
    const width = (i: number) => Math.max(...[header, ...cells].map((r) => displayWidth(r[i]!)));
    const line = (r: string[]) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + " ".repeat(width(i) - displayWidth(c))))
        .join("  ")
        .trimEnd();
    return [head, line(header), ...cells.map(line)];
  };

  const runDemo = async (): Promise<string[]> => {
    const out: string[] = [];
    if (world.dirty) {
      await closeWorld(world);
      world = await createWorld(provider);
      listen(world);
      touched = [];
      out.push("（demo 從全新的 sandbox 開始）");
    }
    for (const raw of DEMO_SCRIPT) {
      if (raw.startsWith("#")) out.push("", `▶ ${raw.replace(/^#\s*/, "")}`);
      else out.push(`> ${raw}`, ...(await exec(raw)));
    }
    return out;
  };

  async function run(line: string): Promise<string[]> {
    const [word = "", ...rest] = line.trim().split(/\s+/);
    const arg = line.trim().slice(word.length).trim();
    switch (word.toLowerCase()) {
      case "":
        return [];
      case "help":
      case "?":
        return HELP;
      case "quit":
      case "exit":
        finished = true;
        return ["再見 👋"];
      case "demo":
        return runDemo();
      case "show": {
        const n = Number(rest[0] ?? 6);
        const keys = touched.slice(-(Number.isInteger(n) && n > 0 ? n : 6));
        return keys.length ? keys.flatMap((k) => render(k)) : ["（還沒有訊息）"];
      }
      case "bugs":
        return bugTable();
    }
    world.dirty = true;
    switch (word.toLowerCase()) {
      case "as": {
        const m = /^(alice|bob|carol)(@dm)?:?\s+([\s\S]+)$/i.exec(arg);
        if (!m) return ["用法：as <alice|bob|carol>[@dm] <文字>，例：as carol /report"];
        await say(m[1]!.toLowerCase(), Boolean(m[2]), m[3]!);
        return [];
      }
      case "press": {
        const m = /^(\d+)(?:\s+as\s+(alice|bob|carol))?$/i.exec(arg);
        if (!m) return ["用法：press <n> [as <alice|bob|carol>]，例：press 1、press 2 as bob"];
        return press(Number(m[1]), m[2]?.toLowerCase() ?? lastSpeaker);
      }
      case "clock": {
        const target = arg ? parseTarget(arg) : null;
        if (!target) return arg ? ["用法：clock 20:00 | clock +30m | clock 2026-11-24 20:00"] : [nowLine()];
        return moveClock(target);
      }
      case "run": {
        const slot = arg.toLowerCase();
        if (slot !== "t1" && slot !== "t2") return ["用法：run t1 或 run t2"];
        await say("alice", false, `/run ${slot}`);
        return [];
      }
      case "fail": {
        if (arg.toLowerCase() !== "smoke") return ["用法：fail smoke"];
        const flag = join(world.stateDir, "fail-smoke");
        if (existsSync(flag)) {
          rmSync(flag);
          return ["✅ 已取消：PROD smoke 會通過。"];
        }
        writeFileSync(flag, "fail\n");
        return ["💥 下一次 PROD 部署後的 smoke 會失敗（監控會自動回滾）。"];
      }
      default:
        return [`不認得「${word}」。輸入 help 看所有指令。`];
    }
  }

  async function exec(line: string): Promise<string[]> {
    if (finished) return [];
    try {
      const direct = await run(line);
      await settle();
      const out = [...flush(), ...direct];
      return out.length === 0 && /^as\s/i.test(line.trim()) ? ["（bot 沒有回應）"] : out;
    } catch (error) {
      return [...flush(), `⚠️ ${error instanceof Error ? error.message : String(error)}`];
    }
  }

  return {
    exec,
    get finished() {
      return finished;
    },
    close: () => closeWorld(world),
  };
}

async function closeWorld(world: World): Promise<void> {
  await settleManualRuns();
  await settleIncidentTasks();
  await world.database.close();
  await world.vercel?.close();
  rmSync(world.stateDir, { recursive: true, force: true });
}

/** Terminal columns: CJK and emoji take two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s)
    w +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|\p{Extended_Pictographic}/u.test(
        ch,
      )
        ? 2
        : 1;
  return w;
}
