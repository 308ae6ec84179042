//! Persistence behind a trait, used through generics so the HTTP layer never names a backend.
//! Every method is one atomic step; the backend must keep each of them consistent on its own
//! (a transaction per call), because several server instances may share one database.
//!
//! What does not depend on the backend is written here once: paging by count and byte budget
//! ([`page`]), the cursor of a role that may read only some kinds ([`Storage::pull`]) and the
//! long-poll wake-ups ([`wake`]). The backends only fetch rows.

mod compact;
mod page;
mod postgres;
mod sqlite;
mod wake;

use std::future::Future;
use std::sync::Arc;

use porchlight_model::{DeviceId, DocId, DocKind};
use porchlight_protocol::SignedInvite;
use porchlight_protocol::wire::{DropPage, GroupId, Member, StoredDrop};
use tokio::sync::Notify;

pub(crate) use compact::run as run_compaction;
pub use compact::{
    Compacted, CompactionPolicy, FoldInput, Folded, LogRow, Snapshot, Unfoldable, compact_once,
    fold,
};
pub use postgres::PgStorage;
pub use sqlite::SqliteStorage;
pub(crate) use wake::{Stamp, Wakeups};

use page::Paged;
pub(crate) use page::pull_after;

use crate::Error;

/// A member as the server keeps it.
pub type MemberRecord = Member;

/// A device to add to a group.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub device: DeviceId,
    pub public_key: [u8; 32],
    pub display_name: String,
    pub joined_at: i64,
}

/// An invite a coordinator's device made and signed (id, group, role, uses and expiry are the
/// signed ones). The secret never reaches the server.
#[derive(Clone, Debug)]
pub struct NewInvite {
    pub signed: SignedInvite,
    pub created_by: DeviceId,
    pub created_at: i64,
}

/// A live session as found by its token hash (the member may have been revoked since).
#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub group: GroupId,
    pub expires_at: i64,
    pub member: MemberRecord,
}

/// Validated changes of one document to append to the log.
#[derive(Clone, Debug)]
pub struct PushDoc {
    pub doc: DocId,
    pub kind: DocKind,
    pub changes: Vec<PushChange>,
}

/// One checked change: its Automerge hash, raw bytes and its author's signature.
#[derive(Clone, Debug)]
pub struct PushChange {
    pub hash: [u8; 32],
    pub bytes: Vec<u8>,
    pub signature: [u8; 64],
}

/// What happened to one [`PushDoc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored; `new` of the changes were not there before.
    Stored { new: u32 },
    /// The document already exists with another kind; nothing was stored.
    KindConflict { existing: DocKind },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledChange {
    pub seq: u64,
    pub doc: DocId,
    pub kind: DocKind,
    pub bytes: Vec<u8>,
    pub signature: [u8; 64],
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub changes: Vec<PulledChange>,
    pub cursor: u64,
    pub more: bool,
}

/// A document as the server holds it: its kind, the Automerge save of its folded changes (if
/// any were folded) and its other changes in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDoc {
    pub kind: DocKind,
    pub snapshot: Option<Vec<u8>>,
    pub changes: Vec<Vec<u8>>,
}

/// Held while one compaction pass runs. [`CompactionLock::release`] lets the next pass (of any
/// instance) start; dropping it without releasing frees it too, only later (when a backend's
/// session ends).
pub struct CompactionLock(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>);

impl CompactionLock {
    /// `release` holds what keeps the lock and gives it up when awaited.
    pub(crate) fn new(release: impl Future<Output = ()> + Send + 'static) -> Self {
        Self(Box::pin(release))
    }

    pub async fn release(self) {
        self.0.await;
    }
}

impl std::fmt::Debug for CompactionLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompactionLock")
    }
}

/// Limits of one pull.
#[derive(Clone, Copy, Debug)]
pub struct PageLimits {
    pub max_changes: usize,
    pub max_bytes: usize,
}

/// What happened to an uploaded blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobOutcome {
    /// Stored; `new` is false when the group already had it (it is kept once).
    Stored { new: bool },
    /// The group already has this blob under another document kind; nothing was changed.
    KindConflict { existing: DocKind },
    /// Storing it would take the group's blobs past `quota` bytes (`used` now); nothing stored.
    OverQuota { used: u64, quota: u64 },
}

