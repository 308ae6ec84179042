//! Handing documents between devices without a network (and the receipt that shows two devices
//! hold the same data). The sync task builds on the same two operations.

use porchlight_model::{DocId, DocKind, hex};
use serde::{Deserialize, Serialize};

use crate::{Core, Result};

/// The changes of one document, as raw Automerge change chunks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    pub doc: DocId,
    pub kind: DocKind,
    pub changes: Vec<Vec<u8>>,
}

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
    pub fn receive(&self, batch: &[DocChanges]) -> Result<(usize, Vec<(DocId, String)>)> {
        let mut store = self.store();
        let (mut added, mut failed) = (0, Vec::new());
        for d in batch {
            match store.apply_remote(d.doc, d.kind, &d.changes) {
                Ok(n) => added += n,
                Err(e) => failed.push((d.doc, e.to_string())),
            }
        }
        Ok((added, failed))
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
