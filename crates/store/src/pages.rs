//! The coordinator's lists a page at a time, filtered by period, zone, status and the rest.
//!
//! Each query is built from only the filters it has, so SQLite picks the index that fits: a zone
//! filter walks that zone's (time, row) index, anything else the table's time index, newest
//! first. Pages continue from the last row's (time, row id) rather than an offset, so page 200 is
//! as cheap as page 1 and a record arriving meanwhile neither repeats nor skips a row.

use porchlight_model::{DeviceId, DocId, Point, Priority, Report, Timestamp, TriageStatus};
use rusqlite::Row;
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::Result;
use crate::queries::{PatrolSummary, ReportEntry, ReportQuery, opt_json, parse_json};

/// Where the next page starts: the last row's time (ms) and document id. Opaque to callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PageCursor {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// The last row's document id: rows at the same time are ordered by it, on every device.
    pub id: DocId,
}

/// One page of reports (as cases), newest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReportPage {
    pub rows: Vec<ReportEntry>,
    /// Pass back as `after` for the next page; `None` on the last.
    pub next: Option<PageCursor>,
}

/// One page of patrols, newest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PatrolPage {
    pub rows: Vec<PatrolSummary>,
    pub next: Option<PageCursor>,
}

/// Which patrols to list. The default is every patrol.
#[derive(Clone, Debug, Default)]
pub struct PatrolQuery {
    /// Only patrols that started in `[from, to)`.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only patrols whose track passes through this named zone of the group.
    pub zone: Option<String>,
    /// `Some(true)`: only running patrols; `Some(false)`: only ended ones.
    pub running: Option<bool>,
    pub after: Option<PageCursor>,
    pub limit: Option<u32>,
}

/// A WHERE clause under construction, with its parameters in order.
#[derive(Default)]
pub(crate) struct Filters {
    clauses: Vec<String>,
    pub(crate) params: Vec<Value>,
}

