// src/i18n — all chat text (what the bot says in Telegram) and nothing else: core and app hand over
// codes and values (a FreezeCause, a FlowChoice, a status), the files here put them into words and
// escape every outside string for HTML. Import it from here only (`../i18n/index.js`), never from a
// locale folder, so the active locale is chosen in one line.
//
// Adding a locale (e.g. English):
//   1. Copy src/i18n/zh-TW/ to src/i18n/en/ and translate it: same files, same exported names and
//      function signatures (templates.ts must stay byte-exact with its spec, so translate the spec too).
//   2. Add `import * as en from "./en/index.js";` and `en` to `locales` below: `satisfies` then
//      refuses a locale that misses a key or changes a signature.
//   3. To make it the active one, point the `export *` line at "./en/index.js".
// A locale chosen per chat or per user needs the renderers to take the locale as an argument; the
// `locales` map is where they would look it up.
import * as zhTW from "./zh-TW/index.js";

/** Everything a locale provides: the zh-TW folder is the reference every other locale must match. */
export type Locale = typeof zhTW;

/** The locales the bot can speak, by BCP 47 tag. */
export const locales = { "zh-TW": zhTW } satisfies Record<string, Locale>;

/** The active locale's modules (t, templates, incidents, …). */
export * from "./zh-TW/index.js";
