// Numbers, distances, durations and times as the reader's language writes them (Intl).

// Making an Intl formatter costs far more than using one (tens of microseconds in WebKit), and
// a map labels thousands of markers: each formatter is made once per language and options.
const made = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  let f = made.get(key) as T | undefined;
  if (f === undefined) {
    f = make();
    made.set(key, f);
  }
  return f;
}
export const numberFormat = (locale: string, options: Intl.NumberFormatOptions = {}) =>
  once(`number|${locale}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options));
const dateFormat = (locale: string, options: Intl.DateTimeFormatOptions) =>
  once(`date|${locale}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(locale, options));

export function formatDistance(metres: number, locale: string): string {
  if (metres < 1000) {
    return numberFormat(locale, { style: "unit", unit: "meter", maximumFractionDigits: 0 }).format(metres);
  }
  return numberFormat(locale, {
    style: "unit",
    unit: "kilometer",
    maximumFractionDigits: metres < 10_000 ? 2 : 1,
  }).format(metres / 1000);
}

/** A running clock: 0:05:09. The same in every language we ship. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/**
 * A length of time in words, in the two largest units that matter: "45 min", "1 hr, 5 min",
 * "1 day 1 hr" (a coordinator reads "25 hours" or "1,518 min" as a puzzle, not a duration).
 */
export function formatDuration(ms: number, locale: string): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const unit = (value: number, u: "day" | "hour" | "minute") =>
    numberFormat(locale, { style: "unit", unit: u, unitDisplay: "short" }).format(value);
  const pair = (big: string, small: string | null) =>
    small === null
      ? big
      : once(`list|${locale}`, () => new Intl.ListFormat(locale, { style: "narrow", type: "unit" })).format([big, small]);
  if (minutes >= 24 * 60) {
    const hours = Math.round(minutes / 60);
    const d = Math.floor(hours / 24);
    const h = hours % 24;
    return pair(unit(d, "day"), h === 0 ? null : unit(h, "hour"));
  }
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return unit(m, "minute");
  return pair(unit(h, "hour"), m === 0 ? null : unit(m, "minute"));
}

export function formatDateTime(iso: string, locale: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** "3 hours ago", "in 2 days". */
export function formatRelative(iso: string, now: Date, locale: string): string {
  const diff = (new Date(iso).getTime() - now.getTime()) / 1000;
  const rtf = once(`relative|${locale}`, () => new Intl.RelativeTimeFormat(locale, { numeric: "auto" }));
  const abs = Math.abs(diff);
  if (abs < 60) return rtf.format(Math.round(diff), "second");
  if (abs < 3600) return rtf.format(Math.round(diff / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(diff / 3600), "hour");
  return rtf.format(Math.round(diff / 86_400), "day");
}

export function formatNumber(n: number, locale: string, maxFraction = 0): string {
  return numberFormat(locale, { maximumFractionDigits: maxFraction }).format(n);
}

export function formatCoord(lat: number, lon: number, locale: string): string {
  const f = numberFormat(locale, { maximumFractionDigits: 5, minimumFractionDigits: 4 });
  return `${f.format(lat)}, ${f.format(lon)}`;
}

/** When a meeting starts, in full: "Thursday, May 7 at 7:00 PM" / "jueves, 7 de mayo, 19:00". */
export function formatMeetingTime(iso: string, locale: string, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateFormat(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "numeric",
    minute: "2-digit",
    timeZone,
  }).format(d);
}
