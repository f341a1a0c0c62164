// A database that fails on purpose: its first N queries (an outage: "connection refused"), or the
// first N transactions that record a deployment's outcome (they update `deployments`).
import { deployments } from "../../drizzle/schema.js";
import type { Db } from "../../src/adapters/db/database.js";

const QUERY_METHODS = new Set(["select", "selectDistinct", "insert", "update", "delete", "execute", "transaction"]);

const bound = (target: object, prop: string | symbol) => {
  const value = Reflect.get(target, prop, target);
  return typeof value === "function" ? value.bind(target) : value;
};

export function failingDb(real: Db, opts: { outcomeFailures?: number; downForQueries?: number }) {
  let outcomeLeft = opts.outcomeFailures ?? 0;
  let downLeft = opts.downForQueries ?? 0;
  let failed = 0;
  const outage = () => new Error("connect ECONNREFUSED 127.0.0.1:5432 (injected)");
  const db = new Proxy(real, {
    get(target, prop) {
      if (typeof prop === "string" && QUERY_METHODS.has(prop) && downLeft > 0) {
        return () => {
          downLeft--;
          failed++;
          throw outage();
        };
      }
      if (prop === "transaction") {
        return (run: (tx: unknown) => Promise<unknown>, config?: unknown) =>
          target.transaction(
            (tx) =>
              run(
                new Proxy(tx, {
                  get(txTarget, txProp) {
                    if (txProp === "update")
                      return (table: unknown) => {
                        if (table === deployments && outcomeLeft > 0) {
                          outcomeLeft--;
                          throw new Error("outcome transaction failed (injected)");
                        }
                        return txTarget.update(table as typeof deployments);
                      };
                    return bound(txTarget, txProp);
                  },
                }),
              ),
            config as never,
          );
      }
      return bound(target, prop);
    },
  }) as Db;
  return {
    db,
    outcomeFailuresLeft: () => outcomeLeft,
    failedQueries: () => failed,
    heal: () => {
      downLeft = 0;
    },
  };
}
