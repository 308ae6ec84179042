//! Projections: the query tables derived from documents. `project` refreshes one document's rows
//! inside the caller's transaction; `rebuild_projections` recreates them all from the documents.

use porchlight_crdt::{
    Doc, first_triaged_at, read_ack, read_alert, read_due_hours, read_group, read_patrol_and_track,
    read_report, read_triage,
};
use porchlight_model::{DocKind, hex};
use rusqlite::{Transaction, params};

use crate::Store;
use crate::error::Result;
use crate::sql::exec;
use crate::{case_copy, zones};

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// What the projections of one transaction share.
///
/// Search rows wait here to be written in row id order: FTS5 keeps new rows in memory while their
/// row ids ascend and writes out a segment whenever one does not; search row ids come from random
/// document ids, so rows written one document at a time made a segment every two documents or
/// so. A batch writes its rows sorted, once.
///
/// The group's zones are read once per batch, not once per patrol or report of a 10,000-record
/// first sync; projecting the group document replaces them.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    rows: Vec<SearchRow>,
    zones: Option<Vec<porchlight_model::Zone>>,
}

#[derive(Debug)]
struct SearchRow {
    rowid: i64,
    doc: String,
    kind: &'static str,
    title: String,
    body: String,
}

impl Batch {
    pub(crate) fn flush(mut self, tx: &Transaction) -> Result<()> {
        self.rows.sort_by_key(|r| r.rowid);
        let mut stmt = tx.prepare_cached(
            "INSERT INTO p_search (rowid, doc, kind, title, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in self.rows {
            stmt.execute(params![r.rowid, r.doc, r.kind, r.title, r.body])?;
        }
        Ok(())
    }

    /// The group's zones as projected, read from the store the first time in this batch.
    fn zones(&mut self, tx: &Transaction) -> Result<&[porchlight_model::Zone]> {
        if self.zones.is_none() {
            self.zones = Some(zones::group_zones(tx)?);
        }
        Ok(self.zones.as_deref().unwrap_or_default())
    }
}

/// Refreshes one document's projection rows (a local write: its search row is written now).
pub(crate) fn project(tx: &Transaction, doc: &Doc) -> Result<()> {
    let mut search = Batch::default();
    project_into(tx, doc, false, false, &mut search)?;
    search.flush(tx)
}

