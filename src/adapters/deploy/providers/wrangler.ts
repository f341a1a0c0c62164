// issue 11 — Cloudflare Workers through the `wrangler` CLI (`bin`, default ["wrangler"]; e.g.
// ["npx", "wrangler"]), run without a shell in `dir` by the spawn helper. Wrangler reads its own
// credentials (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID) from the bot's environment; variables the
// pipeline file names (`…Env`) and the bot's secrets are withheld.
//   before:   `wrangler deployments status --json` records the version live now
//             (https://developers.cloudflare.com/workers/wrangler/commands/#deployments-status)
//   deploy:   `wrangler deploy --message "Nightshift release <v>" [--env <env>]`; the new version id is
//             read from its "Current Version ID: <id>" line
//             (https://developers.cloudflare.com/workers/wrangler/commands/#deploy)
//   rollback: `wrangler rollback <version-id> --message "…" --yes [--env <env>]` to the version the
//             target release recorded (https://developers.cloudflare.com/workers/wrangler/commands/#rollback)
// Admin text (the rollback reason) is not put in argv: the message names the release and version.
// State recorded: { versionId, previousVersionId }.
import { z } from "zod";
import type { DeployStep, TargetResult } from "../../../app/ports.js";
import type { ProviderTarget } from "../../../config/pipeline-providers.js";
import { runProcess } from "../../process/spawn.js";
import { PlatformError, platformRun, stepLog } from "./common.js";

export type WranglerTarget = Extract<ProviderTarget, { type: "wrangler" }>;

const OUTPUT_LIMIT = 16 * 1024;
const VERSION_ID = /^[A-Za-z0-9-]{1,100}$/;
const CURRENT_VERSION = /Current Version ID:\s*([A-Za-z0-9-]{1,100})/;

/** `wrangler deployments status --json` (fields we read): the versions serving traffic, by percentage. */
const statusSchema = z.object({
  versions: z.array(z.object({ version_id: z.string().regex(VERSION_ID), percentage: z.number() }).loose()).min(1),
});

async function wrangler(target: WranglerTarget, args: string[], log: ReturnType<typeof stepLog>, quiet = false) {
  const result = await runProcess({
    argv: [...target.bin, ...args, ...(target.env ? ["--env", target.env] : [])],
    cwd: target.dir,
    withheldEnv: target.withheldEnv,
    // Never prompt: wrangler reads CI from the environment.
    env: { CI: "true", WRANGLER_SEND_METRICS: "false" },
    timeoutMs: target.timeoutSeconds * 1000,
    outputLimit: OUTPUT_LIMIT,
  });
  if (!quiet && result.output) log.add(result.output.trimEnd());
  if (result.outcome === "not_started")
    throw new PlatformError("wrangler", { kind: "not_started", detail: `${target.bin[0]}: ${result.error}` });
  if (result.outcome === "timed_out")
    throw new PlatformError("wrangler", { kind: "timed_out", minutes: target.timeoutSeconds / 60 }, true);
  if (result.code !== 0)
    throw new PlatformError("wrangler", { kind: "command_failed", code: String(result.code ?? result.signal ?? "?") });
  return result.stdout;
}

/** The Worker version serving (most of) the traffic now: `wrangler deployments status --json`. */
export async function wranglerVersion(target: WranglerTarget): Promise<string> {
  const stdout = await wrangler(target, ["deployments", "status", "--json"], stepLog(), true);
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new PlatformError("wrangler", { kind: "bad_answer", detail: "deployments status is not JSON" });
  }
  const parsed = statusSchema.safeParse(json);
  if (!parsed.success) throw new PlatformError("wrangler", { kind: "bad_answer", detail: "deployments status" });
  return [...parsed.data.versions].sort((a, b) => b.percentage - a.percentage)[0]!.version_id;
}

export function runWrangler(
  target: WranglerTarget,
  step: DeployStep,
  _env: Record<string, string>,
): Promise<TargetResult> {
  const log = stepLog();
  return platformRun("wrangler", log, async () => {
    if (step.kind === "rollback") {
      const to = step.targetVersion ?? step.version;
      const versionId = step.history?.target?.versionId;
      if (!versionId || !VERSION_ID.test(versionId))
        throw new PlatformError("wrangler", { kind: "no_previous", version: to });
      await wrangler(
        target,
        ["rollback", versionId, "--message", `Nightshift rollback to ${to} (release ${step.releaseId})`, "--yes"],
        log,
      );
      log.add(`[wrangler] rolled back to version ${versionId}`);
      return { version: to, state: { provider: "wrangler", versionId } };
    }
    // Recorded before the deploy: the version to return to if this release is rolled back.
    const previous = await wranglerVersion(target).catch(() => step.history?.current?.versionId ?? "");
    const stdout = await wrangler(target, ["deploy", "--message", `Nightshift release ${step.version}`], log);
    const versionId = CURRENT_VERSION.exec(stdout)?.[1];
    if (!versionId)
      throw new PlatformError("wrangler", { kind: "bad_answer", detail: "no Current Version ID in the output" });
    log.add(`[wrangler] version ${versionId} (before: ${previous || "unknown"})`);
    return {
      version: step.version,
      state: { provider: "wrangler", versionId, ...(previous ? { previousVersionId: previous } : {}) },
    };
  });
}
