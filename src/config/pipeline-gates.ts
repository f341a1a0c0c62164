// issue 12 (minimal; the checklist issue owns this file — the lead reconciles): the people a system
// escalates to beyond the on-call and the admins. `roles.cto` and `roles.dba` are Telegram user ids.
import { z } from "zod";

export const rolesSchema = z
  .object({
    cto: z.array(z.number().int()).default([]),
    dba: z.array(z.number().int()).default([]),
  })
  .strict();

export type RolesConfig = z.output<typeof rolesSchema>;
