//! Photos: taken in through the media pipeline (which strips every bit of metadata), kept by
//! hash, and synced as blobs for patrol observations. Report photos never go this way: they
//! leave sealed in drops (see `drops.rs`).

use porchlight_media::{Limits, Region, detect_faces, intake_blurred};
use porchlight_model::{BlurRegion, DocKind, ValidationError};
use porchlight_sync::Remote;
use porchlight_sync::wire::blob_hash;
use serde::Serialize;

use crate::sync::sync_error;
use crate::{Core, Result};

/// A photo ready to attach to an observation or a report.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PhotoInfo {
    /// BLAKE3 of the re-encoded JPEG: what records refer to.
    pub hash: String,
    pub width: u32,
    pub height: u32,
    /// Size of the re-encoded JPEG in bytes.
    pub size: u32,
}

impl Core {
    /// Takes in a photo (JPEG, PNG or WebP): checks it, turns it upright, shrinks it, re-encodes
    /// it without any metadata, and keeps it on this device until a record refers to it.
    pub fn add_photo(&self, bytes: &[u8]) -> Result<PhotoInfo> {
        self.add_photo_blurred(bytes, &[])
    }

    /// Takes in a photo with `blur` regions (faces, plates) replaced by a coarse mosaic in the
    /// same re-encode that strips metadata: the original pixels never reach the store.
    pub fn add_photo_blurred(&self, bytes: &[u8], blur: &[BlurRegion]) -> Result<PhotoInfo> {
        let regions: Vec<Region> = blur
            .iter()
            .map(|r| Region {
                x: r.x,
                y: r.y,
                w: r.w,
                h: r.h,
            })
            .collect();
        let photo = intake_blurred(bytes, &Limits::default(), &regions)?;
        self.store().put_blob(&photo.hash, &photo.jpeg, None)?;
        Ok(PhotoInfo {
            hash: photo.hash,
            width: photo.width,
            height: photo.height,
            size: u32::try_from(photo.jpeg.len()).unwrap_or(u32::MAX),
        })
    }

    /// Faces in a photo the person is about to take in, found on this device, as regions to
    /// blur (the upright photo's coordinates, a little larger than each face). Nothing is
    /// stored; detection can miss faces, so these are suggestions the person checks. Refuses
    /// what [`Core::add_photo`] refuses; says so when the app was built without detection.
    pub fn detect_faces(&self, bytes: &[u8]) -> Result<Vec<BlurRegion>> {
        Ok(detect_faces(bytes, &Limits::default())?
            .into_iter()
            .map(|r| BlurRegion {
                x: r.x,
                y: r.y,
                w: r.w,
                h: r.h,
            })
            .collect())
    }

    /// The JPEG bytes of a photo on this device.
    pub fn photo(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.reader().blob(hash)?)
    }

    /// Refuses photo hashes this device does not have (photos are taken in before a record
    /// may name them).
    pub(crate) fn require_photos(&self, hashes: &[String]) -> Result<()> {
        match self.store().missing_blobs(hashes)?.first() {
            None => Ok(()),
            Some(h) => Err(not_taken_in(h)),
        }
    }

    /// The bytes of each photo, refusing hashes this device does not have.
    pub(crate) fn photo_bytes(&self, hashes: &[String]) -> Result<Vec<Vec<u8>>> {
        let store = self.store();
        hashes
            .iter()
            .map(|h| store.blob(h)?.ok_or_else(|| not_taken_in(h)))
            .collect()
    }

    /// Uploads the photos of this device's observations that the server does not have yet.
    pub(crate) async fn upload_photos(&self, remote: &dyn Remote) -> Result<usize> {
        let pending = self.store().blobs_to_upload(DocKind::Patrol)?;
        for hash in &pending {
            let Some(bytes) = self.store().blob(hash)? else {
                continue;
            };
            remote
                .put_blob(hash, DocKind::Patrol, bytes)
                .await
                .map_err(sync_error)?;
            self.store().mark_uploaded(hash)?;
        }
        Ok(pending.len())
    }

    /// Fetches photos of observations that arrived without them. A photo the server does not
    /// have yet (its uploader has not synced it) is tried again next time.
    pub(crate) async fn download_photos(&self, remote: &dyn Remote) -> Result<usize> {
        let missing = self.store().missing_observation_photos()?;
        let mut fetched = 0;
        for hash in missing {
            let Some(bytes) = remote.get_blob(&hash).await.map_err(sync_error)? else {
                continue;
            };
            // The server checked the hash on upload; check again rather than trust it.
            if blob_hash(&bytes) == hash {
                self.store()
                    .put_blob(&hash, &bytes, Some(DocKind::Patrol))?;
                fetched += 1;
            }
        }
        Ok(fetched)
    }
}

/// A blob a hub's relay keeps on both of its servers (see [`Core::relayed_blobs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayedBlob {
    /// A photo of documents of this kind.
    Photo { hash: String, kind: DocKind },
    /// A chunk of the group's offline map package.
    MapChunk { hash: String },
}

impl RelayedBlob {
    pub fn hash(&self) -> &str {
        match self {
            Self::Photo { hash, .. } | Self::MapChunk { hash } => hash,
        }
    }
}

impl Core {
    /// The blobs a hub run by this device carries between its servers, besides the change log:
    /// the photos of every observation this device knows, and the chunks of the group's map.
    pub fn relayed_blobs(&self) -> Result<Vec<RelayedBlob>> {
        let mut out: Vec<RelayedBlob> = self
            .store()
            .observation_photos()?
            .into_iter()
            .map(|hash| RelayedBlob::Photo {
                hash,
                kind: DocKind::Patrol,
            })
            .collect();
        if let Some(map) = self.map_manifest()? {
            out.extend(
                map.chunks
                    .into_iter()
                    .map(|hash| RelayedBlob::MapChunk { hash }),
            );
        }
        Ok(out)
    }

    /// A photo this device holds, by hash.
    pub fn local_blob(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.store().blob(hash)?)
    }
}

fn not_taken_in(hash: &str) -> crate::CoreError {
    ValidationError::Invalid {
        field: "photos",
        reason: format!("photo {hash} is not on this device; add it first"),
    }
    .into()
}
