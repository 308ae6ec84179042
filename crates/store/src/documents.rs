//! Persisting documents: every write is one transaction that appends the new changes, updates the
//! heads, queues local changes in the outbox and refreshes the projection rows of that document.

use porchlight_crdt::{CrdtError, Doc, Written};
use porchlight_model::{DocId, DocKind, Timestamp};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::Store;
use crate::error::{Result, StoreError};
use crate::projection::{self, Batch};
use crate::sql::exec;

/// Incremental changes kept beside a snapshot before the document is compacted into a new one.
/// Loading replays them, so this trades write cost against load cost.
const COMPACT_AFTER: i64 = 64;

/// A document's heads: the hashes of the changes nothing else depends on yet.
pub type Heads = Vec<[u8; 32]>;

/// A document merged in memory from changes received from elsewhere.
#[derive(Debug)]
pub(crate) struct Merged {
    pub doc: Doc,
    /// The heads stored before (empty: the document is new here).
    pub before: Heads,
    /// The changes that became part of it, to append as they came.
    pub new: Vec<Written>,
    /// The new changes form one line of history (see [`porchlight_crdt::Merge::linear`]).
    pub linear: bool,
}

/// Where changes came from: this device's own writes go to the outbox, received ones do not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Local,
    Remote,
}

impl Store {
    /// Loads a document, or `None` if this device has never seen it.
    pub fn load(&self, id: DocId) -> Result<Option<Doc>> {
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT kind, snapshot FROM documents WHERE id = ?1")?
            .query_row([id.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((kind, snapshot)) = row else {
            return Ok(None);
        };
        let kind: DocKind = kind.parse()?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM doc_changes WHERE doc = ?1 ORDER BY seq")?;
        let changes = stmt
            .query_map([id.as_bytes()], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if snapshot.is_empty() && changes.is_empty() {
            return Ok(Some(Doc::empty(id, kind, &self.actor)));
        }
        match Doc::load(id, kind, &self.actor, &snapshot, &changes) {
            Ok(doc) => Ok(Some(doc)),
            // A remote document whose first change has not arrived yet loads but is not readable.
            Err(CrdtError::WrongKind { .. }) => {
                let mut doc = Doc::empty(id, kind, &self.actor);
                if !snapshot.is_empty() {
                    return Err(StoreError::Corrupt(format!(
                        "document {id} has a bad snapshot"
                    )));
                }
                doc.apply_remote(&changes)?;
                Ok(Some(doc))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Loads a document that must exist and be of `kind`.
    pub fn load_kind(&self, id: DocId, kind: DocKind) -> Result<Doc> {
        match self.load(id)? {
            Some(doc) if doc.kind() == kind => Ok(doc),
            _ => Err(StoreError::NotFound { kind, id }),
        }
    }

    /// Stores a document this device just created, with `also` run in the same transaction.
    pub fn create(
        &mut self,
        make: impl FnOnce(&[u8]) -> Result<(Doc, Written), CrdtError>,
        also: impl FnOnce(&Transaction, &Doc) -> rusqlite::Result<()>,
    ) -> Result<Doc> {
        let (mut doc, _) = make(&self.actor)?;
        let tx = self.conn.transaction()?;
        persist(&tx, &mut doc, &[], Origin::Local)?;
        also(&tx, &doc)?;
        tx.commit()?;
        Ok(doc)
    }

    /// Changes an existing document with `change`, with `also` run in the same transaction.
    pub fn update(
        &mut self,
        id: DocId,
        kind: DocKind,
        change: impl FnOnce(&mut Doc) -> Result<Written, CrdtError>,
        also: impl FnOnce(&Transaction, &Doc) -> rusqlite::Result<()>,
    ) -> Result<Doc> {
        let mut doc = self.load_kind(id, kind)?;
        self.write(&mut doc, change, also)?;
        Ok(doc)
    }

    /// Like [`Store::update`] on a document already in hand (possibly new, like a triage
    /// document being created by its first status change).
    pub fn write(
        &mut self,
        doc: &mut Doc,
        change: impl FnOnce(&mut Doc) -> Result<Written, CrdtError>,
        also: impl FnOnce(&Transaction, &Doc) -> rusqlite::Result<()>,
    ) -> Result<()> {
        // Compare against what is stored, not the document's own heads: a new document may hold
        // uncommitted operations that reading its heads would commit out of our sight.
        let before = self.heads(doc.id())?;
        change(doc)?;
        let tx = self.conn.transaction()?;
        persist(&tx, doc, &before, Origin::Local)?;
        also(&tx, doc)?;
        tx.commit()?;
        Ok(())
    }

    /// Changes two documents in one transaction (one user action that touches both, like
    /// merging a duplicate into a case): both changes are stored, or neither.
    pub fn write_both(
        &mut self,
        a: &mut Doc,
        change_a: impl FnOnce(&mut Doc) -> Result<Written, CrdtError>,
        b: &mut Doc,
        change_b: impl FnOnce(&mut Doc) -> Result<Written, CrdtError>,
    ) -> Result<()> {
        let (before_a, before_b) = (self.heads(a.id())?, self.heads(b.id())?);
        change_a(a)?;
        change_b(b)?;
        let tx = self.conn.transaction()?;
        persist(&tx, a, &before_a, Origin::Local)?;
        persist(&tx, b, &before_b, Origin::Local)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies changes received from another device or a server. Returns how many were new.
    pub fn apply_remote(&mut self, id: DocId, kind: DocKind, changes: &[Vec<u8>]) -> Result<usize> {
        self.apply_remote_checked(id, kind, changes, |_| Ok::<_, StoreError>(()))
    }

    /// Like [`Store::apply_remote`], but `check` sees the merged document before anything is
    /// stored and can refuse it (nothing is stored then). It is not called when no change is new.
    pub fn apply_remote_checked<E: From<StoreError>>(
        &mut self,
        id: DocId,
        kind: DocKind,
        changes: &[Vec<u8>],
        check: impl FnOnce(&mut Doc) -> Result<(), E>,
    ) -> Result<usize, E> {
        let batch = crate::DocChanges {
            doc: id,
            kind,
            changes: changes.to_vec(),
        };
        let Some(mut merged) = self.merge_remote(&batch)? else {
            return Ok(0);
        };
        check(&mut merged.doc)?;
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let mut search = Batch::default();
        persist_remote(&tx, &mut merged, &mut search)?;
        search.flush(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(merged.new.len())
    }

    /// Merges received changes into the document in memory, or `None` when nothing was new.
    pub(crate) fn merge_remote(&self, d: &crate::DocChanges) -> Result<Option<Merged>> {
        let mut doc = match self.load(d.doc)? {
            Some(doc) if doc.kind() != d.kind => {
                return Err(StoreError::Corrupt(format!(
                    "document {} is a {}, not a {}",
                    d.doc,
                    doc.kind(),
                    d.kind
                )));
            }
            Some(doc) => doc,
            None => Doc::empty(d.doc, d.kind, &self.actor),
        };
        let before = self.heads(d.doc)?;
        let merge = doc.apply_remote_new(&d.changes)?;
        Ok((!merge.new.is_empty()).then_some(Merged {
            doc,
            before,
            new: merge.new,
            linear: merge.linear,
        }))
    }

    /// The id, kind and stored heads of every document, in id order (for sync receipts).
    pub fn all_heads(&self) -> Result<Vec<(DocId, DocKind, Heads)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, kind, heads FROM documents ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (id, kind) = id_and_kind(r)?;
            out.push((id, kind, split_heads(&r.get::<_, Vec<u8>>(2)?)));
        }
        Ok(out)
    }

    /// Every document id and kind this device holds.
    pub fn document_ids(&self) -> Result<Vec<(DocId, DocKind)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, kind FROM documents ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind) = row?;
            out.push((DocId::from_slice(&id)?, kind.parse()?));
        }
        Ok(out)
    }

    /// The ids of every document of `kind` (the sync path asks for the few group documents on
    /// every pulled page, so this must not walk every document).
    pub fn document_ids_of(&self, kind: DocKind) -> Result<Vec<DocId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM documents WHERE kind = ?1 ORDER BY id")?;
        let rows = stmt.query_map([kind.as_str()], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(DocId::from_slice(&row?)?);
        }
        Ok(out)
    }

    /// The heads of a document as stored (cheap: no Automerge load).
    pub fn heads(&self, id: DocId) -> Result<Vec<[u8; 32]>> {
        let heads: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT heads FROM documents WHERE id = ?1")?
            .query_row([id.as_bytes()], |r| r.get(0))
            .optional()?;
        Ok(heads.map(|h| split_heads(&h)).unwrap_or_default())
    }

    /// Changes made here and not yet acknowledged by a server.
    pub fn outbox_len(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))?
            .unsigned_abs())
    }
}

