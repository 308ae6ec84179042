//! Points, areas (circles and polygons) and the checks and predicates over them.
//!
//! Coordinates are WGS 84 degrees. An unknown location is `None` at the call site, never (0, 0).

use geo::{
    Contains, Destination, Distance, Geodesic, HaversineClosestPoint, Intersects, LineString,
    Validation,
};
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// The smallest and largest circle an alert or watch area may have.
pub const MIN_RADIUS_M: f64 = 10.0;
pub const MAX_RADIUS_M: f64 = 50_000.0;
/// Distinct vertices a polygon may have.
pub const MIN_POLYGON_VERTICES: usize = 3;
pub const MAX_POLYGON_VERTICES: usize = 500;

/// Metres per degree, for bounding boxes, which may be generous but never tight: the shortest
/// degree of latitude on the WGS 84 ellipsoid (110,574 m, at the equator) less a margin. A box
/// that is too small would hide an alert that really touches an area.
const METRES_PER_DEGREE: f64 = 110_000.0;

/// A position on the earth.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Checks the coordinate ranges; `field` names the input in the error.
    pub fn validate(&self, field: &'static str) -> Result<(), ValidationError> {
        if !self.lat.is_finite() {
            return Err(ValidationError::NotFinite {
                field,
                what: "latitude",
            });
        }
        if !self.lon.is_finite() {
            return Err(ValidationError::NotFinite {
                field,
                what: "longitude",
            });
        }
        if !(-90.0..=90.0).contains(&self.lat) {
            return Err(ValidationError::Latitude {
                field,
                value: self.lat,
            });
        }
        if !(-180.0..=180.0).contains(&self.lon) {
            return Err(ValidationError::Longitude {
                field,
                value: self.lon,
            });
        }
        Ok(())
    }

    /// Parses `LAT,LON` as typed on the command line, and validates it.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, ValidationError> {
        let bad = || ValidationError::Invalid {
            field,
            reason: format!("{s:?} is not LAT,LON (like 40.4168,-3.7038)"),
        };
        let (lat, lon) = s.split_once(',').ok_or_else(bad)?;
        let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
        let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
        let p = Self { lat, lon };
        p.validate(field)?;
        Ok(p)
    }

    /// Geodesic distance in metres (WGS 84 ellipsoid).
    pub fn distance_m(&self, other: &Point) -> f64 {
        Geodesic.distance(self.to_geo(), other.to_geo())
    }

    fn to_geo(self) -> geo::Point<f64> {
        geo::Point::new(self.lon, self.lat)
    }
}

/// An axis-aligned box in degrees, never crossing the antimeridian (areas that cross it get two).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

impl BBox {
    pub fn intersects(&self, other: &BBox) -> bool {
        self.min_lat <= other.max_lat
            && other.min_lat <= self.max_lat
            && self.min_lon <= other.max_lon
            && other.min_lon <= self.max_lon
    }
}

/// The area an alert covers or a resident watches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Area {
    Circle {
        center: Point,
        #[serde(rename = "radiusM")]
        radius_m: f64,
    },
    /// A closed ring: the first vertex is repeated at the end.
    Polygon { ring: Vec<Point> },
}

impl Area {
    pub fn circle(center: Point, radius_m: f64) -> Self {
        Area::Circle { center, radius_m }
    }

    /// Builds a polygon from its vertices, closing the ring if the caller left it open.
    pub fn polygon(mut vertices: Vec<Point>) -> Self {
        if let (Some(first), Some(last)) = (vertices.first().copied(), vertices.last().copied())
            && first != last
        {
            vertices.push(first);
        }
        Area::Polygon { ring: vertices }
    }

    pub fn validate(&self, field: &'static str) -> Result<(), ValidationError> {
        match self {
            Area::Circle { center, radius_m } => {
                center.validate(field)?;
                if !radius_m.is_finite() {
                    return Err(ValidationError::NotFinite {
                        field,
                        what: "radius",
                    });
                }
                if !(MIN_RADIUS_M..=MAX_RADIUS_M).contains(radius_m) {
                    return Err(ValidationError::Radius {
                        field,
                        value: *radius_m,
                        min: MIN_RADIUS_M,
                        max: MAX_RADIUS_M,
                    });
                }
                Ok(())
            }
            Area::Polygon { ring } => validate_ring(field, ring),
        }
    }

