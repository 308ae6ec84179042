//! One record = one Automerge document. `Doc` wraps it with its id and kind, hands out each local
//! commit's incremental change (what the store persists and the outbox sends), and takes in remote
//! changes behind size limits and `catch_unwind`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::change::ChangeProblem;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ROOT, ReadDoc};
use porchlight_model::{DocId, DocKind, Timestamp};

use crate::error::CrdtError;
use crate::fields;

/// The schema version written into every document, so a later version can migrate old ones.
pub const SCHEMA_VERSION: i64 = 1;
/// The largest single change we accept from elsewhere. Local changes are far smaller; a patrol's
/// track chunk is a few hundred bytes.
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;

/// A change this device just made: its hash and its raw (uncompressed) bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub hash: [u8; 32],
    pub bytes: Vec<u8>,
}

/// What merging changes from elsewhere did (see [`Doc::apply_remote_new`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merge {
    /// The changes that became part of the document, in the order given.
    pub new: Vec<Written>,
    /// The new changes continue the document's single line of history one after another, so
    /// they cannot have made concurrent edits (`false` when that is not known cheaply).
    pub linear: bool,
}

#[derive(Debug)]
pub struct Doc {
    id: DocId,
    kind: DocKind,
    pub(crate) am: AutoCommit,
}

impl Doc {
    /// A new, empty document of `kind` written by `actor`.
    pub(crate) fn create(id: DocId, kind: DocKind, actor: &[u8]) -> Result<Self, CrdtError> {
        let mut am = AutoCommit::new().with_actor(ActorId::from(actor));
        am.put(ROOT, "kind", kind.as_str())?;
        am.put(ROOT, "v", SCHEMA_VERSION)?;
        Ok(Self { id, kind, am })
    }

    /// Loads a document this device stored itself: a saved snapshot (possibly empty) followed by
    /// the incremental changes appended since. Still guarded: a corrupt file must not crash the app.
    pub fn load(
        id: DocId,
        kind: DocKind,
        actor: &[u8],
        snapshot: &[u8],
        changes: &[Vec<u8>],
    ) -> Result<Self, CrdtError> {
        let result = catch_unwind(AssertUnwindSafe(|| -> Result<AutoCommit, CrdtError> {
            let mut am = if snapshot.is_empty() {
                AutoCommit::new()
            } else {
                AutoCommit::load(snapshot)?
            };
            for c in changes {
                am.load_incremental(c)?;
            }
            Ok(am)
        }));
        let am = result.map_err(|_| CrdtError::Quarantined)??;
        let am = am.with_actor(ActorId::from(actor));
        let doc = Self { id, kind, am };
        doc.check_kind()?;
        Ok(doc)
    }

    /// An empty document to receive a remote document's first changes into.
    pub fn empty(id: DocId, kind: DocKind, actor: &[u8]) -> Self {
        Self {
            id,
            kind,
            am: AutoCommit::new().with_actor(ActorId::from(actor)),
        }
    }

    pub fn id(&self) -> DocId {
        self.id
    }

    pub fn kind(&self) -> DocKind {
        self.kind
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.am.save()
    }

    /// The current heads, sorted (Automerge returns them sorted by hash).
    pub fn heads(&mut self) -> Vec<[u8; 32]> {
        self.am.get_heads().into_iter().map(|h| h.0).collect()
    }

    /// Whether a remote document has delivered enough changes to be read (its first change holds
    /// the kind marker).
    pub fn is_readable(&self) -> bool {
        self.check_kind().is_ok()
    }

    /// Every change, in causal order, as raw bytes (for handing a whole document to a peer).
    pub fn all_changes(&mut self) -> Vec<Vec<u8>> {
        self.changes_since(&[])
    }

    /// The changes not covered by `heads`, as raw bytes.
    pub fn changes_since(&mut self, heads: &[[u8; 32]]) -> Vec<Vec<u8>> {
        let heads: Vec<ChangeHash> = heads.iter().map(|h| ChangeHash(*h)).collect();
        self.am
            .get_changes(&heads)
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    }

    /// Applies changes from elsewhere. Each must be a plain (uncompressed) change chunk within the
    /// size limit. Returns how many of them were new here.
    pub fn apply_remote(&mut self, changes: &[Vec<u8>]) -> Result<usize, CrdtError> {
        Ok(self.apply_remote_new(changes)?.new.len())
    }

