import { describe, expect, it } from "vitest";
import { skipDays } from "../../src/core/skip-days.js";
import {
  addDays,
  formatDateTime,
  localParts,
  nextWindow,
  type SkipDay,
  windowsBetween,
  zonedInstant,
} from "../../src/core/windows.js";
import { formatWindowTime, freezeReasonText } from "../../src/i18n/index.js";

const TPE = "Asia/Taipei"; // UTC+8, no DST
const NY = "America/New_York";
const LON = "Europe/London";
const utc = (iso: string) => new Date(iso);
/** A Taipei wall time as an instant. */
const tpe = (date: string, time: string) => new Date(`${date}T${time}:00+08:00`);
const iso = (d: Date) => d.toISOString();
/** The T2 cutoff (app/schedule.ts nextWindow): approved at or after today's T2 → the next one. */
const nextT2ForApproval = (approvedAt: Date, t2Time: string, tz: string, skipDay?: SkipDay) =>
  nextWindow(approvedAt, t2Time, tz, { inclusive: false, ...(skipDay ? { skipDay } : {}) });

describe("localParts / addDays / zonedInstant", () => {
  it("reads the local wall clock", () => {
    expect(localParts(utc("2026-11-21T14:05:00Z"), TPE)).toEqual({ date: "2026-11-21", time: "22:05", weekday: 6 });
    expect(localParts(utc("2026-11-21T16:30:00Z"), TPE)).toEqual({ date: "2026-11-22", time: "00:30", weekday: 0 });
    expect(localParts(utc("2026-11-21T04:30:00Z"), NY)).toEqual({ date: "2026-11-20", time: "23:30", weekday: 5 });
  });

  it("adds days across month and year ends", () => {
    expect(addDays("2026-11-30", 1)).toBe("2026-12-01");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
    expect(() => addDays("2026-1-1", 1)).toThrow(RangeError);
  });

  it("maps a local time to UTC", () => {
    expect(iso(zonedInstant("2026-11-21", "22:00", TPE))).toBe("2026-11-21T14:00:00.000Z");
    expect(iso(zonedInstant("2026-11-22", "00:30", TPE))).toBe("2026-11-21T16:30:00.000Z");
    expect(() => zonedInstant("2026-11-21", "24:00", TPE)).toThrow(RangeError);
  });

  it("New York spring forward (2026-03-08 02:00 → 03:00): a gap time is the first instant after", () => {
    expect(iso(zonedInstant("2026-03-08", "01:30", NY))).toBe("2026-03-08T06:30:00.000Z"); // EST
    expect(iso(zonedInstant("2026-03-08", "02:30", NY))).toBe("2026-03-08T07:00:00.000Z"); // = 03:00 EDT
    expect(iso(zonedInstant("2026-03-08", "03:00", NY))).toBe("2026-03-08T07:00:00.000Z");
    expect(localParts(zonedInstant("2026-03-08", "02:30", NY), NY).time).toBe("03:00");
  });

  it("New York fall back (2026-11-01 02:00 → 01:00): an overlap time is the earlier instant", () => {
    expect(iso(zonedInstant("2026-11-01", "01:30", NY))).toBe("2026-11-01T05:30:00.000Z"); // EDT
    expect(iso(zonedInstant("2026-11-01", "02:30", NY))).toBe("2026-11-01T07:30:00.000Z"); // EST
  });

  it("London gap (2026-03-29 01:00 → 02:00) and overlap (2026-10-25 02:00 → 01:00)", () => {
    expect(iso(zonedInstant("2026-03-29", "01:30", LON))).toBe("2026-03-29T01:00:00.000Z"); // = 02:00 BST
    expect(iso(zonedInstant("2026-03-29", "02:30", LON))).toBe("2026-03-29T01:30:00.000Z");
    expect(iso(zonedInstant("2026-10-25", "01:30", LON))).toBe("2026-10-25T00:30:00.000Z"); // BST
    expect(iso(zonedInstant("2026-10-25", "02:30", LON))).toBe("2026-10-25T02:30:00.000Z"); // GMT
  });
});

