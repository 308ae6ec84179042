//! Where and when reports cluster, computed on the coordinator's device from the reports it
//! holds, with a k-anonymity threshold: a grid cell (or an hour of the week, or a zone's period)
//! with fewer than k reports is never shown, so no output can point at one reporter's doorstep
//! or habits. k is a group setting (default 3); a query may raise it, never lower it.

use std::collections::BTreeMap;

use porchlight_crdt::{DEFAULT_HOTSPOT_K, read_hotspot_k, set_hotspot_k};
use porchlight_model::{Area, Category, DocKind, Point, Role, Timestamp, ValidationError, Zone};
use porchlight_store::ReportQuery;
use serde::Serialize;

use crate::{Core, CoreError, ReportEntry, Result};

const METRES_PER_DEGREE: f64 = 111_320.0;
/// Grid cells 250 m on a side unless asked otherwise.
pub const DEFAULT_CELL_M: f64 = 250.0;
/// The only cell sizes: nested (each a multiple of the last), so no choice of size shifts cell
/// edges by a few metres to cut one doorstep out of its neighbours.
pub const CELL_SIZES_M: [f64; 4] = [250.0, 500.0, 1_000.0, 2_000.0];
const DAY_MS: i64 = 86_400_000;

/// What to count.
#[derive(Clone, Debug, Default)]
pub struct HotspotQuery {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub category: Option<Category>,
    /// Grid cell side in metres ([`DEFAULT_CELL_M`] if `None`).
    pub cell_m: Option<f64>,
    /// A higher threshold than the group's (a lower one is ignored).
    pub k: Option<u32>,
    /// Minutes east of UTC for the week heat map (the viewer's time zone).
    pub utc_offset_minutes: i32,
    /// Only reports located in this area (a named zone); k applies to what is left.
    pub zone: Option<Area>,
}

/// A grid cell with at least k reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HotspotCell {
    pub center: Point,
    /// South-west and north-east corners.
    pub south_west: Point,
    pub north_east: Point,
    pub count: u32,
}

/// An hour of the week with at least k reports (weekday 0 = Monday).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HeatCell {
    pub weekday: u8,
    pub hour: u8,
    pub count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Hotspots {
    pub k: u32,
    pub cell_m: f64,
    /// Reports in the period (with or without a location).
    pub total: u32,
    /// Cells with at least k reports, busiest first.
    pub cells: Vec<HotspotCell>,
    /// Reports with a location that fall in cells under k (shown only as this sum).
    pub in_hidden_cells: u32,
    /// Hours of the week with at least k reports.
    pub week: Vec<HeatCell>,
}

/// A count, or "fewer than k" when it is under the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "type", content = "value")]
pub enum Shown {
    Count(u32),
    FewerThan(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    Same,
    /// One of the periods is under k: no comparison is shown.
    Unknown,
}

/// One zone, two periods.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ZoneComparison {
    pub zone: String,
    pub before: Shown,
    pub after: Shown,
    /// Percent change from before to after, when both are shown.
    pub change_percent: Option<f64>,
    pub direction: Direction,
}

impl Hotspots {
    /// The shown cells as a GeoJSON FeatureCollection of squares with their counts (cells under
    /// k are not in `cells`, so they cannot leak here).
    pub fn to_geojson(&self) -> String {
        let features = self
            .cells
            .iter()
            .map(|c| {
                let (sw, ne) = (c.south_west, c.north_east);
                let ring = vec![
                    vec![sw.lon, sw.lat],
                    vec![ne.lon, sw.lat],
                    vec![ne.lon, ne.lat],
                    vec![sw.lon, ne.lat],
                    vec![sw.lon, sw.lat],
                ];
                let mut properties = geojson::JsonObject::new();
                properties.insert("count".into(), c.count.into());
                geojson::Feature {
                    geometry: Some(geojson::Geometry::new(geojson::Value::Polygon(vec![ring]))),
                    properties: Some(properties),
                    ..geojson::Feature::default()
                }
            })
            .collect();
        geojson::FeatureCollection {
            bbox: None,
            features,
            foreign_members: None,
        }
        .to_string()
    }
}

/// The grid cell a point falls in: rows of equal latitude height, each row's columns as wide
/// as `cell_m` at the row's middle.
#[allow(clippy::cast_possible_truncation)]
fn cell_of(p: Point, cell_m: f64) -> (i64, i64) {
    let dlat = cell_m / METRES_PER_DEGREE;
    let row = (p.lat / dlat).floor() as i64;
    let dlon = lon_step(row, dlat, cell_m);
    (row, (p.lon / dlon).floor() as i64)
}

#[allow(clippy::cast_precision_loss)]
fn lon_step(row: i64, dlat: f64, cell_m: f64) -> f64 {
    let mid = (row as f64 + 0.5) * dlat;
    cell_m / (METRES_PER_DEGREE * mid.to_radians().cos().max(0.01))
}

