// The PIPELINE_CONFIG file: reading and parsing it, and the schema of a system (windows, services,
// environments with their watch, checklist, freeze rules). The runtime types (SystemConfig, EnvConfig,
// WatchConfig, …) are the zod output of these schemas; targets, checks and Prometheus are in
// ./pipeline-targets.ts, cross references (unique ids, dependsOn, cycles) in ./pipeline-refs.ts.
import { dirname } from "node:path";
import { z } from "zod";
import type { Env } from "../core/model.js";
import { normalizeModule, oneLine } from "../core/text.js";
import { ADMIN_IDS_ERROR, at, bi, CHAT_ID_ERROR, typeErrorMap } from "./messages.js";
import { freezePeriods } from "./pipeline-freeze.js";
import { gateFields } from "./pipeline-gates.js";
import { codeHostSchemas } from "./pipeline-github.js";
import { incidentEnvFields, incidentEnvValues } from "./pipeline-incidents.js";
import { crossCheck, isRecord } from "./pipeline-refs.js";
import { type Defaults, fieldSchemas, type SchemaContext, targetSchemas } from "./pipeline-targets.js";
import { versionSchemas } from "./pipeline-versions.js";
import { watchSchema } from "./pipeline-watch.js";
import { clock, custom, isHolidayRegion, jsonInt, minutesOf, strict, timeZone } from "./schemas.js";

/** The watch after a deploy when the file says nothing about it (per environment: see ./pipeline-watch.ts). */
export { defaultWatch } from "./pipeline-watch.js";

export function systemSchemas(ctx: SchemaContext) {
  const d = ctx.defaults;
  const { text, url } = fieldSchemas(ctx);
  const { target, check, prometheus } = targetSchemas(ctx);
  const { version } = versionSchemas(ctx); // issue 10
  const name = z.string().regex(/^[\w.-]{1,64}$/, {
    error: bi("應為 1–64 個 A-Z a-z 0-9 _ . - 字元", "expected 1–64 characters of A-Z a-z 0-9 _ . -"),
  });

  const watch = watchSchema("uat", d, { check, prometheus });
  // issue 12: each environment has its own watch defaults (PROD 30 minutes, UAT 10) and incident fields.
  const environmentOf = (env: Env) =>
    strict({
      url: url.optional(),
      deploy: target.optional(),
      rollback: target.optional(),
      health: check.optional(),
      watch: watchSchema(env, d, { check, prometheus }),
      version: version.optional(),
      ...incidentEnvFields(target),
    }).transform((e) => ({
      url: e.url ?? null,
      deploy: e.deploy ?? null,
      rollback: e.rollback ?? null,
      health: e.health ?? null,
      watch: e.watch,
      ...incidentEnvValues(e),
      ...(e.version ? { version: e.version } : {}),
    }));
  const environment = environmentOf("uat");
  const windows = strict({
    t1: clock.optional(),
    t2: clock.optional(),
    graceMinutes: jsonInt(0, 1440).optional(),
  }).transform((w, ctx) => {
    const r = {
      t1: w.t1 ?? d.windows.t1,
      t2: w.t2 ?? d.windows.t2,
      graceMinutes: w.graceMinutes ?? d.windows.graceMinutes,
    };
    if (minutesOf(r.t2) <= minutesOf(r.t1))
      custom(
        ctx,
        ["t2"],
        bi(
          `必須晚於同一天的 t1（${r.t1}）${w.t2 ? "" : `— t2 預設為 T2_TIME（${r.t2}）`}`,
          `must be later than t1 (${r.t1}) on the same day${w.t2 ? "" : ` — t2 defaults to T2_TIME (${r.t2})`}`,
        ),
      );
    return r;
  });

  const freeze = strict({
    holidays: z
      .string()
      .transform((s) => s.toUpperCase())
      .refine(isHolidayRegion, {
        error: bi(
          'date-holidays 不認得這個國家代碼 — 例如 "TW"（或 "US-CA"）',
          'expected a country code known to date-holidays, e.g. "TW" (or "US-CA")',
        ),
      })
      .optional(),
    lunarNewYear: z.boolean({ error: bi("應為 true 或 false", "expected true or false") }).optional(),
    monthEnd: strict({
      days: jsonInt(1, 10),
      modules: z
        .array(text)
        .min(1, { error: bi('至少列出一個模組，例如 ["financial"]', 'list at least one module, e.g. ["financial"]') }),
    }).optional(),
    periods: freezePeriods.optional(), // issue 12: planned freezes
  }).transform((f) => ({
    holidays: f.holidays ?? null,
    lunarNewYear: f.lunarNewYear ?? false,
    monthEnd: f.monthEnd ?? null,
    ...(f.periods?.length ? { periods: f.periods } : {}),
  }));
  const noFreeze = (): z.output<typeof freeze> => ({ holidays: null, lunarNewYear: false, monthEnd: null });

  const service = strict({ name, dependsOn: z.array(name).optional(), health: check.optional() }).transform((s) => ({
    name: s.name,
    dependsOn: s.dependsOn ?? [],
    health: s.health ?? null,
  }));

  const codeHost = codeHostSchemas(ctx); // issue 13: github, notify.slack
  const system = strict({
    ...codeHost.shape,
    id: z.string().regex(/^[a-z0-9_-]{1,32}$/, {
      error: bi("應為 1–32 個 a-z 0-9 _ - 字元，例如 crm", "expected 1–32 characters of a-z 0-9 _ -, e.g. crm"),
    }),
    name: text,
    groupChatId: z.int({ error: CHAT_ID_ERROR }).refine((n) => n !== 0, { error: CHAT_ID_ERROR }),
    timezone: timeZone.optional(),
    windows: windows.optional(),
    services: z.array(service).optional(),
    environments: strict({ uat: environment, prod: environmentOf("prod") }),
    ...gateFields(ctx), // issue 12: checklist, roles
    freeze: freeze.optional(),
    adminIds: z.array(z.int({ error: ADMIN_IDS_ERROR }).positive({ error: ADMIN_IDS_ERROR })).optional(),
    modules: z.array(text).optional(),
  }).transform((s) => ({
    id: s.id,
    name: s.name,
    groupChatId: s.groupChatId,
    timezone: s.timezone ?? d.timezone,
    windows: s.windows ?? d.windows,
    services: s.services ?? [],
    environments: s.environments,
    checklist: s.checklist,
    roles: s.roles,
    freeze: s.freeze ?? noFreeze(),
    /** Admins of this system only, beside the global ADMIN_IDS. */
    ...(s.adminIds ? { adminIds: s.adminIds } : {}),
    /** Module names the system declares (bugs add theirs); normalized. */
    ...(s.modules ? { modules: [...new Set(s.modules.map(normalizeModule).filter(Boolean))] } : {}),
    ...codeHost.values(s),
  }));

  const file = strict({
    systems: z.array(system).min(1, { error: bi("至少列出一個系統", "list at least one system") }),
  });
  return { watch, environment, windows, freeze, service, system, file };
}

