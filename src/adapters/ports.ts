// The adapters that implement the app's ports (src/app/ports.ts), bundled for wiring: src/main.ts,
// the sandbox, benches and test helpers spread this into their deps instead of naming each adapter.
import type { Calendar, Metrics, RunCheck } from "../app/ports.js";
import { calendarFacts } from "./calendar/calendar-facts.js";
import { prometheusMetrics } from "./checks/prometheus.js";
import { runCheck } from "./checks/run-check.js";

export const adapterPorts: { runCheck: RunCheck; metrics: Metrics; calendar: Calendar } = {
  runCheck,
  metrics: prometheusMetrics,
  calendar: calendarFacts,
};