    /// A point that stands for the area on a list or a map pin.
    pub fn anchor(&self) -> Point {
        match self {
            Area::Circle { center, .. } => *center,
            Area::Polygon { ring } => {
                let n = ring.len().saturating_sub(1).max(1) as f64;
                let (lat, lon) = ring
                    .iter()
                    .take(ring.len().saturating_sub(1).max(1))
                    .fold((0.0, 0.0), |(a, b), p| (a + p.lat, b + p.lon));
                Point::new(lat / n, lon / n)
            }
        }
    }

    /// The area as a closed ring of points (a circle becomes a `segments`-gon), for maps and
    /// GeoJSON export.
    pub fn outline(&self, segments: u16) -> Vec<Point> {
        match self {
            Area::Circle { center, radius_m } => {
                let c = center.to_geo();
                let mut ring: Vec<Point> = (0..segments.max(3))
                    .map(|i| {
                        let bearing = f64::from(i) * 360.0 / f64::from(segments.max(3));
                        let p = Geodesic.destination(c, bearing, *radius_m);
                        Point::new(p.y(), p.x())
                    })
                    .collect();
                ring.push(ring[0]);
                ring
            }
            Area::Polygon { ring } => ring.clone(),
        }
    }

    /// Boxes that together cover the area: one, or two when it crosses the antimeridian.
    pub fn bounding_boxes(&self) -> Vec<BBox> {
        match self {
            Area::Circle { center, radius_m } => circle_boxes(*center, *radius_m),
            Area::Polygon { ring } => ring_boxes(ring),
        }
    }

    /// Whether the two areas share at least one point (touching counts).
    pub fn intersects(&self, other: &Area) -> bool {
        match (self, other) {
            (
                Area::Circle {
                    center: a,
                    radius_m: ra,
                },
                Area::Circle {
                    center: b,
                    radius_m: rb,
                },
            ) => a.distance_m(b) <= ra + rb + TOUCH_TOLERANCE_M,
            (Area::Circle { center, radius_m }, Area::Polygon { ring })
            | (Area::Polygon { ring }, Area::Circle { center, radius_m }) => {
                circle_touches_ring(*center, *radius_m, ring)
            }
            (Area::Polygon { ring: a }, Area::Polygon { ring: b }) => {
                let a = unwrap_ring(a);
                let b = shift_near(&unwrap_ring(b), mean_lon(&a));
                planar_polygon(&a).intersects(&planar_polygon(&b))
            }
        }
    }
}

fn validate_ring(field: &'static str, ring: &[Point]) -> Result<(), ValidationError> {
    for p in ring {
        p.validate(field)?;
    }
    if ring.len() < 2 || ring.first() != ring.last() {
        return Err(ValidationError::PolygonNotClosed { field });
    }
    let distinct = ring.len() - 1;
    if !(MIN_POLYGON_VERTICES..=MAX_POLYGON_VERTICES).contains(&distinct) {
        return Err(ValidationError::PolygonVertices {
            field,
            count: distinct,
            min: MIN_POLYGON_VERTICES,
            max: MAX_POLYGON_VERTICES,
        });
    }
    // Checked on the unwrapped ring, so a polygon across the antimeridian is judged by its real
    // shape.
    match planar_polygon(&unwrap_ring(ring)).check_validation() {
        Ok(()) => Ok(()),
        Err(geo::algorithm::validation::InvalidPolygon::TooFewPointsInRing(_)) => {
            Err(ValidationError::PolygonVertices {
                field,
                count: distinct,
                min: MIN_POLYGON_VERTICES,
                max: MAX_POLYGON_VERTICES,
            })
        }
        Err(_) => Err(ValidationError::PolygonSelfIntersecting { field }),
    }
}

/// Two areas closer than this count as touching: floating-point noise must not decide whether a
/// neighbour hears about an alert drawn right up to their area.
pub const TOUCH_TOLERANCE_M: f64 = 0.01;

/// Longitudes of a ring made continuous: a ring that crosses the antimeridian (179.9 → -179.9)
/// keeps going (179.9 → 180.1) instead of jumping around the globe. Returned as (lon, lat).
fn unwrap_ring(ring: &[Point]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(ring.len());
    for p in ring {
        let lon = match out.last() {
            Some(&(prev, _)) => {
                let mut lon = p.lon;
                while lon - prev > 180.0 {
                    lon -= 360.0;
                }
                while prev - lon > 180.0 {
                    lon += 360.0;
                }
                lon
            }
            None => p.lon,
        };
        out.push((lon, p.lat));
    }
    out
}

