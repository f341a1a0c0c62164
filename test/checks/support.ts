// Helpers for the process tests: fixture paths, a zombie-aware liveness probe, and a cleanup that
// kills whatever pid a test recorded (so a failing test leaves nothing behind either).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config.js";

export const CHECK_FIXTURES = fileURLToPath(new URL("../fixtures/checks/", import.meta.url));
export const checkScript = (name: string) => join(CHECK_FIXTURES, name);

/** `kill -0 pid` that also treats a zombie (dead, not yet reaped by its new parent) as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is gone within `withinMs`. A group killed at the command's exit dies at once, but the
 * helper's pipe closes a moment before the kernel shows it dead: poll briefly instead of racing that.
 */
export async function goneWithin(pid: number, withinMs = 10_000): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (alive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Pids recorded in files by the fixtures; `cleanup()` SIGKILLs any still there. */
export function recordedPids() {
  const files: string[] = [];
  const read = (file: string) => Number(readFileSync(file, "utf8").trim());
  return {
    track: (file: string) => {
      files.push(file);
      return file;
    },
    read,
    cleanup: () => {
      for (const file of files.splice(0)) {
        if (!existsSync(file)) continue;
        try {
          process.kill(read(file), "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}

export const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

/**
 * A PIPELINE_CONFIG with a command deploy target on UAT, a webhook on PROD (secretEnv PROD_HOOK),
 * an http monitoring check with authorizationEnv STATUS_AUTH and the given command checks.
 */
export function pipelineWithSecrets(
  argv: { deploy: string[]; backup: string[]; smoke: string[] },
  env: Record<string, string>,
) {
  const json = {
    systems: [
      {
        id: "crm",
        name: "CRM",
        groupChatId: -100123,
        environments: {
          uat: { deploy: { command: argv.deploy }, watch: { smoke: { command: argv.smoke } } },
          prod: { deploy: { webhook: "https://deploy.example.com/hooks/prod", secretEnv: "PROD_HOOK" } },
        },
        checklist: {
          backup: { command: argv.backup },
          monitoring: { http: "https://status.example.com/ready", authorizationEnv: "STATUS_AUTH" },
        },
      },
    ],
  };
  return loadConfig(
    { BOT_TOKEN: TOKEN, PIPELINE_CONFIG: "/etc/nightshift/pipeline.json", ...env },
    { cwd: "/", readFile: () => JSON.stringify(json) },
  );
}
