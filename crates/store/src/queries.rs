//! Reads. Every list comes from the projections (SQLite), never from loading documents.

use porchlight_model::{
    Alert, Area, CaseOutcome, Category, DeviceId, DocId, DocKind, DueHours, Group, Meeting,
    Observation, Participant, Point, Priority, Report, Timestamp, TriageNote, TriageStatus,
};
use std::sync::Arc;

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::pages::PageCursor;

/// Which alerts to list.
#[derive(Clone, Debug, Default)]
pub struct AlertQuery {
    /// Only alerts whose area touches this one (R*Tree candidates, then an exact test).
    pub touching: Option<Area>,
    /// Only alerts still active and not expired at this time.
    pub live_at: Option<Timestamp>,
    pub limit: Option<u32>,
}

/// A patrol as listed: no track, no observation bodies.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PatrolSummary {
    pub id: DocId,
    pub title: String,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub fix_count: u64,
    pub distance_m: f64,
    pub observations: u64,
    pub participants: Vec<Participant>,
}

/// A report with its triage state and case.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReportEntry {
    #[serde(flatten)]
    pub report: Report,
    pub triaged_at: Option<Timestamp>,
    pub first_triaged_at: Option<Timestamp>,
    pub notes: Vec<TriageNote>,
    pub assignee: Option<DeviceId>,
    pub priority: Priority,
    /// How the case ended (closed or dismissed ones).
    pub outcome: Option<CaseOutcome>,
    /// The case this report was merged into as a duplicate: it is no longer open on its own.
    pub merged_into: Option<DocId>,
    /// Reports merged into this case.
    pub merged: Vec<DocId>,
    /// When the case becomes overdue if it is still open: the report's time plus the group's
    /// time for its priority.
    pub due_at: Timestamp,
    /// Open (not closed, dismissed or merged) and past `due_at`.
    pub overdue: bool,
}

/// Which reports to list, for the coordinator's inbox. The default lists every report.
#[derive(Clone, Debug, Default)]
pub struct ReportQuery {
    pub status: Option<TriageStatus>,
    pub assignee: Option<DeviceId>,
    pub priority: Option<Priority>,
    /// Only open cases past their due time.
    pub overdue_only: bool,
    /// Leave out reports merged into another case.
    pub hide_merged: bool,
    pub id: Option<DocId>,
    /// The time "overdue" is judged at, and the group's overdue times.
    pub now: Option<Timestamp>,
    pub due: DueHours,
    /// Only reports of this time range, `[from, to)`.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only reports located in this named zone of the group.
    pub zone: Option<String>,
    pub category: Option<Category>,
    /// Only the rows after this one (newest first): the next page.
    pub after: Option<PageCursor>,
    /// At most this many rows.
    pub limit: Option<u32>,
}

/// A reader's copy of the group and its overdue times, and the `data_version` they were read at.
#[derive(Debug, Default)]
pub(crate) struct GroupCache(std::cell::RefCell<Option<(i64, CachedGroup)>>);

/// The group row as a reader last read it.
#[derive(Clone, Debug, Default)]
struct CachedGroup {
    group: Option<Arc<Group>>,
    due_hours: DueHours,
}

/// Counts for the coordinator's overview.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub alerts_total: u64,
    pub alerts_live: u64,
    pub patrols_total: u64,
    pub patrols_open: u64,
    pub patrol_distance_m: f64,
    pub patrol_hours: f64,
    pub observations: u64,
    pub reports_total: u64,
    /// (status, count) for every triage status, zeros included.
    pub reports_by_status: Vec<(TriageStatus, u64)>,
    /// Median minutes from a report's time to a coordinator's first triage.
    pub median_response_minutes: Option<f64>,
    /// Acknowledgements of alerts by residents.
    pub alert_acks: u64,
    /// Median minutes from an alert's issue to its first acknowledgement.
    pub median_first_ack_minutes: Option<f64>,
    pub watch_areas: u64,
    pub pending_changes: u64,
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("projection JSON: {e}")))
}

