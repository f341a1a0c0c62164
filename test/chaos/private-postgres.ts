// A throwaway Postgres server of its own (initdb + pg_ctl in a temp dir, on a free port) that a
// drill may stop and start without touching the machine's shared server. As root the server runs
// as the `postgres` OS user (runuser). It is removed by destroy() and, failing that, at process exit.
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): void;
}

/** The newest installed server binaries (Debian layout), else pg_config's. */
function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return join(root, versions[0], "bin");
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    if (existsSync(join(dir, "initdb"))) return dir;
  } catch {}
  throw new Error("drill 4 needs the Postgres server binaries (initdb, pg_ctl): install postgresql");
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "nightshift-chaos-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const [uid, gid] = ["-u", "-g"].map((flag) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" })));
    chownSync(dir, uid!, gid!);
  }
  const argv = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]] : [join(bin, tool), args];
  const run = (tool: string, args: string[]) => execFileSync(...argv(tool, args), { stdio: "pipe" });
  // async, so the drill's own servers (the fake Bot API) keep answering meanwhile
  const runAsync = async (tool: string, args: string[]) => void (await promisify(execFile)(...argv(tool, args)));
  const data = join(dir, "data");
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;

  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    process.off("exit", destroy);
    try {
      run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", destroy);
  try {
    run("initdb", ["-D", data, "-A", "trust", "-U", "root", "--no-sync", "-E", "UTF8"]);
    run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    url: `postgres://root@127.0.0.1:${port}/postgres`,
    // fast: active sessions are terminated (57P01), as when the server is shut down under the bot
    stop: () => runAsync("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]),
    start: () => runAsync("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]),
    destroy,
  };
}
