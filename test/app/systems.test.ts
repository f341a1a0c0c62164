import { describe, expect, it } from "vitest";
import { recordChatMigration } from "../../src/app/outbox.js";
import { systemRegistry, UnknownSystemError } from "../../src/app/systems.js";
import { type Config, loadConfig } from "../../src/config.js";
import { TEST_TOKEN } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";

const CRM_CHAT = -1001;
const HR_CHAT = -1002;

/** Two systems, loaded the way the bot loads them (PIPELINE_CONFIG). */
function twoSystems(): Config {
  const system = (id: string, groupChatId: number) => ({
    id,
    name: id.toUpperCase(),
    groupChatId,
    environments: { uat: {}, prod: {} },
  });
  return loadConfig(
    { BOT_TOKEN: TEST_TOKEN, DATABASE_URL: "memory://", PIPELINE_CONFIG: "/etc/nightshift.json" },
    { readFile: () => JSON.stringify({ systems: [system("crm", CRM_CHAT), system("hr", HR_CHAT)] }) },
  );
}

describe("systemRegistry", () => {
  it("finds a system by id, and says undefined for an unknown or missing id", () => {
    const systems = systemRegistry(twoSystems());
    expect(systems.find("hr")?.name).toBe("HR");
    expect(systems.find("billing")).toBeUndefined();
    expect(systems.find(null)).toBeUndefined();
    expect(systems.find(undefined)).toBeUndefined();
    expect(systems.find("")).toBeUndefined();
  });

  it("gets a stored id's system, or throws naming the id and what is configured", () => {
    const systems = systemRegistry(twoSystems());
    expect(systems.get("crm").groupChatId).toBe(CRM_CHAT);
    expect(() => systems.get("billing")).toThrow(UnknownSystemError);
    expect(() => systems.get("billing")).toThrow("unknown system billing (configured: crm, hr)");
    const empty = systemRegistry({ systems: [] });
    expect(() => empty.get("crm")).toThrow("unknown system crm (configured: none)");
    const thrown = (() => {
      try {
        return systems.get("billing");
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(UnknownSystemError);
    expect(thrown).toMatchObject({ name: "UnknownSystemError", systemId: "billing" });
  });

  it("finds a group chat's system, and nothing for another chat or none", () => {
    const systems = systemRegistry(twoSystems());
    expect(systems.byGroupChat(HR_CHAT)?.id).toBe("hr");
    expect(systems.byGroupChat(-999)).toBeUndefined();
    expect(systems.byGroupChat(42)).toBeUndefined();
    expect(systems.byGroupChat(undefined)).toBeUndefined();
    expect(systems.byGroupChat(null)).toBeUndefined();
  });

  it("lists every system in configuration order and reads the configuration live", () => {
    const config = twoSystems();
    const systems = systemRegistry(config);
    expect(systems.all().map((s) => s.id)).toEqual(["crm", "hr"]);
    config.systems = config.systems.slice(1);
    expect(systems.all().map((s) => s.id)).toEqual(["hr"]);
    expect(systems.find("crm")).toBeUndefined();
    expect(systems.byGroupChat(CRM_CHAT)).toBeUndefined();
  });

  it("the env-only setup has one system, 'default', in GROUP_CHAT_ID", () => {
    const systems = systemRegistry(loadConfig({ BOT_TOKEN: TEST_TOKEN, GROUP_CHAT_ID: "-100777" }));
    expect(systems.get("default").groupChatId).toBe(-100777);
    expect(systems.byGroupChat(-100777)?.id).toBe("default");
  });
});

describe.each(testBackends())("systemRegistry with chat migrations on $name", (backend) => {
  const t = useTestDatabase(backend);
  const now = new Date("2099-03-01T12:00:00Z");

  it("finds a group Telegram upgraded to a supergroup under its new id, following a chain", async () => {
    await t.reset();
    const systems = systemRegistry(twoSystems());
    expect(await systems.byGroupChatNow(t.db, -100555)).toBeUndefined();

    await recordChatMigration(t.db, HR_CHAT, -100555, now);
    expect((await systems.byGroupChatNow(t.db, -100555))?.id).toBe("hr");
    expect(systems.byGroupChat(-100555)).toBeUndefined(); // the config-only lookup does not follow it

    await recordChatMigration(t.db, -100555, -100666, now);
    expect((await systems.byGroupChatNow(t.db, -100666))?.id).toBe("hr");

    // the configured id still answers, and unrelated chats find nothing
    expect((await systems.byGroupChatNow(t.db, HR_CHAT))?.id).toBe("hr");
    expect((await systems.byGroupChatNow(t.db, CRM_CHAT))?.id).toBe("crm");
    expect(await systems.byGroupChatNow(t.db, -100999)).toBeUndefined();
    expect(await systems.byGroupChatNow(t.db, undefined)).toBeUndefined();
  });
});