#[allow(clippy::cast_precision_loss)]
fn cell_bounds((row, col): (i64, i64), cell_m: f64) -> (Point, Point) {
    let dlat = cell_m / METRES_PER_DEGREE;
    let dlon = lon_step(row, dlat, cell_m);
    (
        Point::new(row as f64 * dlat, col as f64 * dlon),
        Point::new((row + 1) as f64 * dlat, (col + 1) as f64 * dlon),
    )
}

/// Monday-based weekday and hour of `t` shifted by `offset_minutes`.
fn week_hour(t: Timestamp, offset_minutes: i32) -> (u8, u8) {
    let local = t.millis() + i64::from(offset_minutes) * 60_000;
    let hours = local.div_euclid(3_600_000);
    let hour = u8::try_from(hours.rem_euclid(24)).unwrap_or(0);
    // 1970-01-01 was a Thursday (weekday 3 counting from Monday = 0).
    let weekday = u8::try_from((hours.div_euclid(24) + 3).rem_euclid(7)).unwrap_or(0);
    (weekday, hour)
}

fn in_period(r: &ReportEntry, from: Option<Timestamp>, to: Option<Timestamp>) -> bool {
    let at = r.report.occurred_at;
    from.is_none_or(|f| at >= f) && to.is_none_or(|t| at < t)
}

fn day_floor(t: Timestamp) -> Timestamp {
    Timestamp::from_millis(t.millis().div_euclid(DAY_MS) * DAY_MS)
}

fn day_ceil(t: Timestamp) -> Timestamp {
    Timestamp::from_millis(-(-t.millis()).div_euclid(DAY_MS) * DAY_MS)
}

fn shown(count: u32, k: u32) -> Shown {
    if count >= k {
        Shown::Count(count)
    } else {
        Shown::FewerThan(k)
    }
}

impl Core {
    /// The group's hotspot threshold k.
    pub fn hotspot_k(&self) -> Result<u32> {
        let store = self.reader();
        let Some(group) = store.group()? else {
            return Ok(DEFAULT_HOTSPOT_K);
        };
        Ok(read_hotspot_k(&store.load_kind(group.id, DocKind::Group)?))
    }

    /// Sets the group's hotspot threshold (coordinators); it syncs to the other coordinators.
    pub fn set_hotspot_k(&self, k: u32) -> Result<u32> {
        self.require(|r| r == Role::Coordinator, "set the hotspot threshold")?;
        let mut store = self.store();
        let group = store.group()?.ok_or(CoreError::NotJoined)?;
        store.update(
            group.id,
            DocKind::Group,
            |doc| set_hotspot_k(doc, k, Timestamp::now()),
            |_, _| Ok(()),
        )?;
        drop(store);
        self.changed_locally();
        self.hotspot_k()
    }

    /// Adds or replaces a named zone of the neighbourhood (coordinators).
    pub fn set_zone(&self, zone: &Zone) -> Result<()> {
        self.require(|r| r == Role::Coordinator, "set zones")?;
        let mut store = self.store();
        let group = store.group()?.ok_or(CoreError::NotJoined)?;
        store.update(
            group.id,
            DocKind::Group,
            |doc| porchlight_crdt::set_zone(doc, zone, Timestamp::now()),
            |_, _| Ok(()),
        )?;
        drop(store);
        self.changed_locally();
        Ok(())
    }

