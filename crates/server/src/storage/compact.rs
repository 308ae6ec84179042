//! Compaction of the change log (DECISIONS 30, option a).
//!
//! A document's old changes are folded into one Automerge save (its compressed columnar form)
//! kept beside, for each folded change, its log position, hash and author signature. Nothing is
//! lost: Automerge keeps every change inside a save and rebuilds each with its original hash, so
//! the server can hand a device whose cursor is older than the fold the very changes it would have
//! sent before, each with the signature its author made. Devices see no difference and trust the
//! server with nothing new.
//!
//! Written once for every backend: folding and expanding here, the rows in the backends
//! ([`Storage::fold_input`], [`Storage::replace_with_snapshot`], [`Storage::snapshots_in`]).

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use automerge::AutoCommit;
use porchlight_model::{DocId, DocKind};
use porchlight_protocol::wire::GroupId;

use super::{PulledChange, Storage};
use crate::Error;

/// One folded change as the snapshot keeps it: enough to give it back exactly as it was logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Folded {
    pub seq: u64,
    pub hash: [u8; 32],
    pub signature: [u8; 64],
}

/// Bytes of one [`Folded`] in a snapshot's index: seq (8, big-endian), hash (32), signature (64).
const FOLDED_LEN: usize = 8 + 32 + 64;

impl Folded {
    pub fn encode_all(folded: &[Folded]) -> Vec<u8> {
        let mut out = Vec::with_capacity(folded.len() * FOLDED_LEN);
        for f in folded {
            out.extend_from_slice(&f.seq.to_be_bytes());
            out.extend_from_slice(&f.hash);
            out.extend_from_slice(&f.signature);
        }
        out
    }

    pub fn decode_all(bytes: &[u8]) -> Result<Vec<Folded>, Error> {
        if !bytes.len().is_multiple_of(FOLDED_LEN) {
            return Err(corrupt("snapshot index"));
        }
        Ok(bytes
            .chunks_exact(FOLDED_LEN)
            .map(|c| {
                let mut seq = [0; 8];
                let mut hash = [0; 32];
                let mut signature = [0; 64];
                seq.copy_from_slice(&c[..8]);
                hash.copy_from_slice(&c[8..40]);
                signature.copy_from_slice(&c[40..]);
                Folded {
                    seq: u64::from_be_bytes(seq),
                    hash,
                    signature,
                }
            })
            .collect())
    }
}

/// A document's folded changes as stored: the Automerge save and the index of what it holds,
/// in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub doc: DocId,
    pub kind: DocKind,
    pub saved: Vec<u8>,
    pub folded: Vec<Folded>,
}

impl Snapshot {
    pub fn first_seq(&self) -> u64 {
        self.folded.first().map_or(0, |f| f.seq)
    }

    pub fn last_seq(&self) -> u64 {
        self.folded.last().map_or(0, |f| f.seq)
    }

    /// Whether it folds a change numbered in `(after, upto]`: a pull's window may fall between
    /// the snapshot's first and last change and hold none of them.
    pub fn folds_between(&self, after: u64, upto: u64) -> bool {
        self.folded.iter().any(|f| f.seq > after && f.seq <= upto)
    }

    /// The folded changes, rebuilt from the save, with their log positions and signatures.
    /// CPU work: call it off the async workers.
    pub fn expand(&self) -> Result<Vec<PulledChange>, Error> {
        let mut bytes_of = changes_by_hash(&self.saved).map_err(|()| corrupt("snapshot"))?;
        self.folded
            .iter()
            .map(|f| {
                let bytes = bytes_of
                    .remove(&f.hash)
                    .ok_or_else(|| corrupt("snapshot (a folded change is missing)"))?;
                Ok(PulledChange {
                    seq: f.seq,
                    doc: self.doc,
                    kind: self.kind,
                    bytes,
                    signature: f.signature,
                })
            })
            .collect()
    }
}

/// A change row to fold.
#[derive(Clone, Debug)]
pub struct LogRow {
    pub seq: u64,
    pub hash: [u8; 32],
    pub bytes: Vec<u8>,
    pub signature: [u8; 64],
}

/// What folding one document starts from: its kind, the snapshot it has (if any) and its change
/// rows up to the fold's horizon, in log order.
#[derive(Clone, Debug)]
pub struct FoldInput {
    pub kind: DocKind,
    pub previous: Option<Snapshot>,
    pub rows: Vec<LogRow>,
}

