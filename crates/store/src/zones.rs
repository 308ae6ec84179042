//! Which named zone of the group each patrol and report belongs to, kept beside the projections
//! so that the coordinator's lists filter by zone with an index range (migration 014).
//!
//! A patrol is in a zone when its track passes through it, a report when its location lies in
//! it: the same tests the measures use (`porchlight_model::planar`). A patrol's membership is
//! decided on its full track when it is projected; when the group's zones change, every record
//! is tested again, patrols against the simplified track kept in `p_patrols.track` (within
//! [`TRACK_TOLERANCE_M`] of the full one).

use porchlight_model::planar::{simplify_track, track_enters, zone_contains};
use porchlight_model::{DueHours, Point, Zone};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::sql::exec;

/// How far the kept track may stray from the recorded one: about a GPS fix's own error.
pub const TRACK_TOLERANCE_M: f64 = 2.0;
/// Points are kept as whole 1e-7 degrees (about a centimetre).
const SCALE: f64 = 1e7;

/// The simplified track as bytes: (lat, lon) pairs of little-endian i32s in 1e-7 degrees.
pub(crate) fn encode_track(track: &[Point]) -> Vec<u8> {
    let kept = simplify_track(track, TRACK_TOLERANCE_M);
    let mut out = Vec::with_capacity(kept.len() * 8);
    for p in kept {
        // Latitudes and longitudes are validated to ±90 / ±180: both fit an i32 at this scale.
        #[allow(clippy::cast_possible_truncation)]
        for v in [
            (p.lat * SCALE).round() as i32,
            (p.lon * SCALE).round() as i32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

pub(crate) fn decode_track(bytes: &[u8]) -> Vec<Point> {
    bytes
        .chunks_exact(8)
        .map(|c| {
            let lat = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            let lon = i32::from_le_bytes([c[4], c[5], c[6], c[7]]);
            Point::new(f64::from(lat) / SCALE, f64::from(lon) / SCALE)
        })
        .collect()
}

/// The group's zones as projected (none before the group document has arrived).
pub(crate) fn group_zones(conn: &Connection) -> Result<Vec<Zone>> {
    let json: Option<String> = conn
        .prepare_cached("SELECT zones FROM p_groups ORDER BY id LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    json.map_or(Ok(Vec::new()), |s| crate::queries::parse_json(&s))
}

/// The group's overdue times as projected (the defaults before the group document arrived).
pub(crate) fn group_due_hours(conn: &Connection) -> Result<DueHours> {
    let json: Option<Option<String>> = conn
        .prepare_cached("SELECT due_hours FROM p_groups ORDER BY id LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    due_hours_from(json.flatten().as_deref())
}

/// The overdue times from the group row's JSON (the defaults where the group has set none).
pub(crate) fn due_hours_from(json: Option<&str>) -> Result<DueHours> {
    json.map_or(Ok(DueHours::default()), crate::queries::parse_json)
}

/// Records which zones the patrol `rid`'s track passes through (replacing what was recorded).
pub(crate) fn index_patrol(
    conn: &Connection,
    zones: &[Zone],
    (rid, id): (i64, &[u8]),
    started_at: i64,
    track: &[Point],
    fresh: bool,
) -> Result<()> {
    if !fresh {
        exec(conn, "DELETE FROM p_zone_patrols WHERE rid = ?1", [rid])?;
    }
    for zone in zones.iter().filter(|z| track_enters(&z.area, track)) {
        exec(
            conn,
            "INSERT OR IGNORE INTO p_zone_patrols (zone, started_at, id, rid)
             VALUES (?1, ?2, ?3, ?4)",
            params![zone.name, started_at, id, rid],
        )?;
    }
    Ok(())
}

/// Records which zones the report `rid`'s location lies in (replacing what was recorded).
pub(crate) fn index_report(
    conn: &Connection,
    zones: &[Zone],
    report: ReportRow,
    fresh: bool,
) -> Result<()> {
    if !fresh {
        exec(
            conn,
            "DELETE FROM p_zone_reports WHERE rid = ?1",
            [report.rid],
        )?;
    }
    let Some(at) = report.location else {
        return Ok(());
    };
    for zone in zones.iter().filter(|z| zone_contains(&z.area, at)) {
        exec(
            conn,
            "INSERT OR IGNORE INTO p_zone_reports (zone, occurred_at, id, rid, status)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                zone.name,
                report.occurred_at,
                report.id,
                report.rid,
                report.status
            ],
        )?;
    }
    Ok(())
}

/// What the zone index keeps of a report.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReportRow<'a> {
    pub(crate) rid: i64,
    pub(crate) id: &'a [u8],
    pub(crate) occurred_at: i64,
    pub(crate) location: Option<Point>,
    /// Its triage status ("new" when it has none).
    pub(crate) status: &'a str,
}

/// Works out every record's zones again: the group's zones changed.
pub(crate) fn reindex_all(conn: &Connection, zones: &[Zone]) -> Result<()> {
    exec(conn, "DELETE FROM p_zone_patrols", [])?;
    exec(conn, "DELETE FROM p_zone_reports", [])?;
    if zones.is_empty() {
        return Ok(());
    }
    let mut patrols = conn.prepare("SELECT rid, id, started_at, track FROM p_patrols")?;
    let mut rows = patrols.query([])?;
    while let Some(r) = rows.next()? {
        let track = decode_track(&r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default());
        let id: Vec<u8> = r.get(1)?;
        index_patrol(conn, zones, (r.get(0)?, &id), r.get(2)?, &track, true)?;
    }
    let mut reports = conn.prepare(
        "SELECT rid, occurred_at, lat, lon, triage_status, id FROM p_reports
         WHERE lat IS NOT NULL",
    )?;
    let mut rows = reports.query([])?;
    while let Some(r) = rows.next()? {
        let location = match (r.get::<_, Option<f64>>(2)?, r.get::<_, Option<f64>>(3)?) {
            (Some(lat), Some(lon)) => Some(Point::new(lat, lon)),
            _ => None,
        };
        let status: String = r.get(4)?;
        let id: Vec<u8> = r.get(5)?;
        let row = ReportRow {
            rid: r.get(0)?,
            id: &id,
            occurred_at: r.get(1)?,
            location,
            status: &status,
        };
        index_report(conn, zones, row, true)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_survives_encoding_to_a_centimetre_and_straight_runs_shrink() {
        let track: Vec<Point> = (0..100)
            .map(|i| Point::new(45.5 + f64::from(i) * 1e-5, -122.6))
            .chain((0..100).map(|i| Point::new(45.501, -122.6 + f64::from(i) * 1e-5)))
            .collect();
        let back = decode_track(&encode_track(&track));
        // Two straight legs: the ends and the corner region, not 200 fixes.
        assert!(back.len() <= 4, "{back:?}");
        assert!((back[0].lat - 45.5).abs() < 1e-7 && (back[0].lon + 122.6).abs() < 1e-7);
        let last = back.last().expect("points");
        assert!((last.lon - (-122.6 + 99e-5)).abs() < 1e-7, "{last:?}");
    }
}
