// Which kind of device the page runs on. The app ships no OS plugin (one Rust plugin fewer), so
// this reads the web view's user agent: Android's WebView says "Android", iOS's WKWebView
// "iPhone" or "iPad". An iPad may present itself as a Mac ("Macintosh"); a Mac has no touch
// screen, so a "Macintosh" with several touch points is taken for an iPad.
// Only phones and tablets have the geolocation, barcode-scanner and biometric plugins (src-tauri,
// `#[cfg(mobile)]`), so this decides whether the page may call them.

/** True on Android and iOS, where the phone-only plugins exist. */
export function isMobile(
  ua: string = typeof navigator === "undefined" ? "" : navigator.userAgent,
  touchPoints: number = typeof navigator === "undefined" ? 0 : (navigator.maxTouchPoints ?? 0),
): boolean {
  return /Android|iPhone|iPad|iPod/i.test(ua) || (/Macintosh/.test(ua) && touchPoints > 1);
}
