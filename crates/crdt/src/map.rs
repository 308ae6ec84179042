//! The group's offline map: a manifest in the group document naming the package's chunks. The
//! package itself travels as blobs (one per chunk); the manifest is what says which blobs make the
//! map, and it is coordinator-signed like every change to the group document, so a device that
//! holds chunks whose hashes match it holds exactly the package the coordinator imported.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ScalarValue};
use porchlight_model::{DocKind, Timestamp, ValidationError};
use serde::Serialize;

use crate::alert::expect_kind;
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{opt_bytes, opt_f64, opt_i64, opt_obj, opt_str};

const MAP: &str = "map";

/// Every chunk but the last is exactly this long (256 KiB): small enough that a lost connection
/// costs little, large enough that a neighbourhood's package is a few hundred requests at most.
pub const MAP_CHUNK_SIZE: u64 = 256 * 1024;
/// The largest package a group may share (64 MiB: a neighbourhood in raster tiles down to street
/// level fits many times over, and every member's phone must hold it).
pub const MAX_MAP_BYTES: u64 = 64 * 1024 * 1024;

/// What a device needs to fetch, check and show a map package.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapManifest {
    /// BLAKE3 of the whole package, hex: names the package.
    pub id: String,
    pub name: String,
    /// The package's length in bytes.
    pub size: u64,
    /// BLAKE3 of each chunk in order, hex (each is also the chunk's blob address).
    pub chunks: Vec<String>,
    /// The tiles' image format: `png`, `jpg` or `webp`.
    pub format: String,
    /// West, south, east, north in degrees.
    pub bounds: [f64; 4],
    pub min_zoom: u8,
    pub max_zoom: u8,
    pub imported_at: Timestamp,
}

impl MapManifest {
    /// How many chunks a package of `size` bytes has.
    pub fn chunk_count(size: u64) -> u64 {
        size.div_ceil(MAP_CHUNK_SIZE)
    }

    /// The byte range of chunk `i` in the package.
    pub fn chunk_range(&self, i: usize) -> std::ops::Range<u64> {
        let start = i as u64 * MAP_CHUNK_SIZE;
        start..(start + MAP_CHUNK_SIZE).min(self.size)
    }

    /// Checks what any device can check without the package: sizes, chunk count, hashes, bounds
    /// and zooms. Manifests arrive from other devices, so none of this is taken on trust.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let bad = |reason: String| ValidationError::Invalid {
            field: "map",
            reason,
        };
        if self.size == 0 || self.size > MAX_MAP_BYTES {
            return Err(bad(format!(
                "a map package is 1 byte to {MAX_MAP_BYTES} bytes, not {}",
                self.size
            )));
        }
        if self.chunks.len() as u64 != Self::chunk_count(self.size) {
            return Err(bad("the chunk list does not match the package size".into()));
        }
        if !is_hash(&self.id) || !self.chunks.iter().all(|c| is_hash(c)) {
            return Err(bad("a hash is not 64 lowercase hex digits".into()));
        }
        if !matches!(self.format.as_str(), "png" | "jpg" | "webp") {
            return Err(bad(format!("unsupported tile format {:?}", self.format)));
        }
        let [west, south, east, north] = self.bounds;
        let lon = -180.0..=180.0;
        let lat = -85.06..=85.06;
        if !(lon.contains(&west)
            && lon.contains(&east)
            && lat.contains(&south)
            && lat.contains(&north))
            || west >= east
            || south >= north
        {
            return Err(bad(
                "the bounds are not west < east and south < north".into()
            ));
        }
        if self.min_zoom > self.max_zoom || self.max_zoom > 22 {
            return Err(bad("the zoom range is not within 0 to 22".into()));
        }
        porchlight_model::validate_name("map name", &self.name)?;
        Ok(())
    }
}

fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Records `map` as the group's map, replacing any earlier one.
pub fn set_map(doc: &mut Doc, map: &MapManifest, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    map.validate()?;
    let mut packed = Vec::with_capacity(map.chunks.len() * 32);
    for c in &map.chunks {
        packed.extend(porchlight_model::unhex(c).unwrap_or_default());
    }
    let am = &mut doc.am;
    // A fresh object each time: two coordinators importing at once leave one whole manifest,
    // never a mix of both.
    let obj = am.put_object(ROOT, MAP, ObjType::Map)?;
    am.put(&obj, "id", map.id.as_str())?;
    am.put(&obj, "name", map.name.as_str())?;
    am.put(&obj, "size", i64::try_from(map.size).unwrap_or(i64::MAX))?;
    am.put(&obj, "chunks", ScalarValue::Bytes(packed))?;
    am.put(&obj, "format", map.format.as_str())?;
    for (key, v) in ["west", "south", "east", "north"].iter().zip(map.bounds) {
        am.put(&obj, *key, v)?;
    }
    am.put(&obj, "min_zoom", i64::from(map.min_zoom))?;
    am.put(&obj, "max_zoom", i64::from(map.max_zoom))?;
    am.put(
        &obj,
        "imported_at",
        ScalarValue::Timestamp(map.imported_at.millis()),
    )?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// The group's map, if it has one. A manifest that is malformed or fails
/// [`MapManifest::validate`] reads as an error, never as a map.
pub fn read_map(doc: &Doc) -> Result<Option<MapManifest>, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    let am = &doc.am;
    let Some(obj) = opt_obj(am, &ROOT, MAP, ObjType::Map) else {
        return Ok(None);
    };
    let schema = |field| CrdtError::Schema {
        kind: DocKind::Group,
        field,
    };
    let str_at = |k: &'static str| opt_str(am, &obj, k).ok_or_else(|| schema(k));
    let int_at = |k: &'static str| opt_i64(am, &obj, k).ok_or_else(|| schema(k));
    let f64_at = |k: &'static str| opt_f64(am, &obj, k).ok_or_else(|| schema(k));
    let zoom = |k: &'static str| int_at(k).and_then(|z| u8::try_from(z).map_err(|_| schema(k)));
    let packed = opt_bytes(am, &obj, "chunks").ok_or_else(|| schema("chunks"))?;
    if packed.len() % 32 != 0 {
        return Err(schema("chunks"));
    }
    let map = MapManifest {
        id: str_at("id")?,
        name: str_at("name")?,
        size: u64::try_from(int_at("size")?).map_err(|_| schema("size"))?,
        chunks: packed.chunks(32).map(porchlight_model::hex).collect(),
        format: str_at("format")?,
        bounds: [
            f64_at("west")?,
            f64_at("south")?,
            f64_at("east")?,
            f64_at("north")?,
        ],
        min_zoom: zoom("min_zoom")?,
        max_zoom: zoom("max_zoom")?,
        imported_at: Timestamp::from_millis(int_at("imported_at")?),
    };
    map.validate()?;
    Ok(Some(map))
}
