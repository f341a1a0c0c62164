// issue 11 — a VPS over SSH (`ssh`) and Docker Compose on the bot's own host (`compose`): the same
// fixed POSIX script (HOST_SCRIPT below), sent on stdin to `sh -s` — remotely through the system
// `ssh` (OpenSSH: https://man.openbsd.org/ssh, https://man.openbsd.org/ssh_config), locally through
// the spawn helper. No user text is in the script: the action, directory, ref, tag, restart mode,
// migrations folder and down-migration command are positional arguments, validated at load (refs,
// tags and paths match narrow patterns) and single-quoted for the remote shell.
//
// deploy:   git fetch --tags origin; check out the commit UAT validated (a Flow 1 PROD release: the
//           commit UAT's deployment recorded), else the release's own tag when one exists (the release
//           version), else origin/<ref>; tag the deployed commit `nightshift/<version>`; restart.
// rollback: check out `nightshift/<target version>`. The schema changed between the two when
//           `git diff --quiet <target tag> HEAD -- <migrationsDir>` reports a difference: then
//           `migrateDown` runs first (with the newer code, which knows the migrations to undo), then
//           the checkout and the restart.
// restart:  `systemd:<unit>` → systemctl restart <unit> (sudo -n when not root); `compose` →
//           docker compose up -d --build (https://docs.docker.com/reference/cli/docker/compose/up/).
// Host keys are verified: StrictHostKeyChecking=yes, BatchMode=yes, and `knownHosts` when given.
import type { DeployStep, TargetResult } from "../../../app/ports.js";
import { GIT_REF, type ProviderTarget } from "../../../config/pipeline-providers.js";
import { runProcess } from "../../process/spawn.js";
import { PlatformError, platformRun, stepLog } from "./common.js";

export type HostTarget = Extract<ProviderTarget, { type: "ssh" | "compose" }>;

export const TAG_PREFIX = "nightshift/";

export const HOST_SCRIPT = `set -eu
action="$1"; dir="$2"; ref="$3"; tag="$4"; restart="$5"; migrations="$6"; migrate_down="$7"; commit="$8"
cd "$dir"
restart_app() {
  case "$restart" in
    compose) docker compose up -d --build ;;
    systemd:*)
      unit="\${restart#systemd:}"
      if [ "$(id -u)" = 0 ]; then systemctl restart "$unit"; else sudo -n systemctl restart "$unit"; fi ;;
    *) echo "unknown restart mode" >&2; exit 64 ;;
  esac
}
case "$action" in
  deploy)
    git fetch --tags --force origin
    release="\${tag#${TAG_PREFIX}}"
    if [ -n "$commit" ]; then
      git checkout -q --detach "$commit"
    elif git rev-parse -q --verify "refs/tags/$release^{commit}" >/dev/null; then
      git checkout -q --detach "refs/tags/$release"
    else
      git checkout -q --detach "origin/$ref"
    fi
    git tag -f "$tag" HEAD >/dev/null
    restart_app
    ;;
  rollback)
    if ! git rev-parse -q --verify "refs/tags/$tag^{commit}" >/dev/null; then
      echo "nightshift-missing-tag=$tag"; exit 65
    fi
    if ! git diff --quiet "refs/tags/$tag" HEAD -- "$migrations"; then
      if [ -n "$migrate_down" ]; then
        echo "nightshift: schema changed in $migrations since $tag: running migrateDown"
        sh -c "$migrate_down"
        echo "nightshift-migrated=yes"
      else
        echo "nightshift: schema changed in $migrations since $tag but no migrateDown is configured" >&2
      fi
    fi
    git checkout -q --detach "refs/tags/$tag"
    restart_app
    ;;
  version)
    t="$(git describe --tags --exact-match --match '${TAG_PREFIX}*' HEAD 2>/dev/null || true)"
    echo "nightshift-tag=$t"
    ;;
  *) echo "unknown action" >&2; exit 64 ;;
esac
echo "nightshift-commit=$(git rev-parse HEAD)"
`;

/** One single-quoted word for a POSIX shell. */
export const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

const OUTPUT_LIMIT = 16 * 1024;

interface HostCall {
  action: "deploy" | "rollback" | "version";
  tag: string;
  /** A commit to check out (40 hex digits), else "". */
  commit?: string;
}

