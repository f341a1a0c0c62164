import type { Db } from "../../src/adapters/db/database.js";
import { applyEvent, type BugRow, type NewBug, reportBug } from "../../src/app/bugs.js";
import { syncSystems } from "../../src/app/systems.js";
import type { Actor, BugEvent } from "../../src/core/model.js";

export const GROUP = -1001234567890;
export const ADMIN: Actor = { kind: "user", id: 1001, name: "Alice", isAdmin: true };
export const ADMIN2: Actor = { kind: "user", id: 1002, name: "Bob", isAdmin: true };
export const MEMBER: Actor = { kind: "user", id: 2001, name: "Carol", isAdmin: false };
export const T1: Actor = { kind: "system", name: "T1" };
export const T2: Actor = { kind: "system", name: "T2" };

export const seedSystem = (db: Db, id = "crm", groupChatId = GROUP) =>
  syncSystems(db, [
    { id, name: "Barber CRM", groupChatId, timezone: "Asia/Taipei", windows: { t1: "20:00", t2: "22:00" } },
  ]);

export function newBug(overrides: Partial<NewBug> = {}): NewBug {
  return {
    systemId: "crm",
    title: "Login button does nothing",
    description: "Tap login, nothing happens",
    reporter: { id: 2001, name: "Carol" },
    foundInEnv: "uat",
    severity: null,
    services: [],
    module: null,
    ...overrides,
  };
}

/** Drives a bug through events, failing loudly if any does not apply. */
export async function drive(db: Db, bug: BugRow, steps: [BugEvent, Actor][], now: Date): Promise<BugRow> {
  let current = bug;
  for (const [event, actor] of steps) {
    const result = await applyEvent(db, { bugId: current.id, event, actor, now });
    if (result.kind !== "applied") throw new Error(`${event.type} did not apply: ${JSON.stringify(result)}`);
    current = result.bug;
  }
  return current;
}

export const reportOne = (db: Db, overrides: Partial<NewBug> = {}, now = new Date("2099-11-21T10:00:00Z")) =>
  reportBug(db, newBug(overrides), now);