fn mean_lon(ring: &[(f64, f64)]) -> f64 {
    ring.iter().map(|(lon, _)| lon).sum::<f64>() / ring.len().max(1) as f64
}

/// The longitude `lon ± 360·k` closest to `target`.
fn lon_near(lon: f64, target: f64) -> f64 {
    lon + ((target - lon) / 360.0).round() * 360.0
}

fn shift_near(ring: &[(f64, f64)], target: f64) -> Vec<(f64, f64)> {
    let shift = lon_near(mean_lon(ring), target) - mean_lon(ring);
    ring.iter().map(|(lon, lat)| (lon + shift, *lat)).collect()
}

fn planar_polygon(ring: &[(f64, f64)]) -> geo::Polygon<f64> {
    geo::Polygon::new(ring.iter().copied().collect::<LineString<f64>>(), vec![])
}

/// Boxes of a polygon, split in two where its unwrapped ring crosses the antimeridian.
fn ring_boxes(ring: &[Point]) -> Vec<BBox> {
    let unwrapped = unwrap_ring(ring);
    let (mut min_lon, mut max_lon) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut min_lat, mut max_lat) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(lon, lat) in &unwrapped {
        min_lon = min_lon.min(lon);
        max_lon = max_lon.max(lon);
        min_lat = min_lat.min(lat);
        max_lat = max_lat.max(lat);
    }
    let b = |min_lon, max_lon| BBox {
        min_lat,
        max_lat,
        min_lon,
        max_lon,
    };
    if max_lon - min_lon >= 360.0 {
        vec![b(-180.0, 180.0)]
    } else if min_lon < -180.0 {
        vec![b(-180.0, max_lon), b(min_lon + 360.0, 180.0)]
    } else if max_lon > 180.0 {
        vec![b(min_lon, 180.0), b(-180.0, max_lon - 360.0)]
    } else {
        vec![b(min_lon, max_lon)]
    }
}

fn circle_touches_ring(center: Point, radius_m: f64, ring: &[Point]) -> bool {
    let unwrapped = unwrap_ring(ring);
    let polygon = planar_polygon(&unwrapped);
    // Put the centre on the same side of the antimeridian as the ring.
    let c = geo::Point::new(lon_near(center.lon, mean_lon(&unwrapped)), center.lat);
    if polygon.contains(&c) {
        return true;
    }
    // Otherwise the circle reaches the polygon only if it reaches its boundary. The closest point
    // is found on the sphere; the distance to it is measured on the ellipsoid, like every other
    // distance here.
    polygon.exterior().lines().any(|segment| {
        let closest = match segment.haversine_closest_point(&c) {
            geo::Closest::Intersection(p) | geo::Closest::SinglePoint(p) => p,
            geo::Closest::Indeterminate => return false,
        };
        let closest = geo::Point::new(lon_near(closest.x(), center.lon), closest.y());
        Geodesic.distance(center.to_geo(), closest) <= radius_m + TOUCH_TOLERANCE_M
    })
}

