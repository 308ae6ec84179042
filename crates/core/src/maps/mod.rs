//! Offline maps. A coordinator imports an MBTiles package once; it is kept whole on that device,
//! described by a manifest in the group document, and uploaded as 256 KiB content-addressed
//! chunks. Every member's device fetches the chunks it lacks during sync (so an interrupted
//! download resumes where it stopped), puts them together, checks the whole, and from then on
//! every map draws streets from it with no network. See docs/MAPS.md.

mod demo;
mod files;
pub(crate) mod package;

use std::path::Path;
use std::time::Duration;

use porchlight_crdt::{MapManifest, read_map, set_map};
use porchlight_model::{DocKind, Role, Timestamp, ValidationError};
use porchlight_sync::Remote;
use porchlight_sync::wire::blob_hash;
use serde::Serialize;

pub use demo::write_demo_package;
use files::MapFiles;
pub use package::MapProblem;
use package::TileSource;

use crate::sync::sync_error;
use crate::{Core, CoreError, Event, Result};

/// The manifest id this device last uploaded every chunk of, and when (`id millis`).
const STATE_UPLOADED: &str = "map.uploaded";
/// Chunks are uploaded again this long after the last time: a repeat upload renews the server's
/// retention clock (90 days by default), so a map never expires while its coordinator syncs.
const REUPLOAD_AFTER: Duration = Duration::from_secs(30 * 86_400);

/// How far this device has the group's map.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MapStatus {
    pub id: String,
    pub name: String,
    /// The package's size in bytes.
    pub size: u64,
    pub chunks_total: u32,
    /// Chunks on this device (all of them once `ready`).
    pub chunks_held: u32,
    /// The whole package is here and checked: maps draw from it.
    pub ready: bool,
    /// West, south, east, north.
    pub bounds: [f64; 4],
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// The tiles' media type (`image/png`, ...).
    pub media_type: String,
}

impl Core {
    fn map_files(&self) -> MapFiles {
        MapFiles::new(self.data_dir())
    }

    /// The group's map manifest, if the group has one.
    pub(crate) fn map_manifest(&self) -> Result<Option<MapManifest>> {
        let store = self.store();
        let Some(group) = store.group()? else {
            return Ok(None);
        };
        let doc = store.load_kind(group.id, DocKind::Group)?;
        // A manifest that does not read is no map; the rest of the group stays usable.
        Ok(read_map(&doc).ok().flatten())
    }

