//! The coordinator's incident map: reports, alerts and patrol tracks filtered by period, zone,
//! category and status, with nearby markers gathered into clusters at the zoom the map shows.
//!
//! Clustering happens here, not in the web view: a city's tens of thousands of reports would
//! otherwise all cross into the page on every zoom. Markers whose Web Mercator pixels at the
//! current zoom fall into the same [`CLUSTER_PX`]-pixel square become one cluster, drawn at
//! their mean position with their count; a square holding one marker shows it as it is.

use std::collections::BTreeMap;

use porchlight_model::{
    AlertCategory, AlertStatus, Area, Category, DocId, DocKind, Point, Timestamp, TriageStatus,
    ValidationError,
};
use porchlight_store::{PatrolQuery, PatrolTrack, ReportPoint, ReportQuery, Store};
use serde::{Deserialize, Serialize};

use crate::{Core, CoreError, Result};

/// The side of a clustering square, in screen pixels at the map's zoom.
pub const CLUSTER_PX: f64 = 64.0;
/// Tracks drawn at most (the newest): more would hide the markers under lines.
pub const MAX_TRACKS: u32 = 200;
/// The deepest zoom a map asks for; past it nothing is gathered.
const MAX_ZOOM: u8 = 22;
/// Fitting the view ([`IncidentQuery::fit`]) as the web view's map fits it: this many pixels kept
/// clear on every side, never closer than street level, and one marker alone shown at this zoom.
const FIT_PADDING_PX: f64 = 20.0;
const FIT_MAX_ZOOM: u8 = 17;
const FIT_ONE_POINT_ZOOM: u8 = 16;

/// What the map shows.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct IncidentQuery {
    /// The period `[from, to)`: reports by when they happened, alerts by when they were issued,
    /// patrols by when they started.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only what lies in (reports), touches (alerts) or passes through (patrols) this zone.
    pub zone: Option<String>,
    /// Reports of this category only.
    pub category: Option<Category>,
    /// Reports with this triage status only.
    pub status: Option<TriageStatus>,
    pub reports: bool,
    pub alerts: bool,
    pub patrols: bool,
    /// The map's zoom level (0 = the whole world in 256 pixels).
    pub zoom: u8,
    /// When set, the map is about to fit its view to what the filters select, in a viewport of
    /// this size: markers are then gathered at the zoom that view will have, not at `zoom`, so
    /// the map draws once instead of drawing, fitting and asking again.
    pub fit: Option<MapSize>,
}

/// A map's viewport in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapSize {
    pub width: u32,
    pub height: u32,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        Self {
            from: None,
            to: None,
            zone: None,
            category: None,
            status: None,
            reports: true,
            alerts: true,
            patrols: true,
            zoom: 15,
            fit: None,
        }
    }
}

/// An alert as the map draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AlertMarker {
    pub id: DocId,
    pub title: String,
    pub category: AlertCategory,
    pub status: AlertStatus,
    pub issued_at: Timestamp,
    /// Where its marker goes (the area's anchor).
    pub point: Point,
    pub area: Area,
}

/// Markers close together at this zoom, drawn as one.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// The mean position of its markers.
    pub center: Point,
    pub reports: u32,
    pub alerts: u32,
    /// The box around its markers, to zoom to.
    pub south_west: Point,
    pub north_east: Point,
}

/// The map's content and the legend's counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct IncidentMap {
    pub clusters: Vec<Cluster>,
    /// Reports drawn on their own (alone in their square).
    pub reports: Vec<ReportPoint>,
    pub alerts: Vec<AlertMarker>,
    pub tracks: Vec<PatrolTrack>,
    /// How many of each the filters selected (clustered ones included).
    pub report_count: u32,
    pub alert_count: u32,
    pub patrol_count: u32,
    /// The zoom the markers were gathered at: the query's, or the fitted one.
    pub zoom: u8,
}

/// A point's Web Mercator position in pixels at zoom 0 (the world is 256 pixels square).
fn pixels(p: Point) -> (f64, f64) {
    let x = (p.lon + 180.0) / 360.0 * 256.0;
    // Mercator is undefined at the poles; the map never shows past ±85.05°.
    let lat = p.lat.clamp(-85.05, 85.05).to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * 256.0;
    (x, y)
}

/// How many times larger than at zoom 0 the world is drawn at `zoom`.
fn zoom_scale(zoom: u8) -> f64 {
    f64::from(1u32 << zoom.min(MAX_ZOOM))
}

/// A marker's square at `zoom`: its Web Mercator pixel position divided by [`CLUSTER_PX`].
fn square(p: Point, zoom: u8) -> (i64, i64) {
    let scale = zoom_scale(zoom);
    let (x, y) = pixels(p);
    #[allow(clippy::cast_possible_truncation)] // at most 2^30 / 64
    (
        (x * scale / CLUSTER_PX).floor() as i64,
        (y * scale / CLUSTER_PX).floor() as i64,
    )
}

