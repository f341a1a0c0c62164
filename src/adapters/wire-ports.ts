// src/adapters — everything that talks to the outside world: Telegram (telegram/, notify/), the
// database (db/), deploy targets and checks (deploy/, checks/, process/), the analyzer, the calendar,
// the scheduler, HTTP and the clock. Adapters implement the app's ports and may import app types;
// the app never imports an adapter.
//
// wire-ports.ts: the real implementations of the app's ports (src/app/ports.ts), wired once for main.ts, the
// sandbox and tests that run against the real adapters.
import type { CommitStatusPort } from "../app/checklist.js";
import type { Analyzer, Calendar, Metrics, ReadVersion, RunCheck, RunTarget } from "../app/ports.js";
import type { Config } from "../config.js";
import { createAnalyzer } from "./analyze/analyzer.js";
import { calendarFacts } from "./calendar/calendar-facts.js";
import { readBaselineP95, readMetrics } from "./checks/prometheus.js";
import { runCheck } from "./checks/run-check.js";
import { runTarget } from "./deploy/run-target.js";
import { githubCommitStatusPort } from "./github/client.js";
import { readVersionFrom } from "./versions/read-version.js";

export interface AdapterPorts {
  runTarget: RunTarget;
  runCheck: RunCheck;
  metrics: Metrics;
  calendarFacts: Calendar;
  analyzer: Analyzer;
  readVersion: ReadVersion;
  /** The checklist's "all tests passing" item for systems that link a GitHub repo (issue 12 × 13). */
  commitStatus: CommitStatusPort;
}

export function adapterPorts(config: Pick<Config, "analyzer">): AdapterPorts {
  return {
    runTarget,
    runCheck,
    metrics: { read: readMetrics, baselineP95: readBaselineP95 },
    calendarFacts,
    analyzer: createAnalyzer(config.analyzer),
    readVersion: readVersionFrom,
    commitStatus: githubCommitStatusPort(),
  };
}