/// Refreshes one document's projection rows, leaving its search row in `search`. `fresh`: the
/// document had no rows yet, so there is nothing to delete first. `no_conflicts`: its history is
/// known to be one line, so walking it for conflicting values would find none.
pub(crate) fn project_into(
    tx: &Transaction,
    doc: &Doc,
    fresh: bool,
    no_conflicts: bool,
    search: &mut Batch,
) -> Result<()> {
    if !doc.is_readable() {
        // A document whose first change has not arrived yet: nothing to show until it does.
        return Ok(());
    }
    let id = doc.id();
    let key = id.as_bytes().as_slice();
    if !fresh {
        exec(tx, "DELETE FROM p_conflicts WHERE doc = ?1", [key])?;
    }
    if !no_conflicts {
        for field in doc.conflicts() {
            exec(
                tx,
                "INSERT INTO p_conflicts (doc, kind, field) VALUES (?1, ?2, ?3)",
                params![key, doc.kind().as_str(), field],
            )?;
        }
    }
    // FTS5 indexes only its row id, so each document's search row has a row id derived from the
    // document id: deleting it is a lookup, not a scan.
    if !fresh {
        exec(
            tx,
            "DELETE FROM p_search WHERE rowid = ?1",
            [search_rowid(id)],
        )?;
    }
    match doc.kind() {
        DocKind::Group => {
            let g = read_group(doc)?;
            let changed = search.zones(tx)? != g.zones.as_slice();
            exec(
                tx,
                "INSERT OR REPLACE INTO p_groups (id, name, members, zones, due_hours)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    key,
                    g.name,
                    json(&g.members),
                    json(&g.zones),
                    json(&read_due_hours(doc))
                ],
            )?;
            if changed {
                zones::reindex_all(tx, &g.zones)?;
            }
            search.zones = Some(g.zones);
        }
        DocKind::Alert => {
            let a = read_alert(doc)?;
            let anchor = a.area.anchor();
            let rid: i64 = tx
                .prepare_cached(
                    "INSERT INTO p_alerts (id, title, body, category, severity, status, issued_at,
                     expires_at, area, lat, lon, issued_by, starts_at, place, person, approved_by,
                     outcome, attendance)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                     ?18)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body,
                     category = excluded.category, severity = excluded.severity,
                     status = excluded.status, issued_at = excluded.issued_at,
                     expires_at = excluded.expires_at, area = excluded.area, lat = excluded.lat,
                     lon = excluded.lon, issued_by = excluded.issued_by,
                     starts_at = excluded.starts_at, place = excluded.place,
                     person = excluded.person, approved_by = excluded.approved_by,
                     outcome = excluded.outcome, attendance = excluded.attendance
                 RETURNING rid",
                )?
                .query_row(
                    params![
                        key,
                        a.title,
                        a.body,
                        a.category.as_str(),
                        a.severity.as_str(),
                        a.status.as_str(),
                        a.issued_at.millis(),
                        a.expires_at.map(porchlight_model::Timestamp::millis),
                        json(&a.area),
                        anchor.lat,
                        anchor.lon,
                        a.issued_by.map(|d| d.as_bytes().to_vec()),
                        a.meeting.as_ref().map(|m| m.starts_at.millis()),
                        a.meeting.as_ref().map(|m| m.place.clone()),
                        a.person.as_ref().map(json),
                        a.person.as_ref().map(|_| json(&a.approved_by)),
                        a.outcome.map(porchlight_model::AlertOutcome::as_str),
                        a.attendance.as_ref().map(json),
                    ],
                    |r| r.get(0),
                )?;
            // An alert has at most RTREE_SLOTS boxes, with R*Tree ids rid·RTREE_SLOTS + k, so
            // they are found by id rather than by scanning the auxiliary column.
            // (The R*Tree looks up row ids only by equality; a range would scan the table.)
            for k in 0..RTREE_SLOTS {
                exec(
                    tx,
                    "DELETE FROM p_alerts_rtree WHERE id = ?1",
                    [rid * RTREE_SLOTS + k],
                )?;
            }
            for (k, b) in (0..RTREE_SLOTS).zip(a.area.bounding_boxes()) {
                exec(
                    tx,
                    "INSERT INTO p_alerts_rtree (id, min_lat, max_lat, min_lon, max_lon, alert)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        rid * RTREE_SLOTS + k,
                        b.min_lat,
                        b.max_lat,
                        b.min_lon,
                        b.max_lon,
                        rid
                    ],
                )?;
            }
            index_text(search, doc, &a.title, &a.body);
        }
        DocKind::Patrol => {
            let (p, fixes) = read_patrol_and_track(doc)?;
            let track: Vec<_> = fixes.iter().map(|f| f.point).collect();
            let rid: i64 = tx
                .prepare_cached(
                    "INSERT INTO p_patrols (id, title, started_at, ended_at, fix_count, distance_m,
                     observations, participants, track)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title,
                     started_at = excluded.started_at, ended_at = excluded.ended_at,
                     fix_count = excluded.fix_count, distance_m = excluded.distance_m,
                     observations = excluded.observations, participants = excluded.participants,
                     track = excluded.track
                 RETURNING rid",
                )?
                .query_row(
                    params![
                        key,
                        p.title,
                        p.started_at.millis(),
                        p.ended_at.map(porchlight_model::Timestamp::millis),
                        p.fix_count as i64,
                        p.distance_m,
                        p.observations.len() as i64,
                        json(&p.participants),
                        zones::encode_track(&track),
                    ],
                    |r| r.get(0),
                )?;
            let group_zones = search.zones(tx)?;
            zones::index_patrol(
                tx,
                group_zones,
                (rid, key),
                p.started_at.millis(),
                &track,
                fresh,
            )?;
            if !fresh {
                exec(tx, "DELETE FROM p_observations WHERE patrol = ?1", [key])?;
            }
            let mut notes = String::new();
            for o in &p.observations {
                exec(
                    tx,
                    "INSERT INTO p_observations (patrol, id, at, lat, lon, category, note, photos)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        key,
                        o.id,
                        o.at.millis(),
                        o.point.map(|p| p.lat),
                        o.point.map(|p| p.lon),
                        o.category.as_str(),
                        o.note,
                        json(&o.photos),
                    ],
                )?;
                notes.push_str(&o.note);
                notes.push('\n');
            }
            index_text(search, doc, &p.title, &notes);
        }
        DocKind::Report => {
            let r = read_report(doc)?;
            // The triage may have arrived first (its projection found no report to copy to).
            let case = case_copy::case_of(tx, key)?;
            let status = case.as_ref().map_or("new", |c| c.status.as_str());
            let rid: i64 = tx
                .prepare_cached(
                    "INSERT INTO p_reports (id, category, description, occurred_at, lat, lon,
                     precision, photos, filed_by, followups, person, triage_status,
                     case_updated_at, case_first_at, case_notes, case_assignee, case_priority,
                     case_outcome, case_merged_into)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19)
                 ON CONFLICT (id) DO UPDATE SET category = excluded.category,
                     description = excluded.description, occurred_at = excluded.occurred_at,
                     lat = excluded.lat, lon = excluded.lon, precision = excluded.precision,
                     photos = excluded.photos, filed_by = excluded.filed_by,
                     followups = excluded.followups, person = excluded.person,
                     triage_status = excluded.triage_status,
                     case_updated_at = excluded.case_updated_at,
                     case_first_at = excluded.case_first_at, case_notes = excluded.case_notes,
                     case_assignee = excluded.case_assignee,
                     case_priority = excluded.case_priority,
                     case_outcome = excluded.case_outcome,
                     case_merged_into = excluded.case_merged_into
                 RETURNING rid",
                )?
                .query_row(
                    params![
                        key,
                        r.category.as_str(),
                        r.description,
                        r.occurred_at.millis(),
                        r.location.map(|p| p.lat),
                        r.location.map(|p| p.lon),
                        r.precision.as_str(),
                        json(&r.photos),
                        r.filed_by.map(|d| d.as_bytes().to_vec()),
                        json(&r.followups),
                        r.person.as_ref().map(json),
                        status,
                        case.as_ref().and_then(|c| c.updated_at),
                        case.as_ref().and_then(|c| c.first_at),
                        case.as_ref().map(|c| &c.notes),
                        case.as_ref().and_then(|c| c.assignee.as_ref()),
                        case.as_ref().map(|c| &c.priority),
                        case.as_ref().and_then(|c| c.outcome.as_ref()),
                        case.as_ref().and_then(|c| c.merged_into.as_ref()),
                    ],
                    |row| row.get(0),
                )?;
            let group_zones = search.zones(tx)?;
            let row = zones::ReportRow {
                rid,
                id: key,
                occurred_at: r.occurred_at.millis(),
                location: r.location,
                status,
            };
            zones::index_report(tx, group_zones, row, fresh)?;
            let mut body = r.description.clone();
            for f in &r.followups {
                body.push('\n');
                body.push_str(&f.text);
            }
            index_text(search, doc, r.category.as_str(), &body);
        }
        DocKind::Ack => {
            let a = read_ack(doc)?;
            exec(
                tx,
                "INSERT OR REPLACE INTO p_acks (doc, alert, device, at) VALUES (?1, ?2, ?3, ?4)",
                params![key, a.alert.as_bytes(), a.device.as_bytes(), a.at.millis()],
            )?;
        }
        DocKind::Triage => {
            let t = read_triage(doc)?;
            let case = case_copy::CaseCopy {
                status: t.status.as_str().to_owned(),
                updated_at: t.updated_at.map(porchlight_model::Timestamp::millis),
                first_at: first_triaged_at(doc).map(porchlight_model::Timestamp::millis),
                notes: json(&t.notes),
                assignee: t.assignee.map(|d| d.as_bytes().to_vec()),
                priority: t.priority.as_str().to_owned(),
                outcome: t.outcome.map(|o| o.as_str().to_owned()),
                merged_into: t.merged_into.map(|d| d.as_bytes().to_vec()),
            };
            case_copy::store_case(tx, t.report.as_bytes(), key, &case)?;
        }
    }
    Ok(())
}

