// The T1/T2 window engine. Due-window planning is pure (src/core/due-windows.ts); here: the tick and
// missed-window catch-up (tick.ts), running one window — claim, wait, freeze and checklist gates
// (run-window.ts), the phases (phase-t1.ts, phase-t2.ts), the release step with its progress
// message and outcome (release-step.ts), and the context they share (context.ts). Time always
// comes from deps.clock() or the caller; the outside world only through the ports in ../ports.ts.
export { type DueWindow, dueWindows } from "../../core/due-windows.js";
export type { Outcome, Trigger, WindowContext, WindowDeps, WindowRunRow } from "./context.js";
export { runWindow } from "./run-window.js";
export { sendApprovalReminder, tick } from "./tick.js";
