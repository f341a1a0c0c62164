// issue 11 — a platform as an environment's `version` probe: one function for the version reader
// (issue 10's src/adapters/versions/read-version.ts) to call with the parsed probe
// (config/pipeline-providers.ts providerVersionSchema) and the environment.
//   Vercel: the newest READY deployment's release (set by the bot), else its commit SHA, else its id.
//   Cloudflare Workers: the Worker version id serving the traffic.
//   Northflank: the commit SHA of the build the service runs.
//   ssh/compose: the `nightshift/<version>` tag at HEAD (the release), else the commit.
import type { ProviderTarget } from "../../../config/pipeline-providers.js";
import type { Env } from "../../../core/model.js";
import { hostVersion } from "./host.js";
import { northflankVersion } from "./northflank.js";
import { vercelVersion } from "./vercel.js";
import { wranglerVersion } from "./wrangler.js";

/** Throws a PlatformError (./common.ts) with the cause when the platform cannot say. */
export function readProviderVersion(probe: ProviderTarget, env: Env): Promise<string> {
  switch (probe.type) {
    case "vercel":
      return vercelVersion(probe, env);
    case "wrangler":
      return wranglerVersion(probe);
    case "northflank":
      return northflankVersion(probe);
    case "ssh":
    case "compose":
      return hostVersion(probe);
  }
}
