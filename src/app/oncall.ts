import { and, eq } from "drizzle-orm";
import { oncall } from "../../drizzle/schema.js";
import type { Queryable } from "./db.js";

export type OncallRow = typeof oncall.$inferSelect;

/** Sets the on-call for a local date (YYYY-MM-DD in the system's timezone); replaces any earlier one. */
export async function setOncall(
  db: Queryable,
  input: { systemId: string; day: string; userId: number; name: string; setBy: string },
  now: Date,
): Promise<OncallRow> {
  const row = { ...input, createdAt: now };
  const [saved] = await db
    .insert(oncall)
    .values(row)
    .onConflictDoUpdate({
      target: [oncall.systemId, oncall.day],
      set: { userId: row.userId, name: row.name, setBy: row.setBy, createdAt: now },
    })
    .returning();
  if (!saved) throw new Error("on-call not saved");
  return saved;
}

export async function getOncall(db: Queryable, systemId: string, day: string): Promise<OncallRow | null> {
  const [row] = await db
    .select()
    .from(oncall)
    .where(and(eq(oncall.systemId, systemId), eq(oncall.day, day)));
  return row ?? null;
}
