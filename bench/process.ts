// The real process (`node --import tsx src/main.ts`, as `npm start` runs it; and the same code
// compiled by tsc, for comparison) in polling mode against the fake Bot API over HTTP: time from
// spawn to its "ready" log line, RSS when idle, and RSS after it has handled a load of updates.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Update } from "grammy/types";
import { encodeChoice } from "../src/core/callback-data.js";
import { createFakeBotApi, serveFakeBotApi } from "../src/sandbox/fake-bot-api.js";
import { ADMIN, GROUP, pressUpdate, TOKEN, textUpdate } from "./lib.js";

export type Runtime = "tsx" | "dist";

export interface ProcessRun {
  readyMs: number;
  idleRssMb: number;
  loadedRssMb: number;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const IDLE_SETTLE_MS = 2000;

/** Compiles src with tsc into a temporary folder that resolves node_modules and migrations like the repo. */
export function compileDist(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "nightshift-dist-"));
  const tsconfig = join(dir, "tsconfig.json");
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, "tsconfig.json"),
      compilerOptions: {
        noEmit: false,
        outDir: dir,
        rootDir: ROOT,
        typeRoots: [join(ROOT, "node_modules/@types")],
        sourceMap: false,
        incremental: false,
      },
      include: [join(ROOT, "src"), join(ROOT, "drizzle")],
    }),
  );
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", tsconfig], { stdio: "inherit" });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  symlinkSync(join(ROOT, "migrations"), join(dir, "migrations"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A load of 30 updates a round: 3 /report conversations in the group, /bugs and its next page for the admin, /status. */
function load(rounds: number): Update[] {
  const out: Update[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < 3; k++) {
      const u = { id: 3000 + r * 3 + k, first_name: `Member ${r * 3 + k}` };
      let question = 0; // each member's question is a message of its own (no identical edits)
      const press = (step: string, value: string) =>
        pressUpdate(encodeChoice({ flow: "report", step, value }), u, {
          chatId: GROUP,
          messageId: u.id * 10 + ++question,
          text: "?",
        });
      out.push(
        textUpdate("/report", u, GROUP),
        textUpdate(`Checkout fails for ${u.first_name}`, u, GROUP),
        textUpdate("Paying with a card shows a blank page", u, GROUP),
        press("env", "prod"),
        press("sev", "low"),
        textUpdate("-", u, GROUP),
        press("ok", "yes"),
      );
    }
    out.push(
      textUpdate("/bugs", ADMIN, ADMIN.id),
      textUpdate("/status", ADMIN, GROUP),
      textUpdate("/bugs submitted", ADMIN, ADMIN.id),
      textUpdate("/status", ADMIN, ADMIN.id),
      textUpdate("/help", ADMIN, ADMIN.id),
      textUpdate("/bugs", ADMIN, GROUP),
      textUpdate("/status", ADMIN, GROUP),
      textUpdate("/oncall", ADMIN, GROUP),
      textUpdate("/bugs closed", ADMIN, ADMIN.id),
    );
  }
  return out;
}

export async function processRun(
  runtime: Runtime,
  /** null: PGlite in a new data dir (PGLITE_DIR), as `npm start` without DATABASE_URL runs it */
  databaseUrl: string | null,
  distDir: string | null,
  rounds = 10,
): Promise<ProcessRun> {
  const pgliteDir = databaseUrl === null ? mkdtempSync(join(tmpdir(), "nightshift-bench-pglite-")) : null;
  const api = createFakeBotApi();
  let confirmed = 0; // the highest update_id the bot has confirmed (getUpdates offset − 1)
  const observed = {
    ...api,
    fetch: (async (url: string | URL | Request, init?: RequestInit) => {
      if (String(url).endsWith("/getUpdates") && init?.body) {
        confirmed = Math.max(confirmed, Number(JSON.parse(String(init.body)).offset ?? 0) - 1);
      }
      return api.fetch(url, init);
    }) as typeof globalThis.fetch,
  };
  const server = await serveFakeBotApi(observed);
  const args = runtime === "tsx" ? ["--import", "tsx", "src/main.ts"] : [join(distDir!, "src/main.js")];
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      BOT_TOKEN: TOKEN,
      ...(pgliteDir ? { PGLITE_DIR: pgliteDir } : { DATABASE_URL: databaseUrl! }),
      GROUP_CHAT_ID: String(GROUP),
      ADMIN_IDS: String(ADMIN.id),
      TELEGRAM_API_ROOT: server.url,
      PORT: "0",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const ready = new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (/"msg":"ready/.test(output)) resolve(performance.now() - started);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`bot exited (${code}) before ready:\n${output.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`bot not ready in 180 s:\n${output.slice(-2000)}`)), 180_000);
  });
  try {
    const readyMs = await ready;
    await sleep(IDLE_SETTLE_MS);
    const idleRssMb = rssMb(child.pid!);
    const updates = load(rounds).map((u) => api.pushUpdate(u));
    const last = updates.at(-1)!.update_id;
    const deadline = Date.now() + 180_000; // a loaded, shared machine
    while (confirmed < last) {
      if (Date.now() > deadline)
        throw new Error(`bot handled ${confirmed}/${last} updates in 60 s:\n${output.slice(-2000)}`);
      await sleep(50);
    }
    const created = api.of("sendMessage").filter((c) => /#\d+/.test(String(c.payload.text ?? ""))).length;
    if (created === 0 || api.errors().length) {
      throw new Error(`bot answered wrongly: ${JSON.stringify(api.errors().slice(0, 3))}\n${output.slice(-2000)}`);
    }
    return { readyMs, idleRssMb, loadedRssMb: rssMb(child.pid!) };
  } finally {
    // nothing is measured after this: no need to wait for a graceful stop
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
    await server.close();
    if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
  }
}
