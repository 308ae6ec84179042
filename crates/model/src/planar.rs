//! Flat geometry near a place: metres east and north of an origin, shapes in those metres, and
//! the two tests that decide whether something happened "in a zone" — a point inside it, or a
//! track that passes through it. The coordinator's measures and the store's zone filters both
//! use these, so a list filtered by zone and the measures of that zone count the same records.

use crate::{Area, Point};

/// WGS 84 semi-major axis and first eccentricity squared, for the local projection's scale.
const WGS84_A: f64 = 6_378_137.0;
const WGS84_E2: f64 = 0.006_694_379_990_14;

/// Metres east and north of an origin: equirectangular, scaled by the ellipsoid's radii of
/// curvature at the origin, so lengths near it are true to better than 0.1 % within 2.5 km.
#[derive(Clone, Copy, Debug)]
pub struct Local {
    origin: Point,
    m_per_deg_lat: f64,
    m_per_deg_lon: f64,
}

impl Local {
    pub fn new(origin: Point) -> Self {
        let (sin, cos) = origin.lat.to_radians().sin_cos();
        let w = 1.0 - WGS84_E2 * sin * sin;
        // Meridional and prime-vertical radii of curvature.
        let m = WGS84_A * (1.0 - WGS84_E2) / (w * w.sqrt());
        let n = WGS84_A / w.sqrt();
        Self {
            origin,
            m_per_deg_lat: m.to_radians(),
            m_per_deg_lon: n.to_radians() * cos,
        }
    }

    pub fn xy(&self, p: Point) -> (f64, f64) {
        // The shorter way round, for a zone next to the antimeridian.
        let dlon = (p.lon - self.origin.lon + 540.0).rem_euclid(360.0) - 180.0;
        (
            dlon * self.m_per_deg_lon,
            (p.lat - self.origin.lat) * self.m_per_deg_lat,
        )
    }
}

#[derive(Clone, Debug)]
pub enum Shape {
    Circle { r: f64 },
    Polygon(Vec<(f64, f64)>),
}

impl Shape {
    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        match self {
            Shape::Circle { r } => x.hypot(y) <= *r,
            Shape::Polygon(ring) => {
                // Even-odd ray casting to +x.
                let mut inside = false;
                for w in ring.windows(2) {
                    let ((x1, y1), (x2, y2)) = (w[0], w[1]);
                    if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                        inside = !inside;
                    }
                }
                inside
            }
        }
    }

    pub fn edge_distance(&self, p: (f64, f64)) -> f64 {
        match self {
            Shape::Circle { r } => (p.0.hypot(p.1) - r).abs(),
            Shape::Polygon(ring) => ring
                .windows(2)
                .map(|w| segment_distance(p, w[0], w[1]))
                .fold(f64::INFINITY, f64::min),
        }
    }

    pub fn area(&self) -> f64 {
        match self {
            Shape::Circle { r } => std::f64::consts::PI * r * r,
            Shape::Polygon(ring) => {
                ring.windows(2)
                    .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
                    .sum::<f64>()
                    .abs()
                    / 2.0
            }
        }
    }

    /// (min x, min y, max x, max y)
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        match self {
            Shape::Circle { r } => (-r, -r, *r, *r),
            Shape::Polygon(ring) => ring.iter().fold(
                (
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ),
                |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
            ),
        }
    }
}

/// Whether `p` lies in `zone` (in the same projection the coverage uses).
pub fn zone_contains(zone: &Area, p: Point) -> bool {
    let local = Local::new(zone.anchor());
    match zone {
        Area::Circle { radius_m, .. } => Shape::Circle { r: *radius_m }.contains(local.xy(p)),
        Area::Polygon { ring } => {
            Shape::Polygon(ring.iter().map(|q| local.xy(*q)).collect()).contains(local.xy(p))
        }
    }
}

/// Whether a track passes through `zone`: a fix inside it, or a leg crossing its edge.
pub fn track_enters(zone: &Area, track: &[Point]) -> bool {
    let local = Local::new(zone.anchor());
    let pts: Vec<(f64, f64)> = track.iter().map(|p| local.xy(*p)).collect();
    match zone {
        Area::Circle { radius_m, .. } => match pts.as_slice() {
            [] => false,
            [one] => one.0.hypot(one.1) <= *radius_m,
            many => many
                .windows(2)
                .any(|w| segment_distance((0.0, 0.0), w[0], w[1]) <= *radius_m),
        },
        Area::Polygon { ring } => {
            let shape = Shape::Polygon(ring.iter().map(|q| local.xy(*q)).collect());
            let Shape::Polygon(edges) = &shape else {
                return false;
            };
            pts.iter().any(|p| shape.contains(*p))
                || pts.windows(2).any(|leg| {
                    edges
                        .windows(2)
                        .any(|e| segments_cross(leg[0], leg[1], e[0], e[1]))
                })
        }
    }
}

