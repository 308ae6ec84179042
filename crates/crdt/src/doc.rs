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
        let mut parsed = Vec::with_capacity(changes.len());
        for bytes in changes {
            parsed.push(parse_change(bytes)?);
        }
        // Counting re-encodes the document's changes, which is where Automerge panics on some
        // hostile changes it has accepted, so it runs under the guard too.
        let result = catch_unwind(AssertUnwindSafe(|| {
            let before = self.am.get_changes(&[]).len();
            self.am.apply_changes(parsed)?;
            Ok::<_, CrdtError>(self.am.get_changes(&[]).len() - before)
        }));
        result.map_err(|_| CrdtError::Quarantined)?
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