/// A track with the fixes dropped that the map could not show apart at `zoom`: those within a
/// pixel of the line through their neighbours. A patrol's fixes are seconds apart, so at city
/// zoom most of them fall inside one pixel; zooming in asks again, at the new zoom.
fn on_screen(track: &[Point], zoom: u8) -> Vec<Point> {
    let Some(first) = track.first() else {
        return Vec::new();
    };
    // Metres per pixel at the track's latitude: the equator's 156,543 m at zoom 0, halved per
    // level.
    let pixel_m = 156_543.03 * first.lat.to_radians().cos() / zoom_scale(zoom);
    porchlight_model::planar::simplify_track(track, pixel_m)
}

/// The zoom at which all of `points` fit in `size` with [`FIT_PADDING_PX`] to spare, computed
/// as Leaflet's `fitBounds` computes it (the scale's log rounded to hundredths, then floored), so
/// the web view lands on the zoom the markers were gathered for. `None` when there are no points.
fn fitting_zoom(points: impl Iterator<Item = Point>, size: MapSize) -> Option<u8> {
    let (mut left, mut top, mut right, mut bottom) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in points {
        let (x, y) = pixels(p);
        left = left.min(x);
        right = right.max(x);
        top = top.min(y);
        bottom = bottom.max(y);
    }
    if left > right {
        return None;
    }
    let room = |px: u32| (f64::from(px) - 2.0 * FIT_PADDING_PX).max(1.0);
    let scale = (room(size.width) / (right - left)).min(room(size.height) / (bottom - top));
    if !scale.is_finite() {
        // One place only (both spans zero).
        return Some(FIT_ONE_POINT_ZOOM);
    }
    let zoom = ((scale.log2() * 100.0).round() / 100.0).floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped first
    Some(zoom.clamp(0.0, f64::from(FIT_MAX_ZOOM)) as u8)
}

enum Marker {
    Report(ReportPoint),
    Alert(AlertMarker),
}

impl Marker {
    fn point(&self) -> Point {
        match self {
            Marker::Report(r) => r.point,
            Marker::Alert(a) => a.point,
        }
    }
}

/// Gathers markers sharing a square at `zoom` into clusters; the rest stay single.
fn gather(markers: Vec<Marker>, zoom: u8, map: &mut IncidentMap) {
    let mut squares: BTreeMap<(i64, i64), Vec<Marker>> = BTreeMap::new();
    for m in markers {
        squares.entry(square(m.point(), zoom)).or_default().push(m);
    }
    for (_, mut group) in squares {
        if group.len() == 1 {
            match group.pop() {
                Some(Marker::Report(r)) => map.reports.push(r),
                Some(Marker::Alert(a)) => map.alerts.push(a),
                None => {}
            }
            continue;
        }
        let n = group.len() as f64;
        let (mut lat, mut lon) = (0.0, 0.0);
        let (mut south, mut west, mut north, mut east) =
            (90.0_f64, 180.0_f64, -90.0_f64, -180.0_f64);
        let (mut reports, mut alerts) = (0, 0);
        for m in &group {
            let p = m.point();
            lat += p.lat;
            lon += p.lon;
            south = south.min(p.lat);
            north = north.max(p.lat);
            west = west.min(p.lon);
            east = east.max(p.lon);
            match m {
                Marker::Report(_) => reports += 1,
                Marker::Alert(_) => alerts += 1,
            }
        }
        map.clusters.push(Cluster {
            center: Point::new(lat / n, lon / n),
            reports,
            alerts,
            south_west: Point::new(south, west),
            north_east: Point::new(north, east),
        });
    }
}

impl Core {
    /// The incident map for `q` (coordinators).
    pub fn incident_map(&self, q: &IncidentQuery) -> Result<IncidentMap> {
        // One snapshot for the role check and every layer, as the other lists (`in_snapshot`).
        self.reader()
            .in_snapshot(|reader| self.incident_map_in(reader, q))
    }

