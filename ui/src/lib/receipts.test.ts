import { describe, expect, it } from "vitest";
import type { Receipt } from "./bindings";
import { translate } from "./i18n";
import { isQuietRefreshError, receiptStatusKey, sortReceipts } from "./receipts";

const receipt = (report: string, filedAt: string, status: string | null = null): Receipt => ({
  report,
  anonymous: true,
  filedAt,
  category: "theft",
  description: "x",
  status,
  statusNote: null,
  statusAt: null,
  checkedAt: null,
});

describe("receipts", () => {
  it("names a published status in the reader's language", () => {
    expect(receiptStatusKey(receipt("a", "2026-01-01T10:00:00Z"))).toBe("receipts.noStatus");
    expect(receiptStatusKey(receipt("a", "2026-01-01T10:00:00Z", "in_review"))).toBe("triage.in_review");
    expect(translate("es", receiptStatusKey(receipt("a", "2026-01-01T10:00:00Z")))).toBe("Aún sin respuesta");
  });

  it("shows a status it does not know as given", () => {
    const r = receipt("a", "2026-01-01T10:00:00Z", "escalated");
    expect(receiptStatusKey(r)).toBe("receipts.statusOther");
    expect(translate("en", receiptStatusKey(r), { status: r.status! })).toBe("Status: escalated");
  });

  it("lists the newest first, keeping the order within a quarter hour", () => {
    const list = [
      receipt("old", "2026-01-01T10:00:00Z"),
      receipt("new1", "2026-01-02T10:00:00Z"),
      receipt("new2", "2026-01-02T10:00:00Z"),
    ];
    expect(sortReceipts(list).map((r) => r.report)).toEqual(["new1", "new2", "old"]);
  });

  it("treats no server and no network as a quiet note", () => {
    expect(isQuietRefreshError("not_joined")).toBe(true);
    expect(isQuietRefreshError("offline")).toBe(true);
    expect(isQuietRefreshError("invalid")).toBe(false);
    expect(isQuietRefreshError(undefined)).toBe(false);
  });
});