describe("nextWindow in Asia/Taipei", () => {
  for (const slot of ["20:00", "22:00"]) {
    const [h] = slot.split(":");
    const before = `${Number(h) - 1}:59`;
    const after = `${h}:01`;
    it(`${slot}: ${before} → tonight, ${slot} → now (inclusive) or tomorrow, ${after} → tomorrow`, () => {
      const tonight = tpe("2026-11-21", slot);
      const tomorrow = tpe("2026-11-22", slot);
      expect(nextWindow(tpe("2026-11-21", before), slot, TPE)).toEqual({
        at: tonight,
        date: "2026-11-21",
        skipped: [],
      });
      expect(nextWindow(tonight, slot, TPE).at).toEqual(tonight);
      expect(nextWindow(tonight, slot, TPE, { inclusive: false }).at).toEqual(tomorrow);
      expect(nextWindow(tpe("2026-11-21", after), slot, TPE)).toEqual({
        at: tomorrow,
        date: "2026-11-22",
        skipped: [],
      });
    });
  }

  it("works from an instant on the previous UTC day", () => {
    // 2026-11-21 07:00 Taipei is 2026-11-20 23:00 UTC
    expect(nextWindow(utc("2026-11-20T23:00:00Z"), "20:00", TPE).at).toEqual(tpe("2026-11-21", "20:00"));
  });

  it("skips frozen days and lists them", () => {
    const frozen: Record<string, string> = { "2026-11-21": "DEPLOY_FREEZE=true", "2026-11-22": "國定假日：測試" };
    const r = nextWindow(tpe("2026-11-21", "19:59"), "20:00", TPE, { skipDay: (d) => frozen[d] ?? null });
    expect(r).toEqual({
      at: tpe("2026-11-23", "20:00"),
      date: "2026-11-23",
      skipped: [
        { date: "2026-11-21", reason: "DEPLOY_FREEZE=true" },
        { date: "2026-11-22", reason: "國定假日：測試" },
      ],
    });
  });

  it("does not list a day whose window already passed", () => {
    const r = nextWindow(tpe("2026-11-21", "20:01"), "20:00", TPE, {
      skipDay: (d) => (d === "2026-11-21" ? "x" : null),
    });
    expect(r.skipped).toEqual([]);
    expect(r.date).toBe("2026-11-22");
  });

  it("gives up after maxDays", () => {
    expect(() => nextWindow(tpe("2026-11-21", "12:00"), "20:00", TPE, { skipDay: () => "frozen", maxDays: 5 })).toThrow(
      RangeError,
    );
  });

  it("DST: a 02:30 window on the spring-forward day runs at 03:00 local; 01:30 on fall-back day runs once, first", () => {
    expect(iso(nextWindow(utc("2026-03-07T12:00:00Z"), "02:30", NY).at)).toBe("2026-03-08T07:00:00.000Z");
    expect(iso(nextWindow(utc("2026-10-31T12:00:00Z"), "01:30", NY).at)).toBe("2026-11-01T05:30:00.000Z");
    // just after the first 01:30, the next one is the following day's, not the repeated hour
    expect(iso(nextWindow(utc("2026-11-01T05:30:00Z"), "01:30", NY, { inclusive: false }).at)).toBe(
      "2026-11-02T06:30:00.000Z",
    );
    expect(iso(nextWindow(utc("2026-03-28T12:00:00Z"), "01:30", LON).at)).toBe("2026-03-29T01:00:00.000Z");
    expect(iso(nextWindow(utc("2026-10-24T12:00:00Z"), "01:30", LON).at)).toBe("2026-10-25T00:30:00.000Z");
  });
});

describe("nextT2ForApproval (T2 cutoff)", () => {
  it("an approval before T2 runs tonight; at or after T2, tomorrow", () => {
    expect(nextT2ForApproval(tpe("2026-11-21", "21:59"), "22:00", TPE).at).toEqual(tpe("2026-11-21", "22:00"));
    expect(nextT2ForApproval(tpe("2026-11-21", "22:00"), "22:00", TPE).at).toEqual(tpe("2026-11-22", "22:00"));
    expect(nextT2ForApproval(tpe("2026-11-21", "22:01"), "22:00", TPE)).toEqual({
      at: tpe("2026-11-22", "22:00"),
      date: "2026-11-22",
      skipped: [],
    });
    expect(nextT2ForApproval(new Date(tpe("2026-11-21", "22:00").getTime() - 1), "22:00", TPE).date).toBe("2026-11-21");
  });

  it("skips frozen days", () => {
    const r = nextT2ForApproval(tpe("2026-11-21", "22:01"), "22:00", TPE, (d) => (d === "2026-11-22" ? "月底" : null));
    expect(r.date).toBe("2026-11-23");
    expect(r.skipped).toEqual([{ date: "2026-11-22", reason: "月底" }]);
  });
});

