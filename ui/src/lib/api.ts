// Typed calls into the Tauri shell. Each function is one command of src-tauri/src/commands.
import { invoke } from "@tauri-apps/api/core";
import type {
  Alert,
  AlertCategory,
  AlertOutcome,
  AppConfig,
  BlurRegion,
  CaseFilter,
  IncidentMap,
  IncidentQuery,
  PatrolFilter,
  PatrolPage,
  ReportPage,
  CaseHistoryEntry,
  CaseOutcome,
  DeviceId,
  DueHours,
  DuplicatePair,
  Priority,
  CheckInState,
  CommandError,
  DemoSummary,
  Digest,
  DigestSetting,
  DocId,
  ExportAs,
  ExportWhat,
  Exported,
  Forwarded,
  NewPartner,
  Partner,
  HubOptions,
  HubStatus,
  TokenSheet,
  MeetingSummary,
  SummaryLang,
  Fix,
  Hotspots,
  Measures,
  TrendStep,
  PatrolAlarm,
  Forgotten,
  Group,
  MapStatus,
  NewAlert,
  NewObservation,
  NewReport,
  Observation,
  Patrol,
  PatrolDetail,
  Point,
  PatrolTotals,
  PrivacyZone,
  PhotoInfo,
  Receipt,
  ReportEntry,
  Role,
  SearchHit,
  Stats,
  Triage,
  TriageStatus,
  WatchArea,
  WhoAmI,
} from "./bindings";
import type { AckSummary, SyncReport, SyncStatus } from "./bindings";

/** Kind used when the shell has no such command (a feature not in this build yet). */
export const UNAVAILABLE = "unavailable";

/** Turns whatever a rejected invoke carried into a `{kind, message}`. */
export function toCommandError(e: unknown): CommandError {
  if (e && typeof e === "object" && "kind" in e && "message" in e) {
    return { kind: String(e.kind), message: String(e.message) };
  }
  const message = e instanceof Error ? e.message : String(e);
  if (/command \S+ not found|not allowed|unknown command/i.test(message)) {
    return { kind: UNAVAILABLE, message };
  }
  return { kind: "unknown", message };
}

/** A finished command as the page saw it: when it was asked, and how long the answer took. */
export interface CallTiming {
  cmd: string;
  at: number;
  ms: number;
}

/**
 * The commands now in flight and the last ones answered, for the P7 bench (ui/e2e/p7.js): it
 * waits for `pending` to reach zero to know a view has its data, and reads `done` to say which
 * commands a step waited for. Two numbers and a short ring buffer: nothing else is kept.
 */
export const calls = { pending: 0, done: [] as CallTiming[] };
(globalThis as { __porchlightCalls?: typeof calls }).__porchlightCalls = calls;
const KEEP_CALLS = 100;

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  const at = performance.now();
  calls.pending += 1;
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toCommandError(e);
  } finally {
    calls.pending -= 1;
    calls.done.push({ cmd, at, ms: performance.now() - at });
    if (calls.done.length > KEEP_CALLS) calls.done.splice(0, calls.done.length - KEEP_CALLS);
  }
}