impl Filters {
    /// Adds `clause`, in which each `?` takes the next of `values`.
    fn add(&mut self, clause: &str, values: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.to_owned());
        self.params.extend(values);
    }

    /// The time range and the page's starting point on the time column `at` and row id `row`.
    fn period(
        &mut self,
        at: &str,
        row: &str,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        after: Option<PageCursor>,
    ) {
        if let Some(from) = from {
            self.add(&format!("{at} >= ?"), [Value::Integer(from.millis())]);
        }
        // One upper bound on the time, the tighter of the period's end and the cursor's time, so
        // the index range starts at the cursor instead of at the period's end (page 20 would
        // otherwise step over the 950 rows before it).
        let cursor_end = after.map(|c| c.at.saturating_add(1));
        let end = match (to.map(Timestamp::millis), cursor_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(end) = end {
            self.add(&format!("{at} < ?"), [Value::Integer(end)]);
        }
        if let Some(c) = after {
            self.add(
                &format!("({at}, {row}) < (?, ?)"),
                [Value::Integer(c.at), Value::Blob(c.id.as_bytes().to_vec())],
            );
        }
    }

    /// The FROM clause and the (time, id) columns a list is ordered by: the zone's membership
    /// rows when a zone is asked for (its index is in time order), the table itself otherwise.
    fn source(
        &mut self,
        zone: Option<&str>,
        list: &ListSource,
    ) -> (&'static str, &'static str, &'static str) {
        match zone {
            Some(zone) => {
                self.add("z.zone = ?", [text(zone)]);
                (list.in_zone, list.zone_time, "z.id")
            }
            None => (list.table, list.time, list.id),
        }
    }

    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// Where a list's rows come from, with and without a zone.
struct ListSource {
    table: &'static str,
    time: &'static str,
    id: &'static str,
    in_zone: &'static str,
    zone_time: &'static str,
}

const PATROLS: &ListSource = &ListSource {
    table: "p_patrols p",
    time: "p.started_at",
    id: "p.id",
    in_zone: "p_zone_patrols z JOIN p_patrols p ON p.rid = z.rid",
    zone_time: "z.started_at",
};

const REPORTS: &ListSource = &ListSource {
    table: "p_reports r",
    time: "r.occurred_at",
    id: "r.id",
    in_zone: "p_zone_reports z JOIN p_reports r ON r.rid = z.rid",
    zone_time: "z.occurred_at",
};

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// The rows and the cursor after them, from rows fetched with one extra to tell if more follow.
fn split_page<T>(
    mut rows: Vec<(T, PageCursor)>,
    limit: Option<u32>,
) -> (Vec<T>, Option<PageCursor>) {
    let more = limit.is_some_and(|l| rows.len() > l as usize);
    if more {
        rows.truncate(limit.unwrap_or(0) as usize);
    }
    let next = if more {
        rows.last().map(|(_, c)| *c)
    } else {
        None
    };
    (rows.into_iter().map(|(r, _)| r).collect(), next)
}

/// A patrol query's FROM clause, time and row columns and WHERE clause.
pub(crate) fn patrol_sql(q: &PatrolQuery) -> (&'static str, &'static str, &'static str, Filters) {
    let mut f = Filters::default();
    let (from, at, row) = f.source(q.zone.as_deref(), PATROLS);
    f.period(at, row, q.from, q.to, q.after);
    match q.running {
        Some(true) => f.add("p.ended_at IS NULL", []),
        Some(false) => f.add("p.ended_at IS NOT NULL", []),
        None => {}
    }
    (from, at, row, f)
}

/// A report query's FROM clause, time and row columns, WHERE clause and due-time expression.
pub(crate) struct ReportSql {
    pub(crate) from: &'static str,
    pub(crate) at: &'static str,
    pub(crate) row: &'static str,
    pub(crate) filters: Filters,
    pub(crate) due_at: String,
    pub(crate) now: i64,
}

pub(crate) fn report_sql(q: &ReportQuery) -> ReportSql {
    let now = q.now.unwrap_or_else(Timestamp::now).millis();
    // The overdue times are whole numbers from the group's settings: written into the SQL,
    // so the statement does not depend on which filters brought parameters.
    let due_at = format!(
        "(r.occurred_at + CASE COALESCE(r.case_priority, 'normal') WHEN 'low' THEN {} \
         WHEN 'high' THEN {} WHEN 'urgent' THEN {} ELSE {} END)",
        q.due.millis(Priority::Low),
        q.due.millis(Priority::High),
        q.due.millis(Priority::Urgent),
        q.due.millis(Priority::Normal),
    );
    let mut f = Filters::default();
    let (from, at, row) = f.source(q.zone.as_deref(), REPORTS);
    f.period(at, row, q.from, q.to, q.after);
    if let Some(status) = q.status {
        // The copy kept beside the index in use (migration 014), not the joined triage row:
        // the page is then one index range.
        let column = if q.zone.is_some() {
            "z.status"
        } else {
            "r.triage_status"
        };
        f.add(&format!("{column} = ?"), [text(status.as_str())]);
    }
    if let Some(id) = q.id {
        f.add("r.id = ?", [Value::Blob(id.as_bytes().to_vec())]);
    }
    if let Some(device) = q.assignee {
        f.add(
            "r.case_assignee = ?",
            [Value::Blob(device.as_bytes().to_vec())],
        );
    }
    if let Some(p) = q.priority {
        f.add(
            "COALESCE(r.case_priority, 'normal') = ?",
            [text(p.as_str())],
        );
    }
    if let Some(c) = q.category {
        f.add("r.category = ?", [text(c.as_str())]);
    }
    if q.hide_merged {
        f.add("r.case_merged_into IS NULL", []);
    }
    if q.overdue_only {
        f.add(
            &format!(
                "r.triage_status NOT IN ('closed', 'dismissed') \
                 AND r.case_merged_into IS NULL AND {due_at} < ?"
            ),
            [Value::Integer(now)],
        );
    }
    ReportSql {
        from,
        at,
        row,
        filters: f,
        due_at,
        now,
    }
}

fn limit_sql(limit: Option<u32>) -> String {
    limit.map_or(String::new(), |l| format!("LIMIT {}", u64::from(l) + 1))
}

impl Store {
    /// One page of reports with their cases, newest first.
    pub fn reports_page(&self, q: &ReportQuery) -> Result<ReportPage> {
        let (rows, next) = self.report_rows(q)?;
        Ok(ReportPage { rows, next })
    }

    /// One page of patrols, newest first.
    pub fn patrols_page(&self, q: &PatrolQuery) -> Result<PatrolPage> {
        let (from, at, row, f) = patrol_sql(q);
        let limit = limit_sql(q.limit);
        let sql = format!(
            "SELECT p.id, p.title, p.started_at, p.ended_at, p.fix_count, p.distance_m,
                    p.observations, p.participants
             FROM {from} {} ORDER BY {at} DESC, {row} DESC {limit}",
            f.sql()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(f.params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let started_at: i64 = r.get(2)?;
            let id = DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?;
            out.push((
                PatrolSummary {
                    id,
                    title: r.get(1)?,
                    started_at: Timestamp::from_millis(started_at),
                    ended_at: r.get::<_, Option<i64>>(3)?.map(Timestamp::from_millis),
                    fix_count: r.get::<_, i64>(4)?.unsigned_abs(),
                    distance_m: r.get(5)?,
                    observations: r.get::<_, i64>(6)?.unsigned_abs(),
                    participants: parse_json(&r.get::<_, String>(7)?)?,
                },
                PageCursor { at: started_at, id },
            ));
        }
        let (rows, next) = split_page(out, q.limit);
        Ok(PatrolPage { rows, next })
    }

    /// Reports with their cases as `q` asks, newest first, and the cursor of the next page.
    pub(crate) fn report_rows(
        &self,
        q: &ReportQuery,
    ) -> Result<(Vec<ReportEntry>, Option<PageCursor>)> {
        let ReportSql {
            from,
            at,
            row,
            filters: f,
            due_at,
            now,
        } = report_sql(q);
        let limit = limit_sql(q.limit);
        // One row per case: the case is copied onto the report's row (migration 015). Text
        // columns are parsed where they lie, not copied into Strings first.
        let sql = format!(
            "SELECT r.id, r.category, r.description, r.occurred_at, r.lat, r.lon, r.precision,
                    r.photos, r.filed_by, r.triage_status, r.case_updated_at, r.case_first_at,
                    r.case_notes, r.followups, r.person, r.case_assignee, r.case_priority,
                    r.case_outcome, r.case_merged_into, {due_at}
             FROM {from} {} ORDER BY {at} DESC, {row} DESC {limit}",
            f.sql()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(f.params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let location = match (r.get::<_, Option<f64>>(4)?, r.get::<_, Option<f64>>(5)?) {
                (Some(lat), Some(lon)) => Some(Point::new(lat, lon)),
                _ => None,
            };
            let status: TriageStatus = row_text(r, 9)?.parse()?;
            let merged_into = row_opt_blob(r, 18)?.map(DocId::from_slice).transpose()?;
            let due_at: i64 = r.get(19)?;
            let occurred_at: i64 = r.get(3)?;
            let entry = ReportEntry {
                report: Report {
                    id: DocId::from_slice(row_blob(r, 0)?)?,
                    category: row_text(r, 1)?.parse()?,
                    description: r.get(2)?,
                    occurred_at: Timestamp::from_millis(occurred_at),
                    location,
                    precision: row_text(r, 6)?.parse()?,
                    photos: parse_json(row_text(r, 7)?)?,
                    filed_by: row_opt_blob(r, 8)?.and_then(device_id),
                    status,
                    followups: parse_json(row_text(r, 13)?)?,
                    person: opt_json(row_opt_text(r, 14)?)?,
                },
                triaged_at: r.get::<_, Option<i64>>(10)?.map(Timestamp::from_millis),
                first_triaged_at: r.get::<_, Option<i64>>(11)?.map(Timestamp::from_millis),
                notes: opt_json(row_opt_text(r, 12)?)?.unwrap_or_default(),
                assignee: row_opt_blob(r, 15)?.and_then(device_id),
                priority: row_opt_text(r, 16)?.map_or(Ok(Priority::Normal), str::parse)?,
                outcome: row_opt_text(r, 17)?.map(str::parse).transpose()?,
                overdue: !porchlight_model::ends_case(status)
                    && merged_into.is_none()
                    && due_at < now,
                merged_into,
                merged: Vec::new(),
                due_at: Timestamp::from_millis(due_at),
            };
            let cursor = PageCursor {
                at: occurred_at,
                id: entry.report.id,
            };
            out.push((entry, cursor));
        }
        let (mut rows, next) = split_page(out, q.limit);
        if !rows.is_empty() {
            self.attach_merged(&mut rows)?;
        }
        Ok((rows, next))
    }
}

// Column readers that borrow the row's text and bytes instead of copying them out.

fn row_text<'r>(r: &'r Row<'_>, i: usize) -> Result<&'r str> {
    Ok(r.get_ref(i)?.as_str().map_err(|e| conversion(i, e))?)
}

fn row_opt_text<'r>(r: &'r Row<'_>, i: usize) -> Result<Option<&'r str>> {
    Ok(r.get_ref(i)?
        .as_str_or_null()
        .map_err(|e| conversion(i, e))?)
}

fn row_blob<'r>(r: &'r Row<'_>, i: usize) -> Result<&'r [u8]> {
    Ok(r.get_ref(i)?.as_blob().map_err(|e| conversion(i, e))?)
}

fn row_opt_blob<'r>(r: &'r Row<'_>, i: usize) -> Result<Option<&'r [u8]>> {
    Ok(r.get_ref(i)?
        .as_blob_or_null()
        .map_err(|e| conversion(i, e))?)
}

fn conversion(i: usize, e: rusqlite::types::FromSqlError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Null, Box::new(e))
}

fn device_id(bytes: &[u8]) -> Option<DeviceId> {
    <[u8; 16]>::try_from(bytes).ok().map(DeviceId::from_bytes)
}