describe("formatWindowTime / formatDateTime", () => {
  const now = tpe("2026-11-21", "10:00");
  it("today, tomorrow, later", () => {
    expect(formatWindowTime(tpe("2026-11-21", "22:00"), now, TPE)).toBe("今晚 22:00（11/21）");
    expect(formatWindowTime(tpe("2026-11-22", "22:00"), now, TPE)).toBe("明晚 22:00（11/22）");
    expect(formatWindowTime(tpe("2026-11-24", "22:00"), now, TPE)).toBe("11/24（二） 22:00");
    expect(formatWindowTime(tpe("2026-11-29", "20:00"), now, TPE)).toBe("11/29（日） 20:00");
  });

  it("compares local dates, not UTC dates", () => {
    // 23:30 Taipei is 15:30 UTC, the same UTC date as tomorrow 20:00 Taipei (12:00 UTC)
    const late = tpe("2026-11-21", "23:30");
    expect(formatWindowTime(tpe("2026-11-22", "20:00"), late, TPE)).toBe("明晚 20:00（11/22）");
    expect(formatWindowTime(tpe("2026-11-22", "20:00"), tpe("2026-11-22", "00:10"), TPE)).toBe("今晚 20:00（11/22）");
  });

  it("says 今天/明天 for a daytime slot", () => {
    expect(formatWindowTime(tpe("2026-11-22", "09:00"), now, TPE)).toBe("明天 09:00（11/22）");
  });

  it("formats a local date-time", () => {
    expect(formatDateTime(utc("2026-11-21T14:05:09Z"), TPE)).toBe("2026-11-21 22:05");
    expect(formatDateTime(utc("2026-11-01T05:30:00Z"), NY)).toBe("2026-11-01 01:30");
  });
});

describe("windowsBetween", () => {
  it("lists every occurrence in (from, to]", () => {
    const from = tpe("2026-11-21", "20:00");
    const to = tpe("2026-11-23", "20:00");
    expect(windowsBetween(from, to, "20:00", TPE)).toEqual([tpe("2026-11-22", "20:00"), tpe("2026-11-23", "20:00")]);
    expect(windowsBetween(tpe("2026-11-21", "19:00"), tpe("2026-11-21", "21:00"), "22:00", TPE)).toEqual([]);
    expect(windowsBetween(to, from, "20:00", TPE)).toEqual([]);
  });

  it("finds one window per day across DST changes", () => {
    expect(windowsBetween(utc("2026-10-31T00:00:00Z"), utc("2026-11-03T00:00:00Z"), "01:30", NY).map(iso)).toEqual([
      "2026-10-31T05:30:00.000Z",
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z",
    ]);
    expect(windowsBetween(utc("2026-03-07T00:00:00Z"), utc("2026-03-09T12:00:00Z"), "02:30", NY).map(iso)).toEqual([
      "2026-03-07T07:30:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
    ]);
  });
});

describe("skipDays (the one skip-day rule)", () => {
  const inputs = {
    systemId: "crm",
    tz: TPE,
    slotTime: "22:00",
    env: { hard: false, modules: [], until: null },
    rules: { holidays: null, lunarNewYear: false, monthEnd: { days: 6, modules: ["billing"] } },
    facts: () => ({ holidayName: null, lunarNewYear: false }),
    describe: freezeReasonText,
  };
  const stored = [
    {
      id: 1,
      scope: "system" as const,
      systemId: "crm",
      module: null,
      reason: "機房搬遷",
      until: tpe("2099-11-22", "00:00"),
      createdBy: "Alice",
    },
  ];

  it("a module freeze skips days for that module's bugs only; a system freeze for everyone until it lifts", () => {
    const forBilling = skipDays({ ...inputs, stored, module: "billing" });
    const forSystem = skipDays({ ...inputs, stored, module: null });
    expect(forSystem("2099-11-21")).toBe("機房搬遷");
    expect(forBilling("2099-11-21")).toBe("機房搬遷");
    expect(forSystem("2099-11-22")).toBeNull();
    expect(forSystem("2099-11-25")).toBeNull();
    expect(forBilling("2099-11-25")).toBe("月底結帳封版");
    expect(forBilling("2099-12-01")).toBeNull();
    const next = nextWindow(tpe("2099-11-24", "22:00"), "22:00", TPE, { inclusive: false, skipDay: forBilling });
    expect(next.date).toBe("2099-12-01");
    expect(next.skipped.map((s) => s.date)).toEqual([
      "2099-11-25",
      "2099-11-26",
      "2099-11-27",
      "2099-11-28",
      "2099-11-29",
      "2099-11-30",
    ]);
  });
});