    /// Imports an MBTiles package for the whole group (coordinators). The file is checked first
    /// (size, SQLite's own check, metadata, tiles); a bad file changes nothing. The package is
    /// kept on this device and its manifest written to the group document, so the next sync
    /// uploads its chunks and every member's device fetches them.
    pub fn import_map(&self, path: &Path) -> Result<MapStatus> {
        let bytes = std::fs::read(path).map_err(|source| CoreError::Io {
            path: path.to_owned(),
            source,
        })?;
        let fallback = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.trim().is_empty());
        self.import_map_bytes(bytes, fallback.as_deref())
    }

    /// [`Core::import_map`] on bytes in hand (the app reads the file the user picked).
    pub fn import_map_bytes(&self, mut bytes: Vec<u8>, name: Option<&str>) -> Result<MapStatus> {
        self.require(|r| r == Role::Coordinator, "import a map for the group")?;
        let Some(group) = self.group()? else {
            return Err(ValidationError::Invalid {
                field: "group",
                reason: "create or join a group before importing a map for it".into(),
            }
            .into());
        };
        package::check_bytes(&bytes).map_err(CoreError::BadMap)?;
        package::normalise(&mut bytes);
        let id = blob_hash(&bytes);
        let files = self.map_files();
        let info = files.keep(&id, &bytes)?;
        let name = info
            .name
            .as_deref()
            .or(name)
            .and_then(|n| porchlight_model::validate_name("map name", n).ok())
            .unwrap_or_else(|| "Map".into());
        let manifest = MapManifest {
            id: id.clone(),
            name,
            size: bytes.len() as u64,
            chunks: bytes
                .chunks(usize::try_from(porchlight_crdt::MAP_CHUNK_SIZE).unwrap_or(usize::MAX))
                .map(blob_hash)
                .collect(),
            format: info.format.clone(),
            bounds: info.bounds,
            min_zoom: info.min_zoom,
            max_zoom: info.max_zoom,
            imported_at: Timestamp::now(),
        };
        // The same package imported again: nothing new to share.
        if self
            .map_manifest()?
            .is_none_or(|current| current.id != manifest.id)
        {
            let now = Timestamp::now();
            self.store().update(
                group.id,
                DocKind::Group,
                |doc| set_map(doc, &manifest, now),
                |_, _| Ok(()),
            )?;
            self.changed_locally();
        }
        files.remove_others(&id);
        self.open_tiles(&manifest)?;
        let status = self.status_of(&manifest);
        let _ = self.events.send(Event::Map(status.clone()));
        Ok(status)
    }

    /// Draws the demo neighbourhood's package and imports it (see `demo.rs`).
    pub(crate) fn import_demo_map(&self) -> Result<MapStatus> {
        let temp = self.map_files().temp()?;
        let written = write_demo_package(&temp).and_then(|()| {
            std::fs::read(&temp).map_err(|source| CoreError::Io {
                path: temp.clone(),
                source,
            })
        });
        let _ = std::fs::remove_file(&temp);
        self.import_map_bytes(written?, None)
    }

    /// The group's map and how much of it this device has; `None` when the group has no map.
    pub fn map_status(&self) -> Result<Option<MapStatus>> {
        Ok(self.map_manifest()?.map(|m| self.status_of(&m)))
    }

    fn status_of(&self, map: &MapManifest) -> MapStatus {
        let files = self.map_files();
        let held = files.held(map);
        MapStatus {
            id: map.id.clone(),
            name: map.name.clone(),
            size: map.size,
            chunks_total: u32::try_from(map.chunks.len()).unwrap_or(u32::MAX),
            chunks_held: u32::try_from(held.iter().filter(|h| **h).count()).unwrap_or(u32::MAX),
            ready: files.has_package(&map.id),
            bounds: map.bounds,
            min_zoom: map.min_zoom,
            max_zoom: map.max_zoom,
            media_type: package::media_type(&map.format).into(),
        }
    }

    /// Opens `map`'s package for tiles if it is on this device.
    fn open_tiles(&self, map: &MapManifest) -> Result<bool> {
        let files = self.map_files();
        if !files.has_package(&map.id) {
            return Ok(false);
        }
        let source =
            TileSource::open(&map.format, &files.package(&map.id)).map_err(CoreError::BadMap)?;
        *self.tiles_lock() = Some(source);
        Ok(true)
    }

    fn tiles_lock(&self) -> std::sync::MutexGuard<'_, Option<TileSource>> {
        self.tiles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tile at `z/x/y` (XYZ, as web maps count) from the group's map, with its media type;
    /// `None` when there is no map on this device yet or it has no such tile.
    pub fn map_tile(&self, z: u8, x: u32, y: u32) -> Result<Option<(Vec<u8>, &'static str)>> {
        if self.tiles_lock().is_none() {
            match self.map_manifest()? {
                Some(map) if self.open_tiles(&map)? => {}
                _ => return Ok(None),
            }
        }
        let tiles = self.tiles_lock();
        let Some(source) = tiles.as_ref() else {
            return Ok(None);
        };
        let tile = source.tile(z, x, y).map_err(CoreError::BadMap)?;
        Ok(tile.map(|t| (t, package::media_type(&source.format))))
    }

    /// Uploads the chunks of the group's map (coordinators holding the package), before the
    /// change log is pushed so no member learns of a chunk the server does not have yet.
    pub(crate) async fn upload_map(&self, remote: &dyn Remote) -> Result<usize> {
        if self.role()? != Role::Coordinator {
            return Ok(0);
        }
        let Some(map) = self.map_manifest()? else {
            return Ok(0);
        };
        let files = self.map_files();
        if !files.has_package(&map.id) || !self.upload_due(&map.id)? {
            return Ok(0);
        }
        for i in 0..map.chunks.len() {
            let bytes = files.chunk(&map, i)?;
            match remote.put_map_chunk(&map.chunks[i], bytes).await {
                Ok(_) => {}
                // Refused for good (the group's blob quota is full, say): the rest of the sync
                // must still happen. Members ask for the missing chunks again each sync, and the
                // next sync here tries again.
                Err(e) if e.status().is_some_and(|s| (400..500).contains(&s)) => return Ok(i),
                Err(e) => return Err(sync_error(e)),
            }
        }
        let value = format!("{} {}", map.id, Timestamp::now().millis());
        self.store().set_state(STATE_UPLOADED, Some(&value))?;
        Ok(map.chunks.len())
    }

    fn upload_due(&self, id: &str) -> Result<bool> {
        let Some(value) = self.store().state(STATE_UPLOADED)? else {
            return Ok(true);
        };
        let mut parts = value.split(' ');
        let (Some(done), Some(at)) = (
            parts.next(),
            parts.next().and_then(|t| t.parse::<i64>().ok()),
        ) else {
            return Ok(true);
        };
        let age = Timestamp::now().millis().saturating_sub(at);
        Ok(done != id || age > i64::try_from(REUPLOAD_AFTER.as_millis()).unwrap_or(i64::MAX))
    }

    /// Fetches the chunks of the group's map this device lacks, announcing progress after each
    /// (`Event::Map`); once all are here, puts the package together and opens it. A chunk the
    /// server does not have yet (its coordinator has not synced) is tried again next sync.
    pub(crate) async fn download_map(&self, remote: &dyn Remote) -> Result<()> {
        let Some(map) = self.map_manifest()? else {
            return Ok(());
        };
        let files = self.map_files();
        if files.has_package(&map.id) {
            return Ok(());
        }
        files.remove_others(&map.id);
        let held = files.held(&map);
        let mut complete = true;
        for (hash, _) in map.chunks.iter().zip(held).filter(|(_, h)| !h) {
            let Some(bytes) = remote.get_blob(hash).await.map_err(sync_error)? else {
                complete = false;
                continue;
            };
            // The server checked the hash on upload; check again rather than trust it.
            if !files.save_chunk(&map, hash, &bytes)? {
                complete = false;
                continue;
            }
            let _ = self.events.send(Event::Map(self.status_of(&map)));
        }
        if complete {
            files.assemble(&map)?;
            self.open_tiles(&map)?;
            let _ = self.events.send(Event::Map(self.status_of(&map)));
        }
        Ok(())
    }
}
