// App-wide state: who I am, the shell's settings, the counts in the status bar, and the small
// pure rules the views share.
import { writable } from "svelte/store";
import { api } from "./api";
import type { Alert, AppConfig, CommandError, Role, Stats, WhoAmI } from "./bindings";
import type { MessageKey, Translate } from "./i18n";

export const me = writable<WhoAmI | null>(null);
export const config = writable<AppConfig | null>(null);
export const stats = writable<Stats | null>(null);

/** Refreshes the counts (the status bar's pending changes among them). Never throws. */
export async function refreshStats(): Promise<void> {
  try {
    stats.set(await api.stats());
  } catch {
    // The status bar keeps its last numbers; the view that failed says why.
  }
}

export type View = "patrol" | "alerts" | "report" | "coordinate";

/** The views a role uses, in the order the navigation shows them. */
export function viewsFor(role: Role): View[] {
  switch (role) {
    case "coordinator":
      return ["coordinate", "patrol", "alerts", "report"];
    case "volunteer":
      return ["patrol", "alerts", "report"];
    case "resident":
      return ["alerts", "report"];
  }
}

export function viewFromHash(hash: string, allowed: View[]): View {
  const wanted = hash.replace(/^#\/?/, "");
  return (allowed as string[]).includes(wanted) ? (wanted as View) : (allowed[0] ?? "report");
}

export type InboxItem = { alert: Alert; mine: boolean };

/** Alerts touching my areas first (newest first), then the rest, each alert once. */
export function orderInbox(mine: Alert[], all: Alert[]): InboxItem[] {
  const byNewest = (a: Alert, b: Alert) => b.issuedAt.localeCompare(a.issuedAt);
  const mineIds = new Set(mine.map((a) => a.id));
  return [
    ...[...mine].sort(byNewest).map((alert) => ({ alert, mine: true })),
    ...all
      .filter((a) => !mineIds.has(a.id))
      .sort(byNewest)
      .map((alert) => ({ alert, mine: false })),
  ];
}

const ERROR_KEYS: Record<string, MessageKey> = {
  invalid: "error.invalid",
  not_found: "error.notFound",
  not_allowed: "error.notAllowed",
  no_patrol: "error.noPatrol",
  patrol_running: "error.patrolRunning",
  unavailable: "error.unavailable",
  offline: "error.offline",
  certificate: "error.certificate",
  plain_http: "error.plainHttp",
  not_joined: "error.notJoined",
  already_joined: "error.alreadyJoined",
  photo: "error.photo",
  person_details: "error.personDetails",
  outcome_required: "error.outcomeRequired",
  not_assignable: "error.notAssignable",
  bad_merge: "error.badMerge",
  no_such_partner: "error.noSuchPartner",
};

/** A sentence for a failed command: the kind in the reader's language, the detail as given. */
export function describeError(e: unknown, t: Translate): string {
  const err = e as Partial<CommandError>;
  const key = ERROR_KEYS[err?.kind ?? ""] ?? "error.generic";
  return t(key, { detail: err?.message ?? String(e) });
}

/**
 * A sentence for a failed attempt to create a group on `server`: unreachable, refused, or the
 * usual sentence for anything else.
 */
export function describeServerError(e: unknown, server: string, t: Translate): string {
  const err = e as Partial<CommandError>;
  const detail = err?.message ?? String(e);
  if (err?.kind === "offline") return t("onboarding.serverUnreachable", { server });
  if (err?.kind === "certificate") return t("onboarding.certificateRefused", { server, detail });
  if (err?.kind === "sync") return t("onboarding.serverRefused", { server, detail });
  return describeError(e, t);
}
