// What a map shows, and the offline grid drawn when there are no tiles.
import type { Area, Point } from "./bindings";

export type AreaKind = "alert" | "mine" | "watch" | "zone" | "draft" | "hotspot";
export type PointKind = "observation" | "report" | "draft" | "alert";
export type MapArea = { area: Area; kind: AreaKind; label: string };
export type MapPoint = { point: Point; kind: PointKind; label: string };
/** Markers gathered by the core at the current zoom: drawn as one disc with their count. */
export type MapCluster = { center: Point; southWest: Point; northEast: Point; count: number; label: string };

export const COLORS: Record<AreaKind | PointKind | "track", string> = {
  alert: "#b3261e",
  mine: "#8c1d18",
  watch: "#0b5cad",
  zone: "#2e6b30",
  draft: "#8a4b00",
  hotspot: "#c2410c",
  observation: "#6a1b9a",
  report: "#8a4b00",
  track: "#6a1b9a",
};

/** A round step (1, 2 or 5 × 10^n degrees) giving about six grid lines across `span`. */
export function gridStep(span: number): number {
  const raw = Math.max(span, 1e-6) / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = [1, 2, 5, 10].find((f) => f * pow >= raw) ?? 10;
  return m * pow;
}

/** Grid line positions covering [min, max] at `step`. */
export function gridLines(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step / 2 && out.length < 200; v += step) {
    out.push(Number(v.toFixed(8)));
  }
  return out;
}

/** Every point that should be in view, for fitting the map. */
export function allPoints(areas: MapArea[], points: MapPoint[], tracks: Point[][]): Point[] {
  const out: Point[] = [];
  for (const a of areas) {
    if (a.area.type === "circle") {
      const { center, radiusM } = a.area;
      const dLat = radiusM / 111_320;
      const dLon = dLat / Math.max(0.01, Math.cos((center.lat * Math.PI) / 180));
      out.push(
        { lat: center.lat - dLat, lon: center.lon - dLon },
        { lat: center.lat + dLat, lon: center.lon + dLon },
      );
    } else {
      out.push(...a.area.ring);
    }
  }
  for (const p of points) out.push(p.point);
  for (const t of tracks) out.push(...t);
  return out;
}