/// Persists a document merged from elsewhere (nothing goes to the outbox) and projects it; its
/// search row joins `search`, which the caller flushes once for the whole batch.
pub(crate) fn persist_remote(tx: &Transaction, m: &mut Merged, search: &mut Batch) -> Result<()> {
    append(
        tx,
        &mut m.doc,
        m.new.iter().map(|w| (w.hash, &w.bytes)),
        Origin::Remote,
    )?;
    // A document new here has no projection rows to replace, and one line of history from
    // nothing cannot hold concurrent edits.
    let fresh = m.before.is_empty();
    projection::project_into(tx, &m.doc, fresh, fresh && m.linear, search)
}

/// Keeps the changes of a document merged from elsewhere without projecting it (it is in
/// quarantine): its projection rows stay as they were, and later changes merge with these.
pub(crate) fn persist_quarantined(tx: &Transaction, m: &mut Merged) -> Result<()> {
    append(
        tx,
        &mut m.doc,
        m.new.iter().map(|w| (w.hash, &w.bytes)),
        Origin::Remote,
    )
}

/// Writes the changes `doc` gained since `before`, then its projection rows.
fn persist(tx: &Transaction, doc: &mut Doc, before: &[[u8; 32]], origin: Origin) -> Result<()> {
    let mut changes = Vec::new();
    for bytes in doc.changes_since(before) {
        changes.push((porchlight_crdt::parse_change(&bytes)?.hash().0, bytes));
    }
    append(tx, doc, changes.iter().map(|(h, b)| (*h, b)), origin)?;
    projection::project(tx, doc)
}

