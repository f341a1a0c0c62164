// Window times as the chat says them (e.g. 今晚 22:00（11/21）).
import { addDays, localParts } from "../../core/windows.js";

const WEEKDAYS = "日一二三四五六";

/**
 * `今晚 22:00（11/21）` on the same local day as `now`, `明晚 22:00（11/22）` on the next one,
 * otherwise `11/24（二） 22:00`. Slots before 18:00 say 今天/明天 instead of 今晚/明晚.
 */
export function formatWindowTime(at: Date, now: Date, tz: string): string {
  const local = localParts(at, tz);
  const today = localParts(now, tz).date;
  const [, m, d] = local.date.split("-").map(Number);
  const evening = local.time >= "18:00";
  if (local.date === today) return `${evening ? "今晚" : "今天"} ${local.time}（${m}/${d}）`;
  if (local.date === addDays(today, 1)) return `${evening ? "明晚" : "明天"} ${local.time}（${m}/${d}）`;
  return `${m}/${d}（${WEEKDAYS[local.weekday]}） ${local.time}`;
}
