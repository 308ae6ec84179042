//! What the coordinator's incident map needs, and nothing more: where each report is (not its
//! text or photos) and each patrol's kept track, with the same filters as the lists.

use porchlight_model::{
    AlertCategory, AlertStatus, Area, Category, DocId, Point, Timestamp, TriageStatus,
};
use rusqlite::params;
use serde::Serialize;

use crate::Store;
use crate::error::Result;
use crate::pages::{PatrolQuery, ReportSql, patrol_sql, report_sql};
use crate::queries::{ReportQuery, parse_json};
use crate::zones::decode_track;

/// A report as the map draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReportPoint {
    pub id: DocId,
    pub point: Point,
    pub category: Category,
    pub status: TriageStatus,
    pub occurred_at: Timestamp,
}

/// A patrol's track as the map draws it: simplified to within
/// [`TRACK_TOLERANCE_M`](crate::TRACK_TOLERANCE_M).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PatrolTrack {
    pub id: DocId,
    pub title: String,
    pub started_at: Timestamp,
    pub track: Vec<Point>,
}

impl Store {
    /// Every located report `q` selects (its paging ignored), newest first.
    pub fn report_points(&self, q: &ReportQuery) -> Result<Vec<ReportPoint>> {
        let ReportSql {
            from,
            at,
            row,
            filters,
            ..
        } = report_sql(&ReportQuery {
            after: None,
            limit: None,
            ..q.clone()
        });
        let sql = format!(
            "SELECT r.id, r.lat, r.lon, r.category, r.triage_status, r.occurred_at
             FROM {from}
             {} {} r.lat IS NOT NULL AND r.lon IS NOT NULL ORDER BY {at} DESC, {row} DESC",
            filters.sql(),
            if filters.sql().is_empty() {
                "WHERE"
            } else {
                "AND"
            },
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(filters.params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(ReportPoint {
                id: DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
                point: Point::new(r.get(1)?, r.get(2)?),
                category: r.get::<_, String>(3)?.parse()?,
                status: r.get::<_, String>(4)?.parse()?,
                occurred_at: Timestamp::from_millis(r.get(5)?),
            });
        }
        Ok(out)
    }

    /// The kept tracks of the newest `limit` patrols `q` selects.
    pub fn patrol_tracks(&self, q: &PatrolQuery, limit: u32) -> Result<Vec<PatrolTrack>> {
        let (from, at, row, filters) = patrol_sql(&PatrolQuery {
            after: None,
            limit: None,
            ..q.clone()
        });
        let sql = format!(
            "SELECT p.id, p.title, p.started_at, p.track FROM {from} {}
             ORDER BY {at} DESC, {row} DESC LIMIT {limit}",
            filters.sql()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(filters.params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(PatrolTrack {
                id: DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
                title: r.get(1)?,
                started_at: Timestamp::from_millis(r.get(2)?),
                track: decode_track(&r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default()),
            });
        }
        Ok(out)
    }

    /// How many patrols `q` selects (its paging ignored).
    pub fn patrol_count(&self, q: &PatrolQuery) -> Result<u32> {
        let (from, _, _, filters) = patrol_sql(&PatrolQuery {
            after: None,
            limit: None,
            ..q.clone()
        });
        let sql = format!("SELECT COUNT(*) FROM {from} {}", filters.sql());
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(filters.params), |r| r.get(0))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

/// An alert as the map draws it: no body, person or meeting.
#[derive(Clone, Debug, PartialEq)]
pub struct MapAlert {
    pub id: DocId,
    pub title: String,
    pub category: AlertCategory,
    pub status: AlertStatus,
    pub issued_at: Timestamp,
    pub area: Area,
}

impl Store {
    /// Alerts issued in `[from, to)` (either end open) whose area touches `touching` when one
    /// is given, newest first. The period is asked of the issue-time index, so a map of one
    /// month reads that month's alerts, not every alert the device holds.
    pub fn map_alerts(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        touching: Option<&Area>,
    ) -> Result<Vec<MapAlert>> {
        let (from, to) = (
            from.map_or(i64::MIN, Timestamp::millis),
            to.map_or(i64::MAX, Timestamp::millis),
        );
        let Some(area) = touching else {
            let mut out = Vec::new();
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {MAP_ALERT_COLUMNS} FROM p_alerts a
                 WHERE a.issued_at >= ?1 AND a.issued_at < ?2
                 ORDER BY a.issued_at DESC, a.id"
            ))?;
            let mut rows = stmt.query(params![from, to])?;
            while let Some(row) = rows.next()? {
                out.push(map_alert(row)?);
            }
            return Ok(out);
        };
        self.alerts_touching(
            &format!(
                "SELECT DISTINCT {MAP_ALERT_COLUMNS} FROM p_alerts_rtree r
                 JOIN p_alerts a ON a.rid = r.alert
                 WHERE r.max_lat >= ?1 AND r.min_lat <= ?2 AND r.max_lon >= ?3
                   AND r.min_lon <= ?4 AND a.issued_at >= ?5 AND a.issued_at < ?6"
            ),
            area,
            &[&from, &to],
            map_alert,
            |a| (a.id, a.issued_at, &a.area),
        )
    }
}

const MAP_ALERT_COLUMNS: &str = "a.id, a.title, a.category, a.status, a.issued_at, a.area";

fn map_alert(r: &rusqlite::Row<'_>) -> Result<MapAlert> {
    Ok(MapAlert {
        id: DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
        title: r.get(1)?,
        category: r.get::<_, String>(2)?.parse()?,
        status: r.get::<_, String>(3)?.parse()?,
        issued_at: Timestamp::from_millis(r.get(4)?),
        area: parse_json(&r.get::<_, String>(5)?)?,
    })
}
