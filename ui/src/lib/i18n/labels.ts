// Catalog keys for the closed vocabularies, typed so a new Rust variant without a translation
// fails the type check.
import type {
  AlertCategory,
  AlertOutcome,
  AlertStatus,
  CaseOutcome,
  Category,
  ChannelKind,
  DetailKind,
  LocationPrecision,
  PartnerKind,
  Priority,
  Role,
  Severity,
  TriageStatus,
} from "../bindings";

export const roleKey = (v: Role) => `role.${v}` as const;
export const categoryKey = (v: Category) => `category.${v}` as const;
export const alertCategoryKey = (v: AlertCategory) => `alertCategory.${v}` as const;
export const severityKey = (v: Severity) => `severity.${v}` as const;
export const alertStatusKey = (v: AlertStatus) => `alertStatus.${v}` as const;
export const outcomeKey = (v: AlertOutcome) => `outcome.${v}` as const;
export const triageKey = (v: TriageStatus) => `triage.${v}` as const;
export const detailKindKey = (v: DetailKind) => `detailKind.${v}` as const;
export const precisionKey = (v: LocationPrecision) => `precision.${v}` as const;
export const priorityKey = (v: Priority) => `priority.${v}` as const;
export const caseOutcomeKey = (v: CaseOutcome) => `caseOutcome.${v}` as const;
export const partnerKindKey = (v: PartnerKind) => `partnerKind.${v}` as const;
export const channelKindKey = (v: ChannelKind) => `channelKind.${v}` as const;

export const CATEGORIES: Category[] = [
  "suspicious_person",
  "suspicious_vehicle",
  "suspicious_activity",
  "break_in",
  "theft",
  "vandalism",
  "noise",
  "hazard",
  "lighting",
  "all_clear",
  "other",
];
export const ALERT_CATEGORIES: AlertCategory[] = [
  "suspicious_activity",
  "crime",
  "safety",
  "traffic",
  "weather",
  "lost_and_found",
  "meeting",
  "other",
];
export const SEVERITIES: Severity[] = ["info", "warning", "urgent"];
export const TRIAGE_STATUSES: TriageStatus[] = ["new", "in_review", "forwarded", "closed", "dismissed"];
export const PRIORITIES: Priority[] = ["low", "normal", "high", "urgent"];
export const CASE_OUTCOMES: CaseOutcome[] = ["resolved", "referred", "no_further_action", "not_an_incident"];
export const PARTNER_KINDS: PartnerKind[] = [
  "police_liaison",
  "local_leader",
  "school",
  "business",
  "service_organisation",
  "other",
];
export const CHANNEL_KINDS: ChannelKind[] = ["phone", "email", "address", "note"];
export const PRECISIONS: LocationPrecision[] = ["100m", "1km", "exact"];
export const OUTCOMES: AlertOutcome[] = ["all_clear", "resolved", "false_alarm"];
export const DETAIL_KINDS: DetailKind[] = ["clothing", "vehicle", "direction", "build", "hair", "carrying", "other"];

export const gpsKey = (v: "off" | "waiting" | "ok" | "denied" | "unavailable") => `gps.${v}` as const;
