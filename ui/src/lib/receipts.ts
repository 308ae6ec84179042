// The reporter's receipts ("My reports"): what a published status looks like, and the order.
import type { Receipt, TriageStatus } from "./bindings";
import type { MessageKey } from "./i18n";
import { TRIAGE_STATUSES, triageKey } from "./i18n/labels";

/** The catalog key for a receipt's published status: a known triage status, or "not yet". */
export function receiptStatusKey(r: Pick<Receipt, "status">): MessageKey {
  if (r.status && (TRIAGE_STATUSES as readonly string[]).includes(r.status)) {
    return triageKey(r.status as TriageStatus);
  }
  return r.status ? "receipts.statusOther" : "receipts.noStatus";
}

/** Newest first; receipts filed in the same quarter hour keep the shell's order. */
export function sortReceipts(list: readonly Receipt[]): Receipt[] {
  return list
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.filedAt.localeCompare(a.r.filedAt) || a.i - b.i)
    .map(({ r }) => r);
}

/** True when refreshing failed only because there is no server or no network: show the list. */
export function isQuietRefreshError(kind: string | undefined): boolean {
  return kind === "not_joined" || kind === "offline" || kind === "unavailable";
}
