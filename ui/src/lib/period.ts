// The period, zone and page size the coordinator's lists share. Dates are the viewer's calendar
// days (yyyy-mm-dd, as a date input gives them); the core takes RFC 3339 times.

/** Rows asked for at a time: the lists show more on request, never everything at once. */
export const PAGE = 50;

/** A list's period and zone; empty strings do not filter. */
export interface Period {
  from: string;
  to: string;
  zone: string;
}

/** A date as yyyy-mm-dd in the viewer's calendar. */
export const isoDay = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

/** Local midnight of a yyyy-mm-dd date (`days` later), as an RFC 3339 time. */
export const dayStart = (day: string, days = 0) => {
  const [y = 1970, m = 1, d = 1] = day.split("-").map(Number);
  return new Date(y, m - 1, d + days).toISOString();
};
