//! Where a device keeps map packages: `maps/<id>.mbtiles` for a whole, checked package, and
//! `maps/<id>.parts/<chunk hash>` for the chunks of one still downloading. A chunk file is
//! written under a temporary name and renamed only once its hash is checked, so a chunk file
//! that exists is whole: that is what makes downloads resumable.

use std::io::Write;
use std::path::{Path, PathBuf};

use porchlight_crdt::MapManifest;
use porchlight_sync::wire::blob_hash;

use super::package::{self, MapProblem};
use crate::{CoreError, Result};

pub(crate) struct MapFiles {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CoreError + '_ {
    move |source| CoreError::Io {
        path: path.to_owned(),
        source,
    }
}

impl MapFiles {
    pub(crate) fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("maps"),
        }
    }
}

fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io(dir))
}

impl MapFiles {
    pub(crate) fn package(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.mbtiles"))
    }

    fn parts(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.parts"))
    }

    /// A fresh temporary path in the maps directory (same file system, so a rename is atomic).
    pub(crate) fn temp(&self) -> Result<PathBuf> {
        ensure_dir(&self.dir)?;
        let random: [u8; 8] = porchlight_model::random_bytes();
        Ok(self
            .dir
            .join(format!(".incoming-{}", porchlight_model::hex(&random))))
    }

    pub(crate) fn has_package(&self, id: &str) -> bool {
        self.package(id).is_file()
    }

    /// Which of the manifest's chunks this device holds.
    pub(crate) fn held(&self, map: &MapManifest) -> Vec<bool> {
        if self.has_package(&map.id) {
            return vec![true; map.chunks.len()];
        }
        let parts = self.parts(&map.id);
        map.chunks
            .iter()
            .map(|hash| parts.join(hash).is_file())
            .collect()
    }

    /// Keeps a downloaded chunk if it hashes to `hash`; anything else is refused.
    pub(crate) fn save_chunk(&self, map: &MapManifest, hash: &str, bytes: &[u8]) -> Result<bool> {
        if blob_hash(bytes) != hash || bytes.len() as u64 > porchlight_crdt::MAP_CHUNK_SIZE {
            return Ok(false);
        }
        let parts = self.parts(&map.id);
        ensure_dir(&parts)?;
        let temp = parts.join(format!("{hash}.part"));
        let mut file = std::fs::File::create(&temp).map_err(io(&temp))?;
        file.write_all(bytes).map_err(io(&temp))?;
        file.sync_all().map_err(io(&temp))?;
        let target = parts.join(hash);
        std::fs::rename(&temp, &target).map_err(io(&target))?;
        Ok(true)
    }

    /// Puts the chunks together, checks the whole against the manifest and as a package, and
    /// keeps it; the chunks are removed either way once the whole is judged. A package that
    /// hashes right but fails the check is refused like a file the coordinator could not import.
    pub(crate) fn assemble(&self, map: &MapManifest) -> Result<()> {
        let parts = self.parts(&map.id);
        let mut bytes = Vec::with_capacity(usize::try_from(map.size).unwrap_or(0));
        for hash in &map.chunks {
            let path = parts.join(hash);
            bytes.extend(std::fs::read(&path).map_err(io(&path))?);
        }
        let verdict = if blob_hash(&bytes) == map.id && bytes.len() as u64 == map.size {
            self.keep(&map.id, &bytes).map(|_| ())
        } else {
            Err(CoreError::BadMap(MapProblem::HashMismatch))
        };
        let _ = std::fs::remove_dir_all(&parts);
        verdict
    }

    /// Writes `bytes` as package `id` after checking it; returns what the package says of
    /// itself. Nothing is left behind when the check fails.
    pub(crate) fn keep(&self, id: &str, bytes: &[u8]) -> Result<package::PackageInfo> {
        package::check_bytes(bytes).map_err(CoreError::BadMap)?;
        let temp = self.temp()?;
        std::fs::write(&temp, bytes).map_err(io(&temp))?;
        let info = match package::inspect(&temp) {
            Ok(info) => info,
            Err(problem) => {
                let _ = std::fs::remove_file(&temp);
                return Err(CoreError::BadMap(problem));
            }
        };
        let target = self.package(id);
        std::fs::rename(&temp, &target).map_err(io(&target))?;
        Ok(info)
    }

    /// Reads chunk `i` of a package this device holds.
    pub(crate) fn chunk(&self, map: &MapManifest, i: usize) -> Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let path = self.package(&map.id);
        let range = map.chunk_range(i);
        let mut file = std::fs::File::open(&path).map_err(io(&path))?;
        file.seek(SeekFrom::Start(range.start)).map_err(io(&path))?;
        let mut bytes = vec![0; usize::try_from(range.end - range.start).unwrap_or(0)];
        file.read_exact(&mut bytes).map_err(io(&path))?;
        Ok(bytes)
    }

    /// Removes every package and part directory but `keep`'s (an older map, replaced).
    pub(crate) fn remove_others(&self, keep: &str) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(keep) {
                continue;
            }
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}