pub(crate) fn opt_json<T: serde::de::DeserializeOwned>(s: Option<&str>) -> Result<Option<T>> {
    s.map(parse_json).transpose()
}

pub(crate) fn opt_device(bytes: Option<Vec<u8>>) -> Option<DeviceId> {
    bytes
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .map(DeviceId::from_bytes)
}

const ALERT_COLUMNS: &str = "a.id, a.title, a.body, a.category, a.severity, a.status,
    a.issued_at, a.expires_at, a.area, a.issued_by, a.starts_at, a.place, a.person, a.approved_by,
    a.outcome, a.attendance";

fn alert_row(r: &Row) -> Result<Alert> {
    Ok(Alert {
        id: DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
        title: r.get(1)?,
        body: r.get(2)?,
        category: r.get::<_, String>(3)?.parse()?,
        severity: r.get::<_, String>(4)?.parse()?,
        status: r.get::<_, String>(5)?.parse()?,
        issued_at: Timestamp::from_millis(r.get(6)?),
        expires_at: r.get::<_, Option<i64>>(7)?.map(Timestamp::from_millis),
        area: parse_json(&r.get::<_, String>(8)?)?,
        issued_by: opt_device(r.get(9)?),
        meeting: match (
            r.get::<_, Option<i64>>(10)?,
            r.get::<_, Option<String>>(11)?,
        ) {
            (Some(t), Some(place)) => Some(Meeting {
                starts_at: Timestamp::from_millis(t),
                place,
            }),
            _ => None,
        },
        person: opt_json(r.get::<_, Option<String>>(12)?.as_deref())?,
        approved_by: opt_json(r.get::<_, Option<String>>(13)?.as_deref())?.unwrap_or_default(),
        awaiting_approval: false,
        outcome: r
            .get::<_, Option<String>>(14)?
            .map(|o| o.parse())
            .transpose()?,
        attendance: opt_json(r.get::<_, Option<String>>(15)?.as_deref())?,
    })
}

