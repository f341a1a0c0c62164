// Release names: `2026.11.21-N`, the next sequence of the system's local date. One allocation for
// the windows, hotfixes and incidents.
import { and, eq, like } from "drizzle-orm";
import { deployments } from "../../drizzle/schema.js";
import type { SystemConfig } from "../config.js";
import { nextVersion } from "../core/release.js";
import { localParts } from "../core/windows.js";
import type { Queryable } from "./db.js";

/** The next release name of the system's local date (`2026.11.21-3`). */
export async function allocateVersion(q: Queryable, system: SystemConfig, now: Date): Promise<string> {
  const date = localParts(now, system.timezone).date;
  const rows = await q
    .selectDistinct({ version: deployments.version })
    .from(deployments)
    .where(and(eq(deployments.systemId, system.id), like(deployments.version, `${date.replaceAll("-", ".")}-%`)));
  return nextVersion(
    date,
    rows.map((r) => r.version),
  );
}
