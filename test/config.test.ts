import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultGates } from "../src/config/pipeline-gates.js";
import { type Config, ConfigError, formatConfigError, loadConfig, missingBotTokenHelp } from "../src/config.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = join(root, "test/fixtures/config");
const example = join(root, "examples/pipeline.example.json");
const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const base = { BOT_TOKEN: TOKEN, GROUP_CHAT_ID: "-1001234567890" };
const cwd = "/srv/nightshift";

const load = (env: Record<string, string | undefined>, io: { readFile?: (p: string) => string } = {}) =>
  loadConfig(env, { cwd, ...io });

function fail(env: Record<string, string | undefined>, io: { readFile?: (p: string) => string } = {}): ConfigError {
  try {
    load(env, io);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected loadConfig to throw a ConfigError");
}

const fixture = (name: string, env: Record<string, string> = {}) => ({
  ...env,
  BOT_TOKEN: TOKEN,
  PIPELINE_CONFIG: join(fixtures, name),
});

describe("loadConfig from env", () => {
  it("fills every default from a minimal env", () => {
    // PROD watches 30 minutes by default, UAT 10 (issue 12); the post-rollback watch 10.
    const watch = (minutes: number) => ({
      minutes,
      intervalSeconds: 60,
      onFailure: "auto" as const,
      cpuSustainedRounds: 3,
      rollbackMinutes: 10,
      smoke: null,
      prometheus: null,
    });
    const emptyEnv = (minutes: number) => ({
      url: null,
      deploy: null,
      rollback: null,
      health: null,
      watch: watch(minutes),
    });
    expect(load(base)).toEqual<Config>({
      botToken: TOKEN,
      database: { kind: "pglite", dir: "/srv/nightshift/data/pglite" },
      adminIds: [],
      telegramApiRoot: null,
      webhook: null,
      logLevel: "info",
      port: 8080,
      freeze: { hard: false, modules: [], until: null },
      analyzer: { kind: "none" },
      hotfixApprovalMinutes: 30,
      conversationTimeoutMinutes: 15,
      autoRollbackLimit: 1,
      outboxPollMs: 500,
      databasePrepare: true,
      databaseListen: true,
      pollingConcurrency: 16,
      clock: null,
      configDir: cwd,
      systems: [
        {
          id: "default",
          name: "預設系統",
          groupChatId: -1001234567890,
          timezone: "Asia/Taipei",
          windows: { t1: "20:00", t2: "22:00", graceMinutes: 30 },
          services: [],
          environments: { uat: emptyEnv(10), prod: emptyEnv(30) },
          ...defaultGates(),
          freeze: { holidays: null, lunarNewYear: false, monthEnd: null },
        },
      ],
    });
  });

  it("parses every basic variable", () => {
    const config = load({
      ...base,
      ADMIN_IDS: " 111, 222 ,333,",
      TIMEZONE: "UTC",
      T1_TIME: "9:30",
      T2_TIME: "23:15",
      WINDOW_GRACE_MINUTES: "0",
      DEPLOY_FREEZE: "YES",
      DEPLOY_FREEZE_MODULES: "financial, billing",
      DEPLOY_FREEZE_UNTIL: "2028-02-29",
      TELEGRAM_API_ROOT: "http://localhost:8081/",
      WEBHOOK_URL: "https://bot.example.com/telegram",
      WEBHOOK_SECRET: "s3cr3t_-X",
      LOG_LEVEL: "DEBUG",
      PORT: "3000",
      ANALYZER: "openai",
      ANALYZER_URL: "https://api.openai.com/v1",
      ANALYZER_API_KEY: "sk-test",
      ANALYZER_MODEL: "gpt-4o-mini",
      HOTFIX_APPROVAL_MINUTES: "15",
      AUTO_ROLLBACK_LIMIT: "0",
      OUTBOX_POLL_MS: "250",
      DATABASE_PREPARE: "false",
      DATABASE_LISTEN: "no",
      POLLING_CONCURRENCY: "4",
    });
    expect(config).toMatchObject({
      adminIds: [111, 222, 333],
      freeze: { hard: true, modules: ["financial", "billing"], until: "2028-02-29" },
      telegramApiRoot: "http://localhost:8081",
      webhook: { url: "https://bot.example.com/telegram", secret: "s3cr3t_-X" },
      logLevel: "debug",
      port: 3000,
      analyzer: { kind: "openai", url: "https://api.openai.com/v1", apiKey: "sk-test", model: "gpt-4o-mini" },
      hotfixApprovalMinutes: 15,
      autoRollbackLimit: 0,
      outboxPollMs: 250,
      databasePrepare: false,
      databaseListen: false,
      pollingConcurrency: 4,
    });
    expect(config.analyzer).toMatchObject({ timeoutSeconds: 60 });
    expect(config.systems[0]).toMatchObject({
      timezone: "UTC",
      windows: { t1: "09:30", t2: "23:15", graceMinutes: 0 },
    });
  });

  it.each([
    ["BOT_TOKEN", "not-a-token", "@BotFather"],
    ["BOT_TOKEN", `${TOKEN} extra`, "bot token"],
    ["DATABASE_URL", "mysql://root@db/app", "postgres://"],
    ["ADMIN_IDS", "123, bob", "user ids"],
    ["ADMIN_IDS", "-5", "user ids"],
    ["GROUP_CHAT_ID", "group", "chat id"],
    ["GROUP_CHAT_ID", "0", "chat id"],
    ["TIMEZONE", "Asia/Taipie", "IANA"],
    ["T1_TIME", "8pm", "HH:MM"],
    ["T2_TIME", "24:00", "HH:MM"],
    ["T2_TIME", "19:00", "later than T1_TIME"],
    ["WINDOW_GRACE_MINUTES", "-1", "whole number"],
    ["DEPLOY_FREEZE", "maybe", "true, false"],
    ["DEPLOY_FREEZE_UNTIL", "2026-02-30", "YYYY-MM-DD"],
    ["DEPLOY_FREEZE_UNTIL", "05/02/2026", "YYYY-MM-DD"],
    ["TELEGRAM_API_ROOT", "localhost:8081", "URL"],
    ["WEBHOOK_URL", "http://bot.example.com", "https://"],
    ["LOG_LEVEL", "verbose", "info"],
    ["PORT", "80a", "whole number"],
    ["PORT", "70000", "0 to 65535"],
    ["ANALYZER", "claude", "none, openai"],
    ["ANALYZER_TIMEOUT_SECONDS", "0", "whole number"],
    ["HOTFIX_APPROVAL_MINUTES", "1.5", "whole number"],
    ["AUTO_ROLLBACK_LIMIT", "lots", "whole number"],
    ["PROMETHEUS_URL", "prometheus:9090", "URL"],
    ["OUTBOX_POLL_MS", "1", "whole number"],
    ["DATABASE_PREPARE", "sometimes", "true, false"],
    ["POLLING_CONCURRENCY", "0", "whole number"],
    ["UAT_URL", "uat.example.com", "URL"],
    ["PROD_HEALTH_URL", "ftp://example.com", "URL"],
    ["PROD_DEPLOY_COMMAND", "./deploy.sh prod", "no arguments"],
  ])("%s=%j gives one problem naming it", (name, value, hint) => {
    const e = fail({ ...base, WEBHOOK_SECRET: "ok", [name]: value });
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(new RegExp(`^${name}: `));
    if (hint) expect(e.problems[0]).toContain(hint);
    expect(e.missingBotToken).toBe(false);
  });

  it("treats a blank value as unset", () => {
    expect(load({ ...base, PGLITE_DIR: "   " }).database).toEqual({
      kind: "pglite",
      dir: "/srv/nightshift/data/pglite",
    });
  });

  it("collects every problem at once and never prints the token", () => {
    const secretToken = "987654:this-is-a-secret-value_that-must-stay-hidden";
    const e = fail({
      BOT_TOKEN: secretToken,
      PORT: secretToken,
      ADMIN_IDS: secretToken,
      TIMEZONE: "Nowhere/City",
      WEBHOOK_URL: "https://bot.example.com/hook",
      ANALYZER: "openai",
    });
    expect(e.problems.map((p) => p.split(":")[0])).toEqual([
      "ADMIN_IDS",
      "TIMEZONE",
      "WEBHOOK_SECRET",
      "PORT",
      "ANALYZER_URL",
      "ANALYZER_API_KEY",
      "ANALYZER_MODEL",
      "GROUP_CHAT_ID",
    ]);
    const bad = fail({ BOT_TOKEN: `${secretToken}!`, GROUP_CHAT_ID: "-1" });
    for (const text of [...bad.problems, bad.message, formatConfigError(bad)]) expect(text).not.toContain(secretToken);
    expect(bad.problems).toEqual([
      expect.stringMatching(/^BOT_TOKEN: 看起來不是 Telegram 機器人權杖.* \/ does not look like a Telegram bot token/),
    ]);
  });

  it("never prints secret values", () => {
    const e = fail({
      ...base,
      DATABASE_URL: "mysql://admin:hunter2@db/app",
      WEBHOOK_URL: "https://bot.example.com/hook",
      WEBHOOK_SECRET: "has spaces hunter2",
    });
    expect(e.problems.map((p) => p.split(":")[0])).toEqual(["DATABASE_URL", "WEBHOOK_SECRET"]);
    expect(e.message).not.toContain("hunter2");
  });

  it("explains how to get a token when BOT_TOKEN is missing", () => {
    const e = fail({ GROUP_CHAT_ID: "-100", BOT_TOKEN: " " });
    expect(e.missingBotToken).toBe(true);
    expect(e.problems).toEqual([missingBotTokenHelp]);
    expect(formatConfigError(e)).toBe(missingBotTokenHelp);
    expect(missingBotTokenHelp).toContain("@BotFather");
    expect(missingBotTokenHelp).toContain("/newbot");
    expect(missingBotTokenHelp).toContain("BOT_TOKEN=123456:ABC... npm start");
    expect(missingBotTokenHelp).toMatch(/權杖/);
    const more = fail({});
    expect(more.missingBotToken).toBe(true);
    expect(more.problems).toHaveLength(2);
    expect(formatConfigError(more)).toContain("GROUP_CHAT_ID");
  });

  it.each([
    [{}, { kind: "pglite", dir: "/srv/nightshift/data/pglite" }],
    [{ PGLITE_DIR: "/var/lib/nightshift" }, { kind: "pglite", dir: "/var/lib/nightshift" }],
    [{ PGLITE_DIR: "state/db" }, { kind: "pglite", dir: "/srv/nightshift/state/db" }],
    [{ DATABASE_URL: "memory://" }, { kind: "pglite", dir: null }],
    [{ DATABASE_URL: "postgres://u:p@db:5432/ns" }, { kind: "postgres", url: "postgres://u:p@db:5432/ns" }],
    [
      { DATABASE_URL: "postgresql://db/ns?sslmode=require" },
      { kind: "postgres", url: "postgresql://db/ns?sslmode=require" },
    ],
  ])("DATABASE_URL kinds: %j", (env, database) => {
    expect(load({ ...base, ...env }).database).toEqual(database);
  });

  it("builds the default system from env", () => {
    const config = load({
      ...base,
      TIMEZONE: "Asia/Tokyo",
      T1_TIME: "19:00",
      WINDOW_GRACE_MINUTES: "45",
      UAT_URL: "https://uat.example.com",
      UAT_DEPLOY_COMMAND: "./bin/deploy-uat.sh",
      UAT_ROLLBACK_COMMAND: "/opt/deploy/rollback-uat",
      UAT_HEALTH_URL: "https://uat.example.com/healthz",
      PROD_URL: "https://example.com",
      PROD_DEPLOY_COMMAND: "deploy-prod",
      PROD_HEALTH_URL: "https://example.com/healthz",
      PROMETHEUS_URL: "http://prometheus:9090",
    });
    const [system] = config.systems;
    expect(config.systems).toHaveLength(1);
    expect(system).toMatchObject({
      id: "default",
      name: "預設系統",
      groupChatId: -1001234567890,
      timezone: "Asia/Tokyo",
      windows: { t1: "19:00", t2: "22:00", graceMinutes: 45 },
      services: [],
    });
    expect(system?.environments.uat).toEqual({
      url: "https://uat.example.com",
      deploy: { type: "command", command: ["/srv/nightshift/bin/deploy-uat.sh"], timeoutSeconds: 900 },
      rollback: { type: "command", command: ["/opt/deploy/rollback-uat"], timeoutSeconds: 900 },
      health: { type: "http", url: "https://uat.example.com/healthz", expectStatus: 200, timeoutSeconds: 30 },
      // PROMETHEUS_URL alone names no query: it is only the default URL of Prometheus blocks.
      watch: {
        minutes: 10,
        intervalSeconds: 60,
        onFailure: "auto",
        cpuSustainedRounds: 3,
        rollbackMinutes: 10,
        smoke: null,
        prometheus: null,
      },
    });
    expect(system?.environments.prod).toMatchObject({
      url: "https://example.com",
      deploy: { type: "command", command: ["deploy-prod"] },
      rollback: null,
    });
  });

  it("requires GROUP_CHAT_ID only without PIPELINE_CONFIG", () => {
    expect(fail({ BOT_TOKEN: TOKEN }).problems).toEqual([
      expect.stringMatching(
        /^GROUP_CHAT_ID: 必填：未設定 PIPELINE_CONFIG 時 — .* \/ is required when PIPELINE_CONFIG is not set/,
      ),
    ]);
    expect(() => load(fixture("minimal.json"))).not.toThrow();
  });

  it("reads the drill clock (NIGHTSHIFT_CLOCK_*) and explains each mistake", () => {
    expect(
      load({ ...base, NIGHTSHIFT_CLOCK_START: "2099-11-24T19:55:00+08:00", NIGHTSHIFT_CLOCK_SPEED: "600" }).clock,
    ).toEqual({
      start: new Date("2099-11-24T11:55:00Z"),
      speed: 600,
      anchor: null,
    });
    expect(fail({ ...base, NIGHTSHIFT_CLOCK_START: "2099-11-24 19:55", NIGHTSHIFT_CLOCK_SPEED: "0" }).problems).toEqual(
      [
        expect.stringMatching(
          /^NIGHTSHIFT_CLOCK_START: 應為含時區的 ISO 8601 時間.* \/ expected an ISO 8601 instant with a time zone/,
        ),
        expect.stringMatching(
          /^NIGHTSHIFT_CLOCK_SPEED: 應為 0.001 到 100000 的數字.* \/ expected a number from 0.001 to 100000/,
        ),
      ],
    );
    expect(fail({ ...base, NIGHTSHIFT_CLOCK_ANCHOR: "2099-11-22T00:00:00Z" }).problems).toEqual([
      expect.stringMatching(
        /^NIGHTSHIFT_CLOCK_ANCHOR: 需要同時設定 NIGHTSHIFT_CLOCK_START.* \/ needs NIGHTSHIFT_CLOCK_START/,
      ),
    ]);
  });
});

describe("PIPELINE_CONFIG", () => {
  it("loads the example, resolving commands against its folder", () => {
    const config = load({ BOT_TOKEN: TOKEN, PIPELINE_CONFIG: example, PROD_HOOK_SECRET: "hook-secret" });
    const examples = join(root, "examples");
    expect(config.configDir).toBe(examples);
    const [crm] = config.systems;
    expect(crm).toMatchObject({
      id: "crm",
      name: "Barber CRM",
      groupChatId: -1001234567890,
      timezone: "Asia/Taipei",
      windows: { t1: "20:00", t2: "22:00", graceMinutes: 30 },
      services: [
        { name: "db-migration", dependsOn: [] },
        { name: "backend", dependsOn: ["db-migration"] },
        { name: "frontend", dependsOn: ["backend"] },
      ],
      checklist: {
        backup: { type: "command", command: [join(examples, "deploy/backup.sh")], timeoutSeconds: 30 },
        monitoring: { type: "http", url: "http://prometheus:9090/-/ready", expectStatus: 200 },
      },
      freeze: { holidays: "TW", lunarNewYear: true, monthEnd: { days: 2, modules: ["financial"] } },
    });
    expect(crm?.environments.uat).toMatchObject({
      url: "https://uat.example.com",
      deploy: { type: "command", command: [join(examples, "deploy/deploy.sh"), "uat"], timeoutSeconds: 900 },
      rollback: { type: "command", command: [join(examples, "deploy/rollback.sh"), "uat"], timeoutSeconds: 900 },
      watch: { minutes: 10, smoke: { command: [join(examples, "deploy/smoke.sh"), "uat"] }, prometheus: null },
    });
    expect(crm?.environments.prod).toMatchObject({
      deploy: {
        type: "webhook",
        url: "https://deploy.example.com/hooks/prod",
        secret: "hook-secret",
        secretEnv: "PROD_HOOK_SECRET",
        timeoutSeconds: 900,
      },
      health: { type: "http", url: "https://example.com/healthz", expectStatus: 200, timeoutSeconds: 30 },
      watch: { minutes: 30, onFailure: "auto", prometheus: { url: "http://prometheus:9090" } },
    });
    expect(crm?.environments.prod.watch.prometheus).toHaveProperty("loginSuccess");
  });

  it("resolves a relative PIPELINE_CONFIG against cwd and commands against the file's folder", () => {
    const read: string[] = [];
    const text = JSON.stringify({
      systems: [
        {
          id: "shop",
          name: "Shop",
          groupChatId: -1,
          environments: { uat: { deploy: { command: ["./deploy.sh"] } }, prod: {} },
        },
      ],
    });
    const config = load(
      { BOT_TOKEN: TOKEN, PIPELINE_CONFIG: "conf/pipeline.json" },
      {
        readFile: (p) => {
          read.push(p);
          return text;
        },
      },
    );
    expect(read).toEqual(["/srv/nightshift/conf/pipeline.json"]);
    expect(config.configDir).toBe("/srv/nightshift/conf");
    expect(config.systems[0]?.environments.uat.deploy).toEqual({
      type: "command",
      command: ["/srv/nightshift/conf/deploy.sh"],
      timeoutSeconds: 900,
    });
  });

  it("leaves bare and absolute commands alone and falls back to env defaults", () => {
    const config = load(
      fixture("relative-paths.json", { PROMETHEUS_URL: "http://prom:9090", TIMEZONE: "UTC", T2_TIME: "23:00" }),
    );
    const [shop] = config.systems;
    expect(shop).toMatchObject({ timezone: "UTC", windows: { t1: "20:00", t2: "23:00", graceMinutes: 30 } });
    expect(shop?.environments.uat.deploy).toMatchObject({ command: [join(fixtures, "deploy/deploy.sh"), "uat"] });
    expect(shop?.environments.uat.rollback).toMatchObject({
      command: [resolve(fixtures, "../shared/rollback.sh"), "./not-a-path-arg"],
    });
    expect(shop?.environments.uat.health).toEqual({
      type: "command",
      command: ["bash", "-c", "exit 0"],
      timeoutSeconds: 30,
    });
    expect(shop?.environments.prod.deploy).toEqual({
      type: "command",
      command: ["/usr/local/bin/deploy-prod"],
      timeoutSeconds: 60,
    });
    expect(shop?.environments.prod.watch.prometheus).toEqual({
      url: "http://prom:9090",
      errorRate: "sum(rate(errors[5m]))",
    });
    expect(shop?.environments.uat.watch.prometheus).toBeNull();
  });

  it("reports an unknown key with its path", () => {
    expect(fail(fixture("unknown-key.json")).problems).toEqual([
      "PIPELINE_CONFIG systems[0].environments.uat.deplyo: 不認得的欄位 — 這裡可用的欄位：url、deploy、rollback、health、watch、version、migrateDown / unknown key — allowed keys here: url, deploy, rollback, health, watch, version, migrateDown",
    ]);
  });

  it("names the JSON path and the env variable of a missing webhook secret", () => {
    const e = fail({ BOT_TOKEN: TOKEN, PIPELINE_CONFIG: example });
    expect(e.problems).toEqual([
      "PIPELINE_CONFIG systems[0].environments.prod.deploy.secretEnv: 環境變數 PROD_HOOK_SECRET 未設定 — 請 export 它或修改 secretEnv / env PROD_HOOK_SECRET is not set — export it or change secretEnv",
      "PIPELINE_CONFIG systems[0].environments.prod.rollback.secretEnv: 環境變數 PROD_HOOK_SECRET 未設定 — 請 export 它或修改 secretEnv / env PROD_HOOK_SECRET is not set — export it or change secretEnv",
    ]);
  });

  it("reports a dependency cycle", () => {
    expect(fail(fixture("cycle.json")).problems).toEqual([
      "PIPELINE_CONFIG systems[0].services: 相依關係形成循環 db-migration → frontend → backend → db-migration — 請移除其中一個 dependsOn / dependency cycle db-migration → frontend → backend → db-migration — remove one of these dependsOn entries",
    ]);
  });

  it("reports an unknown dependsOn", () => {
    expect(fail(fixture("unknown-dependency.json")).problems).toEqual([
      'PIPELINE_CONFIG systems[0].services[1].dependsOn[1]: 沒有名為 "api" 的服務 — 已宣告的服務：backend、frontend / unknown service "api" — known services: backend, frontend',
    ]);
  });

  it("reports duplicate system ids and group chats", () => {
    expect(fail(fixture("duplicates.json")).problems).toEqual([
      'PIPELINE_CONFIG systems[1].id: "crm" 已被 systems[0] 使用 — 系統 id 不可重複 / "crm" is already used by systems[0] — system ids must be unique',
      "PIPELINE_CONFIG systems[1].groupChatId: -100111 已被 systems[0] 使用 — 每個系統需要自己的群組 / -100111 is already used by systems[0] — each system needs its own group chat",
    ]);
  });

  it("collects every problem in the file", () => {
    const problems = fail(fixture("many-problems.json")).problems;
    expect(problems.map((p) => p.slice(0, p.indexOf(": ")))).toEqual([
      "PIPELINE_CONFIG systems[0].id",
      "PIPELINE_CONFIG systems[0].timezone",
      "PIPELINE_CONFIG systems[0].windows.t2",
      "PIPELINE_CONFIG systems[0].environments.uat.deploy.secretEnv",
      "PIPELINE_CONFIG systems[0].environments.prod.health",
      "PIPELINE_CONFIG systems[0].freeze.holidays",
      "PIPELINE_CONFIG systems[0].freeze.monthEnd.modules",
      "PIPELINE_CONFIG systems[0].services",
    ]);
    expect(problems[2]).toContain("must be later than t1 (23:00)");
    expect(problems[7]).toContain("dependency cycle backend → frontend → backend");
  });

  it("reports missing and mistyped fields", () => {
    const e = fail(fixture("minimal.json"), {
      readFile: () => JSON.stringify({ systems: [{ id: "crm", groupChatId: "-100", environments: { uat: [] } }] }),
    });
    expect(e.problems).toEqual([
      "PIPELINE_CONFIG systems[0].name: 必填，應為字串 / is required — expected string",
      "PIPELINE_CONFIG systems[0].groupChatId: 應為 Telegram 聊天室 id：不為 0 的整數（群組為負數，例如 -1001234567890） / expected a Telegram chat id: a non-zero whole number (groups are negative, e.g. -1001234567890)",
      "PIPELINE_CONFIG systems[0].environments.uat: 應為物件，實際是陣列 / expected object, got array",
      "PIPELINE_CONFIG systems[0].environments.prod: 必填，應為物件 / is required — expected object",
    ]);
  });

  it("reports an unreadable file as one problem", () => {
    const e = fail({ BOT_TOKEN: TOKEN, PIPELINE_CONFIG: "missing.json" }, { readFile: () => fail404() });
    expect(e.problems).toEqual([
      "PIPELINE_CONFIG: 無法讀取 /srv/nightshift/missing.json（檔案不存在）— 相對路徑以工作目錄為準 / cannot read /srv/nightshift/missing.json (no such file) — relative paths resolve against the working directory",
    ]);
  });

  it("reports invalid JSON as one problem, with its position when known", () => {
    const json = (text: string) =>
      fail({ BOT_TOKEN: TOKEN, PIPELINE_CONFIG: "/etc/ns.json" }, { readFile: () => text });
    expect(json('{\n  "systems": [\n    { "id": "crm", }\n  ]\n}').problems).toEqual([
      expect.stringMatching(
        /^PIPELINE_CONFIG: \/etc\/ns\.json 不是有效的 JSON（第 3 行第 20 欄） \/ \/etc\/ns\.json is not valid JSON at line 3, column 20 — /,
      ),
    ]);
    const [problem, ...rest] = json('{\n  "systems": [,]\n}').problems;
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      /^PIPELINE_CONFIG: \/etc\/ns\.json 不是有效的 JSON \/ \/etc\/ns\.json is not valid JSON — /,
    );
    expect(problem).not.toContain("\n");
  });
});

