import { describe, expect, it, vi } from "vitest";

// The Tauri bridge does not exist under vitest; the URL base is passed explicitly below.
vi.mock("@tauri-apps/api/core", () => ({
  convertFileSrc: () => {
    throw new Error("no Tauri here");
  },
  invoke: () => Promise.reject(new Error("no Tauri here")),
}));

import type { MapStatus } from "./bindings";
import { mapProgress, offlineTileUrl } from "./offlineMap";
import { bringsChanges } from "./sync";

const map = (over: Partial<MapStatus> = {}): MapStatus => ({
  id: "ab".repeat(32),
  name: "Sunnyside demo streets",
  size: 1_500_000,
  chunksTotal: 6,
  chunksHeld: 6,
  ready: true,
  bounds: [-122.645, 45.501, -122.608, 45.528],
  minZoom: 13,
  maxZoom: 17,
  mediaType: "image/png",
  ...over,
});

describe("offline map tiles", () => {
  it("come from the tile scheme once the whole package is here, and not before", () => {
    expect(offlineTileUrl(map(), "porchlight-tiles://localhost")).toBe(
      `porchlight-tiles://localhost/{z}/{x}/{y}.png?v=${"ab".repeat(8)}`,
    );
    expect(offlineTileUrl(map({ ready: false, chunksHeld: 3 }), "porchlight-tiles://localhost")).toBeNull();
    expect(offlineTileUrl(null, "porchlight-tiles://localhost")).toBeNull();
  });

  it("fall back to the scheme's Linux form without the Tauri bridge", () => {
    expect(offlineTileUrl(map())).toMatch(/^porchlight-tiles:\/\/localhost\/\{z\}/);
  });

  it("report download progress in whole percent", () => {
    expect(mapProgress(map({ chunksHeld: 0 }))).toBe(0);
    expect(mapProgress(map({ chunksHeld: 3 }))).toBe(50);
    expect(mapProgress(map({ chunksHeld: 5 }))).toBe(83);
    expect(mapProgress(map({ chunksTotal: 0, chunksHeld: 0 }))).toBe(100);
  });

  it("progress events reload no records", () => {
    expect(bringsChanges({ type: "map", ...map() }, 3)).toBe(false);
  });
});
