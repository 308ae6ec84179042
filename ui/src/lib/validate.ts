// Checks on what a person typed, before anything is sent to the core. Each returns the catalog
// key of the message to show (the core checks again and has the final word).
import { LIMITS, type Point } from "./bindings";
import type { MessageKey } from "./i18n";

// The core's limits, generated from the Rust constants (bindings.ts).
export const MIN_RADIUS_M = LIMITS.minRadiusM;
export const MAX_RADIUS_M = LIMITS.maxRadiusM;
export const TITLE_MAX = LIMITS.titleMax;
export const BODY_MAX = LIMITS.bodyMax;
export const NAME_MAX = LIMITS.nameMax;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: MessageKey };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(error: MessageKey): Checked<T> => ({ ok: false, error });

/** Parses a decimal number typed in either language (a comma as decimal separator too). */
export function parseDecimal(text: string): number | null {
  const t = text.trim().replace(",", ".");
  if (!/^[-+]?\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

export function checkPoint(latText: string, lonText: string): Checked<Point> {
  if (!latText.trim() || !lonText.trim()) return fail("validation.coordsMissing");
  const lat = parseDecimal(latText);
  const lon = parseDecimal(lonText);
  if (lat === null || lon === null) return fail("validation.coordsNotNumbers");
  if (lat < -90 || lat > 90) return fail("validation.latRange");
  if (lon < -180 || lon > 180) return fail("validation.lonRange");
  return ok({ lat, lon });
}

export function checkRadius(text: string): Checked<number> {
  const r = parseDecimal(text);
  if (r === null) return fail("validation.radiusNotNumber");
  if (r < MIN_RADIUS_M || r > MAX_RADIUS_M) return fail("validation.radiusRange");
  return ok(r);
}

export function checkText(text: string, max: number, required = true): Checked<string> {
  const t = text.trim();
  if (required && !t) return fail("validation.required");
  if ([...t].length > max) return fail("validation.tooLong");
  return ok(t);
}

/** One "lat, lon" pair per line; at least three distinct vertices, at most 500. */
export function checkPolygon(text: string): Checked<Point[]> {
  const lines = text
    .split(/\n|;/)
    .map((l) => l.trim())
    .filter(Boolean);
  const points: Point[] = [];
  for (const line of lines) {
    const parts = line.split(/[\s,]+/).filter(Boolean);
    if (parts.length !== 2) return fail("validation.polygonLine");
    const p = checkPoint(parts[0] ?? "", parts[1] ?? "");
    if (!p.ok) return fail(p.error);
    points.push(p.value);
  }
  const distinct = new Set(points.map((p) => `${p.lat},${p.lon}`)).size;
  if (distinct < 3) return fail("validation.polygonTooFew");
  if (distinct > 500) return fail("validation.polygonTooMany");
  return ok(points);
}

export function polygonText(points: Point[]): string {
  return points.map((p) => `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`).join("\n");
}

/**
 * A sync server's address as the core takes it: http:// or https:// and a host, no spaces; the
 * trailing slash dropped. An empty field is not an address (the caller decides what empty means).
 */
export function checkServerUrl(text: string): Checked<string> {
  const raw = text.trim();
  if (!raw) return fail("validation.required");
  const m = raw.match(/^(https?):\/\/(.*)$/i);
  if (!m) return fail("validation.serverScheme");
  const rest = (m[2] ?? "").replace(/\/+$/, "");
  if (!rest || /\s/.test(rest)) return fail("validation.serverHost");
  const value = `${(m[1] ?? "").toLowerCase()}://${rest}`;
  try {
    if (!new URL(value).hostname) return fail("validation.serverHost");
  } catch {
    return fail("validation.serverHost");
  }
  return ok(value);
}
