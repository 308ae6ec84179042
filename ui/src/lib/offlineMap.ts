// The group's offline map: how far this device has it (a store the maps and the status bar
// read), and the URL the web view loads its tiles from. Tiles come from the core through the
// `porchlight-tiles` URI scheme (src-tauri/src/tiles.rs), never from the network.
import { convertFileSrc } from "@tauri-apps/api/core";
import { writable } from "svelte/store";
import { api } from "./api";
import type { MapStatus } from "./bindings";

export const TILE_SCHEME = "porchlight-tiles";

/** The last known map status; `null` while the group has no map (or the shell has not said). */
export const offlineMap = writable<MapStatus | null>(null);

/**
 * Where the scheme lives in this web view: `porchlight-tiles://localhost` on Linux and macOS,
 * `http://porchlight-tiles.localhost` on Windows and Android (Tauri's `convertFileSrc` knows).
 */
function schemeBase(): string {
  try {
    return convertFileSrc("", TILE_SCHEME).replace(/\/+$/, "");
  } catch {
    return `${TILE_SCHEME}://localhost`;
  }
}

/**
 * Leaflet's URL template for the package's tiles, or `null` until the whole package is on this
 * device. The package id in the query keeps the web view from showing a replaced map's tiles.
 */
export function offlineTileUrl(status: MapStatus | null, base: string = schemeBase()): string | null {
  if (!status?.ready) return null;
  return `${base}/{z}/{x}/{y}.png?v=${status.id.slice(0, 16)}`;
}

/** Whole percent of the package on this device. */
export function mapProgress(status: MapStatus): number {
  if (status.chunksTotal === 0) return 100;
  return Math.floor((status.chunksHeld / status.chunksTotal) * 100);
}

/** Asks the shell for the map status. Never throws: keeps what it had. */
export async function refreshOfflineMap(): Promise<void> {
  try {
    offlineMap.set(await api.mapStatus());
  } catch {
    // An older shell or a failed read.
  }
}
