// issue 12: the gates before a PROD change. A system's pre-deploy `checklist` (the seed's whole list:
// backup, monitoring, tests, security audit, human approvals per environment, budget, secrets,
// `strict`) and its `roles` (Telegram user ids: `cto` signs off Lunar New Year hotfixes, `dba` is
// escalated to on data-corruption rollbacks). Hooked into the system schema in ./pipeline.ts.
import { z } from "zod";
import { ADMIN_IDS_ERROR, bi } from "./messages.js";
import { fieldSchemas, type SchemaContext, targetSchemas } from "./pipeline-targets.js";
import { custom, jsonInt, strict } from "./schemas.js";

const bool = z.boolean({ error: bi("應為 true 或 false", "expected true or false") });

export function gateSchemas(ctx: SchemaContext) {
  const { check } = targetSchemas(ctx);
  const { envName } = fieldSchemas(ctx);
  const envNames = z.array(envName("STRIPE_SECRET_KEY"));
  const perEnv = <T extends z.ZodType>(s: T) => strict({ uat: s.optional(), prod: s.optional() });

  const checklist = strict({
    /** Not configured counts as a failure. */
    strict: bool.optional(),
    backup: check.optional(),
    monitoring: check.optional(),
    /** All tests passing: a check (or, when the system links a GitHub repo, the commit status). */
    tests: check.optional(),
    /** A scanner: fails on exit ≠ 0 or a last line with `critical=N high=N` above zero. */
    security: check.optional(),
    /** A command whose last stdout line says `spend=<n> limit=<n>`. */
    budget: check.optional(),
    secrets: strict({ check: check.optional(), requiredEnv: perEnv(envNames).optional() }).optional(),
    /** Distinct admins (not the reporter) who must have approved a bug before it goes to the environment. */
    approvals: perEnv(jsonInt(1, 10)).optional(),
  })
    .optional()
    .transform((c, issue) => {
      if (c?.budget && c.budget.type !== "command")
        custom(
          issue,
          ["budget"],
          bi(
            '應為指令（最後一行輸出 "spend=<n> limit=<n>"）',
            'expected a command (its last stdout line says "spend=<n> limit=<n>")',
          ),
        );
      const required = { uat: c?.secrets?.requiredEnv?.uat ?? [], prod: c?.secrets?.requiredEnv?.prod ?? [] };
      return {
        strict: c?.strict ?? false,
        backup: c?.backup ?? null,
        monitoring: c?.monitoring ?? null,
        tests: c?.tests ?? null,
        security: c?.security ?? null,
        budget: c?.budget ?? null,
        secrets: {
          check: c?.secrets?.check ?? null,
          requiredEnv: c?.secrets?.requiredEnv ? required : null,
          /** Names of `requiredEnv` not set (or empty) in the bot's environment, read at load. */
          missingEnv: {
            uat: required.uat.filter((n) => !ctx.env[n]),
            prod: required.prod.filter((n) => !ctx.env[n]),
          },
        },
        approvals: { uat: c?.approvals?.uat ?? null, prod: c?.approvals?.prod ?? null },
      };
    });

  const userIds = z.array(z.int({ error: ADMIN_IDS_ERROR }).positive({ error: ADMIN_IDS_ERROR }));
  const roles = strict({ cto: userIds.optional(), dba: userIds.optional() })
    .optional()
    .transform((r) => ({ cto: r?.cto ?? [], dba: r?.dba ?? [] }));

  return { checklist, roles };
}

type GateSchemas = ReturnType<typeof gateSchemas>;
export type ChecklistConfig = z.output<GateSchemas["checklist"]>;
export type RolesConfig = z.output<GateSchemas["roles"]>;

/** The system schema's fields for the gates (spread into its shape). */
export const gateFields = (ctx: SchemaContext) => gateSchemas(ctx);

/** A system built from env (no PIPELINE_CONFIG): nothing configured. */
export const defaultGates = (): { checklist: ChecklistConfig; roles: RolesConfig } => ({
  checklist: {
    strict: false,
    backup: null,
    monitoring: null,
    tests: null,
    security: null,
    budget: null,
    secrets: { check: null, requiredEnv: null, missingEnv: { uat: [], prod: [] } },
    approvals: { uat: null, prod: null },
  },
  roles: { cto: [], dba: [] },
});
