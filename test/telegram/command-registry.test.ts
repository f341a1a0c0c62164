// Commands are registered once: the table in commands.ts drives both the handlers and the
// setMyCommands menus, per scope (members everywhere; admins in their private chat and their
// systems' groups).
import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import {
  ADMIN_COMMANDS,
  COMMANDS,
  handledCommands,
  MEMBER_COMMANDS,
  registerCommands,
} from "../../src/adapters/telegram/commands.js";
import type { Config } from "../../src/config.js";
import { startTestBot, type TestBot, testConfig } from "../support/app.js";
import { testBackends, useTestDatabase } from "../support/db.js";
import { GROUP } from "../support/fixtures.js";
import { alice, messageUpdate, type Person } from "../support/telegram.js";

const POS_GROUP = -1009;
const dave: Person = { id: 3001, first_name: "Dave", username: "dave" }; // POS admin only

function twoSystems(): Config {
  const base = testConfig();
  const crm = base.systems[0]!;
  return { ...base, systems: [crm, { ...crm, id: "pos", name: "POS", groupChatId: POS_GROUP, adminIds: [dave.id] }] };
}

describe.each(testBackends())("command registry on $name", (backend) => {
  const t = useTestDatabase(backend);
  let tb: TestBot;
  beforeEach(async () => {
    await t.reset();
    tb = await startTestBot(t.db, { config: twoSystems() });
  });

  it("every handled command is in exactly one menu, and every menu command is handled", () => {
    const listed = [...MEMBER_COMMANDS, ...ADMIN_COMMANDS];
    expect(new Set(listed).size).toBe(listed.length);
    expect([...handledCommands()].sort()).toEqual(Object.keys(COMMANDS).sort());
    expect(listed.sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it("each menu's scope gets its list: members by default, admins in their chat and their systems' groups", async () => {
    await registerCommands(tb.bot.api, t.db, tb.deps.config, pino({ level: "silent" }));
    const calls = tb.api.of("setMyCommands");
    const names = (scope: object) =>
      calls
        .find((c) => JSON.stringify(c.payload.scope) === JSON.stringify(scope))
        ?.payload.commands.map((c: { command: string }) => c.command);
    expect(names({ type: "default" })).toEqual([...MEMBER_COMMANDS]);
    const admin = [...MEMBER_COMMANDS, ...ADMIN_COMMANDS];
    expect(names({ type: "chat", chat_id: alice.id })).toEqual(admin);
    expect(names({ type: "chat_member", chat_id: GROUP, user_id: alice.id })).toEqual(admin);
    expect(names({ type: "chat_member", chat_id: POS_GROUP, user_id: alice.id })).toEqual(admin);
    // A system admin: their private chat and their system's group, not the other group.
    expect(names({ type: "chat", chat_id: dave.id })).toEqual(admin);
    expect(names({ type: "chat_member", chat_id: POS_GROUP, user_id: dave.id })).toEqual(admin);
    expect(names({ type: "chat_member", chat_id: GROUP, user_id: dave.id })).toBeUndefined();
    expect(calls.map((c) => c.payload.scope.type)).toHaveLength(1 + 3 + 3 + 2);
  });

  it("every listed command gets an answer through the bot", async () => {
    for (const command of [...MEMBER_COMMANDS, ...ADMIN_COMMANDS]) {
      const before = tb.api.of("sendMessage").length;
      await tb.send(messageUpdate(`/${command}`, alice));
      expect([command, tb.api.of("sendMessage").length > before]).toEqual([command, true]);
    }
  });
});
