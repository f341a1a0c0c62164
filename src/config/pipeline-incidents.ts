// issue 12: an environment's incident settings beside its deploy/rollback targets. `migrateDown`: the
// down-migration a data-corruption rollback runs after the rollback itself (same shape as `rollback`).
import type { z } from "zod";
import type { Target } from "./pipeline-targets.js";

/** Extra keys of `environments.<env>`: the down-migration target. */
export const incidentEnvFields = (target: z.ZodType<Target>) => ({ migrateDown: target.optional() });

/** Its runtime form: present only when configured. */
export const incidentEnvValues = (e: { migrateDown?: Target | undefined }): { migrateDown?: Target } =>
  e.migrateDown ? { migrateDown: e.migrateDown } : {};
