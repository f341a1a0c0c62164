// A T2 window over N pending_prod bugs (half Flow 1, half Flow 2; bulk-seeded): claim, freeze
// check, checklist, one PROD release through a no-op deploy script, and the outcome transaction
// that moves every bug (conditional UPDATE + audit row) and writes the notifications.
import { fileURLToPath } from "node:url";
import { eq, sql } from "drizzle-orm";
import { bugEvents, bugs } from "../drizzle/schema.js";
import { adapterPorts } from "../src/adapters/ports.js";
import { setOncall } from "../src/app/oncall.js";
import { runWindow, type WindowDeps } from "../src/app/windows.js";
import type { Target } from "../src/config.js";
import { type Backend, benchConfig, seedBugs, seedSystems, silent, timed } from "./lib.js";

const NOOP = fileURLToPath(new URL("./fixtures/noop-deploy.sh", import.meta.url));
const T2 = new Date("2026-11-24T14:00:00Z"); // Tuesday 22:00 in Taipei

/** Milliseconds for one T2 window over `n` bugs. */
export async function windowRun(backend: Backend, n: number): Promise<number> {
  await backend.reset();
  const noop: Target = { type: "command", command: [NOOP], timeoutSeconds: 60 };
  const config = benchConfig({}, (s) => ({
    ...s,
    services: [],
    environments: {
      uat: { ...s.environments.uat, deploy: noop, rollback: noop },
      prod: { ...s.environments.prod, deploy: noop, rollback: noop },
    },
  }));
  await seedSystems(backend.db, config);
  await setOncall(backend.db, { systemId: "crm", day: "2026-11-24", userId: 1001, name: "Alice", setBy: "Alice" }, T2);
  await seedBugs(backend.db, n, "pending_prod", { flow2Every: 2 });
  const deps: WindowDeps = {
    db: backend.db,
    config,
    clock: () => new Date(T2),
    logger: silent,
    sleep: async () => {},
    ...adapterPorts,
  };
  const system = config.systems[0]!;
  const { ms, value: run } = await timed(() =>
    runWindow(deps, system, "t2", { scheduledFor: new Date(T2), trigger: "schedule" }),
  );
  const [moved] = await backend.db
    .select({ n: sql<number>`count(*)::int` })
    .from(bugs)
    .where(eq(bugs.status, "deployed_prod"));
  const [events] = await backend.db.select({ n: sql<number>`count(*)::int` }).from(bugEvents);
  if (run?.status !== "done" || moved?.n !== n || events?.n !== n) {
    throw new Error(
      `window bench: ${run?.status} ${run?.summary?.slice(0, 200)}; moved ${moved?.n}/${n}, events ${events?.n}`,
    );
  }
  return ms;
}
