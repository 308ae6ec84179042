import { describe, expect, it, vi } from "vitest";
import { isMobile } from "./platform";
import { inviteFromScan, scanInvite, scanTokenCode, tokenCodeFromScan, type Scanner } from "./scan";

const CODE = "plj2-3mJr7AoUXx2Wqd";

/** A stand-in for the barcode-scanner plugin: the permission it reports and what it "reads". */
function fakeScanner(opts: { permission?: string; granted?: string; content?: string; reject?: unknown }) {
  const scan = vi.fn(async () => {
    if (opts.reject !== undefined) throw opts.reject;
    return { content: opts.content ?? "", format: "QR_CODE", bounds: null };
  });
  const scanner = {
    Format: { QRCode: "QR_CODE" },
    checkPermissions: vi.fn(async () => opts.permission ?? "granted"),
    requestPermissions: vi.fn(async () => opts.granted ?? "denied"),
    scan,
  } as unknown as Scanner;
  return { scanner, scan, load: async () => scanner };
}

describe("invite QR codes", () => {
  it("finds the invite code in what a scan read", () => {
    expect(inviteFromScan(CODE)).toBe(CODE);
    expect(inviteFromScan(`  ${CODE}\n`)).toBe(CODE);
    expect(inviteFromScan(`Join us: ${CODE}. See you!`)).toBe(CODE);
    expect(inviteFromScan(`https://example.org/join?code=${CODE}`)).toBe(CODE);
    // A group with a hub on the local network hands out plj3 codes.
    const hub = CODE.replace("plj2-", "plj3-");
    expect(inviteFromScan(`Join us: ${hub}`)).toBe(hub);
  });

  it("finds nothing in other QR codes", () => {
    expect(inviteFromScan("https://example.org")).toBeNull();
    expect(inviteFromScan("plj2-")).toBeNull();
  });

  it("scans for QR codes only and fills in the code", async () => {
    const fake = fakeScanner({ content: CODE });
    expect(await scanInvite(fake.load)).toEqual({ kind: "code", code: CODE });
    expect(fake.scan).toHaveBeenCalledWith({ formats: ["QR_CODE"] });
  });

  it("asks for the camera once, and stops when it is refused", async () => {
    const granted = fakeScanner({ permission: "prompt", granted: "granted", content: CODE });
    expect(await scanInvite(granted.load)).toEqual({ kind: "code", code: CODE });
    const refused = fakeScanner({ permission: "prompt", granted: "denied" });
    expect(await scanInvite(refused.load)).toEqual({ kind: "denied" });
    expect(refused.scan).not.toHaveBeenCalled();
  });

  it("tells a foreign QR code, a cancelled scan and a failure apart", async () => {
    expect(await scanInvite(fakeScanner({ content: "WIFI:S:home;;" }).load)).toEqual({ kind: "notCode" });
    expect(await scanInvite(fakeScanner({ reject: "Scan cancelled" }).load)).toEqual({ kind: "cancelled" });
    expect(await scanInvite(fakeScanner({ reject: new Error("no camera") }).load)).toEqual({
      kind: "failed",
      message: "no camera",
    });
    const missing = async (): Promise<Scanner> => {
      throw new Error("plugin barcode-scanner not found");
    };
    expect((await scanInvite(missing)).kind).toBe("failed");
  });
});

describe("platform", () => {
  it("phones and tablets are mobile, desktops are not", () => {
    expect(isMobile("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Version/4.0 Chrome/125.0 Mobile")).toBe(true);
    expect(isMobile("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)")).toBe(true);
    expect(isMobile("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15", 5)).toBe(true);
    expect(isMobile("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15", 0)).toBe(false);
    expect(isMobile("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)", 0)).toBe(false);
    expect(isMobile("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/125.0", 10)).toBe(false);
  });
});

describe("token code QR codes", () => {
  const TOKEN = "porchlight-drop:3mJr7AoUXx2WqdZ9";

  it("finds a printed token code, and does not take an invite for one", () => {
    expect(tokenCodeFromScan(`  ${TOKEN}\n`)).toBe(TOKEN);
    expect(tokenCodeFromScan(`Report here: ${TOKEN}.`)).toBe(TOKEN);
    expect(tokenCodeFromScan(CODE)).toBeNull();
    expect(tokenCodeFromScan("porchlight-drop:")).toBeNull();
    expect(inviteFromScan(TOKEN)).toBeNull();
  });

  it("tells an invite scanned where a token code was expected", async () => {
    expect(await scanTokenCode(fakeScanner({ content: TOKEN }).load)).toEqual({ kind: "code", code: TOKEN });
    expect(await scanTokenCode(fakeScanner({ content: CODE }).load)).toEqual({ kind: "notCode" });
  });
});
