import { describe, expect, it } from "vitest";
import { applyEvent, describeSync, type SyncStatus } from "./sync";

const status = (over: Partial<SyncStatus> = {}): SyncStatus => ({
  server: "https://sync.example.org",
  group: "g1",
  cursor: 7,
  pending: 2,
  lastSuccess: "2026-05-01T11:58:00Z",
  lastError: null,
  ...over,
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
});