/// Why a document was left as it is.
#[derive(Debug, PartialEq, Eq)]
pub enum Unfoldable {
    /// Some of its changes wait for a dependency the server does not hold (yet).
    MissingDependencies,
    /// A row is not an Automerge change, or its stored hash is not the change's hash.
    NotAChange,
}

/// Folds `input` into a new snapshot of `doc`. The result is checked before it is returned: it
/// must give back exactly the changes it replaces, each under its stored hash.
pub fn fold(doc: DocId, input: &FoldInput) -> Result<Snapshot, Unfoldable> {
    let saved = guarded(|| {
        let mut am = match &input.previous {
            Some(snapshot) => AutoCommit::load(&snapshot.saved)?,
            None => AutoCommit::new(),
        };
        for row in &input.rows {
            am.load_incremental(&row.bytes)?;
        }
        if !am.get_missing_deps(&[]).is_empty() {
            return Ok(None);
        }
        Ok(Some(am.save()))
    })
    .map_err(|()| Unfoldable::NotAChange)?
    .ok_or(Unfoldable::MissingDependencies)?;
    let mut folded: Vec<Folded> = input
        .previous
        .iter()
        .flat_map(|s| s.folded.iter().copied())
        .chain(input.rows.iter().map(|r| Folded {
            seq: r.seq,
            hash: r.hash,
            signature: r.signature,
        }))
        .collect();
    folded.sort_by_key(|f| f.seq);
    let snapshot = Snapshot {
        doc,
        kind: input.kind,
        saved,
        folded,
    };
    // The proof that nothing is lost: every folded change comes back under its hash, and the
    // save holds nothing else.
    let back = changes_by_hash(&snapshot.saved).map_err(|()| Unfoldable::NotAChange)?;
    let all_back = snapshot.folded.iter().all(|f| back.contains_key(&f.hash));
    if !all_back || back.len() != snapshot.folded.len() {
        return Err(Unfoldable::NotAChange);
    }
    Ok(snapshot)
}

/// Every change of an Automerge save, rebuilt, by hash.
fn changes_by_hash(saved: &[u8]) -> Result<HashMap<[u8; 32], Vec<u8>>, ()> {
    guarded(|| {
        let mut am = AutoCommit::load(saved)?;
        Ok(am
            .get_changes(&[])
            .into_iter()
            .map(|c| (c.hash().0, c.raw_bytes().to_vec()))
            .collect())
    })
}

/// Runs Automerge on bytes the server stored; a panic inside it is an error, not a crash.
fn guarded<T>(f: impl FnOnce() -> Result<T, automerge::AutomergeError>) -> Result<T, ()> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        _ => Err(()),
    }
}

fn corrupt(what: &str) -> Error {
    Error::Database(Box::new(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("the database holds an invalid {what}"),
    )))
}

/// When to fold. The newest `keep_changes` changes of each group stay rows (what devices that
/// are nearly up to date ask for, served without rebuilding anything), and a document is folded
/// only when at least `min_changes` of its rows are older than that (folding a handful saves
/// nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactionPolicy {
    pub keep_changes: u64,
    pub min_changes: u64,
    /// Documents folded per pass at most, so one pass never holds the database for long.
    pub docs_per_pass: usize,
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compacted {
    pub docs: u64,
    pub changes: u64,
    /// Documents left as they were (missing dependencies, or another compactor got there first).
    pub skipped: u64,
}

/// One compaction pass over every group. Returns `Ok(None)` when another instance holds the
/// compaction lock (it is doing this pass).
pub async fn compact_once<S: Storage>(
    storage: &S,
    policy: CompactionPolicy,
) -> Result<Option<Compacted>, Error> {
    let Some(lock) = storage.compaction_lock().await? else {
        return Ok(None);
    };
    let done = fold_candidates(storage, policy).await;
    lock.release().await;
    done.map(Some)
}