/// Whether leg `from`–`to` and edge `start`–`end` share a point (collinear overlaps aside).
pub fn segments_cross(
    from: (f64, f64),
    to: (f64, f64),
    start: (f64, f64),
    end: (f64, f64),
) -> bool {
    let side = |o: (f64, f64), u: (f64, f64), v: (f64, f64)| {
        (u.0 - o.0) * (v.1 - o.1) - (u.1 - o.1) * (v.0 - o.0)
    };
    let sides = [
        side(start, end, from),
        side(start, end, to),
        side(from, to, start),
        side(from, to, end),
    ];
    let collinear = sides.iter().all(|x| x.abs() < f64::EPSILON);
    sides[0] * sides[1] <= 0.0 && sides[2] * sides[3] <= 0.0 && !collinear
}

pub fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 < f64::EPSILON {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}

impl Local {
    /// The point `east`, `north` metres from the origin.
    pub fn point(&self, east: f64, north: f64) -> Point {
        Point::new(
            self.origin.lat + north / self.m_per_deg_lat,
            self.origin.lon + east / self.m_per_deg_lon,
        )
    }
}

/// Fixes simplified together at most: the tracks come from other members' devices, and
/// Ramer–Douglas–Peucker recurses as deep as a track is long in the worst case (and does
/// quadratic work there), so a hostile track of many thousands of fixes could exhaust the stack
/// of every device that projects it. Runs of this many keep the depth and the work bounded.
const SIMPLIFY_RUN: usize = 512;

/// The track with the fixes dropped that lie within `tolerance_m` of the line through the fixes
/// kept around them (Ramer–Douglas–Peucker in metres, over runs of [`SIMPLIFY_RUN`] fixes that
/// share their end fixes). The first and last fix always stay, so whether the simplified track
/// enters a zone differs from the full track's answer only for a track that passes within
/// `tolerance_m` of the zone's edge.
pub fn simplify_track(track: &[Point], tolerance_m: f64) -> Vec<Point> {
    use geo::SimplifyIdx;
    let Some(first) = track.first() else {
        return Vec::new();
    };
    let local = Local::new(*first);
    let mut kept = vec![*first];
    let mut start = 0;
    while start + 1 < track.len() {
        let end = (start + SIMPLIFY_RUN).min(track.len() - 1);
        let run = &track[start..=end];
        let line: geo::LineString<f64> = run
            .iter()
            .map(|p| {
                let (x, y) = local.xy(*p);
                geo::coord! { x: x, y: y }
            })
            .collect();
        // The run's first fix is the previous run's last, already kept.
        kept.extend(
            line.simplify_idx(tolerance_m)
                .into_iter()
                .skip(1)
                .map(|i| run[i]),
        );
        start = end;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_100000_fix_zig_zag_track_is_simplified_without_exhausting_the_stack() {
        // 100,000 fixes zig-zagging 5 m either side of a line: almost nothing can be dropped,
        // and every run is worked through to the last fix.
        let origin = Point::new(45.5, -122.6);
        let local = Local::new(origin);
        let track: Vec<Point> = (0..100_000)
            .map(|i| local.point(f64::from(i) * 0.5, if i % 2 == 0 { 5.0 } else { -5.0 }))
            .collect();
        let kept = simplify_track(&track, 2.0);
        assert!(kept.len() > track.len() * 9 / 10, "{}", kept.len());
        assert_eq!(kept.first(), track.first());
        assert_eq!(kept.last(), track.last());
        // A straight run of the same length keeps only what the run boundaries force.
        let straight: Vec<Point> = (0..100_000)
            .map(|i| local.point(f64::from(i) * 0.5, 0.0))
            .collect();
        let kept = simplify_track(&straight, 2.0);
        assert_eq!(kept.len(), 100_000_usize.div_ceil(SIMPLIFY_RUN) + 1);
        assert_eq!(kept.last(), straight.last());
    }
}