    /// Like [`Doc::apply_remote`], returning the changes that became part of the document (new
    /// here, and not waiting for a missing dependency) with their hashes: what a store appends.
    ///
    /// Asking Automerge for a document's changes rebuilds them from its op set, which costs as
    /// much as the merge itself; so when nothing waits for dependencies, before or after (the
    /// usual case), the new changes are found from the change graph and the bytes given here.
    pub fn apply_remote_new(&mut self, changes: &[Vec<u8>]) -> Result<Merge, CrdtError> {
        let mut parsed = Vec::with_capacity(changes.len());
        for bytes in changes {
            parsed.push(parse_change(bytes)?);
        }
        // Re-encoding the document's changes (the slow path below) is where Automerge panics
        // on some hostile changes it has accepted, so everything runs under the guard.
        let result = catch_unwind(AssertUnwindSafe(|| {
            if !self.am.get_missing_deps(&[]).is_empty() {
                return self.apply_and_compare(parsed);
            }
            // One line of history: every new change depends on exactly the one before it.
            let mut tip = self.am.get_heads();
            let mut linear = tip.len() <= 1;
            // Nothing is queued, so a hash the graph does not have comes back as missing.
            let mut seen = std::collections::HashSet::new();
            let fresh: Vec<Written> = parsed
                .iter()
                .zip(changes)
                .filter(|(c, _)| {
                    let hash = c.hash();
                    seen.insert(hash) && !self.am.get_missing_deps(&[hash]).is_empty()
                })
                .map(|(c, bytes)| {
                    linear &= c.deps() == tip.as_slice();
                    tip = vec![c.hash()];
                    Written {
                        hash: c.hash().0,
                        bytes: bytes.clone(),
                    }
                })
                .collect();
            self.am.apply_changes(parsed)?;
            if self.am.get_missing_deps(&[]).is_empty() {
                return Ok(Merge { new: fresh, linear });
            }
            // Some wait for a dependency: keep only those that went in.
            let have: std::collections::HashSet<[u8; 32]> = self
                .am
                .get_changes(&[])
                .iter()
                .map(|c| c.hash().0)
                .collect();
            Ok(Merge {
                new: fresh
                    .into_iter()
                    .filter(|w| have.contains(&w.hash))
                    .collect(),
                linear: false,
            })
        }));
        result.map_err(|_| CrdtError::Quarantined)?
    }

    /// The slow, general way: compare the document's changes before and after (this also
    /// counts queued changes from earlier calls that the new ones released).
    fn apply_and_compare(&mut self, parsed: Vec<Change>) -> Result<Merge, CrdtError> {
        let before: std::collections::HashSet<[u8; 32]> = self
            .am
            .get_changes(&[])
            .iter()
            .map(|c| c.hash().0)
            .collect();
        self.am.apply_changes(parsed)?;
        let new = self
            .am
            .get_changes(&[])
            .iter()
            .filter(|c| !before.contains(&c.hash().0))
            .map(|c| Written {
                hash: c.hash().0,
                bytes: c.raw_bytes().to_vec(),
            })
            .collect();
        Ok(Merge { new, linear: false })
    }

    /// Fields where concurrent edits left more than one value (Automerge picked the same winner
    /// everywhere, but the losing values are worth showing). Paths like `status` or
    /// `members/<device>/role`, checked at the root and one level down.
    pub fn conflicts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for key in self.am.keys(ROOT) {
            if self.am.get_all(ROOT, key.as_str()).map_or(0, |v| v.len()) > 1 {
                out.push(key.clone());
            }
            if let Ok(Some((automerge::Value::Object(automerge::ObjType::Map), child))) =
                self.am.get(ROOT, key.as_str())
            {
                for sub in self.am.keys(&child) {
                    if self.am.get_all(&child, sub.as_str()).map_or(0, |v| v.len()) > 1 {
                        out.push(format!("{key}/{sub}"));
                    }
                    if let Ok(Some((automerge::Value::Object(automerge::ObjType::Map), grand))) =
                        self.am.get(&child, sub.as_str())
                    {
                        for leaf in self.am.keys(&grand) {
                            if self
                                .am
                                .get_all(&grand, leaf.as_str())
                                .map_or(0, |v| v.len())
                                > 1
                            {
                                out.push(format!("{key}/{sub}/{leaf}"));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Commits pending operations as one change stamped `at`, and returns it.
    pub(crate) fn commit(&mut self, at: Timestamp) -> Option<Written> {
        // Automerge stores change times in seconds.
        let options = CommitOptions::default().with_time(at.millis().div_euclid(1000));
        self.am.commit_with(options)?;
        let change = self.am.get_last_local_change()?;
        Some(Written {
            hash: change.hash().0,
            bytes: change.raw_bytes().to_vec(),
        })
    }

    /// Whether changes were received whose dependencies have not arrived yet (Automerge holds
    /// them back until they do).
    pub fn waits_for_changes(&mut self) -> bool {
        !self.am.get_missing_deps(&[]).is_empty()
    }

    /// The actor of every change in the document.
    pub(crate) fn actors(&mut self) -> Vec<Vec<u8>> {
        self.am
            .get_changes(&[])
            .iter()
            .map(|c| c.actor_id().to_bytes().to_vec())
            .collect()
    }

    pub(crate) fn check_kind(&self) -> Result<(), CrdtError> {
        let found = fields::opt_str(&self.am, &ROOT, "kind").unwrap_or_default();
        if found == self.kind.as_str() {
            Ok(())
        } else {
            Err(CrdtError::WrongKind {
                expected: self.kind,
                found: if found.is_empty() {
                    "empty document".into()
                } else {
                    found
                },
            })
        }
    }
}

/// Checks that `bytes` is one plain Automerge change chunk within limits (see
/// [`crate::check_change`]), and parses it.
pub fn parse_change(bytes: &[u8]) -> Result<Change, CrdtError> {
    match crate::change::parse_checked(bytes, None, MAX_CHANGE_BYTES) {
        Ok((change, _)) => Ok(change),
        Err(ChangeProblem::TooLarge { len, max }) => {
            Err(CrdtError::ChangeTooLarge { size: len, max })
        }
        Err(problem) => Err(CrdtError::BadChange(problem.to_string())),
    }
}