/// Bounding boxes per alert (an area has one, or two across the antimeridian).
const RTREE_SLOTS: i64 = 4;

/// The search row id of a document: its first eight bytes (random, so collisions are as rare
/// as 64-bit random numbers colliding).
fn search_rowid(id: porchlight_model::DocId) -> i64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&id.as_bytes()[..8]);
    i64::from_le_bytes(first)
}

fn index_text(search: &mut Batch, doc: &Doc, title: &str, body: &str) {
    search.rows.push(SearchRow {
        rowid: search_rowid(doc.id()),
        doc: doc.id().to_string(),
        kind: doc.kind().as_str(),
        title: title.to_owned(),
        body: body.to_owned(),
    });
}

/// The projection tables, with the query that lists each one's content in a stable order and
/// without row ids (which differ between an incremental build and a rebuild).
const DIGEST_QUERIES: &[&str] = &[
    "SELECT id, name, members, zones, due_hours FROM p_groups ORDER BY id",
    "SELECT id, title, body, category, severity, status, issued_at, expires_at, area, lat, lon,
        issued_by, starts_at, place, person, approved_by, outcome, attendance FROM p_alerts
        ORDER BY id",
    "SELECT doc, alert, device, at FROM p_acks ORDER BY doc",
    "SELECT a.id, r.min_lat, r.max_lat, r.min_lon, r.max_lon FROM p_alerts_rtree r
        JOIN p_alerts a ON a.rid = r.alert ORDER BY a.id, r.min_lon",
    "SELECT id, title, started_at, ended_at, fix_count, distance_m, observations, participants,
        track FROM p_patrols ORDER BY id",
    "SELECT z.zone, z.started_at, p.id FROM p_zone_patrols z JOIN p_patrols p ON p.rid = z.rid
        ORDER BY z.zone, p.id",
    "SELECT z.zone, z.occurred_at, z.status, r.id FROM p_zone_reports z
        JOIN p_reports r ON r.rid = z.rid ORDER BY z.zone, r.id",
    "SELECT patrol, id, at, lat, lon, category, note, photos FROM p_observations
        ORDER BY patrol, id",
    "SELECT id, category, description, occurred_at, lat, lon, precision, photos, filed_by,
        followups, person, triage_status, case_updated_at, case_first_at, case_notes,
        case_assignee, case_priority, case_outcome, case_merged_into FROM p_reports ORDER BY id",
    "SELECT report, doc, status, updated_at, first_at, notes, assignee, priority, outcome,
        merged_into FROM p_triage ORDER BY report",
    "SELECT doc, kind, title, body FROM p_search ORDER BY doc",
    "SELECT doc, kind, field FROM p_conflicts ORDER BY doc, field",
];

