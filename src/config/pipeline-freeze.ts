// Planned freezes of a system in PIPELINE_CONFIG: `freeze.periods: [{ from, until, modules?, reason }]`
// (names fixed by DESIGN.md). Dates are local to the system's timezone: "YYYY-MM-DD" (00:00) or
// "YYYY-MM-DD HH:MM"; `until` is exclusive (a period "until 2099-12-27" lifts at 00:00 that day).
// The output is core's FreezePeriod: both ends as "YYYY-MM-DD HH:MM", modules normalized.
import { z } from "zod";
import type { FreezePeriod } from "../core/freeze.js";
import { normalizeModule, oneLine } from "../core/text.js";
import { bi } from "./messages.js";
import { custom, isRealDate, strict } from "./schemas.js";

const LOCAL = /^(\d{4}-\d{2}-\d{2})(?:[ T]([01]\d|2[0-3]):([0-5]\d))?$/;

/** "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" as "YYYY-MM-DD HH:MM", or null when it is not a real local date-time. */
export function localDateTime(s: string): string | null {
  const m = LOCAL.exec(s.trim());
  if (!m || !isRealDate(m[1]!)) return null;
  return `${m[1]} ${m[2] ?? "00"}:${m[3] ?? "00"}`;
}

const DATE_ERROR = bi(
  '應為系統時區的 "YYYY-MM-DD" 或 "YYYY-MM-DD HH:MM"，例如 "2099-12-24" 或 "2099-12-24 18:00"',
  'expected "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" in the system\'s timezone, e.g. "2099-12-24" or "2099-12-24 18:00"',
);
const localDate = z.string({ error: DATE_ERROR }).refine((s) => localDateTime(s) !== null, { error: DATE_ERROR });

const period = strict({
  from: localDate,
  until: localDate,
  modules: z
    .array(z.string({ error: bi("模組名稱應為字串", "a module name is a string") }))
    .min(1, {
      error: bi("省略 modules 表示整個系統；列出時至少一個", "omit modules for the whole system, or list at least one"),
    })
    .optional(),
  reason: z
    .string({ error: bi('必填：原因，例如 "大客戶上線週"', 'is required: the reason, e.g. "client go-live week"') })
    .transform((r) => oneLine(r).trim())
    .refine((r) => r.length > 0 && r.length <= 500, {
      error: bi("原因不可空白，最多 500 字", "the reason must not be empty (at most 500 characters)"),
    }),
}).transform((p, ctx): FreezePeriod => {
  const from = localDateTime(p.from)!;
  const until = localDateTime(p.until)!;
  if (until <= from)
    custom(
      ctx,
      ["until"],
      bi(
        `必須晚於 from（${from}）；until 當天 00:00 解除，只封一天請寫隔天，例如 from "2099-12-24" until "2099-12-25"`,
        `must be later than from (${from}); until lifts at 00:00 of that day, so one day is from "2099-12-24" until "2099-12-25"`,
      ),
    );
  const modules = [...new Set((p.modules ?? []).map(normalizeModule).filter(Boolean))];
  if (p.modules && modules.length === 0)
    custom(ctx, ["modules"], bi("模組名稱不可空白", "module names must not be empty"));
  return { from, until, modules, reason: p.reason };
});

/** The `periods` key of a system's `freeze` block (hooked into src/config/pipeline.ts). */
export const freezePeriods = z.array(period);
