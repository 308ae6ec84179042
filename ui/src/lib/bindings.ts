// Generated from the Rust types by src-tauri's `typescript_bindings_are_current` test.
// Do not edit: run `make ui-types` after changing a type.

export type DocId = string;
export type DeviceId = string;
export type Timestamp = string;
export type Point = { lat: number, lon: number, };
export type Area = { "type": "circle", center: Point, radiusM: number, } | { "type": "polygon", ring: Array<Point>, };
export type Role = "resident" | "volunteer" | "coordinator";
export type DocKind = "group" | "alert" | "patrol" | "report" | "triage" | "ack";
export type Severity = "info" | "warning" | "urgent";
export type AlertCategory = "suspicious_activity" | "crime" | "safety" | "traffic" | "weather" | "lost_and_found" | "meeting" | "other";
export type AlertStatus = "active" | "cancelled" | "closed";
export type AlertOutcome = "all_clear" | "resolved" | "false_alarm";
export type Category = "suspicious_person" | "suspicious_vehicle" | "suspicious_activity" | "break_in" | "theft" | "vandalism" | "noise" | "hazard" | "lighting" | "all_clear" | "other";
export type TriageStatus = "new" | "in_review" | "forwarded" | "closed" | "dismissed";
export type LocationPrecision = "exact" | "100m" | "1km";
export type Member = { device: DeviceId, name: string, role: Role, joinedAt: Timestamp, };
export type Zone = { name: string, area: Area, };
export type Group = { id: DocId, name: string, members: Array<Member>, zones: Array<Zone>, };
export type Meeting = { startsAt: Timestamp, place: string, };
export type DetailKind = "clothing" | "vehicle" | "direction" | "build" | "hair" | "carrying" | "other";
export type PersonDetail = { kind: DetailKind, text: string, };
export type PersonDescription = { 
/**
 * What the person did (required, and asked first).
 */
behaviour: string, details: Array<PersonDetail>, };
export type NewAlert = { title: string, body: string, category: AlertCategory, severity: Severity, area: Area, issuedAt: Timestamp, expiresAt: Timestamp | null, 
/**
 * For community meetings: when and where.
 */
meeting: Meeting | null, 
/**
 * When the alert describes a person: behaviour first. Such an alert is held until a second
 * coordinator approves it.
 */
person: PersonDescription | null, };
export type Alert = { id: DocId, title: string, body: string, category: AlertCategory, severity: Severity, area: Area, issuedAt: Timestamp, expiresAt: Timestamp | null, status: AlertStatus, issuedBy: DeviceId | null, meeting: Meeting | null, person: PersonDescription | null, 
/**
 * Devices whose approval of exactly this content is in the document, written by
 * themselves. Whether they are coordinators is for the reader to check.
 */
approvedBy: Array<DeviceId>, 
/**
 * A person alert without the approval of two coordinators: residents never see it.
 */
awaitingApproval: boolean, 
/**
 * How it ended, once closed.
 */
outcome: AlertOutcome | null, 
/**
 * For a past meeting: who came, once a coordinator recorded it.
 */
attendance: Attendance | null, };
export type Fix = { at: Timestamp, point: Point, 
/**
 * Horizontal accuracy in metres, when the receiver reports it.
 */
accuracyM: number | null, };
export type NewObservation = { at: Timestamp, point: Point | null, category: Category, note: string, 
/**
 * BLAKE3 hashes (hex) of photos already taken in by the media pipeline.
 */
photos: Array<string>, };
export type Observation = { 
/**
 * Unique within its patrol (random, so concurrent additions never clash).
 */
id: string, at: Timestamp, point: Point | null, category: Category, note: string, photos: Array<string>, by: DeviceId | null, };
export type Participant = { device: DeviceId, name: string, };
export type Patrol = { id: DocId, title: string, participants: Array<Participant>, startedAt: Timestamp, endedAt: Timestamp | null, observations: Array<Observation>, fixCount: number, distanceM: number, };
export type NewReport = { category: Category, description: string, occurredAt: Timestamp, location: Point | null, precision: LocationPrecision, photos: Array<string>, 
/**
 * When the report describes a person: behaviour first.
 */
person: PersonDescription | null, };
export type Report = { id: DocId, category: Category, description: string, occurredAt: Timestamp, location: Point | null, precision: LocationPrecision, photos: Array<string>, 
/**
 * `None` for anonymous reports.
 */
filedBy: DeviceId | null, status: TriageStatus, 
/**
 * What the reporter added later through their receipt, oldest first.
 */
followups: Array<FollowUp>, person: PersonDescription | null, };
export type FollowUp = { 
/**
 * Rounded down to 15 minutes, like the report's own time.
 */
at: Timestamp, text: string, };
export type TriageNote = { at: Timestamp, by: DeviceId | null, text: string, };
export type Triage = { report: DocId, status: TriageStatus, updatedAt: Timestamp | null, notes: Array<TriageNote>, 
/**
 * Case handling (coordinators): who deals with it, how urgent, how it ended.
 */
assignee: DeviceId | null, priority: Priority, outcome: CaseOutcome | null, 
/**
 * The case this report was merged into as a duplicate.
 */
mergedInto: DocId | null, 
/**
 * Reports merged into this case.
 */
duplicates: Array<DocId>, };
export type WatchArea = { name: string, area: Area, };
export type BlurRegion = { x: number, y: number, w: number, h: number, };
export type Attendance = { count: number, members: Array<DeviceId>, recordedAt: Timestamp, recordedBy: DeviceId | null, };
export type Priority = "low" | "normal" | "high" | "urgent";
export type CaseOutcome = "resolved" | "referred" | "no_further_action" | "not_an_incident";
export type DueHours = { low: number, normal: number, high: number, urgent: number, };
export type CaseChange = { "field": "status", from: TriageStatus | null, to: TriageStatus, } | { "field": "priority", from: Priority | null, to: Priority, } | { "field": "assignee", from: DeviceId | null, to: DeviceId | null, } | { "field": "outcome", from: CaseOutcome | null, to: CaseOutcome | null, } | { "field": "note", text: string, } | { "field": "mergedInto", into: DocId | null, } | { "field": "duplicate", report: DocId, merged: boolean, } | { "field": "forwarded", partner: string, name: string, };
export type CaseEvent = { 
/**
 * The change's own time (Automerge keeps seconds).
 */
at: Timestamp, 
/**
 * The change's author: a coordinator's device.
 */
by: DeviceId, changes: Array<CaseChange>, };
export type PartnerKind = "police_liaison" | "local_leader" | "school" | "business" | "service_organisation" | "other";
export type ChannelKind = "phone" | "email" | "address" | "note";
export type ContactChannel = { kind: ChannelKind, value: string, };
export type NewPartner = { kind: PartnerKind, 
/**
 * The person or the place's name ("Officer Dana Ruiz", "Lincoln Elementary").
 */
name: string, 
/**
 * May be empty.
 */
organisation: string, channels: Array<ContactChannel>, };
export type Partner = { id: string, kind: PartnerKind, name: string, organisation: string, channels: Array<ContactChannel>, };
export type PatrolSummary = { id: DocId, title: string, startedAt: Timestamp, endedAt: Timestamp | null, fixCount: number, distanceM: number, observations: number, participants: Array<Participant>, };
export type ReportEntry = { triagedAt: Timestamp | null, firstTriagedAt: Timestamp | null, notes: Array<TriageNote>, assignee: DeviceId | null, priority: Priority, 
/**
 * How the case ended (closed or dismissed ones).
 */
outcome: CaseOutcome | null, 
/**
 * The case this report was merged into as a duplicate: it is no longer open on its own.
 */
mergedInto: DocId | null, 
/**
 * Reports merged into this case.
 */
merged: Array<DocId>, 
/**
 * When the case becomes overdue if it is still open: the report's time plus the group's
 * time for its priority.
 */
dueAt: Timestamp, 
/**
 * Open (not closed, dismissed or merged) and past `due_at`.
 */
overdue: boolean, id: DocId, category: Category, description: string, occurredAt: Timestamp, location: Point | null, precision: LocationPrecision, photos: Array<string>, 
/**
 * `None` for anonymous reports.
 */
filedBy: DeviceId | null, status: TriageStatus, 
/**
 * What the reporter added later through their receipt, oldest first.
 */
followups: Array<FollowUp>, person: PersonDescription | null, };
export type CaseFilter = { status: TriageStatus | null, assignee: DeviceId | null, priority: Priority | null, 
/**
 * Only open cases past their due time.
 */
overdueOnly: boolean, 
/**
 * Also list reports merged into another case (left out otherwise).
 */
includeMerged: boolean, 
/**
 * Only reports of the period `[from, to)`.
 */
from: Timestamp | null, to: Timestamp | null, 
/**
 * Only reports located in this named zone of the group.
 */
zone: string | null, category: Category | null, 
/**
 * The next page: the cursor the previous page ended with.
 */
after: PageCursor | null, 
/**
 * Rows per page (every row when `None`).
 */
limit: number | null, };
export type PatrolFilter = { 
/**
 * Only patrols that started in the period `[from, to)`.
 */
from: Timestamp | null, to: Timestamp | null, 
/**
 * Only patrols whose track passes through this named zone of the group.
 */
zone: string | null, 
/**
 * `true`: only running patrols; `false`: only ended ones.
 */
running: boolean | null, 
/**
 * The next page: the cursor the previous page ended with.
 */
after: PageCursor | null, 
/**
 * Rows per page (every row when `None`).
 */
limit: number | null, };
export type PageCursor = { at: number, 
/**
 * The last row's document id: rows at the same time are ordered by it, on every device.
 */
id: DocId, };
export type ReportPage = { rows: Array<ReportEntry>, 
/**
 * Pass back as `after` for the next page; `None` on the last.
 */
next: PageCursor | null, };
export type PatrolPage = { rows: Array<PatrolSummary>, next: PageCursor | null, };
export type IncidentQuery = { 
/**
 * The period `[from, to)`: reports by when they happened, alerts by when they were issued,
 * patrols by when they started.
 */
from: Timestamp | null, to: Timestamp | null, 
/**
 * Only what lies in (reports), touches (alerts) or passes through (patrols) this zone.
 */
zone: string | null, 
/**
 * Reports of this category only.
 */
category: Category | null, 
/**
 * Reports with this triage status only.
 */
status: TriageStatus | null, reports: boolean, alerts: boolean, patrols: boolean, 
/**
 * The map's zoom level (0 = the whole world in 256 pixels).
 */
zoom: number, 
/**
 * When set, the map is about to fit its view to what the filters select, in a viewport of
 * this size: markers are then gathered at the zoom that view will have, not at `zoom`, so
 * the map draws once instead of drawing, fitting and asking again.
 */
fit: MapSize | null, };
export type IncidentMap = { clusters: Array<Cluster>, 
/**
 * Reports drawn on their own (alone in their square).
 */
reports: Array<ReportPoint>, alerts: Array<AlertMarker>, tracks: Array<PatrolTrack>, 
/**
 * How many of each the filters selected (clustered ones included).
 */
reportCount: number, alertCount: number, patrolCount: number, 
/**
 * The zoom the markers were gathered at: the query's, or the fitted one.
 */
zoom: number, };
export type MapSize = { width: number, height: number, };
export type Cluster = { 
/**
 * The mean position of its markers.
 */
center: Point, reports: number, alerts: number, 
/**
 * The box around its markers, to zoom to.
 */
southWest: Point, northEast: Point, };
export type AlertMarker = { id: DocId, title: string, category: AlertCategory, status: AlertStatus, issuedAt: Timestamp, 
/**
 * Where its marker goes (the area's anchor).
 */
point: Point, area: Area, };
export type ReportPoint = { id: DocId, point: Point, category: Category, status: TriageStatus, occurredAt: Timestamp, };
export type PatrolTrack = { id: DocId, title: string, startedAt: Timestamp, track: Array<Point>, };
export type CaseHistoryEntry = { 
/**
 * `None` for a device no longer in the group.
 */
byName: string | null, 
/**
 * The change's own time (Automerge keeps seconds).
 */
at: Timestamp, 
/**
 * The change's author: a coordinator's device.
 */
by: DeviceId, changes: Array<CaseChange>, };
export type DuplicatePair = { 
/**
 * The earlier report.
 */
first: DocId, 
/**
 * The later report.
 */
second: DocId, category: Category, distanceM: number, minutesApart: number, };
export type Forwarded = { reference: string, partner: string, partnerName: string, html: string, geojson: string, photos: number, photosMissing: number, };
export type Receipt = { report: DocId, anonymous: boolean, 
/**
 * When it happened, rounded down to 15 minutes.
 */
filedAt: Timestamp, category: Category, description: string, 
/**
 * The status a coordinator chose to publish back, if any was seen yet.
 */
status: string | null, statusNote: string | null, statusAt: Timestamp | null, 
/**
 * When this device last asked the server for a published status.
 */
checkedAt: Timestamp | null, };
export type PhotoInfo = { 
/**
 * BLAKE3 of the re-encoded JPEG: what records refer to.
 */
hash: string, width: number, height: number, 
/**
 * Size of the re-encoded JPEG in bytes.
 */
size: number, };
export type Stats = { alertsTotal: number, alertsLive: number, patrolsTotal: number, patrolsOpen: number, patrolDistanceM: number, patrolHours: number, observations: number, reportsTotal: number, 
/**
 * (status, count) for every triage status, zeros included.
 */
reportsByStatus: Array<[TriageStatus, number]>, 
/**
 * Median minutes from a report's time to a coordinator's first triage.
 */
medianResponseMinutes: number | null, 
/**
 * Acknowledgements of alerts by residents.
 */
alertAcks: number, 
/**
 * Median minutes from an alert's issue to its first acknowledgement.
 */
medianFirstAckMinutes: number | null, watchAreas: number, pendingChanges: number, };
export type WhoAmI = { deviceId: DeviceId, 
/**
 * Ed25519 public key, hex.
 */
publicKey: string, 
/**
 * The Automerge actor id of this device's writes, hex (the device id's bytes).
 */
actorId: string, name: string | null, role: Role, group: GroupInfo | null, };
export type GroupInfo = { id: DocId, name: string, };
export type PatrolDetail = { track: Array<Fix>, id: DocId, title: string, participants: Array<Participant>, startedAt: Timestamp, endedAt: Timestamp | null, observations: Array<Observation>, fixCount: number, distanceM: number, };
export type PrivacyZone = { 
/**
 * What the volunteer calls it ("Home"); shown on this device only.
 */
name: string, center: Point, radiusM: number, };
export type AlarmKind = "sos" | "missed_check_in";
export type PatrolAlarm = { patrol: DocId, title: string, participants: Array<Participant>, kind: AlarmKind, 
/**
 * When the SOS was called, or when the check-in fell due.
 */
since: Timestamp, 
/**
 * Who called (SOS only).
 */
by: DeviceId | null, 
/**
 * The SOS position, or the last shared fix of the track.
 */
position: Point | null, };
export type CheckInState = { everySecs: number | null, due: Timestamp | null, 
/**
 * Whether this device has an SOS call standing.
 */
sos: boolean, };
export type HotspotCell = { center: Point, 
/**
 * South-west and north-east corners.
 */
southWest: Point, northEast: Point, count: number, };
export type HeatCell = { weekday: number, hour: number, count: number, };
export type Hotspots = { k: number, cellM: number, 
/**
 * Reports in the period (with or without a location).
 */
total: number, 
/**
 * Cells with at least k reports, busiest first.
 */
cells: Array<HotspotCell>, 
/**
 * Reports with a location that fall in cells under k (shown only as this sum).
 */
inHiddenCells: number, 
/**
 * Hours of the week with at least k reports.
 */
week: Array<HeatCell>, };
export type TrendStep = "week" | "month";
export type Spread = { count: number, medianMs: number | null, p90Ms: number | null, };
export type Totals = { 
/**
 * Ended patrols that started in the period.
 */
patrols: number, patrolHours: number, patrolDistanceM: number, 
/**
 * People who took part in at least one of those patrols.
 */
activeVolunteers: number, reports: number, 
/**
 * From a report's time to a coordinator's first triage.
 */
firstTriage: Spread, 
/**
 * From a report's time to its closing, for reports now closed.
 */
toClosed: Spread, alerts: number, 
/**
 * From an alert's issue to its first acknowledgement.
 */
firstAck: Spread, 
/**
 * Meetings that took place in the period.
 */
meetings: number, 
/**
 * Of those, how many have their attendance recorded, and the people counted in all.
 */
meetingsRecorded: number, attendance: number, };
export type VolunteerWeek = { 
/**
 * Like `2026-W23`.
 */
week: string, hours: number, distanceM: number, };
export type VolunteerMeasures = { device: DeviceId, name: string, patrols: number, hours: number, distanceM: number, weeks: Array<VolunteerWeek>, };
export type TrendPoint = { 
/**
 * `2026-W23` or `2026-06`.
 */
label: string, from: Timestamp, to: Timestamp, totals: Totals, };
export type MeetingAttendance = { alert: DocId, title: string, startsAt: Timestamp, place: string, attendance: Attendance | null, };
export type ZoneCoverage = { zone: string, areaM2: number, coveredM2: number, 
/**
 * `covered_m2 / area_m2`, 0..1.
 */
share: number, 
/**
 * The most `share` can be off by (a bound, usually far above the real error).
 */
errorBound: number, 
/**
 * Side of the sampling grid's cells.
 */
gridM: number, };
export type Measures = { from: Timestamp, to: Timestamp, zone: string | null, totals: Totals, 
/**
 * The period of the same length just before, for the change.
 */
previousFrom: Timestamp, previous: Totals, 
/**
 * Busiest first.
 */
volunteers: Array<VolunteerMeasures>, coverage: Array<ZoneCoverage>, step: TrendStep, trend: Array<TrendPoint>, meetings: Array<MeetingAttendance>, };
export type SummaryLang = "en" | "es";
export type SummaryFormat = "pdf" | "html";
export type SummaryWritten = { path: string, format: SummaryFormat, bytes: number, 
/**
 * PDF pages (`null` for HTML).
 */
pages: number | null, from: Timestamp, to: Timestamp, zone: string | null, lang: SummaryLang, k: number, 
/**
 * Hotspot cells shown (each with at least k reports).
 */
cellsShown: number, };
export type Forgotten = { receipts: number, photos: number, 
/**
 * Envelopes that had not left yet and now never will.
 */
unsent: number, };
export type DemoSummary = { members: number, alerts: number, patrols: number, fixes: number, observations: number, reports: number, };
export type MapStatus = { id: string, name: string, 
/**
 * The package's size in bytes.
 */
size: number, chunksTotal: number, 
/**
 * Chunks on this device (all of them once `ready`).
 */
chunksHeld: number, 
/**
 * The whole package is here and checked: maps draw from it.
 */
ready: boolean, 
/**
 * West, south, east, north.
 */
bounds: [number, number, number, number], minZoom: number, maxZoom: number, 
/**
 * The tiles' media type (`image/png`, ...).
 */
mediaType: string, };
export type PatrolTotals = { patrol: DocId, startedAt: Timestamp, 
/**
 * Fixes recorded on this device.
 */
fixCount: number, 
/**
 * Metres walked between consecutive recorded fixes.
 */
distanceM: number, 
/**
 * From the start to the latest fix, in milliseconds.
 */
durationMs: number, lastFix: Fix | null, };
export type Quarantined = { doc: DocId, kind: DocKind, reason: string, 
/**
 * When it was last set aside.
 */
at: Timestamp, };
export type SyncStatus = { server: string | null, group: string | null, cursor: number, 
/**
 * Local changes not yet acknowledged by the server.
 */
pending: number, lastSuccess: Timestamp | null, lastError: string | null, 
/**
 * Sealed reports (and their photos) waiting for their moment to leave this device.
 */
queuedReports: number, 
/**
 * Pulled changes waiting for a coordinator to certify their author (see `roster`).
 */
heldChanges: number, 
/**
 * Received documents this device cannot show, with the reason; syncing goes on without
 * them, and a later change that makes one valid takes it out of this list.
 */
quarantined: Array<Quarantined>, 
/**
 * Unspent anonymous drop tokens. When it is 0 and reports are queued, they wait for the next
 * sync to fetch more.
 */
dropTokens: number, };
export type SyncReport = { pushed: number, 
/**
 * Changes the server refused, with its reasons; they are dropped from the outbox.
 */
rejected: Array<string>, pulled: number, roundTrips: number, cursor: number, 
/**
 * Documents that gained changes from elsewhere.
 */
changed: Array<DocId>, };
export type AckSummary = { alert: DocId, count: number, firstAt: Timestamp | null, 
/**
 * Minutes from issue to the first acknowledgement.
 */
minutesToFirst: number | null, };
export type MatchedAlert = { alert: Alert, 
/**
 * The names of the watch areas it touches.
 */
areas: Array<string>, 
/**
 * False during quiet hours for anything but urgent alerts, and for non-urgent alerts held
 * for the daily digest: show it in the inbox, but do not make a sound.
 */
notify: boolean, };
export type AlertNews = { matched: Array<MatchedAlert>, cancelled: Array<Alert>, };
export type DigestSetting = { 
/**
 * `None`: a notification for each alert as it arrives. `Some(h)`: one digest a day at
 * h:00 local time (0–23).
 */
hour: number | null, };
export type CategoryCount = { category: AlertCategory, count: number, };
export type Digest = { 
/**
 * New alerts in all.
 */
alerts: number, 
/**
 * New alerts per category, the most first.
 */
categories: Array<CategoryCount>, 
/**
 * Alerts that ended (cancelled or closed).
 */
ended: number, 
/**
 * When the oldest news it counts arrived (older than a day after the app was closed long).
 */
since: Timestamp, };
export type CoreEvent = { "type": "syncStatus" } & SyncStatus | { "type": "alerts" } & AlertNews | { "type": "map" } & MapStatus | { "type": "patrolTotals" } & PatrolTotals;
export type CommandError = { 
/**
 * One of `CoreError::kind()`'s names (`invalid`, `not_found`, `not_allowed`, ...).
 */
kind: string, message: string, };
export type AppConfig = { 
/**
 * Map tile URL template; `None` means the offline grid map.
 */
mapTiles: string | null, dataDir: string, };
export type SearchHit = { id: DocId, kind: DocKind, text: string, };
export type ExportWhat = "alerts" | "patrols" | "reports";
export type ExportAs = "csv" | "geojson";
export type Exported = { path: string, count: number, };
export type TokenSheet = { 
/**
 * The HTML page to print.
 */
path: string, 
/**
 * The codes on it (fewer than asked when today's allowance ran out).
 */
codes: Array<string>, };
export type MeetingSummary = { pdf: SummaryWritten, html: SummaryWritten, };
export type HubStatus = { running: boolean, 
/**
 * The address phones use (what new invites carry).
 */
url: string | null, 
/**
 * The hub certificate's SHA-256, as hex.
 */
fingerprint: string | null, 
/**
 * The community server it relays to (`None` when this computer is the group's server).
 */
upstream: string | null, 
/**
 * Whether the group was started on this computer: its server is this computer, whether it
 * runs now or not (then phones cannot sync).
 */
standalone: boolean, 
/**
 * Why phones cannot find it by themselves (no multicast); the invite address still works.
 */
announceError: string | null, };
export type HubOptions = { listen: string | null, url: string | null, };
export const LIMITS = { titleMax: 120, bodyMax: 4000, nameMax: 60, placeMax: 200, minRadiusM: 10, maxRadiusM: 50000 } as const;
