// The blur brush: strokes painted over a photo become the rectangles the core blurs (the same
// `add_photo(data, blur)` regions as boxes drawn by hand).
//
// Painting marks the cells of a fine grid laid over the photo that the brush touches; marked
// cells are then joined into rectangles (runs along each row, stacked while the run below is the
// same), so overlapping dabs along a path become a few rectangles that never overlap. Everything
// the brush touched is inside a rectangle: the grid only ever rounds outward, and so does the
// coarser grid used when a painting would need more rectangles than the core takes.
import type { BlurRegion } from "./bindings";

export type Shape = "round" | "square";

/** A point on the photo, as fractions (0–1) of its width and height. */
export interface Point {
  x: number;
  y: number;
}

export interface Stroke {
  points: Point[];
  /** The brush's diameter (round) or side (square), as a fraction of the photo's long side. */
  size: number;
  shape: Shape;
}

/** Brush sizes offered, as fractions of the photo's long side. */
export const BRUSH_SIZES = { small: 0.04, medium: 0.08, large: 0.14 } as const;
export type BrushSize = keyof typeof BRUSH_SIZES;

/** Grid cell side, as a fraction of the photo's long side. */
export const GRID = 0.01;
/** What the core accepts in one photo (`MAX_REGIONS` in crates/media/src/redact.rs). */
export const MAX_REGIONS = 200;

/** The photo's shape: width and height in any unit (the preview's pixels will do). */
export interface Frame {
  width: number;
  height: number;
}

/**
 * The rectangles covering every stroke, at most `maxRegions` of them (the grid is made coarser
 * until they fit). Empty when there is nothing to paint or no room at all.
 */
export function strokesToRegions(
  strokes: readonly Stroke[],
  frame: Frame,
  maxRegions: number = MAX_REGIONS,
): BlurRegion[] {
  if (maxRegions < 1 || !(frame.width > 0) || !(frame.height > 0)) return [];
  const painted = strokes.filter((s) => s.points.length > 0 && s.size > 0);
  if (painted.length === 0) return [];
  // Work in units of the photo's long side, where the brush is as wide as it is tall.
  const long = Math.max(frame.width, frame.height);
  const span = { x: frame.width / long, y: frame.height / long };
  for (let cell = GRID; ; cell *= 2) {
    const regions = cover(painted, span, cell);
    // A single cell over the whole photo always fits, so this ends.
    if (regions.length <= maxRegions) return regions;
  }
}

/** Adds a point to a stroke unless it is within a quarter cell of the last one (a still finger). */
export function extend(stroke: Stroke, p: Point): Stroke {
  const last = stroke.points[stroke.points.length - 1];
  if (last && Math.hypot(last.x - p.x, last.y - p.y) < GRID / 4) return stroke;
  return { ...stroke, points: [...stroke.points, clampPoint(p)] };
}

function clampPoint(p: Point): Point {
  const c = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
  return { x: c(p.x), y: c(p.y) };
}

type Span = { x: number; y: number };

function cover(strokes: readonly Stroke[], span: Span, cell: number): BlurRegion[] {
  const cols = Math.max(1, Math.ceil(span.x / cell - 1e-9));
  const rows = Math.max(1, Math.ceil(span.y / cell - 1e-9));
  const marked = new Uint8Array(cols * rows);
  for (const stroke of strokes) {
    const r = stroke.size / 2;
    for (const c of samples(stroke, span, cell)) markDab(marked, cols, rows, cell, c, r, stroke.shape);
  }
  return rectangles(marked, cols, rows, cell, span);
}

/** Dab centres along the stroke (in long-side units), no further apart than half a cell. */
function* samples(stroke: Stroke, span: Span, cell: number): Generator<Point> {
  const pts = stroke.points.map((p) => ({ x: p.x * span.x, y: p.y * span.y }));
  yield pts[0]!;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / (cell / 2)));
    for (let k = 1; k <= steps; k++) {
      yield { x: a.x + ((b.x - a.x) * k) / steps, y: a.y + ((b.y - a.y) * k) / steps };
    }
  }
}

/** Marks every cell the brush touches at `c` (a disc of radius `r`, or a square of half-side `r`). */
function markDab(
  marked: Uint8Array,
  cols: number,
  rows: number,
  cell: number,
  c: Point,
  r: number,
  shape: Shape,
) {
  const c0 = Math.max(0, Math.floor((c.x - r) / cell));
  const c1 = Math.min(cols - 1, Math.floor((c.x + r) / cell));
  const r0 = Math.max(0, Math.floor((c.y - r) / cell));
  const r1 = Math.min(rows - 1, Math.floor((c.y + r) / cell));
  for (let row = r0; row <= r1; row++) {
    for (let col = c0; col <= c1; col++) {
      if (shape === "round") {
        // Distance from the centre to the nearest point of the cell.
        const dx = Math.max(col * cell - c.x, 0, c.x - (col + 1) * cell);
        const dy = Math.max(row * cell - c.y, 0, c.y - (row + 1) * cell);
        if (dx * dx + dy * dy > r * r) continue;
      }
      marked[row * cols + col] = 1;
    }
  }
}

/** Joins marked cells into rectangles: runs along each row, grown downward while unchanged. */
function rectangles(marked: Uint8Array, cols: number, rows: number, cell: number, span: Span): BlurRegion[] {
  type Open = { c0: number; c1: number; r0: number };
  const done: (Open & { r1: number })[] = [];
  let open: Open[] = [];
  for (let row = 0; row <= rows; row++) {
    const runs: [number, number][] = [];
    if (row < rows) {
      for (let col = 0; col < cols; col++) {
        if (!marked[row * cols + col]) continue;
        const start = col;
        while (col < cols && marked[row * cols + col]) col++;
        runs.push([start, col]);
      }
    }
    const next: Open[] = [];
    for (const [c0, c1] of runs) {
      const same = open.find((o) => o.c0 === c0 && o.c1 === c1);
      next.push(same ?? { c0, c1, r0: row });
    }
    for (const o of open) if (!next.includes(o)) done.push({ ...o, r1: row });
    open = next;
  }
  const fx = (v: number) => Math.min(1, (v * cell) / span.x);
  const fy = (v: number) => Math.min(1, (v * cell) / span.y);
  return done
    .sort((a, b) => a.r0 - b.r0 || a.c0 - b.c0)
    .map((o) => {
      const x = fx(o.c0);
      const y = fy(o.r0);
      return { x, y, w: fx(o.c1) - x, h: fy(o.r1) - y };
    });
}

/** Whether the point (fractions of the photo) lies in one of `regions`. */
export function covers(regions: readonly BlurRegion[], p: Point): boolean {
  return regions.some((r) => p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h);
}
