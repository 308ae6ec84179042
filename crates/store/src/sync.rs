//! What the sync task needs from the store: the outbox to push, and applying a pulled batch in one
//! transaction together with the new server cursor.

use porchlight_crdt::validate_document;
use porchlight_model::{DocId, DocKind, Timestamp};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::documents::{id_and_kind, persist_quarantined, persist_remote};
use crate::error::{Result, StoreError};
use crate::local::set_state_in;
use crate::projection::Batch;
use crate::sql::exec;

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
    /// Documents set aside in quarantine (they could not be merged or shown), with the reason;
    /// the rest of the batch still went in.
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

    /// Applies every document's changes from another device and sets `state`, all in one
    /// transaction: a crash leaves either the whole batch, or none of it. A document that cannot
    /// be merged or shown goes into quarantine instead of failing the batch.
    pub fn apply_remote_batch(
        &mut self,
        batch: &[DocChanges],
        state: &[(&str, &str)],
    ) -> Result<Applied> {
        self.apply_batch(batch, state, Path::Peer)
    }

    /// Like [`Store::apply_remote_batch`] for a page of a server's change log with its new cursor
    /// in `state`. The page and its cursor always commit; besides documents that cannot be shown,
    /// reports are set aside here, because a report reaches coordinators only sealed through the
    /// drop box and one in the log could name anyone as its author.
    pub fn apply_pulled_batch(
        &mut self,
        batch: &[DocChanges],
        state: &[(&str, &str)],
    ) -> Result<Applied> {
        self.apply_batch(batch, state, Path::ChangeLog)
    }

    fn apply_batch(
        &mut self,
        batch: &[DocChanges],
        state: &[(&str, &str)],
        path: Path,
    ) -> Result<Applied> {
        let mut applied = Applied::default();
        // (merged document, whether it may be projected)
        let mut ready = Vec::new();
        let mut set_aside: Vec<(DocId, DocKind, String)> = Vec::new();
        for d in one_entry_per_document(batch).iter() {
            if path == Path::ChangeLog && d.kind == DocKind::Report {
                set_aside.push((d.doc, d.kind, REPORT_IN_LOG.to_owned()));
                continue;
            }
            match self.merge_remote(d) {
                Ok(Some(mut merged)) => {
                    applied.added += merged.new.len();
                    match validate_document(&mut merged.doc) {
                        Ok(_) => {
                            applied.changed.push((d.doc, d.kind));
                            ready.push((merged, true));
                        }
                        Err(e) => {
                            set_aside.push((d.doc, d.kind, e.to_string()));
                            ready.push((merged, false));
                        }
                    }
                }
                Ok(None) => {}
                Err(StoreError::Sqlite(e)) => return Err(e.into()),
                Err(e) => set_aside.push((d.doc, d.kind, e.to_string())),
            }
        }
        let now = Timestamp::now().millis();
        let tx = self.conn.transaction()?;
        let mut search = Batch::default();
        for (merged, valid) in &mut ready {
            if *valid {
                persist_remote(&tx, merged, &mut search)?;
                exec(
                    &tx,
                    "DELETE FROM quarantine WHERE doc = ?1",
                    [merged.doc.id().as_bytes()],
                )?;
            } else {
                persist_quarantined(&tx, merged)?;
            }
        }
        search.flush(&tx)?;
        for (doc, kind, reason) in &set_aside {
            exec(
                &tx,
                "INSERT OR REPLACE INTO quarantine (doc, kind, reason, at) VALUES (?1, ?2, ?3, ?4)",
                params![doc.as_bytes(), kind.as_str(), reason, now],
            )?;
        }
        for (key, value) in state {
            set_state_in(&tx, key, Some(value))?;
        }
        tx.commit()?;
        applied.failed = set_aside
            .into_iter()
            .map(|(doc, _, reason)| (doc, reason))
            .collect();
        Ok(applied)
    }

    /// The documents in quarantine, newest first.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc, kind, reason, at FROM quarantine ORDER BY at DESC, doc")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (doc, kind) = id_and_kind(r)?;
            out.push(Quarantined {
                doc,
                kind,
                reason: r.get(2)?,
                at: Timestamp::from_millis(r.get(3)?),
            });
        }
        Ok(out)
    }
}

/// The batch with every document's changes in one entry (in the order documents first appear):
/// two entries for one document would each merge into what is stored and the second would
/// overwrite the first's heads.
fn one_entry_per_document(batch: &[DocChanges]) -> std::borrow::Cow<'_, [DocChanges]> {
    let mut seen = std::collections::HashSet::with_capacity(batch.len());
    if batch.iter().all(|d| seen.insert(d.doc)) {
        return std::borrow::Cow::Borrowed(batch);
    }
    let mut merged: Vec<DocChanges> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for d in batch {
        if let Some(&i) = index.get(&d.doc) {
            let entry: &mut DocChanges = &mut merged[i];
            entry.changes.extend(d.changes.iter().cloned());
        } else {
            index.insert(d.doc, merged.len());
            merged.push(d.clone());
        }
    }
    std::borrow::Cow::Owned(merged)
}

/// Why a report pulled from a server's change log is set aside.
const REPORT_IN_LOG: &str = "a report came through the server's change log; reports travel \
    only sealed through the drop box, so this one is not shown";

/// How a batch arrived.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Path {
    /// Handed over by another device directly.
    Peer,
    /// A page of a server's change log.
    ChangeLog,
}

/// A received document set aside because this device cannot show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Quarantined {
    pub doc: DocId,
    pub kind: DocKind,
    pub reason: String,
    /// When it was last set aside.
    pub at: Timestamp,
}
