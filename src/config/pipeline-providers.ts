// issue 11 — built-in platform targets beside `command`/`webhook`: `vercel`, `wrangler` (Cloudflare
// Workers), `northflank`, `ssh` (a VPS) and `compose` (Docker Compose on the bot's host). Each is one
// key of a deploy/rollback target (`{ "vercel": {…}, "timeoutSeconds"?: n }`). Tokens are read from the
// env variable named by `tokenEnv` here, at load, so the adapters get values and nothing else looks
// them up. Paths on this machine resolve against the config file's folder; the remote `ssh.dir` must be
// absolute. See docs/platforms.md.
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { bi, URL_ERROR, URL_FIX } from "./messages.js";
import { custom, isLoopbackUrl, jsonInt, plainUrl, strict } from "./schemas.js";

/** The provider kinds, in the order a target is checked for them. */
export const PROVIDER_KINDS = ["vercel", "wrangler", "northflank", "ssh", "compose"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

interface ProviderContext {
  env: Record<string, string | undefined>;
  base: string;
  withheld: string[];
}

type Issues = { issues: z.core.$ZodRawIssue[] };

const text = z
  .string()
  .trim()
  .min(1, { error: bi("不可為空", "must not be empty") });
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: bi("應為環境變數名稱，例如 VERCEL_TOKEN", "expected an env variable name, e.g. VERCEL_TOKEN"),
});
/** A git ref or branch: no leading `-`, no spaces, no `..`: it is passed as one argument. */
export const GIT_REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;
const gitRef = z.string().regex(GIT_REF, {
  error: bi(
    "應為 git 分支、標籤或提交（A-Z a-z 0-9 . _ / -，不可以 - 開頭）",
    "expected a git branch, tag or commit (A-Z a-z 0-9 . _ / -, not starting with -)",
  ),
});
/** Provider ids (Vercel project/team, Northflank project/service): letters, digits, `_`, `-`, `.`. */
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
  error: bi("應為 1–128 個 A-Z a-z 0-9 . _ - 字元", "expected 1–128 characters of A-Z a-z 0-9 . _ -"),
});
const repo = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
  error: bi('應為 "組織/儲存庫"，例如 "acme/web"', 'expected "org/name", e.g. "acme/web"'),
});
const apiRoot = plainUrl(URL_ERROR, URL_FIX).refine((u) => u.startsWith("https:") || isLoopbackUrl(u), {
  error: bi(
    "apiRoot 應為 https://（權杖會隨請求送出），本機測試可用 http://127.0.0.1",
    "apiRoot must be https:// (the token travels with every request); http://127.0.0.1 is fine for tests",
  ),
});
const pollSeconds = z
  .number({ error: bi("應為 0–300 的秒數", "expected seconds between 0 and 300") })
  .min(0, { error: bi("應為 0–300 的秒數", "expected seconds between 0 and 300") })
  .max(300, { error: bi("應為 0–300 的秒數", "expected seconds between 0 and 300") });
/** A remote path for the fixed script: absolute, no spaces or shell characters. */
const remoteDir = z.string().regex(/^\/[A-Za-z0-9._/-]*$/, {
  error: bi(
    "應為絕對路徑，只含 A-Z a-z 0-9 . _ / -（例如 /srv/app）",
    "expected an absolute path of A-Z a-z 0-9 . _ / - (e.g. /srv/app)",
  ),
});
const restart = z
  .string()
  .regex(/^(compose|systemd:[A-Za-z0-9@._-]{1,200})$/, {
    error: bi('應為 "compose" 或 "systemd:<單元名稱>"', 'expected "compose" or "systemd:<unit>"'),
  })
  .transform((r) =>
    r === "compose" ? { kind: "compose" as const } : { kind: "systemd" as const, unit: r.slice("systemd:".length) },
  );
