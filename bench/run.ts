// npm run bench [-- --runs 5 --only approve,throughput,window,outbox,process --backend postgres,pglite --save]
// Runs every benchmark on a throwaway Postgres database (BENCH_DATABASE_URL's server) and on
// in-memory PGlite, takes the median of several runs of each figure, writes bench/results.json
// and prints a table. See docs/benchmarks.md.
import { writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { type ApproveRun, approveRun } from "./approve.js";
import { type Backend, type BackendFactory, median, medians, pgliteFactory, postgresFactory } from "./lib.js";
import { type OutboxRun, outboxRun } from "./outbox.js";
import { compileDist, type ProcessRun, processRun, type Runtime } from "./process.js";
import { type ThroughputRun, throughputRun } from "./throughput.js";
import { windowRun } from "./window.js";

const BENCHMARKS = ["approve", "throughput", "window", "outbox", "process"] as const;
type Name = (typeof BENCHMARKS)[number];
type BackendName = Backend["name"];
const WINDOW_SIZES = [100, 1000, 10_000] as const;

const { values: opts } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "outbox-runs": { type: "string", default: "1" },
    "process-runs": { type: "string", default: "3" },
    only: { type: "string", default: BENCHMARKS.join(",") },
    backend: { type: "string", default: "postgres,pglite" },
    // issue 15: bench/results.json (tracked) is written only when asked; else a file in the temp dir
    save: { type: "boolean", default: false },
  },
});
const runs = Number(opts.runs);
const only = new Set(opts.only.split(",") as Name[]);
const backends = opts.backend.split(",") as BackendName[];
const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/postgres";

interface Results {
  approve?: ApproveRun & { p99VsRaw: number; p50VsRaw: number };
  throughput?: ThroughputRun & {
    sequentialVsBare: number;
    concurrentVsBare: number;
    sequentialVsRaw: number;
    /** issue 15: runner polling ÷ webhook ×8 (≥ 1), ÷ raw SQL at 8 in flight (≥ 0.5) */
    polledVsWebhook: number;
    polledVsRaw: number;
  };
  /** growth: time ratio for 10× the bugs (100→1k, 1k→10k); linear ≈ 10, fixed costs make it less. */
  window?: { ms: Record<string, number>; usPerBug: Record<string, number>; growth: { to1k: number; to10k: number } };
  outbox?: OutboxRun & { runs: number };
  process?: Partial<Record<Runtime, ProcessRun>>;
  errors?: Partial<Record<Name, string>>;
}

const log = (...parts: unknown[]) => process.stderr.write(`${parts.join(" ")}\n`);