/// Appends `changes` (hash, raw bytes) to a document's stored changes and updates its heads;
/// local ones also go to the outbox. Compacts into a snapshot now and then.
fn append<'a>(
    tx: &Transaction,
    doc: &mut Doc,
    changes: impl Iterator<Item = ([u8; 32], &'a Vec<u8>)>,
    origin: Origin,
) -> Result<()> {
    let id = doc.id();
    let now = Timestamp::now().millis();
    let heads: Vec<u8> = doc.heads().concat();
    exec(
        tx,
        "INSERT INTO documents (id, kind, snapshot, heads, pending, updated_at)
         VALUES (?1, ?2, x'', ?3, 0, ?4)
         ON CONFLICT (id) DO UPDATE SET heads = excluded.heads, updated_at = excluded.updated_at",
        params![id.as_bytes(), doc.kind().as_str(), heads, now],
    )?;
    let mut added = 0;
    for (hash, bytes) in changes {
        added += exec(
            tx,
            "INSERT OR IGNORE INTO doc_changes (doc, hash, bytes) VALUES (?1, ?2, ?3)",
            params![id.as_bytes(), hash, bytes],
        )?;
        if origin == Origin::Local {
            exec(
                tx,
                "INSERT OR IGNORE INTO outbox (doc, kind, hash, bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id.as_bytes(), doc.kind().as_str(), hash, bytes, now],
            )?;
        }
    }
    let pending: i64 = tx
        .prepare_cached(
            "UPDATE documents SET pending = pending + ?2 WHERE id = ?1 RETURNING pending",
        )?
        .query_row(params![id.as_bytes(), added as i64], |r| r.get(0))?;
    if pending > COMPACT_AFTER {
        exec(
            tx,
            "UPDATE documents SET snapshot = ?2, pending = 0 WHERE id = ?1",
            params![id.as_bytes(), doc.save()],
        )?;
        exec(
            tx,
            "DELETE FROM doc_changes WHERE doc = ?1",
            [id.as_bytes()],
        )?;
    }
    Ok(())
}

/// A row's document id and kind, from its first two columns.
pub(crate) fn id_and_kind(r: &rusqlite::Row) -> Result<(DocId, DocKind)> {
    Ok((
        DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
        r.get::<_, String>(1)?.parse()?,
    ))
}

pub(crate) fn split_heads(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| c.try_into().ok())
        .collect()
}