/** `deploy@vps.example.com`, `vps.example.com`, `deploy@10.0.0.5`: one ssh destination, never an option. */
export function sshHostProblem(host: string): [string, string] | null {
  if (/\s/.test(host)) return ["不可含空白", "must not contain spaces"];
  if (host.startsWith("-"))
    return ["不可以 - 開頭（會被當成 ssh 選項）", "must not start with - (ssh would read it as an option)"];
  if (!/^([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+$/.test(host))
    return ['應為 "使用者@主機" 或 "主機"', 'expected "user@host" or "host"'];
  return null;
}

export function providerSchemas({ env, base, withheld }: ProviderContext) {
  const local = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  /** The token named by `tokenEnv`, read now; a problem on `tokenEnv` when unset. */
  const token = (ctx: Issues, name: string): string => {
    const value = env[name];
    if (!value)
      custom(
        ctx,
        ["tokenEnv"],
        bi(
          `環境變數 ${name} 未設定 — 請 export 它或修改 tokenEnv`,
          `env ${name} is not set — export it or change tokenEnv`,
        ),
      );
    return value ?? "";
  };
  const withheldEnv = withheld.length > 0 ? { withheldEnv: withheld } : {};

  const vercel = strict({
    project: id,
    tokenEnv: envName,
    teamId: id.optional(),
    repo,
    ref: gitRef,
    apiRoot: apiRoot.optional(),
    pollSeconds: pollSeconds.optional(),
  }).transform((v, ctx) => ({
    type: "vercel" as const,
    project: v.project,
    tokenEnv: v.tokenEnv,
    token: token(ctx, v.tokenEnv),
    teamId: v.teamId ?? null,
    repo: v.repo,
    ref: v.ref,
    apiRoot: (v.apiRoot ?? "https://api.vercel.com").replace(/\/+$/, ""),
    pollSeconds: v.pollSeconds ?? 5,
  }));

  const wrangler = strict({
    dir: text,
    env: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: bi("應為 wrangler 環境名稱", "expected a wrangler environment name") })
      .optional(),
    bin: z
      .array(text)
      .min(1, {
        error: bi('應為非空的 argv 陣列，例如 ["npx", "wrangler"]', 'expected an argv array, e.g. ["npx", "wrangler"]'),
      })
      .optional(),
  }).transform((w) => ({
    type: "wrangler" as const,
    dir: local(w.dir),
    env: w.env ?? null,
    bin: (w.bin ?? ["wrangler"]).map((a, i) => (i === 0 && a.includes("/") ? local(a) : a)),
    ...withheldEnv,
  }));

  const northflank = strict({
    project: id,
    service: id,
    tokenEnv: envName,
    branch: gitRef.optional(),
    apiRoot: apiRoot.optional(),
    pollSeconds: pollSeconds.optional(),
  }).transform((n, ctx) => ({
    type: "northflank" as const,
    project: n.project,
    service: n.service,
    tokenEnv: n.tokenEnv,
    token: token(ctx, n.tokenEnv),
    branch: n.branch ?? null,
    apiRoot: (n.apiRoot ?? "https://api.northflank.com").replace(/\/+$/, ""),
    pollSeconds: n.pollSeconds ?? 10,
  }));

  const hostShape = {
    dir: remoteDir,
    /** The branch deployed when the release has no tag of its own (default main). */
    ref: gitRef.optional(),
    restart,
    migrateDown: text.optional(),
    migrationsDir: z
      .string()
      .regex(/^(?!-)[A-Za-z0-9._/-]{1,200}$/, {
        error: bi("應為儲存庫內的相對路徑，例如 migrations", "expected a path inside the repository, e.g. migrations"),
      })
      .optional(),
  };
  const hostFields = (h: {
    ref?: string | undefined;
    migrateDown?: string | undefined;
    migrationsDir?: string | undefined;
  }) => ({
    ref: h.ref ?? "main",
    migrateDown: h.migrateDown ?? null,
    migrationsDir: h.migrationsDir ?? "migrations",
    ...withheldEnv,
  });

  const ssh = strict({
    host: z.string().superRefine((h, ctx) => {
      const p = sshHostProblem(h);
      if (p) ctx.addIssue({ code: "custom", message: bi(...p) });
    }),
    port: jsonInt(1, 65_535).optional(),
    identityFile: text.optional(),
    knownHosts: text.optional(),
    ...hostShape,
  }).transform((s) => ({
    type: "ssh" as const,
    host: s.host,
    port: s.port ?? 22,
    dir: s.dir,
    restart: s.restart,
    identityFile: s.identityFile ? local(s.identityFile) : null,
    knownHosts: s.knownHosts ? local(s.knownHosts) : null,
    ...hostFields(s),
  }));

  const compose = strict({ ...hostShape, dir: text }).transform((c) => ({
    type: "compose" as const,
    dir: local(c.dir),
    restart: c.restart,
    ...hostFields(c),
  }));

  return { vercel, wrangler, northflank, ssh, compose };
}

type Schemas = ReturnType<typeof providerSchemas>;
export type ProviderTarget = { [K in ProviderKind]: z.output<Schemas[K]> & { timeoutSeconds: number } }[ProviderKind];

/** Default timeouts: Northflank builds take 5–10 minutes (20 by default), others 15. */
export const providerTimeout = (kind: ProviderKind): number => (kind === "northflank" ? 1200 : 900);

/** The pipeline-targets hook: the target's shape keys for each provider (all optional). */
export function providerShape(ctx: ProviderContext) {
  const s = providerSchemas(ctx);
  return {
    vercel: s.vercel.optional(),
    wrangler: s.wrangler.optional(),
    northflank: s.northflank.optional(),
    ssh: s.ssh.optional(),
    compose: s.compose.optional(),
  };
}

/**
 * The pipeline-targets hook: a target naming one provider becomes that provider's target; null when it
 * names none (a command/webhook target). Other keys beside a provider (except timeoutSeconds) are errors.
 */
export function providerTarget(
  t: Record<string, unknown> & { timeoutSeconds?: number | undefined },
  ctx: Issues,
): ProviderTarget | null | typeof z.NEVER {
  const named = PROVIDER_KINDS.filter((k) => t[k] !== undefined);
  if (named.length === 0) return null;
  const others = Object.keys(t).filter(
    (k) => t[k] !== undefined && k !== "timeoutSeconds" && !(PROVIDER_KINDS as readonly string[]).includes(k),
  );
  if (named.length > 1 || others.length > 0) {
    custom(
      ctx,
      [],
      bi(
        `一個目標只能是一種：${[...named, ...others].join("、")} 擇一`,
        `a target is exactly one kind: pick one of ${[...named, ...others].join(", ")}`,
      ),
    );
    return z.NEVER;
  }
  const kind = named[0]!;
  return { ...(t[kind] as object), timeoutSeconds: t.timeoutSeconds ?? providerTimeout(kind) } as ProviderTarget;
}

/** A provider as an environment's `version` probe (issue 10): `{ "vercel": {…} }` etc. */
export function providerVersionSchema(ctx: ProviderContext) {
  const s = providerSchemas(ctx);
  return z.union([
    strict({ vercel: s.vercel }).transform((v) => ({ ...v.vercel, timeoutSeconds: 30 })),
    strict({ wrangler: s.wrangler }).transform((v) => ({ ...v.wrangler, timeoutSeconds: 60 })),
    strict({ northflank: s.northflank }).transform((v) => ({ ...v.northflank, timeoutSeconds: 30 })),
    strict({ ssh: s.ssh }).transform((v) => ({ ...v.ssh, timeoutSeconds: 30 })),
    strict({ compose: s.compose }).transform((v) => ({ ...v.compose, timeoutSeconds: 30 })),
  ]);
}