describe("boundaries: credentials in URLs, plain-http webhooks, secrets withheld from commands", () => {
  const pipeline = (systems: unknown[], env: Record<string, string> = {}) =>
    fail(
      { BOT_TOKEN: TOKEN, PIPELINE_CONFIG: "/etc/ns.json", ...env },
      { readFile: () => JSON.stringify({ systems }) },
    );
  const system = (environments: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    id: "crm",
    name: "CRM",
    groupChatId: -100,
    environments: { uat: {}, prod: {}, ...environments },
    ...extra,
  });

  it.each([
    ["UAT_URL", "https://bob:hunter2@uat.example.com", "authorizationEnv"],
    ["PROD_HEALTH_URL", "https://bob:hunter2@example.com/healthz", "authorizationEnv"],
    ["PROMETHEUS_URL", "http://admin:hunter2@prometheus:9090", "authorizationEnv"],
    ["ANALYZER_URL", "https://key:hunter2@api.openai.com/v1", "ANALYZER_API_KEY"],
    ["TELEGRAM_API_ROOT", "http://u:hunter2@localhost:8081", "drop them"],
    ["WEBHOOK_URL", "https://u:hunter2@bot.example.com/telegram", "WEBHOOK_SECRET"],
  ])("%s with credentials is refused with a hint, without echoing the password", (name, value, hint) => {
    const e = fail({ ...base, WEBHOOK_SECRET: "ok", [name]: value });
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(new RegExp(`^${name}: 網址不可含帳號密碼`));
    expect(e.problems[0]).toContain("credentials (user:pass@) are not allowed");
    expect(e.problems[0]).toContain(hint);
    expect(formatConfigError(e)).not.toContain("hunter2");
  });

  it("refuses credentials in every PIPELINE_CONFIG url field, never printing them", () => {
    const e = pipeline(
      [
        system(
          {
            uat: {
              url: "https://u:hunter2@uat.example.com",
              deploy: { webhook: "https://u:hunter2@deploy.example.com/uat", secretEnv: "HOOK" },
              health: { http: "https://u:hunter2@uat.example.com/healthz" },
              watch: { prometheus: { url: "http://u:hunter2@prom:9090" } },
            },
          },
          { checklist: { monitoring: { http: "http://u:hunter2@prom:9090/-/ready" } } },
        ),
      ],
      { HOOK: "s" },
    );
    expect(e.problems.map((p) => p.slice(0, p.indexOf(": ")))).toEqual([
      "PIPELINE_CONFIG systems[0].environments.uat.url",
      "PIPELINE_CONFIG systems[0].environments.uat.deploy.webhook",
      "PIPELINE_CONFIG systems[0].environments.uat.health.http",
      "PIPELINE_CONFIG systems[0].environments.uat.watch.prometheus.url",
      "PIPELINE_CONFIG systems[0].checklist.monitoring.http",
    ]);
    expect(e.problems[1]).toContain("authenticated by the HMAC signature of secretEnv");
    expect(e.problems[2]).toContain("authorizationEnv");
    expect(formatConfigError(e)).not.toContain("hunter2");
  });

  it("refuses a plain http:// webhook unless it is loopback or says allowHttp", () => {
    const hook = (webhook: string, extra: Record<string, unknown> = {}) => ({ webhook, secretEnv: "HOOK", ...extra });
    const e = pipeline([system({ uat: { deploy: hook("http://deploy.example.com/uat") } })], { HOOK: "s" });
    expect(e.problems).toEqual([
      expect.stringMatching(
        /^PIPELINE_CONFIG systems\[0\]\.environments\.uat\.deploy\.webhook: 不接受 http:\/\/ 的 webhook.* \/ plain http:\/\/ webhooks are refused .*"allowHttp": true/,
      ),
    ]);
    const ok = (deploy: unknown, rollback: unknown) =>
      load(
        { BOT_TOKEN: TOKEN, PIPELINE_CONFIG: "/etc/ns.json", HOOK: "s" },
        { readFile: () => JSON.stringify({ systems: [system({ uat: { deploy, rollback } })] }) },
      ).systems[0]!.environments.uat;
    expect(ok(hook("http://127.0.0.1:9000/uat"), hook("http://localhost/rb")).deploy).toMatchObject({
      type: "webhook",
      url: "http://127.0.0.1:9000/uat",
    });
    expect(
      ok(hook("http://[::1]:9000/uat"), hook("http://deploy.internal/rb", { allowHttp: true })).rollback,
    ).toMatchObject({
      url: "http://deploy.internal/rb",
    });
    expect(pipeline([system({ uat: { deploy: { command: ["/bin/true"], allowHttp: true } } })]).problems).toEqual([
      expect.stringContaining("only webhook targets take allowHttp"),
    ]);
  });

  it("reads authorizationEnv into the header value; withholds every …Env name from commands", () => {
    const config = load(
      {
        BOT_TOKEN: TOKEN,
        PIPELINE_CONFIG: "/etc/ns.json",
        HOOK: "hook-secret",
        STATUS_AUTH: "Basic dTpw",
        PROM_AUTH: "Bearer p",
      },
      {
        readFile: () =>
          JSON.stringify({
            systems: [
              system(
                {
                  uat: {
                    deploy: { command: ["/bin/deploy"] },
                    watch: { prometheus: { url: "http://prom:9090", authorizationEnv: "PROM_AUTH", cpu: "cpu" } },
                  },
                  prod: { deploy: { webhook: "https://deploy.example.com/prod", secretEnv: "HOOK" } },
                },
                {
                  checklist: {
                    backup: { command: ["/bin/backup"] },
                    monitoring: { http: "https://s.example.com", authorizationEnv: "STATUS_AUTH" },
                  },
                },
              ),
            ],
          }),
      },
    );
    const [crm] = config.systems;
    const withheldEnv = ["HOOK", "PROM_AUTH", "STATUS_AUTH"];
    expect(crm!.environments.uat.deploy).toEqual({
      type: "command",
      command: ["/bin/deploy"],
      timeoutSeconds: 900,
      withheldEnv,
    });
    expect(crm!.checklist.backup).toMatchObject({ withheldEnv });
    expect(crm!.checklist.monitoring).toMatchObject({ authorization: "Basic dTpw" });
    expect(crm!.environments.uat.watch.prometheus).toEqual({
      url: "http://prom:9090",
      authorization: "Bearer p",
      cpu: "cpu",
    });
    expect(
      pipeline([system({}, { checklist: { monitoring: { http: "https://s.example.com", authorizationEnv: "NOPE" } } })])
        .problems,
    ).toEqual([expect.stringContaining("env NOPE is not set — export it or change authorizationEnv")]);
  });
});