    fn incident_map_in(&self, reader: &Store, q: &IncidentQuery) -> Result<IncidentMap> {
        let (_, group) = self.require_in(
            reader,
            |r| r.can_read(DocKind::Report),
            "see the incident map",
        )?;
        if q.zoom > MAX_ZOOM {
            return Err(CoreError::Invalid(ValidationError::Invalid {
                field: "zoom",
                reason: format!("at most {MAX_ZOOM}"),
            }));
        }
        crate::filters::check(group.as_deref(), q.from, q.to, q.zone.as_deref())?;
        let zone_area = match (&q.zone, &group) {
            (Some(name), Some(g)) => Some(crate::filters::zone_named(g, name)?.area.clone()),
            _ => None,
        };
        let mut markers = Vec::new();
        let mut map = IncidentMap::default();
        if q.reports {
            let points = reader.report_points(&ReportQuery {
                from: q.from,
                to: q.to,
                zone: q.zone.clone(),
                category: q.category,
                status: q.status,
                ..ReportQuery::default()
            })?;
            map.report_count = u32::try_from(points.len()).unwrap_or(u32::MAX);
            markers.extend(points.into_iter().map(Marker::Report));
        }
        if q.alerts {
            let alerts = reader.map_alerts(q.from, q.to, zone_area.as_ref())?;
            for a in alerts {
                map.alert_count += 1;
                markers.push(Marker::Alert(AlertMarker {
                    id: a.id,
                    point: a.area.anchor(),
                    title: a.title,
                    category: a.category,
                    status: a.status,
                    issued_at: a.issued_at,
                    area: a.area,
                }));
            }
        }
        if q.patrols {
            let filter = PatrolQuery {
                from: q.from,
                to: q.to,
                zone: q.zone.clone(),
                ..PatrolQuery::default()
            };
            map.tracks = reader.patrol_tracks(&filter, MAX_TRACKS)?;
            map.patrol_count = reader.patrol_count(&filter)?;
        }
        map.zoom = q
            .fit
            .and_then(|size| {
                let places = markers.iter().map(Marker::point);
                let tracks = map.tracks.iter().flat_map(|t| t.track.iter().copied());
                fitting_zoom(places.chain(tracks), size)
            })
            .unwrap_or(q.zoom);
        gather(markers, map.zoom, &mut map);
        for t in &mut map.tracks {
            t.track = on_screen(&t.track, map.zoom);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_a_square_apart_stay_apart_and_zooming_out_gathers_them() {
        // At zoom 16 a 64-pixel square is about 96 m across at the equator (156 km per 256 px at
        // zoom 0, halved per level: 156 543 m / 2^16 per px × 64 px).
        let a = Point::new(0.0005, 0.0005);
        let b = Point::new(0.0005, 0.0025); // ~220 m east
        assert_ne!(square(a, 16), square(b, 16));
        assert_eq!(square(a, 12), square(b, 12));
        // The poles do not break the projection.
        let _ = square(Point::new(90.0, 0.0), 3);
    }

    #[test]
    fn the_fitted_zoom_is_the_deepest_that_shows_every_point() {
        let size = MapSize {
            width: 840,
            height: 512,
        };
        // 0.01° of longitude is 256 × 2^z / 36,000 pixels: 466 at zoom 16, 932 at zoom 17.
        // 800 pixels of room across: zoom 16 fits, 17 would not.
        let west = Point::new(45.5, -122.60);
        let east = Point::new(45.5, -122.59);
        assert_eq!(fitting_zoom([west, east].into_iter(), size), Some(16));
        // Twice as far apart, one level out.
        let further = Point::new(45.5, -122.58);
        assert_eq!(fitting_zoom([west, further].into_iter(), size), Some(15));
        // North-south, the height (472 pixels of room) decides.
        let north = Point::new(45.51, -122.60);
        let (_, top) = pixels(north);
        let (_, bottom) = pixels(west);
        let expected = (472.0 / (bottom - top)).log2().floor();
        assert_eq!(
            fitting_zoom([north, west].into_iter(), size),
            Some(expected as u8)
        );
        // One place: street level; nothing: no fit; a whole city never closer than zoom 17.
        assert_eq!(fitting_zoom([west, west].into_iter(), size), Some(16));
        assert_eq!(fitting_zoom(std::iter::empty(), size), None);
        let close = Point::new(45.5, -122.599_99);
        assert_eq!(fitting_zoom([west, close].into_iter(), size), Some(17));
        // The size comes from the page: nonsense sizes give a zoom in range, never a panic.
        for (width, height) in [(0, 0), (1, u32::MAX), (u32::MAX, u32::MAX)] {
            let zoom = fitting_zoom([west, further].into_iter(), MapSize { width, height });
            assert!(
                zoom.is_some_and(|z| z <= FIT_MAX_ZOOM),
                "{width}x{height}: {zoom:?}"
            );
        }
    }

    #[test]
    fn tracks_keep_what_the_zoom_can_show() {
        // A walk east for 600 fixes about a metre apart, with a 30 m jog north in the middle.
        let track: Vec<Point> = (0..600)
            .map(|i| {
                let jog = if (290..310).contains(&i) {
                    0.000_27
                } else {
                    0.0
                };
                Point::new(45.5 + jog, -122.6 + f64::from(i) * 0.000_013)
            })
            .collect();
        // At city zoom (about 13 m a pixel here) the jog stays and the straight runs go.
        let city = on_screen(&track, 13);
        assert!(city.len() < 12, "{} fixes kept", city.len());
        assert!(
            city.iter().any(|p| p.lat > 45.500_2),
            "the jog is still drawn"
        );
        assert_eq!((city.first(), city.last()), (track.first(), track.last()));
        // At the deepest zoom (millimetres a pixel) every fix off the line stays.
        assert!(on_screen(&track, 22).len() >= city.len());
        assert!(on_screen(&[], 13).is_empty());
    }
}
