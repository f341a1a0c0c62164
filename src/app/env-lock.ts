// One change at a time per system and environment (a deploy, hotfix or rollback), across replicas:
// an `env-lock` claim of `<system>:<env>` (src/app/claims.ts) naming its owner process and holder;
// a dead owner's is taken over.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { SystemConfig } from "../config.js";
import type { Env } from "../core/model.js";
import { cleanText } from "../core/text.js";
import { reliability } from "../i18n/index.js";
import { claim, readClaim, release as releaseClaim, releaseDeadOwners, releaseIfUnchanged } from "./claims.js";
import type { Db } from "./db.js";
import { messages } from "./messages.js";
import { enqueue } from "./outbox.js";

/** Which process runs a row, and whether a row's owner still lives. */
export interface LivenessPort {
  instanceId: string;
  isAlive(owner: string | null): Promise<boolean>;
}

export interface LockDeps {
  db: Db;
  clock: () => Date;
  logger: Logger;
  liveness?: LivenessPort;
  /** Waits between lock polls (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A held environment lock: an `env-lock` claim of `<system>:<env>` naming its owner process and holder. */
export interface EnvLock {
  key: string;
  token: string;
  release(): Promise<void>;
}

interface LockValue {
  token: string;
  holder: string;
  since: string;
}

export const envLockSubject = (systemId: string, env: Env) => `${systemId}:${env}`;
const LOCK_POLL_MS = 2_000;
/** A change never waits longer than this for another one (then it is refused with the reason). */
const MAX_LOCK_WAIT_MS = 3 * 60 * 60_000;

export class EnvBusyError extends Error {
  constructor(
    readonly env: Env,
    readonly holder: string,
  ) {
    super(reliability.busyTooLong(env, holder));
  }
}

/**
 * Takes the environment's change lock, waiting while another deploy, hotfix or rollback of the same
 * system and environment holds it (the group is told once). A lock whose owner process is dead
 * (liveness) is taken over. Throws EnvBusyError after 3 hours of waiting.
 */
export async function acquireEnvLock(
  deps: LockDeps,
  input: { system: SystemConfig; env: Env; holder: string; what?: string },
): Promise<EnvLock> {
  const key = envLockSubject(input.system.id, input.env);
  const token = randomUUID();
  const owner = deps.liveness?.instanceId ?? null;
  const value: LockValue = { token, holder: cleanText(input.holder), since: deps.clock().toISOString() };
  const sleep = deps.sleep ?? realSleep;
  const started = deps.clock().getTime();
  let told = false;
  for (;;) {
    if (await claim(deps.db, "env-lock", key, { ...value }, deps.clock(), owner)) {
      const release = async () => {
        await releaseClaim(deps.db, "env-lock", key, { ifValue: { token } });
      };
      return { key, token, release };
    }
    const row = await readClaim(deps.db, "env-lock", key);
    if (!row) continue;
    const other = row.value as unknown as LockValue;
    // Without liveness (tests, one process) a holder is presumed alive.
    if (deps.liveness && !(await deps.liveness.isAlive(row.owner))) {
      deps.logger.warn({ key, owner: row.owner }, "environment lock of a dead process released");
      await releaseIfUnchanged(deps.db, row);
      continue;
    }
    if (!told) {
      told = true;
      deps.logger.info({ key, holder: other.holder }, "waiting for the environment");
      const text = reliability.waiting({ env: input.env, holder: other.holder, what: input.what ?? input.holder });
      await enqueue(
        deps.db,
        messages(input.system.groupChatId, text, { dedupeKey: `env-wait:${token}` }),
        deps.clock(),
      );
    }
    if (deps.clock().getTime() - started > MAX_LOCK_WAIT_MS) throw new EnvBusyError(input.env, other.holder);
    await sleep(LOCK_POLL_MS);
  }
}

/** Environment locks whose owner process is dead are removed (start-up and periodic recovery). */
export async function releaseDeadEnvLocks(deps: { db: Db; liveness?: Pick<LivenessPort, "isAlive"> }): Promise<number> {
  const liveness = deps.liveness;
  if (!liveness) return 0;
  return (await releaseDeadOwners(deps.db, "env-lock", (owner) => liveness.isAlive(owner))).length;
}
