// Sync with the group's server: the status the status bar shows, and the core's events, which
// the shell forwards as the Tauri event `porchlight://event`. Every shape here is generated from
// the Rust types (bindings.ts).
import { listen } from "@tauri-apps/api/event";
import { get, writable } from "svelte/store";
import { api } from "./api";
import type { CoreEvent, PatrolTotals, Quarantined, SyncStatus } from "./bindings";
import { t, type MessageKey } from "./i18n";
import { formatRelative } from "./format";
import { announce } from "./notify";
import { offlineMap } from "./offlineMap";

export type {
  AckSummary,
  AlertNews,
  CoreEvent,
  MatchedAlert,
  Quarantined,
  SyncReport,
  SyncStatus,
} from "./bindings";

/** The quarantined documents of a status (none when the shell has not answered yet). */
export function quarantined(status: SyncStatus | null): Quarantined[] {
  return status?.quarantined ?? [];
}

export const CORE_EVENT = "porchlight://event";

/** The running patrol's totals as the core last sent them (`patrolTotals` events). */
export const liveTotals = writable<PatrolTotals | null>(null);

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
  // Map progress and patrol totals are shown from their own stores; they bring no records.
  if (event.type === "map" || event.type === "patrolTotals") return false;
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
      if (e.payload.type === "patrolTotals") {
        const { type: _type, ...totals } = e.payload;
        void _type;
        liveTotals.set(totals);
      }
      // The core decided these are news (once each, quiet hours applied); only the words are
      // the UI's.
      if (e.payload.type === "alerts") void announce(e.payload, get(t));
      if (bringsChanges(e.payload, lastCursor)) syncTick.update((n) => n + 1);
      if (e.payload.type === "syncStatus") lastCursor = e.payload.cursor;
    });
  } catch {
    return () => {};
  }
}
