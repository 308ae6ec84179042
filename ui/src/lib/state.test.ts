import { describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

import type { Alert } from "./bindings";
import { translate } from "./i18n";
import { describeError, describeServerError, orderInbox, viewFromHash, viewsFor } from "./state";
import { toCommandError } from "./api";

const alert = (id: string, issuedAt: string): Alert => ({
  id,
  title: id,
  body: "",
  category: "crime",
  severity: "warning",
  area: { type: "circle", center: { lat: 45.5, lon: -122.6 }, radiusM: 100 },
  issuedAt,
  expiresAt: null,
  status: "active",
  issuedBy: null,
  meeting: null,
  person: null,
  approvedBy: [],
  awaitingApproval: false,
  outcome: null,
  attendance: null,
});

describe("state", () => {
  it("puts alerts touching my areas first, each once, newest first", () => {
    const a = alert("a", "2026-05-01T10:00:00Z");
    const b = alert("b", "2026-05-01T11:00:00Z");
    const c = alert("c", "2026-05-01T12:00:00Z");
    const inbox = orderInbox([a], [c, b, a]);
    expect(inbox.map((i) => [i.alert.id, i.mine])).toEqual([
      ["a", true],
      ["c", false],
      ["b", false],
    ]);
  });

  it("shows each role its views, and falls back to the first", () => {
    expect(viewsFor("resident")).toEqual(["alerts", "report"]);
    expect(viewsFor("coordinator")[0]).toBe("coordinate");
    expect(viewFromHash("#/patrol", viewsFor("volunteer"))).toBe("patrol");
    expect(viewFromHash("#/coordinate", viewsFor("resident"))).toBe("alerts");
  });

  it("explains command errors by kind", () => {
    const t = (k: Parameters<typeof translate>[1], p?: Record<string, string | number>) => translate("en", k, p);
    expect(describeError({ kind: "no_patrol", message: "x" }, t)).toBe("No patrol is running.");
    expect(describeError({ kind: "invalid", message: "title: must not be empty" }, t)).toBe(
      "Please check what you entered: title: must not be empty",
    );
    expect(describeError({ kind: "photo", message: "HEIC pictures are not supported." }, t)).toBe(
      "This picture cannot be used: HEIC pictures are not supported.",
    );
    expect(toCommandError("Command join not found").kind).toBe("unavailable");
    expect(toCommandError({ kind: "store", message: "disk full" })).toEqual({ kind: "store", message: "disk full" });
  });

  it("says why a group could not be created on a server", () => {
    const t = (k: Parameters<typeof translate>[1], p?: Record<string, string | number>) => translate("en", k, p);
    const server = "http://127.0.0.1:1";
    const unreachable = { kind: "offline", message: "the sync server is unreachable: connection refused" };
    expect(describeServerError(unreachable, server, t)).toMatch(/^Could not reach a server at http:\/\/127\.0\.0\.1:1\./);
    const refused = { kind: "sync", message: "the server refused the request (404 not_found): no such route" };
    expect(describeServerError(refused, server, t)).toBe(
      "The server at http://127.0.0.1:1 did not accept the group: the server refused the request (404 not_found): no such route",
    );
    expect(describeServerError({ kind: "already_joined", message: "x" }, server, t)).toBe(
      "This device already belongs to a group.",
    );
  });
});
