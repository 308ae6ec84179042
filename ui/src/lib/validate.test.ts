import { describe, expect, it } from "vitest";
import { translate } from "./i18n";
import { checkPoint, checkPolygon, checkRadius, checkServerUrl, checkText, parseDecimal } from "./validate";

describe("validation", () => {
  it("accepts coordinates typed with either decimal separator", () => {
    expect(parseDecimal("45,5")).toBe(45.5);
    expect(checkPoint("45.5145", "-122.6265")).toEqual({ ok: true, value: { lat: 45.5145, lon: -122.6265 } });
  });

  it("names what is wrong with coordinates, in both languages", () => {
    const r = checkPoint("95", "0");
    expect(r).toEqual({ ok: false, error: "validation.latRange" });
    if (!r.ok) {
      expect(translate("en", r.error)).toBe("Latitude must be between -90 and 90.");
      expect(translate("es", r.error)).toBe("La latitud debe estar entre -90 y 90.");
    }
    expect(checkPoint("", "1")).toEqual({ ok: false, error: "validation.coordsMissing" });
    expect(checkPoint("north", "1")).toEqual({ ok: false, error: "validation.coordsNotNumbers" });
    expect(checkPoint("1", "181")).toEqual({ ok: false, error: "validation.lonRange" });
  });

  it("keeps radii within what the core accepts", () => {
    expect(checkRadius("300")).toEqual({ ok: true, value: 300 });
    expect(checkRadius("5")).toEqual({ ok: false, error: "validation.radiusRange" });
    expect(checkRadius("lots")).toEqual({ ok: false, error: "validation.radiusNotNumber" });
  });

  it("requires text and limits its length", () => {
    expect(checkText("  ", 10)).toEqual({ ok: false, error: "validation.required" });
    expect(checkText("", 10, false)).toEqual({ ok: true, value: "" });
    expect(checkText("x".repeat(11), 10)).toEqual({ ok: false, error: "validation.tooLong" });
  });

  it("reads polygons one point per line", () => {
    const r = checkPolygon("45.51, -122.62\n45.52, -122.62\n45.52 -122.61");
    expect(r.ok && r.value.length).toBe(3);
    expect(checkPolygon("45.51, -122.62\n45.51, -122.62\n45.52, -122.61")).toEqual({
      ok: false,
      error: "validation.polygonTooFew",
    });
    expect(checkPolygon("45.51")).toEqual({ ok: false, error: "validation.polygonLine" });
  });

  it("takes a sync server's address as the core does", () => {
    expect(checkServerUrl(" https://sync.example.org/ ")).toEqual({ ok: true, value: "https://sync.example.org" });
    expect(checkServerUrl("HTTP://192.168.1.20:8470")).toEqual({ ok: true, value: "http://192.168.1.20:8470" });
    expect(checkServerUrl("sync.example.org")).toEqual({ ok: false, error: "validation.serverScheme" });
    expect(checkServerUrl("ftp://sync.example.org")).toEqual({ ok: false, error: "validation.serverScheme" });
    expect(checkServerUrl("http://")).toEqual({ ok: false, error: "validation.serverHost" });
    expect(checkServerUrl("http://my server")).toEqual({ ok: false, error: "validation.serverHost" });
    expect(checkServerUrl("   ")).toEqual({ ok: false, error: "validation.required" });
    expect(translate("es", "validation.serverScheme")).toMatch(/http:\/\/ o https:\/\//);
  });
});
