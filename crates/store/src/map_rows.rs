//! What the coordinator's incident map needs, and nothing more: where each report is (not its
//! text or photos) and each patrol's kept track, with the same filters as the lists.

use porchlight_model::{Category, DocId, Point, Timestamp, TriageStatus};
use serde::Serialize;

use crate::Store;
use crate::error::Result;
use crate::pages::{PatrolQuery, ReportSql, patrol_sql, report_sql};
use crate::queries::ReportQuery;
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
