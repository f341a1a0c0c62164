// `environments.<env>.version` of PIPELINE_CONFIG: how to read the version an environment runs.
//   { "http": url, "json"?: "dot.path", "timeoutSeconds"?: n }   GET, no redirects; the JSON value at
//                                                                the dot path, else the trimmed body
//   { "command": [argv…], "timeoutSeconds"?: n }                 no shell; last stdout line `version=<v>`,
//                                                                else the trimmed stdout
//   { "vercel" | "wrangler" | "northflank" | "ssh" | "compose": {…} }  the platform's own answer
//                                                                (adapters/deploy/providers/version.ts)
// A union by key: more kinds (platform providers) join as one more branch of `probeKinds` below and
// one more case of adapters/versions/read-version.ts.
import { z } from "zod";
import { bi, typeErrorMap, URL_ERROR, URL_FIX } from "./messages.js";
import { PROVIDER_KINDS, type ProviderTarget, providerVersionSchema } from "./pipeline-providers.js";
import { fieldSchemas, type SchemaContext } from "./pipeline-targets.js";
import { custom, jsonInt, plainUrl, strict } from "./schemas.js";

/** Seconds a version read may take when the file does not say (as checks). */
export const VERSION_TIMEOUT_SECONDS = 30;

const DOT_PATH = /^[^.\s]+(\.[^.\s]+)*$/;

export function versionSchemas(ctx: SchemaContext) {
  const { argv } = fieldSchemas(ctx);
  const timeoutSeconds = jsonInt(1, 3600).optional();
  const withheld = ctx.withheld.length > 0 ? { withheldEnv: ctx.withheld } : {};
  const http = strict({
    http: plainUrl(URL_ERROR, URL_FIX),
    json: z
      .string()
      .regex(DOT_PATH, {
        error: bi(
          '應為 JSON 的點路徑，例如 "version" 或 "build.version"',
          'expected a JSON dot path, e.g. "version" or "build.version"',
        ),
      })
      .optional(),
    timeoutSeconds,
  }).transform((v) => ({
    type: "http" as const,
    url: v.http,
    json: v.json ?? null,
    timeoutSeconds: v.timeoutSeconds ?? VERSION_TIMEOUT_SECONDS,
  }));
  const command = strict({ command: argv, timeoutSeconds }).transform((v) => ({
    type: "command" as const,
    command: v.command,
    timeoutSeconds: v.timeoutSeconds ?? VERSION_TIMEOUT_SECONDS,
    ...withheld,
  }));
  // issue 11: a platform says what it runs (`{ "vercel": {…} }`, …): see config/pipeline-providers.ts
  const provider = providerVersionSchema(ctx).transform((target) => ({ type: "provider" as const, target }));
  const providers = Object.fromEntries(PROVIDER_KINDS.map((k) => [k, provider])) as Record<
    (typeof PROVIDER_KINDS)[number],
    typeof provider
  >;
  /** The kinds, by the key that names them. */
  const probeKinds = { http, command, ...providers } as const;
  const version = z.unknown().transform((v, c) => {
    const keys = v !== null && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : [];
    const kinds = keys.filter((k): k is keyof typeof probeKinds => k in probeKinds);
    if (kinds.length !== 1) {
      custom(
        c,
        [],
        bi(
          '應為 { "http": 網址, "json"?: "點路徑" }、{ "command": [argv…] } 或一個平台（vercel、wrangler、northflank、ssh、compose）其中之一',
          'expected exactly one of { "http": url, "json"?: "dot.path" }, { "command": [argv…] } or a platform (vercel, wrangler, northflank, ssh, compose)',
        ),
      );
      return z.NEVER;
    }
    const r = probeKinds[kinds[0]!].safeParse(v, { error: typeErrorMap });
    if (r.success) return r.data as VersionProbe;
    for (const iss of r.error.issues)
      if (iss.code === "unrecognized_keys") for (const key of iss.keys) custom(c, [...iss.path, key], iss.message);
      else custom(c, iss.path, iss.message);
    return z.NEVER;
  });
  return { version };
}

/** How to read an environment's running version. */
export type VersionProbe =
  | { type: "http"; url: string; json: string | null; timeoutSeconds: number }
  | { type: "command"; command: string[]; timeoutSeconds: number; withheldEnv?: string[] }
  | { type: "provider"; target: ProviderTarget };

/** `UAT_VERSION_URL` / `PROD_VERSION_URL` (env-only setups): the trimmed body of a GET. */
export const envVersionProbe = (url: string | null): VersionProbe | null =>
  url === null ? null : { type: "http", url, json: null, timeoutSeconds: VERSION_TIMEOUT_SECONDS };
