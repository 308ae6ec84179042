import { describe, expect, it } from "vitest";
import { formatClock, formatDistance, formatDuration, formatMeetingTime, formatRelative } from "./format";

// Intl output uses narrow no-break spaces in places; compare with plain spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("formatting", () => {
  it("distances in metres, then kilometres, in the reader's language", () => {
    expect(plain(formatDistance(42.4, "en"))).toBe("42 m");
    expect(plain(formatDistance(1234, "en"))).toBe("1.23 km");
    expect(plain(formatDistance(1234, "es"))).toBe("1,23 km");
    expect(plain(formatDistance(25_500, "en"))).toBe("25.5 km");
  });

  it("a running clock", () => {
    expect(formatClock(0)).toBe("0:00:00");
    expect(formatClock(3_723_000)).toBe("1:02:03");
    expect(formatClock(-5)).toBe("0:00:00");
  });

  it("durations in words", () => {
    expect(plain(formatDuration(45 * 60_000, "en"))).toBe("45 min");
    expect(plain(formatDuration(2 * 3_600_000, "en"))).toMatch(/^2 hr/);
    expect(plain(formatDuration(65 * 60_000, "es"))).toMatch(/1 h.*5 min/);
    // Past a day: days and hours, never "1,518 min".
    expect(plain(formatDuration(1518 * 60_000, "en"))).toMatch(/^1 day,? 1 hr$/);
    expect(plain(formatDuration(48 * 3_600_000, "en"))).toBe("2 days");
    expect(plain(formatDuration(1518 * 60_000, "es"))).toMatch(/^1 d.*1 h$/);
  });

  it("relative times", () => {
    const now = new Date("2026-05-01T12:00:00Z");
    expect(formatRelative("2026-05-01T09:00:00Z", now, "en")).toBe("3 hours ago");
    expect(formatRelative("2026-05-03T12:00:00Z", now, "es")).toBe("pasado mañana");
  });

  it("a meeting's start in full, in the reader's language", () => {
    const en = plain(formatMeetingTime("2026-05-07T19:00:00Z", "en", "UTC"));
    expect(en).toMatch(/^Thursday, May 7\b/);
    expect(en).toMatch(/7:00 PM$/);
    const es = plain(formatMeetingTime("2026-05-07T19:00:00Z", "es", "UTC"));
    expect(es).toMatch(/^jueves, 7 de mayo\b/);
    expect(es).toMatch(/19:00$/);
    expect(formatMeetingTime("not a time", "en")).toBe("not a time");
  });
});
