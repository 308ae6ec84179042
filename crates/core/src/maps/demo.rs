//! The demo neighbourhood's map package, drawn here from a small street layout the project ships
//! (`demo-streets.geojson`, made up for the demo: not real data) so the demo shows streets with
//! nothing downloaded. Streets, paths and a creek are drawn as anti-aliased lines, the park and
//! the school as filled shapes, into 256-pixel PNG tiles for zooms 13 to 17.

use std::path::Path;

use image::ImageEncoder;
use image::codecs::png::PngEncoder;
use rusqlite::Connection;
use serde_json::Value;

use crate::{CoreError, Result};

const STREETS: &str = include_str!("demo-streets.geojson");
const NAME: &str = "Sunnyside demo streets";
/// West, south, east, north: the layout's extent.
const BOUNDS: [f64; 4] = [-122.6450, 45.5010, -122.6080, 45.5280];
const MIN_ZOOM: u8 = 13;
const MAX_ZOOM: u8 = 17;
const TILE: usize = 256;

type Rgb = [u8; 3];
const LAND: Rgb = [242, 239, 233];
const PARK: Rgb = [200, 230, 180];
const SCHOOL: Rgb = [240, 226, 210];
const WATER: Rgb = [160, 196, 232];
const CASING: Rgb = [196, 188, 176];
const STREET: Rgb = [255, 255, 255];
const PRIMARY: Rgb = [252, 214, 164];
const PATH: Rgb = [150, 140, 120];

/// A shape in world pixels at zoom 0 (multiply by 2^z for a zoom level).
enum Shape {
    Line {
        kind: String,
        points: Vec<(f64, f64)>,
    },
    Area {
        kind: String,
        ring: Vec<(f64, f64)>,
    },
}

/// Web Mercator, in pixels of a 256-pixel world.
fn project(lon: f64, lat: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0 * 256.0;
    let s = lat.to_radians();
    let y = (1.0 - (s.tan() + 1.0 / s.cos()).ln() / std::f64::consts::PI) / 2.0 * 256.0;
    (x, y)
}

fn points(coords: &Value) -> Vec<(f64, f64)> {
    coords
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| Some(project(p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .collect()
        })
        .unwrap_or_default()
}

fn shapes() -> Vec<Shape> {
    let parsed: Value = serde_json::from_str(STREETS).unwrap_or(Value::Null);
    let mut shapes = Vec::new();
    for feature in parsed["features"].as_array().into_iter().flatten() {
        let kind = feature["properties"]["kind"]
            .as_str()
            .unwrap_or("residential")
            .to_owned();
        let geometry = &feature["geometry"];
        match geometry["type"].as_str() {
            Some("LineString") => shapes.push(Shape::Line {
                kind,
                points: points(&geometry["coordinates"]),
            }),
            Some("Polygon") => shapes.push(Shape::Area {
                kind,
                ring: points(&geometry["coordinates"][0]),
            }),
            _ => {}
        }
    }
    shapes
}

/// One tile's pixels.
struct Canvas {
    pixels: Vec<Rgb>,
}

impl Canvas {
    fn new() -> Self {
        Self {
            pixels: vec![LAND; TILE * TILE],
        }
    }

    fn blend(&mut self, x: usize, y: usize, color: Rgb, alpha: f64) {
        let p = &mut self.pixels[y * TILE + x];
        for (c, n) in p.iter_mut().zip(color) {
            let mixed = f64::from(*c) * (1.0 - alpha) + f64::from(n) * alpha;
            *c = mixed.round().clamp(0.0, 255.0) as u8;
        }
    }

    /// A segment `width` pixels wide with round ends, its edge anti-aliased by coverage.
    fn segment(&mut self, a: (f64, f64), b: (f64, f64), width: f64, color: Rgb) {
        let half = width / 2.0 + 1.0;
        let range = |p: f64, q: f64| {
            let lo = (p.min(q) - half).floor().max(0.0);
            let hi = (p.max(q) + half).ceil().min(TILE as f64);
            (lo as usize, hi as usize)
        };
        let (x0, x1) = range(a.0, b.0);
        let (y0, y1) = range(a.1, b.1);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = (dx * dx + dy * dy).max(1e-12);
        for y in y0..y1 {
            for x in x0..x1 {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let t = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
                let d = ((px - a.0 - t * dx).powi(2) + (py - a.1 - t * dy).powi(2)).sqrt();
                let alpha = (width / 2.0 + 0.5 - d).clamp(0.0, 1.0);
                if alpha > 0.0 {
                    self.blend(x, y, color, alpha);
                }
            }
        }
    }

    fn line(&mut self, points: &[(f64, f64)], width: f64, color: Rgb) {
        for pair in points.windows(2) {
            self.segment(pair[0], pair[1], width, color);
        }
    }