type SystemSchemas = ReturnType<typeof systemSchemas>;
export type WatchConfig = z.output<SystemSchemas["watch"]>;
export type EnvConfig = z.output<SystemSchemas["environment"]>;
type LoadedService = z.output<SystemSchemas["service"]>;
/** As loaded, `health` is always there (null when unset); systems built by hand (tests) may leave it out. */
export type ServiceConfig = Omit<LoadedService, "health"> & Partial<Pick<LoadedService, "health">>;
export type WindowsConfig = z.output<SystemSchemas["windows"]>;
export type SystemFreezeConfig = z.output<SystemSchemas["freeze"]>;
export type SystemConfig = Omit<z.output<SystemSchemas["system"]>, "services"> & { services: ServiceConfig[] };

export interface FileContext {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
  defaults: Defaults;
  problems: string[];
}

/** Reads, parses and validates the file; every problem goes to ctx.problems (then the result is not used). */
export function loadPipelineFile(file: string, ctx: FileContext): SystemConfig[] {
  const json = readJson(file, ctx);
  if (json === undefined) return [];
  const schemas = systemSchemas({
    env: ctx.env,
    defaults: ctx.defaults,
    base: dirname(file),
    withheld: envNamesIn(json),
  });
  const r = schemas.file.safeParse(json, { reportInput: true, error: typeErrorMap });
  for (const iss of r.error?.issues ?? [])
    if (iss.code === "unrecognized_keys")
      for (const key of iss.keys) ctx.problems.push(at([...iss.path, key]) + iss.message);
    else ctx.problems.push(at(iss.path) + iss.message);
  crossCheck(json, (path, message) => ctx.problems.push(at(path) + message));
  return r.data?.systems ?? [];
}

/** The file's JSON, or undefined after reporting why it cannot be read or parsed. */
function readJson(file: string, ctx: FileContext): unknown {
  let text: string;
  try {
    text = ctx.readFile(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : oneLine(err.message);
    ctx.problems.push(
      `PIPELINE_CONFIG: ${bi(
        `無法讀取 ${file}（${err.code === "ENOENT" ? "檔案不存在" : why}）— 相對路徑以工作目錄為準`,
        `cannot read ${file} (${why}) — relative paths resolve against the working directory`,
      )}`,
    );
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const pos = Number(/at position (\d+)/.exec(String(e))?.[1] ?? Number.NaN);
    const where = Number.isNaN(pos)
      ? ""
      : ` at line ${text.slice(0, pos).split("\n").length}, column ${pos - text.lastIndexOf("\n", pos - 1)}`;
    const detail = (e as Error).message.replace(/\s+/g, " ").slice(0, 200);
    const zhWhere = Number.isNaN(pos)
      ? ""
      : `（第 ${text.slice(0, pos).split("\n").length} 行第 ${pos - text.lastIndexOf("\n", pos - 1)} 欄）`;
    ctx.problems.push(
      `PIPELINE_CONFIG: ${bi(`${file} 不是有效的 JSON${zhWhere}`, `${file} is not valid JSON${where} — ${detail}`)}`,
    );
    return undefined;
  }
}

/** Every env variable named in the file (`secretEnv`, `authorizationEnv`, any key ending in `Env`). */
export function envNamesIn(json: unknown): string[] {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (isRecord(v))
      for (const [k, x] of Object.entries(v)) {
        if (/Env$/.test(k) && typeof x === "string" && x) names.add(x);
        else walk(x);
      }
  };
  walk(json);
  return [...names].sort();
}
