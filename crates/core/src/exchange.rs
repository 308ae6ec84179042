//! Handing documents between devices without a network (and the receipt that shows two devices
//! hold the same data). The sync task builds on the same two operations.

use porchlight_model::{DocId, hex};
use porchlight_store::DocChanges;

use crate::{Core, Result};

impl Core {
    /// Every change of every document this device holds.
    pub fn all_changes(&self) -> Result<Vec<DocChanges>> {
        let store = self.store();
        let mut out = Vec::new();
        for (id, kind) in store.document_ids()? {
            if let Some(mut doc) = store.load(id)? {
                out.push(DocChanges {
                    doc: id,
                    kind,
                    changes: doc.all_changes(),
                });
            }
        }
        Ok(out)
    }

    /// Applies changes from another device; returns how many were new here. A document that
    /// fails is skipped and reported, so one bad document cannot block the rest.
    ///
    /// Only for a group kept without a server: once a device has pinned its group's root key,
    /// every change it accepts must be signed by a certified member, and a direct handover has
    /// no signatures, so it is refused ([`CoreError::UnsignedHandover`]) and nothing is stored.
    pub fn receive(&self, batch: &[DocChanges]) -> Result<(usize, Vec<(DocId, String)>)> {
        if self.store().state(crate::membership::STATE_ROOT)?.is_some() {
            return Err(crate::CoreError::UnsignedHandover);
        }
        let applied = self.store().apply_remote_batch(batch, &[])?;
        Ok((applied.added, applied.failed))
    }

    /// A digest of the heads of every document held here. Two devices holding the same changes
    /// show the same receipt.
    pub fn receipt(&self) -> Result<String> {
        let store = self.store();
        let mut hasher = blake3::Hasher::new();
        for (id, _) in store.document_ids()? {
            hasher.update(id.as_bytes());
            for head in store.heads(id)? {
                hasher.update(&head);
            }
        }
        Ok(hex(&hasher.finalize().as_bytes()[..16]))
    }
}