async function repeat<T>(label: string, n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    out.push(await fn(i));
    log(`  ${label} ${i + 1}/${n} ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  return out;
}

async function inProcess(factory: BackendFactory, results: Results): Promise<void> {
  const backend = await factory.open();
  const attempt = async (name: Name, fn: () => Promise<void>) => {
    if (!only.has(name)) return;
    try {
      await fn();
    } catch (error) {
      log(`  ${name} on ${factory.name} failed: ${error instanceof Error ? error.stack : String(error)}`);
      results.errors = { ...results.errors, [name]: String(error instanceof Error ? error.message : error) };
    }
  };
  try {
    await attempt("approve", async () => {
      const m = medians(await repeat(`approve/${factory.name}`, runs, () => approveRun(backend)));
      results.approve = { ...m, p99VsRaw: m.stackP99 / m.rawP99, p50VsRaw: m.stackP50 / m.rawP50 };
    });
    await attempt("throughput", async () => {
      const m = medians(await repeat(`throughput/${factory.name}`, runs, () => throughputRun(backend)));
      results.throughput = {
        ...m,
        sequentialVsBare: m.stackSequential / m.bareSequential,
        concurrentVsBare: m.stackConcurrent / m.bareConcurrent,
        sequentialVsRaw: m.stackSequential / m.rawSequential,
        polledVsWebhook: m.stackPolled / m.stackConcurrent,
        polledVsRaw: m.stackPolled / m.rawConcurrent,
      };
    });
    await attempt("window", async () => {
      const ms: Record<string, number> = {};
      for (const n of WINDOW_SIZES) {
        ms[n] = median(await repeat(`window ${n}/${factory.name}`, runs, () => windowRun(backend, n)));
      }
      const usPerBug = Object.fromEntries(WINDOW_SIZES.map((n) => [n, (ms[n]! * 1000) / n]));
      results.window = { ms, usPerBug, growth: { to1k: ms[1000]! / ms[100]!, to10k: ms[10_000]! / ms[1000]! } };
    });
    await attempt("outbox", async () => {
      const n = Number(opts["outbox-runs"]);
      const m = medians(await repeat(`outbox/${factory.name}`, n, () => outboxRun(backend)));
      results.outbox = { ...m, runs: n };
    });
  } finally {
    await backend.close();
  }
}

async function realProcess(factory: BackendFactory, dist: string, results: Results): Promise<void> {
  results.process = {};
  // tsx vs compiled matters for the RSS target, which is on Postgres; PGlite runs as npm start does
  const runtimes: Runtime[] = factory.name === "postgres" ? ["tsx", "dist"] : ["tsx"];
  for (const runtime of runtimes) {
    try {
      const reset = async () => {
        if (!factory.url) return;
        const b = await factory.open(); // opening truncates
        await b.close();
      };
      const one = async () => {
        await reset();
        // PGlite: a new data dir each run, as a first `npm start` (issue 15; was memory://)
        return processRun(runtime, factory.url ?? null, dist);
      };
      const n = Number(opts["process-runs"]);
      results.process[runtime] = medians(await repeat(`process ${runtime}/${factory.name}`, n, one));
    } catch (error) {
      log(`  process ${runtime} on ${factory.name} failed: ${error instanceof Error ? error.stack : String(error)}`);
      results.errors = { ...results.errors, process: String(error instanceof Error ? error.message : error) };
    }
  }
}

// ---------- report ----------

interface Target {
  target: string;
  backend: BackendName;
  value: string;
  met: boolean;
}

function targets(all: Partial<Record<BackendName, Results>>): Target[] {
  const out: Target[] = [];
  for (const backend of backends) {
    const r = all[backend];
    if (!r) continue;
    const add = (target: string, value: string, met: boolean) => out.push({ target, backend, value, met });
    if (r.approve)
      add("approve p99 ≤ 2× raw transaction p99", `${r.approve.p99VsRaw.toFixed(2)}×`, r.approve.p99VsRaw <= 2);
    if (r.throughput) {
      const t = r.throughput;
      add("throughput ≥ 0.5× bare grammY (polling)", `${t.sequentialVsBare.toFixed(3)}×`, t.sequentialVsBare >= 0.5);
      add("runner polling ≥ webhook ×8", `${t.polledVsWebhook.toFixed(2)}×`, t.polledVsWebhook >= 1);
      add("runner polling ≥ 0.5× raw SQL at 8 in flight", `${t.polledVsRaw.toFixed(3)}×`, t.polledVsRaw >= 0.5);
    }
    if (r.window) {
      const w = r.window;
      const ms = w.ms["10000"]!;
      add(
        "10,000-bug window < 2 s and linear",
        `${(ms / 1000).toFixed(2)} s, ×${w.growth.to10k.toFixed(1)} for 10× the bugs`,
        ms < 2000 && w.growth.to10k <= 12,
      );
    }
    if (r.outbox) {
      const o = r.outbox;
      add(
        "outbox ≥ 90% of 30/s with 0 × 429",
        `${(o.ofCeiling * 100).toFixed(0)}%, ${o.refused429} × 429`,
        o.ofCeiling >= 0.9 && o.refused429 === 0,
      );
    }
    if (backend === "postgres" && r.process?.tsx) {
      const tsx = r.process.tsx.idleRssMb;
      const dist = r.process.dist?.idleRssMb;
      add(
        "idle RSS < 120 MB on Postgres (npm start = tsx)",
        `${tsx.toFixed(0)} MB${dist ? ` (compiled: ${dist.toFixed(0)} MB)` : ""}`,
        tsx < 120,
      );
    }
    if (backend === "pglite" && r.process?.tsx) {
      const tsx = r.process.tsx.idleRssMb;
      add("idle RSS ≤ 350 MB on PGlite (npm start = tsx)", `${tsx.toFixed(0)} MB`, tsx <= 350);
    }
  }
  return out;
}

const f = (x: number | undefined, digits = 1) => (x === undefined ? "—" : x.toFixed(digits));

function table(all: Partial<Record<BackendName, Results>>): string {
  const rows: [string, (r: Results) => string][] = [
    ["approve p50 ms: stack / raw tx / bare grammY", (r) => trio(r.approve, "P50", 2)],
    ["approve p99 ms: stack / raw tx / bare grammY", (r) => trio(r.approve, "P99", 2)],
    ["approve p99 ÷ raw p99 (target ≤ 2)", (r) => `${f(r.approve?.p99VsRaw, 2)}×`],
    ["updates/s polling: stack / raw SQL / bare grammY", (r) => tp(r.throughput, "Sequential")],
    ["updates/s webhook ×8: stack / raw SQL / bare grammY", (r) => tp(r.throughput, "Concurrent")],
    ["stack ÷ bare grammY, polling (target ≥ 0.5)", (r) => `${f(r.throughput?.sequentialVsBare, 3)}×`],
    ["stack ÷ raw SQL, polling", (r) => `${f(r.throughput?.sequentialVsRaw, 3)}×`],
    ["updates/s runner polling, 8 sessions in flight", (r) => f(r.throughput?.stackPolled, 0)],
    ["runner polling ÷ webhook ×8 (target ≥ 1)", (r) => `${f(r.throughput?.polledVsWebhook, 2)}×`],
    ["runner polling ÷ raw SQL ×8 (target ≥ 0.5)", (r) => `${f(r.throughput?.polledVsRaw, 3)}×`],
    ...WINDOW_SIZES.map((n): [string, (r: Results) => string] => [
      `T2 window, ${n.toLocaleString("en")} bugs: ms (µs/bug)`,
      (r) => (r.window ? `${f(r.window.ms[n], 0)} (${f(r.window.usPerBug[n], 0)})` : "—"),
    ]),
    [
      "window growth for 10× bugs: 100→1k / 1k→10k",
      (r) => (r.window ? `×${f(r.window.growth.to1k)} / ×${f(r.window.growth.to10k)}` : "—"),
    ],
    [
      "outbox 1,000 msgs/50 chats: msgs/s (of 30/s)",
      (r) => (r.outbox ? `${f(r.outbox.perSecond)} (${f(r.outbox.ofCeiling * 100, 0)}%)` : "—"),
    ],
    ["outbox: 429s provoked (must be 0)", (r) => (r.outbox ? String(r.outbox.refused429) : "—")],
    ["start → ready ms: tsx / compiled", (r) => pair(r.process, "readyMs", 0)],
    ["RSS idle MB: tsx / compiled", (r) => pair(r.process, "idleRssMb", 0)],
    ["RSS after 300 updates MB: tsx / compiled", (r) => pair(r.process, "loadedRssMb", 0)],
  ];
  const header = ["figure", ...backends];
  const body = rows.map(([label, cell]) => [label, ...backends.map((b) => (all[b] ? cell(all[b]!) : "—"))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

const trio = (a: ApproveRun | undefined, p: "P50" | "P99", d: number) =>
  a ? `${f(a[`stack${p}`], d)} / ${f(a[`raw${p}`], d)} / ${f(a[`bare${p}`], d)}` : "—";
const tp = (t: ThroughputRun | undefined, mode: "Sequential" | "Concurrent") =>
  t ? `${f(t[`stack${mode}`], 0)} / ${f(t[`raw${mode}`], 0)} / ${f(t[`bare${mode}`], 0)}` : "—";
const pair = (p: Results["process"], key: keyof ProcessRun, d: number) =>
  p ? `${f(p.tsx?.[key], d)} / ${f(p.dist?.[key], d)}` : "—";

// ---------- main ----------

const started = Date.now();
const factories: BackendFactory[] = [];
let dropPostgres: (() => Promise<void>) | null = null;
let removeDist: (() => void) | null = null;
const all: Partial<Record<BackendName, Results>> = {};
let postgresVersion: string | null = null;
try {
  if (backends.includes("postgres")) {
    const pg = await postgresFactory(serverUrl);
    dropPostgres = pg.drop;
    factories.push(pg);
    const b = await pg.open();
    const [row] = (await b.db.execute(sql`show server_version`)) as unknown as { server_version: string }[];
    postgresVersion = row?.server_version ?? null;
    await b.close();
  }
  if (backends.includes("pglite")) factories.push(await pgliteFactory());
  for (const factory of factories) {
    log(`${factory.name}:`);
    all[factory.name] = {};
    await inProcess(factory, all[factory.name]!);
  }
  if (only.has("process")) {
    log("compiling src with tsc for the compiled comparison…");
    const dist = compileDist();
    removeDist = dist.remove;
    for (const factory of factories) await realProcess(factory, dist.dir, all[factory.name]!);
  }
} finally {
  removeDist?.();
  await dropPostgres?.();
}

const cpu = cpus();
const output = {
  machine: {
    node: process.version,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? "unknown",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    postgres: postgresVersion,
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
  },
  settings: {
    runs,
    outboxRuns: Number(opts["outbox-runs"]),
    processRuns: Number(opts["process-runs"]),
    only: [...only],
    backends,
  },
  results: all,
  targets: targets(all),
};
const resultsPath = opts.save
  ? new URL("./results.json", import.meta.url)
  : join(tmpdir(), `nightshift-bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(resultsPath, `${JSON.stringify(output, round, 2)}\n`);
log(`results: ${resultsPath}${opts.save ? "" : " (--save writes bench/results.json)"}`);

function round(_key: string, value: unknown) {
  return typeof value === "number" && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value;
}

console.log(`\nNightshift benchmarks — node ${process.version}, ${cpu.length} × ${output.machine.cpuModel}`);
console.log(
  `Postgres ${postgresVersion ?? "—"}; medians of ${runs} runs (outbox ${opts["outbox-runs"]}, process ${opts["process-runs"]})\n`,
);
console.log(table(all));
console.log("\nTargets:");
for (const t of output.targets) console.log(`  ${t.met ? "✓" : "✗"} ${t.target} — ${t.backend}: ${t.value}`);
const errors = Object.entries(all).flatMap(([b, r]) =>
  Object.entries(r?.errors ?? {}).map(([n, e]) => `${n}/${b}: ${e}`),
);
if (errors.length) {
  console.log(`\nFailed: ${errors.join("; ")}`);
  process.exitCode = 1;
}