const PROJECTION_TABLES: &[&str] = &[
    "p_groups",
    "p_alerts",
    "p_alerts_rtree",
    "p_patrols",
    "p_observations",
    "p_reports",
    "p_zone_patrols",
    "p_zone_reports",
    "p_triage",
    "p_search",
    "p_conflicts",
    "p_acks",
];

impl Store {
    /// Drops every projection row and derives them again from the documents, in one transaction.
    pub fn rebuild_projections(&mut self) -> Result<()> {
        let ids = self.document_ids()?;
        let mut docs = Vec::with_capacity(ids.len());
        for (id, _) in ids {
            if let Some(doc) = self.load(id)? {
                docs.push(doc);
            }
        }
        let tx = self.conn.transaction()?;
        for table in PROJECTION_TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        let mut search = Batch::default();
        for doc in &mut docs {
            // A document in quarantine is stored but cannot be shown; it must not stop the rest.
            if porchlight_crdt::validate_document(doc).is_err() {
                continue;
            }
            project_into(&tx, doc, true, false, &mut search)?;
        }
        search.flush(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// A hash of every projection row, for checking that incremental updates and a rebuild agree.
    pub fn projection_digest(&self) -> Result<String> {
        let mut hasher = blake3::Hasher::new();
        for query in DIGEST_QUERIES {
            let mut stmt = self.conn.prepare(query)?;
            let columns = stmt.column_count();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                for i in 0..columns {
                    let cell = match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => "∅".to_owned(),
                        rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                        rusqlite::types::ValueRef::Real(v) => format!("{v:.9}"),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                        rusqlite::types::ValueRef::Blob(b) => hex(b),
                    };
                    hasher.update(cell.as_bytes());
                    hasher.update(b"\x1f");
                }
                hasher.update(b"\x1e");
            }
            hasher.update(b"\x1d");
        }
        Ok(hasher.finalize().to_hex().to_string())
    }
}
