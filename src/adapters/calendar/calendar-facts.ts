// Calendar facts for the freeze rules, from the date-holidays package (no network: its data ships with it).
import Holidays from "date-holidays";
import type { Calendar } from "../../app/ports.js";

const publicHolidays = new Map<string, Map<string, string>>();
const LUNAR_NEW_YEAR_RULE = /^chinese 01-0-0[123]$/; // 年初一 to 年初三

function holidaysOf(country: string, year: number): Map<string, string> {
  const key = `${country}:${year}`;
  let days = publicHolidays.get(key);
  if (!days) {
    days = new Map();
    for (const h of new Holidays(country).getHolidays(year)) {
      if (h.type === "public" && !days.has(h.date.slice(0, 10))) days.set(h.date.slice(0, 10), h.name);
    }
    publicHolidays.set(key, days);
  }
  return days;
}

const lunarDays = new Map<number, Set<string>>();
function lunarNewYearDays(year: number): Set<string> {
  let days = lunarDays.get(year);
  if (!days) {
    days = new Set(
      new Holidays("TW")
        .getHolidays(year)
        .filter((h) => LUNAR_NEW_YEAR_RULE.test(h.rule))
        .map((h) => h.date.slice(0, 10)),
    );
    lunarDays.set(year, days);
  }
  return days;
}

/** The Calendar port: what the calendar says about one local date (YYYY-MM-DD). */
export const calendarFacts: Calendar = (rules, localDate) => {
  const year = Number(localDate.slice(0, 4));
  return {
    holidayName: rules.holidays ? (holidaysOf(rules.holidays, year).get(localDate) ?? null) : null,
    lunarNewYear: rules.lunarNewYear && lunarNewYearDays(year).has(localDate),
  };
};