/// How long blobs are kept and how much one group may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobKeeping {
    /// Blobs last uploaded before `retention.keep_from` are deleted (of every group).
    pub retention: Retention,
    /// The most bytes of blobs one group may hold.
    pub quota: u64,
}

/// A blob as stored, with the document kind that decides who may read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    pub kind: DocKind,
    pub bytes: Vec<u8>,
}

/// A group's drop-token issuing key, DER encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKeyRecord {
    pub secret_der: Vec<u8>,
    pub public_der: Vec<u8>,
}

/// How long anonymous data is kept, in UTC day numbers (unix seconds / 86400).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// The day to record on what is stored now.
    pub today: i64,
    /// Anything recorded before this day is deleted.
    pub keep_from: i64,
}

impl Paged for PulledChange {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn size(&self) -> usize {
        self.bytes.len()
    }
}

impl Paged for StoredDrop {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn size(&self) -> usize {
        self.sealed.len()
    }
}

/// Which database a URL names: `sqlite://PATH` or `postgres://...` (`postgresql://` too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, Error> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(Error::DatabaseUrl {
                    url: url.into(),
                    reason: "the path is empty".into(),
                });
            }
            return Ok(Self::Sqlite(path.into()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(Error::DatabaseUrl {
            url: url.into(),
            reason: "expected sqlite://PATH or postgres://USER@HOST/DATABASE".into(),
        })
    }
}

