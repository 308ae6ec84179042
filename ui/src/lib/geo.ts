// Where position fixes come from: the geolocation plugin on phones, the web API elsewhere (a
// desktop often has none, and then patrols record observations without a track).
import type { Fix } from "./bindings";
import { isMobile } from "./platform";

export type GeoState = "off" | "waiting" | "ok" | "denied" | "unavailable";

/** Starts watching the position; returns a function that stops it. */
export function watchFixes(onFix: (fix: Fix) => void, onState: (s: GeoState) => void): () => void {
  let stopped = false;
  let stop: () => void = () => {};
  onState("waiting");
  const toFix = (lat: number, lon: number, accuracy: number | null, at: number): Fix => ({
    at: new Date(at).toISOString(),
    point: { lat, lon },
    accuracyM: accuracy,
  });

  if (isMobile()) {
    import("@tauri-apps/plugin-geolocation")
      .then(async (geo) => {
        let perm = await geo.checkPermissions();
        if (perm.location !== "granted") perm = await geo.requestPermissions(["location"]);
        if (perm.location !== "granted") return onState("denied");
        const id = await geo.watchPosition({ enableHighAccuracy: true, timeout: 30_000, maximumAge: 0 }, (pos) => {
          if (!pos) return onState("unavailable");
          onState("ok");
          onFix(toFix(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy, pos.timestamp));
        });
        if (stopped) return geo.clearWatch(id);
        stop = () => void geo.clearWatch(id);
      })
      .catch(() => onState("unavailable"));
  } else if (typeof navigator !== "undefined" && navigator.geolocation) {
    const id = navigator.geolocation.watchPosition(
      (pos) => {
        onState("ok");
        onFix(toFix(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy, pos.timestamp));
      },
      (err) => onState(err.code === err.PERMISSION_DENIED ? "denied" : "unavailable"),
      { enableHighAccuracy: true, maximumAge: 0 },
    );
    stop = () => navigator.geolocation.clearWatch(id);
  } else {
    onState("unavailable");
  }
  return () => {
    stopped = true;
    stop();
    onState("off");
  };
}