describe("every configuration error is bilingual, one line, naming the field", () => {
  const CJK = /[\u4e00-\u9fff]/;
  it.each([
    [
      "env",
      fail({
        BOT_TOKEN: "bad",
        PORT: "x",
        TIMEZONE: "Mars/X",
        T1_TIME: "9pm",
        DEPLOY_FREEZE: "maybe",
        ADMIN_IDS: "bob",
        WEBHOOK_URL: "https://x.example.com",
        ANALYZER: "openai",
        NIGHTSHIFT_CLOCK_SPEED: "2",
        UAT_DEPLOY_COMMAND: "a b",
        PROMETHEUS_URL: "x",
        DATABASE_URL: "mysql://x",
      }),
    ],
    ["many-problems.json", fail(fixture("many-problems.json"))],
    ["unknown-key.json", fail(fixture("unknown-key.json"))],
    ["duplicates.json", fail(fixture("duplicates.json"))],
    ["unknown-dependency.json", fail(fixture("unknown-dependency.json"))],
    [
      "types",
      fail(fixture("minimal.json"), {
        readFile: () =>
          JSON.stringify({
            systems: [{ id: "crm", groupChatId: "-100", environments: { uat: [] }, freeze: { lunarNewYear: "yes" } }],
          }),
      }),
    ],
    ["empty", fail(fixture("minimal.json"), { readFile: () => JSON.stringify({ systems: [] }) })],
    ["bad JSON", fail(fixture("minimal.json"), { readFile: () => "{" })],
  ])("%s", (_, e) => {
    expect(e.problems.length).toBeGreaterThan(0);
    for (const problem of e.problems) {
      expect(problem).not.toContain("\n");
      expect(problem).toMatch(/^[A-Z_0-9]+( [\w.[\]]+)?: /);
      const text = problem.slice(problem.indexOf(": ") + 2);
      expect(text, problem).toMatch(CJK);
      expect(text, problem).toMatch(
        / \/ .*\b(expected|is|must|unknown|cannot|env|only|list|needs|does|credentials|plain|dependency)\b/,
      );
    }
  });
});

function fail404(): never {
  throw Object.assign(new Error("ENOENT: no such file or directory, open 'missing.json'"), { code: "ENOENT" });
}
