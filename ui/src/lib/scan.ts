// Scanning an invite's QR code on a phone (the barcode-scanner plugin, registered only on
// Android and iOS). The QR code the coordinator shows holds the `plj2-…` code as text (`plj3-…`
// for a group with a hub on the local network, which also carries the hub's address).

/** The prefixes invite codes start with (`porchlight_protocol::INVITE_PREFIX`, `INVITE_PREFIX_HUB`). */
export const INVITE_PREFIXES = ["plj2-", "plj3-"] as const;

/**
 * The invite code in what a scan read, or null when it holds none. Tolerates what other apps
 * wrap around a code (white space, a link or a sentence that contains it).
 */
export function inviteFromScan(content: string): string | null {
  const m = content.match(/plj[23]-[1-9A-HJ-NP-Za-km-z]+/);
  return m ? m[0] : null;
}

/** The prefix of a printed token code (`porchlight_protocol::wire::TOKEN_CODE_PREFIX`). */
export const TOKEN_CODE_PREFIX = "porchlight-drop:";

/** The token code (from a coordinator's printed sheet) in what a scan read, or null. */
export function tokenCodeFromScan(content: string): string | null {
  const m = content.match(/porchlight-drop:[1-9A-HJ-NP-Za-km-z]+/);
  return m ? m[0] : null;
}

export type ScanResult =
  | { kind: "code"; code: string }
  | { kind: "notCode" }
  | { kind: "denied" }
  | { kind: "cancelled" }
  | { kind: "failed"; message: string };

/** The part of `@tauri-apps/plugin-barcode-scanner` we use (a seam for the unit tests). */
export type Scanner = Pick<
  typeof import("@tauri-apps/plugin-barcode-scanner"),
  "scan" | "checkPermissions" | "requestPermissions" | "Format"
>;

const loadScanner = (): Promise<Scanner> => import("@tauri-apps/plugin-barcode-scanner");

/** Asks for the camera if needed, scans one QR code and finds the invite code in it. */
export function scanInvite(load: () => Promise<Scanner> = loadScanner): Promise<ScanResult> {
  return scanFor(inviteFromScan, load);
}

/** The same for a token code from a printed sheet. */
export function scanTokenCode(load: () => Promise<Scanner> = loadScanner): Promise<ScanResult> {
  return scanFor(tokenCodeFromScan, load);
}

async function scanFor(find: (content: string) => string | null, load: () => Promise<Scanner>): Promise<ScanResult> {
  let scanner: Scanner;
  try {
    scanner = await load();
    let permission = await scanner.checkPermissions();
    if (permission !== "granted") permission = await scanner.requestPermissions();
    if (permission !== "granted") return { kind: "denied" };
  } catch (e) {
    return { kind: "failed", message: e instanceof Error ? e.message : String(e) };
  }
  try {
    const scanned = await scanner.scan({ formats: [scanner.Format.QRCode] });
    const code = find(scanned.content);
    return code ? { kind: "code", code } : { kind: "notCode" };
  } catch (e) {
    // The plugin rejects when the person closes the camera; that is not an error to show.
    const message = e instanceof Error ? e.message : String(e);
    return /cancel/i.test(message) ? { kind: "cancelled" } : { kind: "failed", message };
  }
}
