//! MBTiles packages: checking one before it is stored or shared, and reading tiles out of it.
//!
//! A package is a SQLite file from outside (a coordinator's download, or a member's reassembled
//! chunks), so it is opened read-only and immutable, with the schema untrusted, and every value
//! read from it is checked.

use std::fmt::{self, Write as _};
use std::path::Path;

use porchlight_crdt::MAX_MAP_BYTES;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// The largest single tile (a 512-pixel photo tile stays well under this).
const MAX_TILE_BYTES: i64 = 1 << 20;
/// Deeper than any street map needs; also keeps `1 << zoom` far from overflowing.
const MAX_ZOOM: u8 = 22;

/// Why a file is not a usable map package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapProblem {
    Empty,
    TooLarge {
        size: u64,
        max: u64,
    },
    /// Not a SQLite file at all.
    NotSqlite,
    /// A SQLite file, but not an MBTiles package (what is missing is named).
    NotMbtiles(&'static str),
    /// SQLite found the file damaged, or a value has the wrong type.
    Corrupt,
    MissingMetadata(&'static str),
    BadMetadata(&'static str),
    /// Vector tiles (`pbf`) need a renderer the app does not have yet.
    VectorTiles,
    UnsupportedFormat(String),
    NoTiles,
    /// A tile is not an image of the package's declared format, or is oversized.
    BadTile,
    /// The reassembled package does not hash to what its manifest says.
    HashMismatch,
}

impl fmt::Display for MapProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapProblem::Empty => f.write_str("the file is empty"),
            MapProblem::TooLarge { size, max } => write!(
                f,
                "the file is {size} bytes; a map package may be at most {max} bytes"
            ),
            MapProblem::NotSqlite => f.write_str("the file is not an MBTiles (SQLite) package"),
            MapProblem::NotMbtiles(what) => {
                write!(f, "the file is a SQLite database but not MBTiles: {what}")
            }
            MapProblem::Corrupt => f.write_str("the package is damaged"),
            MapProblem::MissingMetadata(key) => {
                write!(f, "the package's metadata has no {key:?}")
            }
            MapProblem::BadMetadata(key) => {
                write!(f, "the package's metadata {key:?} is not valid")
            }
            MapProblem::VectorTiles => f.write_str(
                "the package holds vector tiles; only raster tiles (png, jpg, webp) can be shown",
            ),
            MapProblem::UnsupportedFormat(format) => write!(
                f,
                "tile format {format:?} is not supported (png, jpg or webp)"
            ),
            MapProblem::NoTiles => f.write_str("the package holds no tiles"),
            MapProblem::BadTile => f.write_str(
                "a tile is not an image of the package's format, or is larger than 1 MiB",
            ),
            MapProblem::HashMismatch => {
                f.write_str("the downloaded package does not match its manifest")
            }
        }
    }
}

impl From<rusqlite::Error> for MapProblem {
    fn from(_: rusqlite::Error) -> Self {
        MapProblem::Corrupt
    }
}

/// What a valid package says about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct PackageInfo {
    pub name: Option<String>,
    pub format: String,
    /// West, south, east, north.
    pub bounds: [f64; 4],
    pub min_zoom: u8,
    pub max_zoom: u8,
}

/// Checks the first bytes and the size of a would-be package.
pub fn check_bytes(bytes: &[u8]) -> Result<(), MapProblem> {
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(MapProblem::Empty);
    }
    if size > MAX_MAP_BYTES {
        return Err(MapProblem::TooLarge {
            size,
            max: MAX_MAP_BYTES,
        });
    }
    if bytes.len() < 100 || &bytes[..16] != SQLITE_MAGIC {
        return Err(MapProblem::NotSqlite);
    }
    Ok(())
}

/// SQLite marks WAL-mode files in bytes 18 and 19; such a file cannot be opened read-only
/// without its `-shm` file. The package is only ever read, so it is stored as a rollback-journal
/// file, which changes nothing else.
pub fn normalise(bytes: &mut [u8]) {
    if bytes.len() >= 20 && bytes[18] == 2 && bytes[19] == 2 {
        bytes[18] = 1;
        bytes[19] = 1;
    }
}

/// Opens a package file read-only. SQLite is told the file never changes (no locks, no journal)
/// and not to trust anything its schema asks to run.
pub fn open(path: &Path) -> Result<Connection, MapProblem> {
    let uri = format!("file:{}?mode=ro&immutable=1", uri_path(path));
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA trusted_schema = OFF; PRAGMA query_only = ON;")?;
    Ok(conn)
}

