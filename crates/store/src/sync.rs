//! What the sync task needs from the store: the outbox to push, and applying a pulled batch in one
//! transaction together with the new server cursor.

use porchlight_model::{DocId, DocKind};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::documents::persist_remote;
use crate::error::{Result, StoreError};
use crate::local::set_state_in;

/// The changes of one document, as raw Automerge change chunks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    pub doc: DocId,
    pub kind: DocKind,
    pub changes: Vec<Vec<u8>>,
}

/// One local change waiting to be pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub seq: i64,
    pub doc: DocId,
    pub kind: DocKind,
    pub hash: [u8; 32],
    pub bytes: Vec<u8>,
}

/// The outcome of applying a pulled batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Changes that were new here.
    pub added: usize,
    /// Documents that gained changes (their projections were refreshed).
    pub changed: Vec<(DocId, DocKind)>,
    /// Documents whose changes could not be applied, with the reason; the rest of the batch
    /// still went in.
    pub failed: Vec<(DocId, String)>,
}

impl Store {
    /// The oldest `limit` changes not yet acknowledged by a server.
    pub fn outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, doc, kind, hash, bytes FROM outbox ORDER BY seq LIMIT ?1",
        )?;
        let mut rows = stmt.query([limit])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let hash: Vec<u8> = r.get(3)?;
            out.push(OutboxEntry {
                seq: r.get(0)?,
                doc: DocId::from_slice(&r.get::<_, Vec<u8>>(1)?)?,
                kind: r.get::<_, String>(2)?.parse()?,
                hash: hash
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("outbox hash is not 32 bytes".into()))?,
                bytes: r.get(4)?,
            });
        }
        Ok(out)
    }

    /// Removes acknowledged changes from the outbox.
    pub fn ack_outbox(&mut self, hashes: &[[u8; 32]]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut removed = 0;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM outbox WHERE hash = ?1")?;
            for h in hashes {
                removed += stmt.execute(params![h.as_slice()])?;
            }
        }
        tx.commit()?;
        Ok(removed)
    }

    /// Applies every document's changes and sets `state` (the new server cursor, say), all in
    /// one transaction: a crash leaves either the whole batch and its cursor, or neither.
    pub fn apply_remote_batch(
        &mut self,
        batch: &[DocChanges],
        state: &[(&str, &str)],
    ) -> Result<Applied> {
        let mut applied = Applied::default();
        let mut ready = Vec::new();
        for d in batch {
            match self.merge_remote(d) {
                Ok(Some((doc, before, added))) => {
                    applied.added += added;
                    applied.changed.push((d.doc, d.kind));
                    ready.push((doc, before));
                }
                Ok(None) => {}
                Err(e) => applied.failed.push((d.doc, e.to_string())),
            }
        }
        let tx = self.conn.transaction()?;
        for (doc, before) in &mut ready {
            persist_remote(&tx, doc, before)?;
        }
        for (key, value) in state {
            set_state_in(&tx, key, Some(value))?;
        }
        tx.commit()?;
        Ok(applied)
    }
}