export const api = {
  appConfig: () => call<AppConfig>("app_config"),
  init: (name: string) => call<WhoAmI>("init", { name }),
  whoami: () => call<WhoAmI>("whoami"),
  createGroup: (name: string) => call<Group>("create_group", { name }),
  group: () => call<Group | null>("group"),
  join: (code: string, name: string) => call<WhoAmI>("join", { code, name }),
  createGroupOnServer: (server: string, name: string, creationToken: string, fingerprint: string) =>
    call<WhoAmI>("create_group_on_server", { server, name, creationToken, fingerprint }),
  /** An invite code (`plj2-…`, or `plj3-…` with a hub). */
  invite: (role: Role, uses: number, validDays: number) =>
    call<string>("invite", { role, uses, validDays }),
  syncNow: () => call<SyncReport>("sync_now"),
  syncStatus: () => call<SyncStatus>("sync_status"),
  mapStatus: () => call<MapStatus | null>("map_status"),
  /** Imports an MBTiles package (a data URL of the file) for the whole group. */
  importMap: (data: string, name: string | null) => call<MapStatus>("import_map", { data, name }),
  ackAlert: (id: DocId) => call<null>("ack_alert", { id }),
  alertAcks: (id: DocId) => call<AckSummary>("alert_acks", { id }),
  /** The acknowledgements of several alerts in one call. */
  alertsAcks: (ids: DocId[]) => call<AckSummary[]>("alerts_acks", { ids }),
  upcomingMeetings: () => call<Alert[]>("upcoming_meetings"),
  /** The upcoming meetings as an iCalendar file's text. */
  meetingsIcs: () => call<string>("meetings_ics"),
  /** Which of `ids` this device acknowledged. */
  acknowledgedAlerts: (ids: DocId[]) => call<DocId[]>("acknowledged_alerts", { ids }),

  issueAlert: (alert: NewAlert) => call<Alert>("issue_alert", { alert }),
  cancelAlert: (id: DocId) => call<Alert>("cancel_alert", { id }),
  approveAlert: (id: DocId) => call<Alert>("approve_alert", { id }),
  closeAlert: (id: DocId, outcome: AlertOutcome) => call<Alert>("close_alert", { id, outcome }),
  followedCategories: () => call<AlertCategory[]>("followed_categories"),
  setFollowedCategories: (categories: AlertCategory[]) => call<AlertCategory[]>("set_followed_categories", { categories }),
  digestSetting: () => call<DigestSetting>("digest_setting"),
  /** `hour`: the local hour of the daily digest, or null for a notification per alert. */
  setDigestSetting: (hour: number | null) => call<DigestSetting>("set_digest_setting", { hour }),
  /** The digest due now, if any; the core gives each once. */
  takeDigest: () => call<Digest | null>("take_digest"),
  listAlerts: (live: boolean, limit?: number) => call<Alert[]>("list_alerts", { live, limit }),
  alertsForMyAreas: () => call<Alert[]>("alerts_for_my_areas"),
  setWatchArea: (area: WatchArea) => call<WatchArea>("set_watch_area", { area }),
  watchAreas: () => call<WatchArea[]>("watch_areas"),
  removeWatchArea: (name: string) => call<boolean>("remove_watch_area", { name }),

  startPatrol: (title: string) => call<Patrol>("start_patrol", { title }),
  addFix: (fix: Fix) => call<null>("add_fix", { fix }),
  addObservation: (observation: NewObservation) =>
    call<Observation>("add_observation", { observation }),
  endPatrol: () => call<Patrol>("end_patrol"),
  currentPatrol: () => call<PatrolDetail | null>("current_patrol"),
  startCheckIns: (everyMinutes: number) => call<CheckInState>("start_check_ins", { everyMinutes }),
  checkIn: () => call<CheckInState>("check_in"),
  stopCheckIns: () => call<CheckInState>("stop_check_ins"),
  checkInState: () => call<CheckInState>("check_in_state"),
  sos: (point: Point | null) => call<CheckInState>("sos", { point }),
  withdrawSos: () => call<CheckInState>("withdraw_sos"),
  patrolAlarms: () => call<PatrolAlarm[]>("patrol_alarms"),
  /** Alarms this device has not notified yet; the core gives each once, even across restarts. */
  takeNewAlarms: () => call<PatrolAlarm[]>("take_new_alarms"),
  hotspots: (from: string | null, to: string | null) =>
    call<Hotspots>("hotspots", { from, to, category: null, utcOffsetMinutes: -new Date().getTimezoneOffset() }),
  hotspotK: () => call<number>("hotspot_k"),
  setHotspotK: (k: number) => call<number>("set_hotspot_k", { k }),
  /** Measures of success of [from, to); weeks and months start at this device's midnight. */
  measures: (from: string, to: string, zone: string | null, step: TrendStep) =>
    call<Measures>("measures", { from, to, zone, step, utcOffsetMinutes: -new Date().getTimezoneOffset() }),
  /** The meeting summary as a PDF and an HTML page in the export folder, in the UI's language. */
  meetingSummary: (from: string, to: string, zone: string | null, lang: SummaryLang) =>
    call<MeetingSummary>("meeting_summary", { from, to, zone, lang, utcOffsetMinutes: -new Date().getTimezoneOffset() }),
  recordAttendance: (alert: DocId, count: number, members: string[]) =>
    call<Alert>("record_attendance", { alert, count, members }),
  appLockEnabled: () => call<boolean>("app_lock_enabled"),
  setAppLock: (pin: string | null) => call<null>("set_app_lock", { pin }),
  unlock: (pin: string) => call<null>("unlock", { pin }),
  /** The running patrol's totals without its track; new ones arrive as `patrolTotals` events. */
  patrolTotals: () => call<PatrolTotals | null>("patrol_totals"),
  privacyZones: () => call<PrivacyZone[]>("privacy_zones"),
  setPrivacyZones: (zones: PrivacyZone[]) => call<null>("set_privacy_zones", { zones }),
  /** One page of patrols, newest first; fields left out do not filter. */
  listPatrols: (filter: Partial<PatrolFilter>) => call<PatrolPage>("list_patrols", { filter }),
  showPatrol: (id: DocId) => call<PatrolDetail>("show_patrol", { id }),

  fileReport: (report: NewReport, anonymous = true) =>
    call<Receipt>("file_report", { report, anonymous }),
  /** One anonymous report with a printed token code (for people who are not members). */
  fileWithTokenCode: (code: string, report: NewReport) => call<DocId>("file_with_token_code", { code, report }),
  /** Single-use report codes for people who are not members, as a printable page (coordinators). */
  printTokenSheet: (count: number) => call<TokenSheet>("print_token_sheet", { count }),
  /** Hub mode (desktop): serve the group to phones on this network. */
  startHub: (options: HubOptions) => call<HubStatus>("start_hub", { options }),
  stopHub: () => call<HubStatus>("stop_hub"),
  hubStatus: () => call<HubStatus>("hub_status"),
  /** Starts a group on this computer (desktop): this computer is its server. */
  startGroupHere: (group: string, options: HubOptions) =>
    call<WhoAmI>("start_group_here", { group, options }),
  listReports: (status: TriageStatus | null) => call<ReportEntry[]>("list_reports", { status }),
  showReport: (id: DocId) => call<ReportEntry>("show_report", { id }),
  myReceipts: () => call<Receipt[]>("my_receipts"),
  forgetMyReports: (includeUnsent: boolean) => call<Forgotten>("forget_my_reports", { includeUnsent }),
  /** Asks the server anonymously for statuses coordinators published back. */
  refreshReceipts: () => call<Receipt[]>("refresh_receipts"),
  followUp: (report: DocId, text: string) => call<Receipt>("follow_up", { report, text }),
  /** `data` is a data URL or its base64 payload; metadata is stripped on the Rust side. */
  addPhoto: (data: string, blur: BlurRegion[] = []) => call<PhotoInfo>("add_photo", { data, blur }),
  /** Faces found on this device in a photo not yet taken in, as boxes to blur; stores nothing. */
  detectFaces: (data: string) => call<BlurRegion[]>("detect_faces", { data }),
  /** A data URL for an `<img>`, or null while the photo has not arrived. */
  photo: (hash: string) => call<string | null>("photo", { hash }),
  triage: (report: DocId, status: TriageStatus, note: string | null, publish = false, outcome: CaseOutcome | null = null) =>
    call<Triage>("triage", { report, status, outcome, note, publish }),
  /** One page of cases, newest first (every one when `limit` is left out); fields left out do not filter. */
  incidentMap: (query: Partial<IncidentQuery>) => call<IncidentMap>("incident_map", { query }),
  listCases: (filter: Partial<CaseFilter>) => call<ReportPage>("list_cases", { filter }),
  assignCase: (report: DocId, assignee: DeviceId | null) => call<ReportEntry>("assign_case", { report, assignee }),
  setCasePriority: (report: DocId, priority: Priority) => call<ReportEntry>("set_case_priority", { report, priority }),
  caseHistory: (report: DocId) => call<CaseHistoryEntry[]>("case_history", { report }),
  duplicateSuggestions: () => call<DuplicatePair[]>("duplicate_suggestions"),
  mergeCase: (duplicate: DocId, into: DocId) => call<ReportEntry>("merge_case", { duplicate, into }),
  unmergeCase: (duplicate: DocId) => call<ReportEntry>("unmerge_case", { duplicate }),
  dueHours: () => call<DueHours>("due_hours"),
  setDueHours: (priority: Priority, hours: number) => call<DueHours>("set_due_hours", { priority, hours }),
  /** The group's partner directory (every member's device holds it; coordinators change it). */
  listPartners: () => call<Partner[]>("list_partners"),
  addPartner: (partner: NewPartner) => call<Partner>("add_partner", { partner }),
  editPartner: (id: string, partner: NewPartner) => call<Partner>("edit_partner", { id, partner }),
  removePartner: (id: string) => call<null>("remove_partner", { id }),
  /** Writes the packet for a partner (HTML page and GeoJSON) to the export folder and records it. */
  forwardReport: (report: DocId, partner: string) => call<Forwarded>("forward_report", { report, partner }),

  stats: () => call<Stats>("stats"),
  search: (text: string) => call<SearchHit[]>("search", { text }),
  demo: () => call<DemoSummary>("demo"),
  exportData: (what: ExportWhat, format: ExportAs) => call<Exported>("export", { what, format }),
};
