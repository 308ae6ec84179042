//! Photos and map chunks travel beside the change log: a patrol photo taken in the hall is
//! uploaded to the hub, a map package the coordinator imported at home to the community server,
//! and devices fetch blobs from whichever server they sync with. So the relay keeps each blob the
//! coordinator's device knows of on both servers (see [`Core::relayed_blobs`]).
//!
//! Each pass asks both servers whether they hold a blob (`HEAD`, no bytes), fetches the bytes
//! from the device itself or the server that has them, and uploads them where they are missing.
//! Blobs found on both are remembered for the life of the hub, so a quiet pass asks nothing.
//! Servers check a blob's hash on upload, so a relay cannot slip in other bytes.

use std::collections::HashSet;

use porchlight_core::{Core, RelayedBlob};
use porchlight_sync::{Error, Remote};

/// Carries blobs between a hub's server and the community server.
#[derive(Debug, Default)]
pub struct BlobRelay {
    on_both: HashSet<String>,
}

impl BlobRelay {
    /// One pass over the blobs `core` knows; returns how many were uploaded somewhere.
    pub async fn step(
        &mut self,
        core: &Core,
        hub: &dyn Remote,
        upstream: &dyn Remote,
    ) -> Result<usize, crate::HubError> {
        let mut moved = 0;
        for blob in core.relayed_blobs()? {
            let hash = blob.hash().to_owned();
            if self.on_both.contains(&hash) {
                continue;
            }
            let (at_hub, at_upstream) =
                (hub.has_blob(&hash).await?, upstream.has_blob(&hash).await?);
            let missing: Vec<&dyn Remote> = [(at_hub, hub), (at_upstream, upstream)]
                .into_iter()
                .filter(|(has, _)| !has)
                .map(|(_, side)| side)
                .collect();
            if !missing.is_empty() {
                let bytes = match core.local_blob(&hash)? {
                    Some(bytes) => Some(bytes),
                    None if at_hub => hub.get_blob(&hash).await?,
                    None if at_upstream => upstream.get_blob(&hash).await?,
                    // Neither server has it yet (its author has not uploaded it): next time.
                    None => None,
                };
                let Some(bytes) = bytes else { continue };
                for side in missing {
                    put(side, &blob, bytes.clone()).await?;
                    moved += 1;
                }
            }
            self.on_both.insert(hash);
        }
        Ok(moved)
    }
}

async fn put(side: &dyn Remote, blob: &RelayedBlob, bytes: Vec<u8>) -> Result<(), Error> {
    match blob {
        RelayedBlob::Photo { hash, kind } => side.put_blob(hash, *kind, bytes).await.map(drop),
        RelayedBlob::MapChunk { hash } => side.put_map_chunk(hash, bytes).await.map(drop),
    }
}