    /// Fills a ring (even-odd rule, by pixel centre).
    fn fill(&mut self, ring: &[(f64, f64)], color: Rgb) {
        for y in 0..TILE {
            let py = y as f64 + 0.5;
            for x in 0..TILE {
                let px = x as f64 + 0.5;
                let mut inside = false;
                for pair in ring.windows(2) {
                    let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
                    if (ay > py) != (by > py) && px < ax + (py - ay) / (by - ay) * (bx - ax) {
                        inside = !inside;
                    }
                }
                if inside {
                    self.blend(x, y, color, 1.0);
                }
            }
        }
    }

    fn png(&self) -> Result<Vec<u8>> {
        let raw: Vec<u8> = self.pixels.iter().flatten().copied().collect();
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(
                &raw,
                TILE as u32,
                TILE as u32,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(|e| CoreError::Io {
                path: "demo map tile".into(),
                source: std::io::Error::other(e),
            })?;
        Ok(out)
    }
}

/// Line widths in metres on the ground, drawn no thinner than a pixel.
fn style(kind: &str) -> (f64, Rgb) {
    match kind {
        "primary" => (16.0, PRIMARY),
        "water" => (7.0, WATER),
        "path" => (2.0, PATH),
        _ => (10.0, STREET),
    }
}

/// Draws tile `z/x/y` (XYZ).
fn draw(shapes: &[Shape], z: u8, x: u32, y: u32) -> Result<Vec<u8>> {
    let scale = f64::from(1u32 << z);
    let (ox, oy) = (f64::from(x) * 256.0, f64::from(y) * 256.0);
    let local = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
        pts.iter()
            .map(|(px, py)| (px * scale - ox, py * scale - oy))
            .collect()
    };
    // Metres per pixel at the layout's latitude.
    let mpp = 156_543.034 * BOUNDS[1].to_radians().cos() / scale;
    let mut canvas = Canvas::new();
    for shape in shapes {
        if let Shape::Area { kind, ring } = shape {
            canvas.fill(&local(ring), if kind == "park" { PARK } else { SCHOOL });
        }
    }
    // Casings under every street first, so crossings join cleanly.
    for layer in ["water", "casing", "residential", "primary", "path"] {
        for shape in shapes {
            let Shape::Line { kind, points } = shape else {
                continue;
            };
            let (metres, color) = style(kind);
            let width = (metres / mpp).max(1.0);
            match layer {
                "casing" if kind == "residential" || kind == "primary" => {
                    canvas.line(&local(points), width + 2.0, CASING);
                }
                _ if layer == kind => canvas.line(&local(points), width, color),
                _ => {}
            }
        }
    }
    canvas.png()
}

/// The range of tiles at zoom `z` that covers the layout.
fn tile_range(z: u8) -> (std::ops::RangeInclusive<u32>, std::ops::RangeInclusive<u32>) {
    let scale = f64::from(1u32 << z) / 256.0;
    let (west, north) = project(BOUNDS[0], BOUNDS[3]);
    let (east, south) = project(BOUNDS[2], BOUNDS[1]);
    let t = |v: f64| (v * scale).floor() as u32;
    (t(west)..=t(east), t(north)..=t(south))
}

/// Writes the demo neighbourhood's package to `path` (a new MBTiles file).
pub fn write_demo_package(path: &Path) -> Result<()> {
    let shapes = shapes();
    let io = |e: rusqlite::Error| CoreError::Io {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    };
    let _ = std::fs::remove_file(path);
    let mut conn = Connection::open(path).map_err(io)?;
    let tx = conn.transaction().map_err(io)?;
    tx.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,
                             tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )
    .map_err(io)?;
    let bounds = BOUNDS.map(|v| format!("{v}")).join(",");
    for (key, value) in [
        ("name", NAME),
        ("format", "png"),
        ("type", "baselayer"),
        ("bounds", &bounds),
        ("minzoom", &MIN_ZOOM.to_string()),
        ("maxzoom", &MAX_ZOOM.to_string()),
        (
            "attribution",
            "Demo streets made up by Porchlight (not a real place)",
        ),
    ] {
        tx.execute("INSERT INTO metadata VALUES (?1, ?2)", (key, value))
            .map_err(io)?;
    }
    for z in MIN_ZOOM..=MAX_ZOOM {
        let (xs, ys) = tile_range(z);
        for x in xs {
            for y in ys.clone() {
                let png = draw(&shapes, z, x, y)?;
                let row = (1u32 << z) - 1 - y;
                tx.execute(
                    "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                    (z, x, row, png),
                )
                .map_err(io)?;
            }
        }
    }
    tx.commit().map_err(io)?;
    Ok(())
}