pub trait Storage: Clone + Send + Sync + 'static {
    /// The backend's name as `/v1/health` reports it.
    fn backend(&self) -> &'static str;

    /// Asks the database a trivial question: `Ok` when it answers.
    fn check(&self) -> impl Future<Output = Result<(), Error>> + Send;

    /// The group's wake-up: notified after every push that stored a new change, through this
    /// handle or (on a shared database) through any other server instance.
    fn wakeup(&self, group: GroupId) -> Arc<Notify>;

    /// This instance's wake-ups and the stamps its in-memory caches are checked against
    /// (docs/DECISIONS.md, decision 63). For the server itself; there is nothing to call on it
    /// from outside.
    #[doc(hidden)]
    fn wakeups(&self) -> &Wakeups;

    /// At most `limit` change rows after `after` whose kind is in `kinds`, oldest first; folded
    /// changes are not rows (see [`Storage::snapshots_in`]). The building block of
    /// [`Storage::pull`]; `kinds` is never empty.
    fn changes_after(
        &self,
        group: GroupId,
        after: u64,
        kinds: Vec<DocKind>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PulledChange>, Error>> + Send;

    /// At most `limit` drops after `after`, oldest first. The building block of
    /// [`Storage::drops`].
    fn drops_after(
        &self,
        group: GroupId,
        after: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredDrop>, Error>> + Send;

    fn put_challenge(
        &self,
        nonce: [u8; 32],
        time: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Removes the challenge and returns `(time, expires_at)`; `None` when it was never issued or
    /// already used. Removing it on first use is what makes a challenge single-use.
    fn take_challenge(
        &self,
        nonce: [u8; 32],
    ) -> impl Future<Output = Result<Option<(i64, i64)>, Error>> + Send;

    /// Creates the group with `first` as its coordinator.
    fn create_group(
        &self,
        group: GroupId,
        name: String,
        first: NewMember,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    fn member(
        &self,
        group: GroupId,
        device: DeviceId,
    ) -> impl Future<Output = Result<Option<MemberRecord>, Error>> + Send;

    fn members(
        &self,
        group: GroupId,
    ) -> impl Future<Output = Result<Vec<MemberRecord>, Error>> + Send;

    fn create_invite(&self, invite: NewInvite) -> impl Future<Output = Result<(), Error>> + Send;

    /// The invite as its coordinator signed it, if it exists (expired and used-up ones too).
    fn invite(
        &self,
        invite: [u8; 16],
    ) -> impl Future<Output = Result<Option<SignedInvite>, Error>> + Send;

    /// Checks the invite (expiry at `now`, uses left), uses it up by one and adds the member with
    /// its join `evidence` (CBOR [`porchlight_protocol::JoinEvidence`], checked by the caller),
    /// all in one step. A device that is already an active member gets its membership back
    /// without using up the invite (a retried join is harmless); a revoked one is refused.
    fn redeem_invite(
        &self,
        invite: [u8; 16],
        now: i64,
        member: NewMember,
        evidence: Vec<u8>,
    ) -> impl Future<Output = Result<(GroupId, MemberRecord), Error>> + Send;

    /// Stores a session; also a good moment to forget sessions that expired before `now`.
    fn create_session(
        &self,
        token_hash: [u8; 32],
        group: GroupId,
        device: DeviceId,
        now: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    fn session(
        &self,
        token_hash: [u8; 32],
    ) -> impl Future<Output = Result<Option<SessionRecord>, Error>> + Send;

    /// Marks the member revoked at `now` and deletes its sessions. Refuses to remove the last
    /// active coordinator, which would leave the group with nobody able to manage it.
    fn revoke(
        &self,
        group: GroupId,
        device: DeviceId,
        now: i64,
    ) -> impl Future<Output = Result<MemberRecord, Error>> + Send;

    /// Appends the changes (a change already in the log for that document is skipped) and gives
    /// each new one the group's next sequence number.
    fn push(
        &self,
        group: GroupId,
        device: DeviceId,
        docs: Vec<PushDoc>,
    ) -> impl Future<Output = Result<Vec<PushOutcome>, Error>> + Send;

    /// Changes after `cursor` whose kind is in `kinds`, oldest first, within `limits`.
    ///
    /// The returned cursor follows only the kinds in `kinds`: with a full page it stops at the
    /// last change sent, otherwise it is the newest change of those kinds. A cursor that moved
    /// with every change would tell a resident when patrols ran.
    fn pull(
        &self,
        group: GroupId,
        cursor: u64,
        kinds: Vec<DocKind>,
        limits: PageLimits,
    ) -> impl Future<Output = Result<Page, Error>> + Send {
        let this = self.clone();
        async move {
            // Read before the rows: every change up to `latest` is committed by now (a group's
            // numbers are handed out in commit order), so taking the larger of `latest` and the
            // last row read can never step over a change this reader has not seen.
            let latest = this.latest_seq_of(group, kinds.clone()).await?;
            page::pull_after(&this, group, cursor, kinds, limits, latest).await
        }
    }

    /// The group's newest sequence number (0 when its log is empty).
    fn latest_seq(&self, group: GroupId) -> impl Future<Output = Result<u64, Error>> + Send;

    /// The newest sequence number of a change whose kind is in `kinds`, folded or not (0 when
    /// there is none):
    /// the cursor of a role that may read only those kinds, which must not move when others do.
    fn latest_seq_of(
        &self,
        group: GroupId,
        kinds: Vec<DocKind>,
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// The kind, snapshot and change rows of one document; `None` when the group has no such
    /// document.
    fn doc_changes(
        &self,
        group: GroupId,
        doc: DocId,
    ) -> impl Future<Output = Result<Option<StoredDoc>, Error>> + Send;

    /// How many changes the group's log holds, folded or not.
    fn change_count(&self, group: GroupId) -> impl Future<Output = Result<u64, Error>> + Send;

    /// Spends the drop token `token` (its message) in the group's spent list and appends an
    /// anonymous drop to the group's drop log under the next drop number, in one step, and
    /// returns the number. Only the group, the number, `retention.today` and the sealed bytes are
    /// kept (and the spent message, apart). Drops of every group recorded before
    /// `retention.keep_from` are deleted in the same step. [`Error::UnknownGroup`] when the group
    /// does not exist, [`Error::DropTokenSpent`] when the token was spent before: nothing is
    /// stored either way.
    fn add_drop(
        &self,
        group: GroupId,
        token: Vec<u8>,
        sealed: Vec<u8>,
        retention: Retention,
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// The group's token issuing key, if it has one yet.
    fn token_key(
        &self,
        group: GroupId,
    ) -> impl Future<Output = Result<Option<TokenKeyRecord>, Error>> + Send;

    /// Stores `key` as the group's issuing key unless it already has one, and returns the one
    /// it has now (the first stored wins, so two racing requests agree).
    fn put_token_key(
        &self,
        group: GroupId,
        key: TokenKeyRecord,
    ) -> impl Future<Output = Result<TokenKeyRecord, Error>> + Send;

    /// Takes up to `want` tokens from the member's allowance of `per_day` for `day` and returns
    /// how many were granted (0 when the allowance is used up) and how many are left after.
    fn take_token_allowance(
        &self,
        group: GroupId,
        device: DeviceId,
        day: i64,
        want: u32,
        per_day: u32,
    ) -> impl Future<Output = Result<(u32, u32), Error>> + Send;

    /// Drops after `after`, oldest first, within `limits` (at least one drop when any is waiting).
    fn drops(
        &self,
        group: GroupId,
        after: u64,
        limits: PageLimits,
    ) -> impl Future<Output = Result<DropPage, Error>> + Send {
        let this = self.clone();
        async move {
            let (drops, more) =
                page::fill(after, limits, |from, n| this.drops_after(group, from, n)).await?;
            let cursor = drops.last().map_or(after, |d| d.seq);
            Ok(DropPage {
                drops,
                cursor,
                more,
            })
        }
    }

    /// How many drops the group has.
    fn drop_count(&self, group: GroupId) -> impl Future<Output = Result<u64, Error>> + Send;

    /// Stores a blob once per group and hash; a repeat only renews its day. Blobs of every group
    /// older than `keep.retention` are deleted in the same step, and a new blob that would take
    /// the group past `keep.quota` is refused. The caller has checked that `hash` is the BLAKE3
    /// hash of `bytes`.
    fn put_blob(
        &self,
        group: GroupId,
        hash: [u8; 32],
        kind: DocKind,
        bytes: Vec<u8>,
        keep: BlobKeeping,
    ) -> impl Future<Output = Result<BlobOutcome, Error>> + Send;

    fn blob(
        &self,
        group: GroupId,
        hash: [u8; 32],
    ) -> impl Future<Output = Result<Option<StoredBlob>, Error>> + Send;

    /// How many blobs the group has.
    fn blob_count(&self, group: GroupId) -> impl Future<Output = Result<u64, Error>> + Send;

    /// Publishes a reply under `(group, id)`, replacing an earlier one, and deletes replies
    /// recorded before `retention.keep_from`. Ids are per group: another group's reply under the
    /// same id is a different reply. [`Error::UnknownGroup`] when the group does not exist.
    fn put_reply(
        &self,
        id: [u8; 16],
        group: GroupId,
        bytes: Vec<u8>,
        retention: Retention,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    fn reply(
        &self,
        group: GroupId,
        id: [u8; 16],
    ) -> impl Future<Output = Result<Option<Vec<u8>>, Error>> + Send;

    /// The snapshots of documents of a kind in `kinds` that fold a change numbered in
    /// `(after, upto]`, decoded.
    fn snapshots_in(
        &self,
        group: GroupId,
        after: u64,
        upto: u64,
        kinds: Vec<DocKind>,
    ) -> impl Future<Output = Result<Vec<Snapshot>, Error>> + Send;

    /// Up to `limit` documents, of any group, with at least `min` change rows numbered at or
    /// below their group's newest number minus `keep`, each with that horizon.
    fn compaction_candidates(
        &self,
        keep: u64,
        min: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(GroupId, DocId, u64)>, Error>> + Send;

    /// The document's kind, snapshot and change rows numbered at or below `upto`.
    fn fold_input(
        &self,
        group: GroupId,
        doc: DocId,
        upto: u64,
    ) -> impl Future<Output = Result<Option<FoldInput>, Error>> + Send;

    /// In one transaction: deletes the change rows numbered `rows` and stores `snapshot` in
    /// place of the document's snapshot, whose last number must still be `previous_last`.
    /// Returns false, changing nothing, when another compactor changed either meanwhile.
    fn replace_with_snapshot(
        &self,
        group: GroupId,
        snapshot: Snapshot,
        rows: Vec<u64>,
        previous_last: Option<u64>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// The right to run a compaction pass, or `None` while someone else (another instance on a
    /// shared database) runs one.
    fn compaction_lock(&self)
    -> impl Future<Output = Result<Option<CompactionLock>, Error>> + Send;
}
