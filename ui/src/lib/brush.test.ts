import { describe, expect, it } from "vitest";
import type { BlurRegion } from "./bindings";
import { BRUSH_SIZES, GRID, MAX_REGIONS, covers, extend, strokesToRegions, type Frame, type Stroke } from "./brush";

const SQUARE: Frame = { width: 1000, height: 1000 };

/** Points of the photo (fractions) within `r` (long-side units) of the stroke's path. */
function paintedPoints(stroke: Stroke, frame: Frame, step = 0.004): { x: number; y: number }[] {
  const long = Math.max(frame.width, frame.height);
  const sx = frame.width / long;
  const sy = frame.height / long;
  const r = stroke.size / 2;
  const out: { x: number; y: number }[] = [];
  for (let y = 0; y <= 1; y += step) {
    for (let x = 0; x <= 1; x += step) {
      const u = x * sx;
      const v = y * sy;
      const inside = stroke.points.some((p, i) => {
        const a = { x: p.x * sx, y: p.y * sy };
        const q = stroke.points[i + 1] ?? p;
        const b = { x: q.x * sx, y: q.y * sy };
        // Nearest point of segment ab to (u, v).
        const len2 = (b.x - a.x) ** 2 + (b.y - a.y) ** 2;
        const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((u - a.x) * (b.x - a.x) + (v - a.y) * (b.y - a.y)) / len2));
        const dx = u - (a.x + t * (b.x - a.x));
        const dy = v - (a.y + t * (b.y - a.y));
        return stroke.shape === "round" ? Math.hypot(dx, dy) <= r : Math.max(Math.abs(dx), Math.abs(dy)) <= r;
      });
      if (inside) out.push({ x, y });
    }
  }
  return out;
}

function overlapArea(a: BlurRegion, b: BlurRegion): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function expectValid(regions: BlurRegion[]) {
  for (const r of regions) {
    expect(r.w).toBeGreaterThan(0);
    expect(r.h).toBeGreaterThan(0);
    expect(r.x).toBeGreaterThanOrEqual(0);
    expect(r.y).toBeGreaterThanOrEqual(0);
    expect(r.x + r.w).toBeLessThanOrEqual(1 + 1e-9);
    expect(r.y + r.h).toBeLessThanOrEqual(1 + 1e-9);
  }
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      expect(overlapArea(regions[i]!, regions[j]!)).toBeLessThan(1e-12);
    }
  }
}

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

