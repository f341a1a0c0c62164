// zh-TW (Taiwan) — everything the bot says, in Taiwan's usage: full-width punctuation in Chinese
// sentences (，：（）？), 「視窗」 not 「窗口」, no English status codes or internal names.
// One file per area: bot.ts (commands, cards, buttons, triage, approvals), templates.ts (the
// workflow's notification templates, byte-exact with spec/), incidents.ts (/hotfix, /rollback,
// /freeze, /oncall, checklist, watch), conversations.ts, reliability.ts, metrics.ts, freeze.ts,
// flow.ts, time.ts, outside.ts (failing checks and services), labels.ts (shared label maps).
// Every module is re-exported here; src/i18n/index.ts picks this folder as the active locale.
export * from "./bot.js";
export * from "./checklist.js";
export * from "./code-host.js";
export * from "./conversations.js";
export * from "./deploy.js";
export * from "./escalation.js";
export * from "./flow.js";
export * from "./freeze.js";
export * from "./gates.js";
export * from "./incident-records.js";
export * from "./incidents.js";
export * from "./labels.js";
export * from "./metrics.js";
export * from "./outside.js";
export * from "./platforms.js";
export * from "./quiet.js";
export * from "./reliability.js";
export * from "./templates.js";
export * from "./time.js";
export * from "./versions.js";
export * from "./windows.js";
