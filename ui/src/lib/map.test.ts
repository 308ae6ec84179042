import { describe, expect, it } from "vitest";
import { allPoints, gridLines, gridStep } from "./map";

describe("offline grid", () => {
  it("picks round steps for about six lines", () => {
    expect(gridStep(0.03)).toBeCloseTo(0.005);
    expect(gridStep(6)).toBe(1);
    expect(gridStep(100)).toBe(20);
  });

  it("covers the range", () => {
    expect(gridLines(0.012, 0.031, 0.01)).toEqual([0.01, 0.02, 0.03]);
  });

  it("fits circles by their extent, not just their centre", () => {
    const pts = allPoints([{ area: { type: "circle", center: { lat: 0, lon: 0 }, radiusM: 1113.2 }, kind: "alert", label: "" }], [], []);
    expect(pts[0]!.lat).toBeCloseTo(-0.01);
    expect(pts[1]!.lat).toBeCloseTo(0.01);
  });
});