async fn fold_candidates<S: Storage>(
    storage: &S,
    policy: CompactionPolicy,
) -> Result<Compacted, Error> {
    let mut done = Compacted::default();
    let candidates = storage
        .compaction_candidates(
            policy.keep_changes,
            policy.min_changes,
            policy.docs_per_pass,
        )
        .await?;
    for (group, doc, upto) in candidates {
        let Some(input) = storage.fold_input(group, doc, upto).await? else {
            continue;
        };
        let rows: Vec<u64> = input.rows.iter().map(|r| r.seq).collect();
        let previous_last = input.previous.as_ref().map(Snapshot::last_seq);
        let folded = tokio::task::spawn_blocking(move || fold(doc, &input)).await?;
        let snapshot = match folded {
            Ok(snapshot) => snapshot,
            Err(why) => {
                tracing::debug!(?why, "a document was left unfolded");
                done.skipped += 1;
                continue;
            }
        };
        let n = rows.len() as u64;
        if storage
            .replace_with_snapshot(group, snapshot, rows, previous_last)
            .await?
        {
            done.docs += 1;
            done.changes += n;
        } else {
            done.skipped += 1;
        }
    }
    Ok(done)
}

/// Compacts every `every` until `stopping` turns true. Errors are logged and the next pass tries
/// again: compaction only saves space, so it must never stop the server.
pub async fn run<S: Storage>(
    storage: S,
    policy: CompactionPolicy,
    every: Duration,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopping.changed() => return,
        }
        if *stopping.borrow() {
            return;
        }
        // A pass folds at most `docs_per_pass` documents; a backlog takes several, back to back.
        loop {
            match compact_once(&storage, policy).await {
                Ok(Some(done)) if done.docs > 0 => tracing::info!(
                    docs = done.docs,
                    changes = done.changes,
                    "compacted the change log"
                ),
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "compaction failed; trying again later");
                    break;
                }
            }
            if *stopping.borrow() {
                return;
            }
        }
    }
}

/// Reads the log as if nothing were folded: rows and the folded changes of snapshots, merged in
/// log order. One reader serves one pull; it remembers the snapshots it rebuilt, because the
/// pager asks for a page in several chunks.
#[derive(Clone)]
pub(super) struct LogReader<S> {
    storage: S,
    group: GroupId,
    kinds: Vec<DocKind>,
    expanded: Arc<Mutex<Expanded>>,
}

/// Rebuilt snapshots by document and last folded number.
type Expanded = HashMap<(DocId, u64), Arc<Vec<PulledChange>>>;

impl<S: Storage> LogReader<S> {
    pub(super) fn new(storage: S, group: GroupId, kinds: Vec<DocKind>) -> Self {
        Self {
            storage,
            group,
            kinds,
            expanded: Arc::default(),
        }
    }

    /// At most `limit` changes after `after`, oldest first, folded or not.
    pub(super) async fn after(&self, after: u64, limit: usize) -> Result<Vec<PulledChange>, Error> {
        let mut rows = self
            .storage
            .changes_after(self.group, after, self.kinds.clone(), limit)
            .await?;
        // Past a full chunk's last row more rows may wait; folded changes beyond it belong to a
        // later chunk. Snapshots are read after the rows: a fold committing in between then
        // shows its changes twice (dropped below), never not at all.
        let upto = if rows.len() >= limit {
            rows.last().map_or(u64::MAX, |r| r.seq)
        } else {
            u64::MAX
        };
        let snapshots = self
            .storage
            .snapshots_in(self.group, after, upto, self.kinds.clone())
            .await?;
        if snapshots.is_empty() {
            return Ok(rows);
        }
        for snapshot in snapshots {
            let key = (snapshot.doc, snapshot.last_seq());
            let known = self.cache().get(&key).cloned();
            let changes = if let Some(changes) = known {
                changes
            } else {
                let changes =
                    Arc::new(tokio::task::spawn_blocking(move || snapshot.expand()).await??);
                self.cache().insert(key, changes.clone());
                changes
            };
            rows.extend(
                changes
                    .iter()
                    .filter(|c| c.seq > after && c.seq <= upto)
                    .cloned(),
            );
        }
        rows.sort_by_key(|c| c.seq);
        rows.dedup_by_key(|c| c.seq);
        rows.truncate(limit);
        Ok(rows)
    }

    fn cache(&self) -> MutexGuard<'_, Expanded> {
        self.expanded.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The hashes a document's snapshot holds: a change pushed again after it was folded is already
/// in the log and must not be added twice.
pub(super) fn folded_hashes(index: Option<&[u8]>) -> Result<HashSet<[u8; 32]>, Error> {
    Ok(match index {
        Some(bytes) => Folded::decode_all(bytes)?
            .into_iter()
            .map(|f| f.hash)
            .collect(),
        None => HashSet::new(),
    })
}
