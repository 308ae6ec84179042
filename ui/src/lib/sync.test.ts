import { describe, expect, it } from "vitest";
import { applyEvent, bringsChanges, describeSync, quarantined, type SyncStatus } from "./sync";

const status = (over: Partial<SyncStatus> = {}): SyncStatus => ({
  server: "https://sync.example.org",
  group: "g1",
  cursor: 7,
  pending: 2,
  lastSuccess: "2026-05-01T11:58:00Z",
  lastError: null,
  queuedReports: 0,
  heldChanges: 0,
  dropTokens: 20,
  quarantined: [],
  ...over,
});

describe("quarantined documents", () => {
  it("lists what the core set aside, and nothing before the shell answered", () => {
    expect(quarantined(null)).toEqual([]);
    expect(quarantined(status())).toEqual([]);
    const q = { doc: "d1", kind: "alert" as const, reason: "area: latitude 999 is outside -90..90", at: "2026-05-01T11:59:00Z" };
    expect(quarantined(status({ quarantined: [q] }))).toEqual([q]);
  });
});

describe("sync status line", () => {
  const now = new Date("2026-05-01T12:00:00Z");

  it("without a server, everything stays on the device", () => {
    expect(describeSync(null, now, "en")).toEqual({ state: "local", stateKey: "sync.local", last: null });
    expect(describeSync(status({ server: null }), now, "en").state).toBe("local");
  });

  it("online with the last sync as a relative time", () => {
    expect(describeSync(status(), now, "en")).toEqual({
      state: "online",
      stateKey: "sync.online",
      last: "2 minutes ago",
    });
    expect(describeSync(status(), now, "es").last).toBe("hace 2 minutos");
  });

  it("offline when the last sync failed; never synced has no time", () => {
    const line = describeSync(status({ lastError: "connection refused", lastSuccess: null }), now, "en");
    expect(line.state).toBe("offline");
    expect(line.stateKey).toBe("sync.offline");
    expect(line.last).toBeNull();
  });

  it("a status event replaces the status, alert news leaves it", () => {
    const before = status();
    const after = applyEvent({ type: "syncStatus", ...status({ pending: 0 }) }, before);
    expect(after).toEqual(status({ pending: 0 }));
    expect(applyEvent({ type: "alerts", matched: [], cancelled: [] }, before)).toBe(before);
  });

  it("views reload after a sync that may have brought something, not after failed retries", () => {
    const ok = { type: "syncStatus" as const, ...status({ cursor: 7 }) };
    const failed = { type: "syncStatus" as const, ...status({ cursor: 7, lastError: "connection refused" }) };
    // A successful sync may have pulled changes or updated the roster.
    expect(bringsChanges(ok, 7)).toBe(true);
    // A failed one only when it still moved the cursor (or is the first we hear of).
    expect(bringsChanges(failed, 7)).toBe(false);
    expect(bringsChanges(failed, 5)).toBe(true);
    expect(bringsChanges(failed, null)).toBe(true);
    expect(bringsChanges({ type: "alerts", matched: [], cancelled: [] }, 7)).toBe(true);
    // A fix on the running patrol brings nothing from elsewhere: no view reloads for it.
    const totals = { patrol: "p1", startedAt: "2026-05-01T11:00:00Z", fixCount: 3, distanceM: 120, durationMs: 60_000, lastFix: null };
    expect(bringsChanges({ type: "patrolTotals", ...totals }, 7)).toBe(false);
  });
});