/** The argv that runs the script: `ssh … -- host 'sh -s -- …'` or `sh -s -- …` in the compose dir. */
export function hostArgv(target: HostTarget, call: HostCall): { argv: string[]; cwd: string | undefined } {
  const args = [
    call.action,
    target.dir,
    target.ref,
    call.tag,
    target.restart.kind === "compose" ? "compose" : `systemd:${target.restart.unit}`,
    target.migrationsDir,
    target.migrateDown ?? "",
    call.commit && /^[0-9a-f]{40}$/.test(call.commit) ? call.commit : "",
  ];
  if (target.type === "compose") return { argv: ["sh", "-s", "--", ...args], cwd: target.dir };
  const options = [
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    ...(target.knownHosts ? ["-o", `UserKnownHostsFile=${target.knownHosts}`] : []),
    ...(target.identityFile ? ["-i", target.identityFile, "-o", "IdentitiesOnly=yes"] : []),
    "-p",
    String(target.port),
  ];
  const remote = ["sh", "-s", "--", ...args.map(shellQuote)].join(" ");
  return { argv: ["ssh", ...options, "--", target.host, remote], cwd: undefined };
}

async function callHost(target: HostTarget, call: HostCall, log: ReturnType<typeof stepLog>) {
  const { argv, cwd } = hostArgv(target, call);
  const result = await runProcess({
    argv,
    cwd,
    stdin: HOST_SCRIPT,
    withheldEnv: target.withheldEnv,
    timeoutMs: target.timeoutSeconds * 1000,
    outputLimit: OUTPUT_LIMIT,
  });
  if (result.output) log.add(result.output.trimEnd());
  const platform = target.type;
  if (result.outcome === "not_started")
    throw new PlatformError(platform, { kind: "not_started", detail: `${argv[0]}: ${result.error}` });
  if (result.outcome === "timed_out")
    throw new PlatformError(platform, { kind: "timed_out", minutes: target.timeoutSeconds / 60 }, true);
  const field = (name: string) =>
    result.stdout
      .split("\n")
      .reverse()
      .find((l) => l.startsWith(`${name}=`))
      ?.slice(name.length + 1)
      .trim() ?? "";
  if (result.code === 65)
    throw new PlatformError(platform, { kind: "no_previous", version: call.tag.slice(TAG_PREFIX.length) });
  if (result.code !== 0)
    throw new PlatformError(platform, {
      kind: "command_failed",
      code: String(result.code ?? result.signal ?? "?"),
    });
  return { commit: field("nightshift-commit"), tag: field("nightshift-tag"), migrated: field("nightshift-migrated") };
}

const tagFor = (platform: HostTarget["type"], version: string): string => {
  const tag = `${TAG_PREFIX}${version}`;
  if (!GIT_REF.test(tag))
    throw new PlatformError(platform, { kind: "bad_answer", detail: `version ${version} is not a git tag name` });
  return tag;
};

/** Runs one release step on the host (ssh) or here (compose). */
export function runHost(target: HostTarget, step: DeployStep, _env: Record<string, string>): Promise<TargetResult> {
  const log = stepLog();
  return platformRun(target.type, log, async () => {
    const version = step.kind === "rollback" ? (step.targetVersion ?? step.version) : step.version;
    const tag = tagFor(target.type, version);
    // A Flow 1 PROD release deploys the very commit UAT validated (recorded by UAT's deployment).
    const validated = step.env === "prod" && step.kind === "pipeline" ? (step.history?.uat?.commit ?? "") : "";
    const action = step.kind === "rollback" ? "rollback" : "deploy";
    const done = await callHost(target, { action, tag, commit: action === "deploy" ? validated : "" }, log);
    log.add(`[${target.type}] ${step.kind === "rollback" ? "rolled back to" : "deployed"} ${tag} (${done.commit})`);
    return {
      version,
      state: {
        provider: target.type,
        tag,
        commit: done.commit,
        ...(done.migrated ? { migratedDown: "yes" } : {}),
      },
    };
  });
}

/** The checked-out release on the host: the `nightshift/<version>` tag at HEAD (its version), else the commit. */
export async function hostVersion(target: HostTarget): Promise<string> {
  const log = stepLog();
  const done = await callHost(target, { action: "version", tag: `${TAG_PREFIX}version` }, log);
  if (done.tag.startsWith(TAG_PREFIX)) return done.tag.slice(TAG_PREFIX.length);
  if (done.commit) return done.commit;
  throw new PlatformError(target.type, { kind: "bad_answer", detail: "no commit" });
}