fn circle_boxes(center: Point, radius_m: f64) -> Vec<BBox> {
    let dlat = radius_m / METRES_PER_DEGREE;
    let min_lat = (center.lat - dlat).max(-90.0);
    let max_lat = (center.lat + dlat).min(90.0);
    // The widest longitude span is at the latitude nearest a pole.
    let widest = min_lat.abs().max(max_lat.abs()).to_radians().cos();
    let covers_pole = max_lat >= 90.0 || min_lat <= -90.0;
    if covers_pole || widest < 1e-9 {
        return vec![BBox {
            min_lat,
            max_lat,
            min_lon: -180.0,
            max_lon: 180.0,
        }];
    }
    let dlon = dlat / widest;
    if dlon >= 180.0 {
        return vec![BBox {
            min_lat,
            max_lat,
            min_lon: -180.0,
            max_lon: 180.0,
        }];
    }
    let (west, east) = (center.lon - dlon, center.lon + dlon);
    let b = |min_lon, max_lon| BBox {
        min_lat,
        max_lat,
        min_lon,
        max_lon,
    };
    if west < -180.0 {
        vec![b(-180.0, east), b(west + 360.0, 180.0)]
    } else if east > 180.0 {
        vec![b(west, 180.0), b(-180.0, east - 360.0)]
    } else {
        vec![b(west, east)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lat: f64, lon: f64, d: f64) -> Area {
        Area::polygon(vec![
            Point::new(lat, lon),
            Point::new(lat, lon + d),
            Point::new(lat + d, lon + d),
            Point::new(lat + d, lon),
        ])
    }

    #[test]
    fn coordinates_out_of_range_are_rejected_with_the_field() {
        assert!(matches!(
            Point::new(91.0, 0.0).validate("at"),
            Err(ValidationError::Latitude { field: "at", .. })
        ));
        assert!(matches!(
            Point::new(0.0, -180.5).validate("at"),
            Err(ValidationError::Longitude { field: "at", .. })
        ));
        assert!(matches!(
            Point::new(f64::NAN, 0.0).validate("at"),
            Err(ValidationError::NotFinite { .. })
        ));
        assert!(Point::new(90.0, 180.0).validate("at").is_ok());
        assert!(Point::parse("at", "40.4,-3.7").is_ok());
        assert!(Point::parse("at", "40.4").is_err());
        assert!(Point::parse("at", "north,south").is_err());
    }

    #[test]
    fn circle_radius_limits() {
        let c = Point::new(40.0, -3.0);
        assert!(Area::circle(c, 10.0).validate("area").is_ok());
        assert!(Area::circle(c, 50_000.0).validate("area").is_ok());
        assert!(matches!(
            Area::circle(c, 9.9).validate("area"),
            Err(ValidationError::Radius { .. })
        ));
        assert!(matches!(
            Area::circle(c, 50_001.0).validate("area"),
            Err(ValidationError::Radius { .. })
        ));
        assert!(matches!(
            Area::circle(c, f64::INFINITY).validate("area"),
            Err(ValidationError::NotFinite { .. })
        ));
    }

    #[test]
    fn polygon_rules() {
        assert!(square(40.0, -3.0, 0.01).validate("area").is_ok());
        let open = Area::Polygon {
            ring: vec![
                Point::new(0.0, 0.0),
                Point::new(0.0, 1.0),
                Point::new(1.0, 1.0),
            ],
        };
        assert!(matches!(
            open.validate("area"),
            Err(ValidationError::PolygonNotClosed { .. })
        ));
        let two = Area::polygon(vec![Point::new(0.0, 0.0), Point::new(0.0, 1.0)]);
        assert!(matches!(
            two.validate("area"),
            Err(ValidationError::PolygonVertices { count: 2, .. })
        ));
        let many = Area::polygon(
            (0..501)
                .map(|i| {
                    let a = f64::from(i) / 501.0 * std::f64::consts::TAU;
                    Point::new(a.sin(), a.cos())
                })
                .collect(),
        );
        assert!(matches!(
            many.validate("area"),
            Err(ValidationError::PolygonVertices { count: 501, .. })
        ));
        // A bow tie: its edges cross.
        let bow = Area::polygon(vec![
            Point::new(0.0, 0.0),
            Point::new(1.0, 1.0),
            Point::new(1.0, 0.0),
            Point::new(0.0, 1.0),
        ]);
        assert!(matches!(
            bow.validate("area"),
            Err(ValidationError::PolygonSelfIntersecting { .. })
        ));
    }

    #[test]
    fn a_step_of_a_thousandth_of_a_degree_of_latitude_is_about_111_m() {
        let d = Point::new(40.0, -3.0).distance_m(&Point::new(40.001, -3.0));
        assert!((d - 111.0).abs() / 111.0 < 0.005, "{d}");
    }

    #[test]
    fn intersections() {
        let home = Area::circle(Point::new(40.0, -3.0), 200.0);
        assert!(home.intersects(&Area::circle(Point::new(40.003, -3.0), 200.0))); // ~333 m apart
        assert!(!home.intersects(&Area::circle(Point::new(40.01, -3.0), 200.0)));
        assert!(home.intersects(&square(39.99, -3.01, 0.02))); // centre inside
        assert!(home.intersects(&square(40.001, -3.001, 0.01))); // edge ~111 m away
        assert!(!home.intersects(&square(40.01, -3.01, 0.005)));
        assert!(square(0.0, 0.0, 1.0).intersects(&square(1.0, 1.0, 1.0))); // corner touch
    }

    #[test]
    fn circles_across_the_antimeridian_get_two_boxes() {
        let boxes = Area::circle(Point::new(0.0, 179.99), 5_000.0).bounding_boxes();
        assert_eq!(boxes.len(), 2);
        let polar = Area::circle(Point::new(89.99, 0.0), 5_000.0).bounding_boxes();
        assert_eq!(polar.len(), 1);
        assert!((polar[0].min_lon - -180.0).abs() < f64::EPSILON);
    }
}