impl Store {
    pub fn alerts(&self, q: &AlertQuery) -> Result<Vec<Alert>> {
        let limit = i64::from(q.limit.unwrap_or(u32::MAX));
        let live = q.live_at.map(Timestamp::millis);
        let mut out = Vec::new();
        if let Some(area) = &q.touching {
            out = self.alerts_touching(
                &format!(
                    "SELECT DISTINCT {ALERT_COLUMNS} FROM p_alerts_rtree r
                     JOIN p_alerts a ON a.rid = r.alert
                     WHERE r.max_lat >= ?1 AND r.min_lat <= ?2 AND r.max_lon >= ?3
                       AND r.min_lon <= ?4
                       AND (?5 IS NULL OR (a.status = 'active'
                            AND (a.expires_at IS NULL OR a.expires_at > ?5)))"
                ),
                area,
                &[&live],
                alert_row,
                |a| (a.id, a.issued_at, &a.area),
            )?;
            out.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        } else {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {ALERT_COLUMNS} FROM p_alerts a
                 WHERE (?1 IS NULL OR (a.status = 'active'
                        AND (a.expires_at IS NULL OR a.expires_at > ?1)))
                 ORDER BY a.issued_at DESC, a.id LIMIT ?2"
            ))?;
            let mut rows = stmt.query(params![live, limit])?;
            while let Some(row) = rows.next()? {
                out.push(alert_row(row)?);
            }
        }
        Ok(out)
    }

    /// The alerts `sql` selects whose area touches `area`, newest first. `sql` takes a bounding
    /// box as ?1–?4 (min lat, max lat, min lon, max lon) and `more` from ?5 on; it runs once per
    /// box of `area` (two across the antimeridian). The R*Tree only finds candidates: each is
    /// tested against `area` exactly, once.
    pub(crate) fn alerts_touching<T>(
        &self,
        sql: &str,
        area: &Area,
        more: &[&dyn rusqlite::ToSql],
        read: impl Fn(&Row<'_>) -> Result<T>,
        key: impl Fn(&T) -> (DocId, Timestamp, &Area),
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for b in area.bounding_boxes() {
            let mut values: Vec<&dyn rusqlite::ToSql> =
                vec![&b.min_lat, &b.max_lat, &b.min_lon, &b.max_lon];
            values.extend_from_slice(more);
            let mut rows = stmt.query(values.as_slice())?;
            while let Some(row) = rows.next()? {
                let alert = read(row)?;
                let (id, _, alert_area) = key(&alert);
                if seen.insert(id) && alert_area.intersects(area) {
                    out.push(alert);
                }
            }
        }
        out.sort_by(|a, b| {
            let ((a_id, a_at, _), (b_id, b_at, _)) = (key(a), key(b));
            b_at.cmp(&a_at).then(a_id.cmp(&b_id))
        });
        Ok(out)
    }

    /// How many devices acknowledged `alert`, and when the first did.
    pub fn acks(&self, alert: DocId) -> Result<(u64, Option<Timestamp>)> {
        let (n, first): (i64, Option<i64>) = self.conn.query_row(
            "SELECT COUNT(*), MIN(at) FROM p_acks WHERE alert = ?1",
            [alert.as_bytes()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((n.unsigned_abs(), first.map(Timestamp::from_millis)))
    }

    pub fn alert(&self, id: DocId) -> Result<Alert> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS} FROM p_alerts a WHERE a.id = ?1"
        ))?;
        let mut rows = stmt.query([id.as_bytes()])?;
        match rows.next()? {
            Some(row) => alert_row(row),
            None => Err(StoreError::NotFound {
                kind: DocKind::Alert,
                id,
            }),
        }
    }

    pub fn patrols(&self, limit: u32, offset: u32) -> Result<Vec<PatrolSummary>> {
        self.patrol_rows(
            "SELECT id, title, started_at, ended_at, fix_count, distance_m, observations,
                    participants
             FROM p_patrols ORDER BY started_at DESC, id LIMIT ?1 OFFSET ?2",
            params![limit, offset],
        )
    }

    /// Patrols that started in `[from, to)`, oldest first (for the measures of a period).
    pub fn patrols_started(&self, from: Timestamp, to: Timestamp) -> Result<Vec<PatrolSummary>> {
        self.patrol_rows(
            "SELECT id, title, started_at, ended_at, fix_count, distance_m, observations,
                    participants
             FROM p_patrols WHERE started_at >= ?1 AND started_at < ?2 ORDER BY started_at, id",
            params![from.millis(), to.millis()],
        )
    }

    /// Every alert's first acknowledgement: (alert, time).
    pub fn first_acks(&self) -> Result<Vec<(DocId, Timestamp)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT alert, MIN(at) FROM p_acks GROUP BY alert")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((
                DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
                Timestamp::from_millis(r.get(1)?),
            ));
        }
        Ok(out)
    }

    pub(crate) fn patrol_rows(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<PatrolSummary>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(args)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(PatrolSummary {
                id: DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
                title: r.get(1)?,
                started_at: Timestamp::from_millis(r.get(2)?),
                ended_at: r.get::<_, Option<i64>>(3)?.map(Timestamp::from_millis),
                fix_count: r.get::<_, i64>(4)?.unsigned_abs(),
                distance_m: r.get(5)?,
                observations: r.get::<_, i64>(6)?.unsigned_abs(),
                participants: parse_json(&r.get::<_, String>(7)?)?,
            });
        }
        Ok(out)
    }

    /// Every observation of every patrol, newest first (for export and maps).
    pub fn observations(&self) -> Result<Vec<(DocId, Observation)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT patrol, id, at, lat, lon, category, note, photos FROM p_observations
             ORDER BY at DESC, patrol, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let point = match (r.get::<_, Option<f64>>(3)?, r.get::<_, Option<f64>>(4)?) {
                (Some(lat), Some(lon)) => Some(Point::new(lat, lon)),
                _ => None,
            };
            out.push((
                DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
                Observation {
                    id: r.get(1)?,
                    at: Timestamp::from_millis(r.get(2)?),
                    point,
                    category: r.get::<_, String>(5)?.parse()?,
                    note: r.get(6)?,
                    photos: parse_json(&r.get::<_, String>(7)?)?,
                    by: None,
                },
            ));
        }
        Ok(out)
    }

    pub fn reports(&self, q: &ReportQuery) -> Result<Vec<ReportEntry>> {
        Ok(self.report_rows(q)?.0)
    }

    /// One report with its triage.
    pub fn report(&self, id: DocId, now: Timestamp, due: DueHours) -> Result<ReportEntry> {
        self.report_rows(&ReportQuery {
            id: Some(id),
            now: Some(now),
            due,
            ..ReportQuery::default()
        })?
        .0
        .pop()
        .ok_or(StoreError::NotFound {
            kind: DocKind::Report,
            id,
        })
    }

    /// Fills in each entry's merged duplicates (the reports that point at it).
    pub(crate) fn attach_merged(&self, entries: &mut [ReportEntry]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT merged_into, report FROM p_triage WHERE merged_into IS NOT NULL
             ORDER BY merged_into, report",
        )?;
        let mut rows = stmt.query([])?;
        let mut by_case: std::collections::HashMap<DocId, Vec<DocId>> =
            std::collections::HashMap::new();
        while let Some(r) = rows.next()? {
            by_case
                .entry(DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?)
                .or_default()
                .push(DocId::from_slice(&r.get::<_, Vec<u8>>(1)?)?);
        }
        for e in entries {
            if let Some(m) = by_case.remove(&e.report.id) {
                e.merged = m;
            }
        }
        Ok(())
    }

    /// The group's overdue times per priority (the defaults when there is no group yet).
    ///
    /// On a reader, kept with the cached group (see [`Store::group`]): every page of cases
    /// needs them, and reading and parsing them each time was a visible share of a page (P4).
    pub fn due_hours(&self) -> Result<DueHours> {
        match &self.group_cache {
            Some(cache) => Ok(self.cached_group(cache)?.due_hours),
            None => crate::zones::group_due_hours(&self.conn),
        }
    }

    /// The group this device belongs to, if it has one.
    ///
    /// On a reader, the group parsed last time is reused while no other connection has
    /// committed since (`PRAGMA data_version`): every command checks the caller's role from the
    /// group, and parsing its members and zones cost more than many of the commands' own
    /// queries. Any commit, not only the group's, makes the next call read it again.
    pub fn group(&self) -> Result<Option<Group>> {
        Ok(self.shared_group()?.map(Arc::unwrap_or_clone))
    }

    /// [`Store::group`] without copying it: the reader's cached group itself, for the callers
    /// that only look at it (every list call checks the caller's role and zone with it, and
    /// copying a group's members and zones showed in a page's time, P4).
    pub fn shared_group(&self) -> Result<Option<Arc<Group>>> {
        match &self.group_cache {
            Some(cache) => Ok(self.cached_group(cache)?.group),
            None => Ok(self.read_group()?.group),
        }
    }

    fn cached_group(&self, cache: &GroupCache) -> Result<CachedGroup> {
        let version: i64 = self
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        if let Some((seen, cached)) = &*cache.0.borrow()
            && *seen == version
        {
            return Ok(cached.clone());
        }
        // Read after the version: a commit in between leaves a group newer than `version`
        // cached, and the next call, seeing the version moved, reads it again.
        let cached = self.read_group()?;
        *cache.0.borrow_mut() = Some((version, cached.clone()));
        Ok(cached)
    }

    fn read_group(&self) -> Result<CachedGroup> {
        type GroupRow = (Vec<u8>, String, String, String, Option<String>);
        let row: Option<GroupRow> = self
            .conn
            .prepare_cached(
                "SELECT id, name, members, zones, due_hours FROM p_groups ORDER BY id LIMIT 1",
            )?
            .query_row([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((id, name, members, zones, due_hours)) = row else {
            return Ok(CachedGroup::default());
        };
        Ok(CachedGroup {
            group: Some(Arc::new(Group {
                id: DocId::from_slice(&id)?,
                name,
                members: parse_json(&members)?,
                zones: parse_json(&zones)?,
            })),
            due_hours: crate::zones::due_hours_from(due_hours.as_deref())?,
        })
    }

    /// Full-text search over titles, bodies, notes and descriptions.
    pub fn search(&self, text: &str, limit: u32) -> Result<Vec<(DocId, DocKind, String)>> {
        // Quote every word so user input is never parsed as FTS5 query syntax.
        let query = text
            .split_whitespace()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ");
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT doc, kind, title FROM p_search WHERE p_search MATCH ?1 ORDER BY rank LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![query, limit])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((
                r.get::<_, String>(0)?.parse()?,
                r.get::<_, String>(1)?.parse()?,
                r.get(2)?,
            ));
        }
        Ok(out)
    }

    /// Fields where concurrent edits conflicted: (document, kind, field path).
    pub fn conflicts(&self) -> Result<Vec<(DocId, DocKind, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT doc, kind, field FROM p_conflicts ORDER BY doc, field")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (id, kind) = crate::documents::id_and_kind(r)?;
            out.push((id, kind, r.get(2)?));
        }
        Ok(out)
    }

    pub fn stats(&self, now: Timestamp) -> Result<Stats> {
        let count = |sql: &str| -> Result<u64> {
            Ok(self
                .conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))?
                .unsigned_abs())
        };
        let mut s = Stats {
            alerts_total: count("SELECT COUNT(*) FROM p_alerts")?,
            alerts_live: self
                .conn
                .query_row(
                    "SELECT COUNT(*) FROM p_alerts WHERE status = 'active'
                     AND (expires_at IS NULL OR expires_at > ?1)",
                    [now.millis()],
                    |r| r.get::<_, i64>(0),
                )?
                .unsigned_abs(),
            patrols_total: count("SELECT COUNT(*) FROM p_patrols")?,
            patrols_open: count("SELECT COUNT(*) FROM p_patrols WHERE ended_at IS NULL")?,
            observations: count("SELECT COUNT(*) FROM p_observations")?,
            reports_total: count("SELECT COUNT(*) FROM p_reports")?,
            watch_areas: count("SELECT COUNT(*) FROM watch_areas")?,
            pending_changes: count("SELECT COUNT(*) FROM outbox")?,
            ..Stats::default()
        };
        (s.patrol_distance_m, s.patrol_hours) = self.conn.query_row(
            "SELECT COALESCE(SUM(distance_m), 0),
                    COALESCE(SUM(ended_at - started_at), 0) / 3600000.0
             FROM p_patrols WHERE ended_at IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for status in TriageStatus::ALL {
            let n: i64 = self.conn.query_row(
                "SELECT COUNT(*) FROM p_reports r LEFT JOIN p_triage t ON t.report = r.id
                 WHERE COALESCE(t.status, 'new') = ?1",
                [status.as_str()],
                |r| r.get(0),
            )?;
            s.reports_by_status.push((*status, n.unsigned_abs()));
        }
        s.median_response_minutes = self.median_minutes(
            "SELECT t.first_at - r.occurred_at FROM p_reports r JOIN p_triage t ON t.report = r.id
             WHERE t.first_at IS NOT NULL ORDER BY 1",
        )?;
        s.alert_acks = count("SELECT COUNT(*) FROM p_acks")?;
        s.median_first_ack_minutes = self.median_minutes(
            "SELECT MIN(k.at) - a.issued_at FROM p_alerts a JOIN p_acks k ON k.alert = a.id
             GROUP BY a.id ORDER BY 1",
        )?;
        Ok(s)
    }

    /// The median of a query's single column of milliseconds, in minutes.
    fn median_minutes(&self, sql: &str) -> Result<Option<f64>> {
        let mut stmt = self.conn.prepare(sql)?;
        let delays = stmt
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if delays.is_empty() {
            return Ok(None);
        }
        let mid = delays.len() / 2;
        let median = if delays.len() % 2 == 1 {
            delays[mid] as f64
        } else {
            (delays[mid - 1] + delays[mid]) as f64 / 2.0
        };
        Ok(Some(median / 60_000.0))
    }
}
