// Sync with the group's server: the shapes the shell sends (hand-written: the core's sync types
// are not exported to bindings.ts), the status the status bar shows, and the core's events,
// which the shell forwards as the Tauri event `porchlight://event`.
import { listen } from "@tauri-apps/api/event";
import { writable } from "svelte/store";
import { api } from "./api";
import type { Alert, DocId, DocKind, MapStatus, Timestamp } from "./bindings";
import type { MessageKey } from "./i18n";
import { formatRelative } from "./format";
import { offlineMap } from "./offlineMap";

/** `porchlight_core::SyncStatus`. */
export type SyncStatus = {
  server: string | null;
  group: string | null;
  cursor: number;
  pending: number;
  lastSuccess: Timestamp | null;
  lastError: string | null;
  /** Sealed report envelopes waiting for their moment to leave. */
  queuedReports: number;
  /** Pulled changes waiting for a coordinator to certify their author. */
  heldChanges: number;
  /** Unspent anonymous drop tokens. */
  dropTokens: number;
  /** Received documents this device cannot show (newest first); syncing goes on without them. */
  quarantined: Quarantined[];
};

/** `porchlight_store::Quarantined`: a received document set aside, and why. */
export type Quarantined = {
  doc: DocId;
  kind: DocKind;
  reason: string;
  at: Timestamp;
};

/** The quarantined documents of a status (none when the shell has not answered yet). */
export function quarantined(status: SyncStatus | null): Quarantined[] {
  return status?.quarantined ?? [];
}

/** `porchlight_core::SyncReport`. */
export type SyncReport = {
  pushed: number;
  rejected: string[];
  pulled: number;
  roundTrips: number;
  cursor: number;
  changed: DocId[];
};

/** `porchlight_core::AckSummary`. */
export type AckSummary = {
  alert: DocId;
  count: number;
  firstAt: Timestamp | null;
  minutesToFirst: number | null;
};

export type MatchedAlert = { alert: Alert; areas: string[]; notify: boolean };
export type AlertNews = { matched: MatchedAlert[]; cancelled: Alert[] };

/** `porchlight_core::Event`, as forwarded by the shell. */
export type CoreEvent =
  | ({ type: "syncStatus" } & SyncStatus)
  | ({ type: "alerts" } & AlertNews)
  | ({ type: "map" } & MapStatus);

export const CORE_EVENT = "porchlight://event";

/** The last known sync status; `null` until the shell answered. */
export const syncStatus = writable<SyncStatus | null>(null);
/**
 * Bumped when a core event may have brought data from elsewhere (see `bringsChanges`), so every
 * view that shows synced records reloads them.
 */
export const syncTick = writable(0);

export type SyncLine = {
  state: "local" | "online" | "offline";
  stateKey: MessageKey;
  /** "2 minutes ago", or null when it never synced. */
  last: string | null;
};

/** What the status bar says about sync: no server (kept on this device), online or offline. */
export function describeSync(status: SyncStatus | null, now: Date, locale: string): SyncLine {
  if (!status?.server) return { state: "local", stateKey: "sync.local", last: null };
  const state = status.lastError ? "offline" : "online";
  return {
    state,
    stateKey: state === "online" ? "sync.online" : "sync.offline",
    last: status.lastSuccess ? formatRelative(status.lastSuccess, now, locale) : null,
  };
}

/** The Tauri events payload is either a status or alert news; a status replaces ours. */
export function applyEvent(event: CoreEvent, current: SyncStatus | null): SyncStatus | null {
  if (event.type !== "syncStatus") return current;
  const { type: _type, ...status } = event;
  void _type;
  return status;
}

/**
 * Whether an event may have brought data from elsewhere: alert news always; a sync status when
 * the sync succeeded (it may also have updated the roster from the server's member list) or the
 * server's cursor moved since the last status event (`lastCursor`, `null` before the first: a
 * sync can apply some pages before it fails). Failed retries while offline reload nothing. The
 * cursor is compared with the last *event's*, not with the status store, which the status bar
 * also fills by asking the shell and may already hold the new one.
 */
export function bringsChanges(event: CoreEvent, lastCursor: number | null): boolean {
  // Map progress is shown from its own store; it brings no records.
  if (event.type === "map") return false;
  if (event.type !== "syncStatus") return true;
  return event.lastError === null || lastCursor === null || event.cursor !== lastCursor;
}

/** Asks the shell for the sync status. Never throws: the status bar keeps what it had. */
export async function refreshSync(): Promise<void> {
  try {
    syncStatus.set(await api.syncStatus());
  } catch {
    // An older shell or a failed read: keep the last status.
  }
}

/** Listens to the core's events for as long as the page lives; returns the unlisten call. */
export async function listenCoreEvents(): Promise<() => void> {
  try {
    let lastCursor: number | null = null;
    return await listen<CoreEvent>(CORE_EVENT, (e) => {
      syncStatus.update((s) => applyEvent(e.payload, s));
      if (e.payload.type === "map") {
        const { type: _type, ...map } = e.payload;
        void _type;
        offlineMap.set(map);
      }
      if (bringsChanges(e.payload, lastCursor)) syncTick.update((n) => n + 1);
      if (e.payload.type === "syncStatus") lastCursor = e.payload.cursor;
    });
  } catch {
    return () => {};
  }
}