/// Percent-encodes a path for a `file:` URI (a data directory may contain `?`, `#` or `%`).
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Checks a package file whose bytes passed [`check_bytes`]: SQLite's own consistency check, the
/// MBTiles tables, the metadata (format, bounds, zoom range) and a sample tile.
pub fn inspect(path: &Path) -> Result<PackageInfo, MapProblem> {
    let conn = open(path)?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|_| MapProblem::Corrupt)?;
    if check != "ok" {
        return Err(MapProblem::Corrupt);
    }
    let has = |name: &str| -> Result<bool, MapProblem> {
        Ok(conn
            .query_row(
                "SELECT 1 FROM sqlite_schema WHERE name = ?1 AND type IN ('table', 'view')",
                [name],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    };
    if !has("metadata")? {
        return Err(MapProblem::NotMbtiles("no metadata table"));
    }
    if !has("tiles")? {
        return Err(MapProblem::NotMbtiles("no tiles table"));
    }
    let meta = |key: &str| -> Result<Option<String>, MapProblem> {
        Ok(conn
            .query_row(
                "SELECT CAST(value AS TEXT) FROM metadata WHERE name = ?1 LIMIT 1",
                [key],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    };
    let format = match meta("format")?.as_deref().map(str::trim) {
        None => return Err(MapProblem::MissingMetadata("format")),
        Some("png") => "png",
        Some("jpg" | "jpeg") => "jpg",
        Some("webp") => "webp",
        Some("pbf" | "mvt") => return Err(MapProblem::VectorTiles),
        Some(other) => {
            return Err(MapProblem::UnsupportedFormat(
                other.chars().take(20).collect(),
            ));
        }
    };
    let bounds = parse_bounds(&meta("bounds")?.ok_or(MapProblem::MissingMetadata("bounds"))?)?;
    let (count, lowest, highest, largest): (i64, Option<i64>, Option<i64>, Option<i64>) = conn
        .query_row(
            "SELECT count(*), min(zoom_level), max(zoom_level), max(length(tile_data)) FROM tiles",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let (Some(lowest), Some(highest)) = (lowest, highest) else {
        return Err(MapProblem::NoTiles);
    };
    if count == 0 {
        return Err(MapProblem::NoTiles);
    }
    let zoom = |key: &'static str, found: i64| -> Result<u8, MapProblem> {
        let z = match meta(key)? {
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| MapProblem::BadMetadata(key))?,
            None => found,
        };
        u8::try_from(z)
            .ok()
            .filter(|z| *z <= MAX_ZOOM)
            .ok_or(MapProblem::BadMetadata(key))
    };
    let (min_zoom, max_zoom) = (zoom("minzoom", lowest)?, zoom("maxzoom", highest)?);
    if min_zoom > max_zoom {
        return Err(MapProblem::BadMetadata("minzoom"));
    }
    if largest.unwrap_or(0) > MAX_TILE_BYTES {
        return Err(MapProblem::BadTile);
    }
    let sample: Option<Vec<u8>> = conn
        .query_row(
            "SELECT tile_data FROM tiles ORDER BY zoom_level LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if !sample.is_some_and(|t| is_format(&t, format)) {
        return Err(MapProblem::BadTile);
    }
    Ok(PackageInfo {
        name: meta("name")?
            .map(|n| n.trim().chars().take(80).collect::<String>())
            .filter(|n| !n.is_empty()),
        format: format.into(),
        bounds,
        min_zoom,
        max_zoom,
    })
}

/// `west,south,east,north` in degrees, each in range and west < east, south < north.
fn parse_bounds(text: &str) -> Result<[f64; 4], MapProblem> {
    let bad = MapProblem::BadMetadata("bounds");
    let values: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad.clone())?;
    let [west, south, east, north]: [f64; 4] = values.try_into().map_err(|_| bad.clone())?;
    let lon = -180.0..=180.0;
    let lat = -85.06..=85.06;
    if lon.contains(&west)
        && lon.contains(&east)
        && lat.contains(&south)
        && lat.contains(&north)
        && west < east
        && south < north
    {
        Ok([west, south, east, north])
    } else {
        Err(bad)
    }
}

/// Does `tile` start like an image of `format`?
pub fn is_format(tile: &[u8], format: &str) -> bool {
    match format {
        "png" => tile.starts_with(b"\x89PNG\r\n\x1a\n"),
        "jpg" => tile.starts_with(&[0xff, 0xd8, 0xff]),
        "webp" => tile.len() > 12 && &tile[..4] == b"RIFF" && &tile[8..12] == b"WEBP",
        _ => false,
    }
}

/// The media type of tiles of `format`.
pub fn media_type(format: &str) -> &'static str {
    match format {
        "jpg" => "image/jpeg",
        "webp" => "image/webp",
        _ => "image/png",
    }
}

/// An open package that tiles are read from.
#[derive(Debug)]
pub struct TileSource {
    pub format: String,
    conn: Connection,
}

impl TileSource {
    pub fn open(format: &str, path: &Path) -> Result<Self, MapProblem> {
        Ok(Self {
            format: format.into(),
            conn: open(path)?,
        })
    }

    /// The tile at `z/x/y` in the web's XYZ scheme (y from the north), if the package has it.
    /// MBTiles counts rows from the south (TMS), hence the flip.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>, MapProblem> {
        if z > MAX_ZOOM {
            return Ok(None);
        }
        let side = 1u32 << z;
        if x >= side || y >= side {
            return Ok(None);
        }
        let row = side - 1 - y;
        let mut stmt = self.conn.prepare_cached(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
        )?;
        let tile: Option<Vec<u8>> = stmt.query_row((z, x, row), |r| r.get(0)).optional()?;
        // A tile that is not an image of the package's format is not handed to the web view.
        Ok(tile.filter(|t| is_format(t, &self.format)))
    }
}