    /// Report hotspots on a grid and by hour of the week, under the k threshold.
    pub fn hotspots(&self, q: &HotspotQuery) -> Result<Hotspots> {
        let cell_m = q.cell_m.unwrap_or(DEFAULT_CELL_M);
        if !CELL_SIZES_M.contains(&cell_m) {
            return Err(CoreError::Invalid(ValidationError::Invalid {
                field: "cell",
                reason: format!("grid cells are 250, 500, 1000 or 2000 m, not {cell_m}"),
            }));
        }
        // Periods in whole days, and the heat map's time zone in whole hours: moving a boundary
        // a minute at a time must not reveal when a single report was made.
        let (from, to) = (q.from.map(day_floor), q.to.map(day_ceil));
        let offset = q.utc_offset_minutes.div_euclid(60) * 60;
        let k = self.hotspot_k()?.max(q.k.unwrap_or(0));
        self.require(|r| r.can_read(DocKind::Report), "read reports")?;
        // The period and category are asked of the store (an index range on the time), not
        // applied after decoding every report the device holds: the default 90 days of a
        // year-long city inbox is a quarter of it.
        let reports: Vec<ReportEntry> = self
            .reader()
            .reports(&ReportQuery {
                from,
                to,
                category: q.category,
                now: Some(Timestamp::now()),
                ..ReportQuery::default()
            })?
            .into_iter()
            .filter(|r| in_period(r, from, to))
            .filter(|r| {
                q.zone.as_ref().is_none_or(|z| {
                    r.report
                        .location
                        .is_some_and(|p| porchlight_model::planar::zone_contains(z, p))
                })
            })
            .collect();
        let mut grid: BTreeMap<(i64, i64), u32> = BTreeMap::new();
        let mut week: BTreeMap<(u8, u8), u32> = BTreeMap::new();
        for r in &reports {
            if let Some(p) = r.report.location {
                *grid.entry(cell_of(p, cell_m)).or_default() += 1;
            }
            *week
                .entry(week_hour(r.report.occurred_at, offset))
                .or_default() += 1;
        }
        let in_hidden_cells = grid.values().filter(|&&n| n < k).sum();
        let mut cells: Vec<HotspotCell> = grid
            .into_iter()
            .filter(|(_, n)| *n >= k)
            .map(|(cell, count)| {
                let (south_west, north_east) = cell_bounds(cell, cell_m);
                HotspotCell {
                    center: Point::new(
                        f64::midpoint(south_west.lat, north_east.lat),
                        f64::midpoint(south_west.lon, north_east.lon),
                    ),
                    south_west,
                    north_east,
                    count,
                }
            })
            .collect();
        cells.sort_by_key(|c| std::cmp::Reverse(c.count));
        Ok(Hotspots {
            k,
            cell_m,
            total: u32::try_from(reports.len()).unwrap_or(u32::MAX),
            cells,
            in_hidden_cells,
            week: week
                .into_iter()
                .filter(|(_, n)| *n >= k)
                .map(|((weekday, hour), count)| HeatCell {
                    weekday,
                    hour,
                    count,
                })
                .collect(),
        })
    }

    /// Reports located in `zone` in two periods, each shown only when it reaches k.
    pub fn compare_zone(
        &self,
        zone: &str,
        before: (Timestamp, Timestamp),
        after: (Timestamp, Timestamp),
    ) -> Result<ZoneComparison> {
        let group = self.group()?.ok_or(CoreError::NotJoined)?;
        let area: Area = group
            .zones
            .into_iter()
            .find(|z| z.name == zone)
            .ok_or_else(|| {
                CoreError::Invalid(ValidationError::Invalid {
                    field: "zone",
                    reason: format!("the group has no zone called {zone:?}"),
                })
            })?
            .area;
        let k = self.hotspot_k()?;
        let reports = self.reports(None)?;
        let count = |(from, to): (Timestamp, Timestamp)| -> u32 {
            let (from, to) = (day_floor(from), day_ceil(to));
            let n = reports
                .iter()
                .filter(|r| in_period(r, Some(from), Some(to)))
                .filter_map(|r| r.report.location)
                .filter(|p| area.intersects(&Area::circle(*p, 1.0)))
                .count();
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        let (a, b) = (count(before), count(after));
        let (before, after) = (shown(a, k), shown(b, k));
        let (change_percent, direction) = match (before, after) {
            (Shown::Count(a), Shown::Count(b)) => (
                Some((f64::from(b) - f64::from(a)) / f64::from(a) * 100.0),
                match b.cmp(&a) {
                    std::cmp::Ordering::Greater => Direction::Up,
                    std::cmp::Ordering::Less => Direction::Down,
                    std::cmp::Ordering::Equal => Direction::Same,
                },
            ),
            _ => (None, Direction::Unknown),
        };
        Ok(ZoneComparison {
            zone: zone.to_owned(),
            before,
            after,
            change_percent,
            direction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_hours_count_from_monday_in_the_viewers_zone() {
        // 2026-06-02 was a Tuesday; 10:15 UTC.
        let t = Timestamp::parse("t", "2026-06-02T10:15:00Z").unwrap();
        assert_eq!(week_hour(t, 0), (1, 10));
        assert_eq!(week_hour(t, -11 * 60), (0, 23)); // still Monday 23:15 at UTC−11
    }

    #[test]
    fn points_a_cell_apart_fall_in_different_cells_and_close_ones_together() {
        let a = Point::new(45.5001, -122.6001);
        let near = Point::new(45.5002, -122.6002);
        let far = Point::new(45.5001 + 300.0 / METRES_PER_DEGREE, -122.6001);
        assert_eq!(cell_of(a, 250.0), cell_of(near, 250.0));
        assert_ne!(cell_of(a, 250.0), cell_of(far, 250.0));
        let (sw, ne) = cell_bounds(cell_of(a, 250.0), 250.0);
        assert!(sw.lat <= a.lat && a.lat < ne.lat && sw.lon <= a.lon && a.lon < ne.lon);
        assert!((sw.distance_m(&Point::new(ne.lat, sw.lon)) - 250.0).abs() < 1.0);
    }
}