describe("strokesToRegions", () => {
  it("covers everything a round dab touches, and little more", () => {
    const stroke: Stroke = { points: [{ x: 0.5, y: 0.4 }], size: BRUSH_SIZES.medium, shape: "round" };
    const regions = strokesToRegions([stroke], SQUARE);
    expectValid(regions);
    for (const p of paintedPoints(stroke, SQUARE)) expect(covers(regions, p), `${p.x},${p.y}`).toBe(true);
    // Nothing further than the radius plus a cell's diagonal.
    const reach = BRUSH_SIZES.medium / 2 + GRID * Math.SQRT2;
    for (const r of regions) {
      for (const [x, y] of [
        [r.x, r.y],
        [r.x + r.w, r.y],
        [r.x, r.y + r.h],
        [r.x + r.w, r.y + r.h],
      ] as const) {
        const nearest = Math.hypot(Math.max(0, Math.abs(x - 0.5) - GRID), Math.max(0, Math.abs(y - 0.4) - GRID));
        expect(nearest).toBeLessThanOrEqual(reach);
      }
    }
    // Round: the corners of the dab's bounding square are left alone.
    expect(covers(regions, { x: 0.5 + 0.039, y: 0.4 + 0.039 })).toBe(false);
    const square = strokesToRegions([{ ...stroke, shape: "square" }], SQUARE);
    expect(covers(square, { x: 0.5 + 0.039, y: 0.4 + 0.039 })).toBe(true);
  });

  it("turns a long stroke into a few rectangles that never overlap", () => {
    const stroke: Stroke = {
      points: [
        { x: 0.1, y: 0.5 },
        { x: 0.9, y: 0.5 },
      ],
      size: BRUSH_SIZES.small,
      shape: "square",
    };
    const regions = strokesToRegions([stroke], SQUARE);
    expectValid(regions);
    // A straight horizontal square stroke is one band.
    expect(regions.length).toBe(1);
    for (const p of paintedPoints(stroke, SQUARE)) expect(covers(regions, p)).toBe(true);
    expect(covers(regions, { x: 0.5, y: 0.5 + BRUSH_SIZES.small / 2 + GRID + 0.001 })).toBe(false);
    expect(covers(regions, { x: 0.05, y: 0.5 })).toBe(false);
  });

  it("keeps the brush round on a photo wider than it is tall", () => {
    const wide: Frame = { width: 1600, height: 800 };
    const regions = strokesToRegions([{ points: [{ x: 0.5, y: 0.5 }], size: 0.1, shape: "round" }], wide);
    const x0 = Math.min(...regions.map((r) => r.x));
    const x1 = Math.max(...regions.map((r) => r.x + r.w));
    const y0 = Math.min(...regions.map((r) => r.y));
    const y1 = Math.max(...regions.map((r) => r.y + r.h));
    // 0.1 of the long side is 0.1 of the width but 0.2 of the height.
    expect(x1 - x0).toBeGreaterThanOrEqual(0.1);
    expect(x1 - x0).toBeLessThanOrEqual(0.1 + 2 * GRID + 1e-9);
    expect(y1 - y0).toBeGreaterThanOrEqual(0.2);
    expect(y1 - y0).toBeLessThanOrEqual(0.2 + 4 * GRID + 1e-9);
  });

  it("covers random scribbles whole, within the core's limit, on any photo shape", () => {
    const next = rng(15);
    for (let round = 0; round < 6; round++) {
      const frame: Frame = { width: 400 + Math.floor(next() * 1600), height: 400 + Math.floor(next() * 1600) };
      const strokes: Stroke[] = Array.from({ length: 1 + Math.floor(next() * 4) }, () => ({
        points: Array.from({ length: 1 + Math.floor(next() * 8) }, () => ({ x: next(), y: next() })),
        size: [BRUSH_SIZES.small, BRUSH_SIZES.medium, BRUSH_SIZES.large][Math.floor(next() * 3)]!,
        shape: next() < 0.5 ? "round" : "square",
      }));
      const regions = strokesToRegions(strokes, frame);
      expect(regions.length).toBeLessThanOrEqual(MAX_REGIONS);
      expectValid(regions);
      for (const s of strokes) {
        for (const p of paintedPoints(s, frame, 0.02)) expect(covers(regions, p)).toBe(true);
      }
    }
  }, 30_000);

  it("coarsens the grid rather than go over the limit, still covering every dab", () => {
    const next = rng(7);
    const dots: Stroke[] = Array.from({ length: 60 }, () => ({
      points: [{ x: next(), y: next() }],
      size: BRUSH_SIZES.small,
      shape: "round",
    }));
    expect(strokesToRegions(dots, SQUARE).length).toBeGreaterThan(10);
    const few = strokesToRegions(dots, SQUARE, 10);
    expect(few.length).toBeLessThanOrEqual(10);
    expectValid(few);
    for (const d of dots) {
      for (const p of paintedPoints(d, SQUARE, 0.01)) expect(covers(few, p)).toBe(true);
    }
  });

  it("paints nothing without strokes, room or a photo", () => {
    const dab: Stroke = { points: [{ x: 0.5, y: 0.5 }], size: 0.1, shape: "round" };
    expect(strokesToRegions([], SQUARE)).toEqual([]);
    expect(strokesToRegions([{ ...dab, points: [] }], SQUARE)).toEqual([]);
    expect(strokesToRegions([dab], SQUARE, 0)).toEqual([]);
    expect(strokesToRegions([dab], { width: 0, height: 100 })).toEqual([]);
  });

  it("a dab at the very edge stays inside the photo", () => {
    const regions = strokesToRegions([{ points: [{ x: 1, y: 1 }], size: BRUSH_SIZES.large, shape: "square" }], {
      width: 1234,
      height: 777,
    });
    expectValid(regions);
    expect(covers(regions, { x: 0.999, y: 0.999 })).toBe(true);
  });
});

describe("extend", () => {
  it("skips points a still finger repeats and clamps the rest to the photo", () => {
    let s: Stroke = { points: [], size: 0.05, shape: "round" };
    s = extend(s, { x: 0.5, y: 0.5 });
    s = extend(s, { x: 0.5005, y: 0.5 });
    expect(s.points).toHaveLength(1);
    s = extend(s, { x: 1.2, y: -0.1 });
    expect(s.points).toEqual([
      { x: 0.5, y: 0.5 },
      { x: 1, y: 0 },
    ]);
    s = extend(s, { x: Number.NaN, y: 0.5 });
    expect(s.points[2]).toEqual({ x: 0, y: 0.5 });
  });
});
