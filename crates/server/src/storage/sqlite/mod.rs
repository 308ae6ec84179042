//! The SQLite backend: one file in WAL mode, one writer connection and a small pool of readers
//! (WAL lets reads run beside the writer). rusqlite is blocking, so every call runs on tokio's
//! blocking pool, never on the async workers.

mod compact;
mod drops;
mod log;
mod members;
mod tokens;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use porchlight_model::{DeviceId, DocId, DocKind, Role};
use porchlight_protocol::SignedInvite;
use porchlight_protocol::wire::{GroupId, Member, StoredDrop};
use porchlight_sqlite::Migrations;
use rusqlite::types::Type;
use rusqlite::{Connection, Row};
use tokio::sync::Notify;

use super::{
    BlobKeeping, BlobOutcome, CompactionLock, FoldInput, MemberRecord, NewInvite, NewMember,
    PulledChange, PushDoc, PushOutcome, Retention, SessionRecord, Snapshot, Storage, StoredBlob,
    StoredDoc, TokenKeyRecord, Wakeups,
};
use crate::Error;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Database(Box::new(e))
    }
}

/// The shared runner's errors, as the server has always reported them: a failing migration is a
/// database error like any other.
impl From<porchlight_sqlite::Error> for Error {
    fn from(e: porchlight_sqlite::Error) -> Self {
        match e {
            porchlight_sqlite::Error::TooNew { found, supported } => Error::DatabaseTooNew {
                found: u32::try_from(found).unwrap_or(u32::MAX),
                supported: u32::try_from(supported).unwrap_or(u32::MAX),
            },
            porchlight_sqlite::Error::Migration { source: e, .. }
            | porchlight_sqlite::Error::Sqlite(e) => e.into(),
        }
    }
}

/// Numbered migrations, applied in order by `porchlight-sqlite`, each in its own transaction.
/// Never edit a released one: add the next number. The server's `schema_version` holds the
/// version alone (no `applied_at`, unlike the device store's).
const MIGRATIONS: Migrations<'static> = Migrations::new(&[
    (1, include_str!("../migrations/0001_init.sql")),
    (
        2,
        include_str!("../migrations/0002_drops_blobs_replies.sql"),
    ),
    (3, include_str!("../migrations/0003_hardening.sql")),
    (4, include_str!("../migrations/0004_drop_tokens.sql")),
    (5, include_str!("../migrations/0005_signatures.sql")),
    (6, include_str!("../migrations/0006_snapshots.sql")),
]);

/// Idle reader connections kept open; more are opened on demand under load.
const IDLE_READERS: usize = 4;

#[derive(Clone, Debug)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Only pushes through this handle wake its long-polls: one SQLite file has one server.
    wakeups: Wakeups,
    /// One compaction pass at a time (one SQLite file has one server process).
    compacting: Arc<tokio::sync::Mutex<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock rolled back its transaction (rusqlite drops it), so the
    // connection itself is still sound.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SqliteStorage {
    /// Opens (creating if needed) and migrates the database at `path`. Blocking.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        // Before `connect`'s pragmas, which may write: a newer database stays byte for byte.
        refuse_newer(&path)?;
        let mut writer = connect(&path)?;
        MIGRATIONS.apply(&mut writer)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                wakeups: Wakeups::default(),
                compacting: Arc::default(),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn write<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, Error> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&inner.writer))).await?
    }

    async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, Error> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&inner.readers).pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => connect(&inner.path)?,
            };
            let result = f(&mut conn);
            let mut idle = lock(&inner.readers);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
            result
        })
        .await?
    }
}

fn connect(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL: readers never block the writer; NORMAL sync is durable across crashes of the process
    // (only an OS crash can lose the last commits, which clients simply push again).
    porchlight_sqlite::use_wal(&conn)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted rows are overwritten rather than left in free pages, so a drop past its retention
    // (or a deleted session) is really gone from the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

/// Refuses a database a newer server migrated, reading only (a missing file is a new database).
fn refuse_newer(path: &Path) -> Result<(), Error> {
    if !path.exists() {
        return Ok(());
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // Another process may be creating the file's tables this very moment: wait for it.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(MIGRATIONS.refuse_newer(&conn)?)
}

fn corrupt(column: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e))
}

fn role_at(row: &Row<'_>, column: usize) -> rusqlite::Result<Role> {
    row.get::<_, String>(column)?
        .parse()
        .map_err(|e| corrupt(column, e))
}

fn kind_at(row: &Row<'_>, column: usize) -> rusqlite::Result<DocKind> {
    row.get::<_, String>(column)?
        .parse()
        .map_err(|e| corrupt(column, e))
}

fn group_at(row: &Row<'_>, column: usize) -> rusqlite::Result<GroupId> {
    Ok(GroupId::from_bytes(row.get(column)?))
}

/// The member columns, in the order [`member_from`] reads them.
const MEMBER_COLUMNS: &str =
    "device, public_key, display_name, role, joined_at, revoked_at, evidence";

fn member_from(row: &Row<'_>, first: usize) -> rusqlite::Result<MemberRecord> {
    Ok(Member {
        device: DeviceId::from_bytes(row.get(first)?),
        public_key: row.get(first + 1)?,
        display_name: row.get(first + 2)?,
        role: role_at(row, first + 3)?,
        joined_at: row.get(first + 4)?,
        revoked_at: row.get(first + 5)?,
        // Evidence the server cannot decode is no evidence: coordinators then never certify.
        evidence: row
            .get::<_, Option<Vec<u8>>>(first + 6)?
            .and_then(|b| porchlight_protocol::wire::decode(&b).ok()),
    })
}

impl Storage for SqliteStorage {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn check(&self) -> Result<(), Error> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await
            .map(|_| ())
    }

    fn wakeup(&self, group: GroupId) -> Arc<Notify> {
        self.inner.wakeups.get(group)
    }

    fn wakeups(&self) -> &Wakeups {
        &self.inner.wakeups
    }

    async fn changes_after(
        &self,
        group: GroupId,
        after: u64,
        kinds: Vec<DocKind>,
        limit: usize,
    ) -> Result<Vec<PulledChange>, Error> {
        self.read(move |c| log::changes_after(c, group, after, &kinds, limit))
            .await
    }

    async fn drops_after(
        &self,
        group: GroupId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredDrop>, Error> {
        self.read(move |c| drops::drops_after(c, group, after, limit))
            .await
    }

    async fn put_challenge(
        &self,
        nonce: [u8; 32],
        time: i64,
        expires_at: i64,
    ) -> Result<(), Error> {
        self.write(move |c| members::put_challenge(c, nonce, time, expires_at))
            .await
    }

    async fn take_challenge(&self, nonce: [u8; 32]) -> Result<Option<(i64, i64)>, Error> {
        self.write(move |c| members::take_challenge(c, nonce)).await
    }

    async fn create_group(
        &self,
        group: GroupId,
        name: String,
        first: NewMember,
    ) -> Result<(), Error> {
        self.write(move |c| members::create_group(c, group, &name, &first))
            .await
    }

    async fn member(
        &self,
        group: GroupId,
        device: DeviceId,
    ) -> Result<Option<MemberRecord>, Error> {
        self.read(move |c| members::member(c, group, device)).await
    }

    async fn members(&self, group: GroupId) -> Result<Vec<MemberRecord>, Error> {
        self.read(move |c| members::members(c, group)).await
    }

    async fn create_invite(&self, invite: NewInvite) -> Result<(), Error> {
        self.write(move |c| members::create_invite(c, &invite))
            .await
    }

    async fn invite(&self, invite: [u8; 16]) -> Result<Option<SignedInvite>, Error> {
        self.read(move |c| members::invite(c, invite)).await
    }

    async fn redeem_invite(
        &self,
        invite: [u8; 16],
        now: i64,
        member: NewMember,
        evidence: Vec<u8>,
    ) -> Result<(GroupId, MemberRecord), Error> {
        self.write(move |c| members::redeem_invite(c, invite, now, &member, &evidence))
            .await
    }

    async fn create_session(
        &self,
        token_hash: [u8; 32],
        group: GroupId,
        device: DeviceId,
        now: i64,
        expires_at: i64,
    ) -> Result<(), Error> {
        self.write(move |c| members::create_session(c, token_hash, group, device, now, expires_at))
            .await
    }

    async fn session(&self, token_hash: [u8; 32]) -> Result<Option<SessionRecord>, Error> {
        self.read(move |c| members::session(c, token_hash)).await
    }

    async fn revoke(
        &self,
        group: GroupId,
        device: DeviceId,
        now: i64,
    ) -> Result<MemberRecord, Error> {
        let inner = self.inner.clone();
        self.write(move |c| {
            let revoked = members::revoke(c, group, device, now)?;
            // Right after the commit, on the blocking thread: even if the request is dropped
            // now, no cached session of the revoked member is used again.
            inner.wakeups.members_changed();
            Ok(revoked)
        })
        .await
    }

    async fn push(
        &self,
        group: GroupId,
        device: DeviceId,
        docs: Vec<PushDoc>,
    ) -> Result<Vec<PushOutcome>, Error> {
        let inner = self.inner.clone();
        self.write(move |c| {
            let outcomes = log::push(c, group, device, &docs)?;
            // Right after the commit, on the blocking thread, so a request dropped now still
            // wakes the long-polls and retires the group's cached newest numbers.
            if outcomes
                .iter()
                .any(|o| matches!(o, PushOutcome::Stored { new } if *new > 0))
            {
                inner.wakeups.wake(group);
            }
            Ok(outcomes)
        })
        .await
    }

    async fn latest_seq(&self, group: GroupId) -> Result<u64, Error> {
        self.read(move |c| log::latest_seq(c, group)).await
    }

    async fn latest_seq_of(&self, group: GroupId, kinds: Vec<DocKind>) -> Result<u64, Error> {
        self.read(move |c| log::latest_seq_of(c, group, &kinds))
            .await
    }

    async fn doc_changes(&self, group: GroupId, doc: DocId) -> Result<Option<StoredDoc>, Error> {
        self.read(move |c| log::doc_changes(c, group, doc)).await
    }

    async fn change_count(&self, group: GroupId) -> Result<u64, Error> {
        self.read(move |c| {
            let n: i64 = c.query_row(
                "SELECT (SELECT count(*) FROM changes WHERE group_id = ?1)
                      + (SELECT coalesce(sum(n_changes), 0) FROM snapshots WHERE group_id = ?1)",
                [&group.as_bytes()[..]],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn add_drop(
        &self,
        group: GroupId,
        token: Vec<u8>,
        sealed: Vec<u8>,
        retention: Retention,
    ) -> Result<u64, Error> {
        self.write(move |c| drops::add_drop(c, group, &token, &sealed, retention))
            .await
    }

    async fn token_key(&self, group: GroupId) -> Result<Option<TokenKeyRecord>, Error> {
        self.read(move |c| tokens::token_key(c, group)).await
    }

    async fn put_token_key(
        &self,
        group: GroupId,
        key: TokenKeyRecord,
    ) -> Result<TokenKeyRecord, Error> {
        self.write(move |c| tokens::put_token_key(c, group, &key))
            .await
    }

    async fn take_token_allowance(
        &self,
        group: GroupId,
        device: DeviceId,
        day: i64,
        want: u32,
        per_day: u32,
    ) -> Result<(u32, u32), Error> {
        self.write(move |c| tokens::take_allowance(c, group, device, day, want, per_day))
            .await
    }

    async fn drop_count(&self, group: GroupId) -> Result<u64, Error> {
        self.read(move |c| drops::drop_count(c, group)).await
    }

    async fn put_blob(
        &self,
        group: GroupId,
        hash: [u8; 32],
        kind: DocKind,
        bytes: Vec<u8>,
        keep: BlobKeeping,
    ) -> Result<BlobOutcome, Error> {
        self.write(move |c| drops::put_blob(c, group, hash, kind, &bytes, keep))
            .await
    }

    async fn blob(&self, group: GroupId, hash: [u8; 32]) -> Result<Option<StoredBlob>, Error> {
        self.read(move |c| drops::blob(c, group, hash)).await
    }

    async fn blob_count(&self, group: GroupId) -> Result<u64, Error> {
        self.read(move |c| drops::blob_count(c, group)).await
    }

    async fn put_reply(
        &self,
        id: [u8; 16],
        group: GroupId,
        bytes: Vec<u8>,
        retention: Retention,
    ) -> Result<(), Error> {
        self.write(move |c| drops::put_reply(c, id, group, &bytes, retention))
            .await
    }

    async fn reply(&self, group: GroupId, id: [u8; 16]) -> Result<Option<Vec<u8>>, Error> {
        self.read(move |c| drops::reply(c, group, id)).await
    }

    async fn snapshots_in(
        &self,
        group: GroupId,
        after: u64,
        upto: u64,
        kinds: Vec<DocKind>,
    ) -> Result<Vec<Snapshot>, Error> {
        self.read(move |c| compact::snapshots_in(c, group, after, upto, &kinds))
            .await
    }

    async fn compaction_candidates(
        &self,
        keep: u64,
        min: u64,
        limit: usize,
    ) -> Result<Vec<(GroupId, DocId, u64)>, Error> {
        self.read(move |c| compact::candidates(c, keep, min, limit))
            .await
    }

    async fn fold_input(
        &self,
        group: GroupId,
        doc: DocId,
        upto: u64,
    ) -> Result<Option<FoldInput>, Error> {
        self.read(move |c| compact::fold_input(c, group, doc, upto))
            .await
    }

    async fn replace_with_snapshot(
        &self,
        group: GroupId,
        snapshot: Snapshot,
        rows: Vec<u64>,
        previous_last: Option<u64>,
    ) -> Result<bool, Error> {
        self.write(move |c| compact::replace(c, group, &snapshot, &rows, previous_last))
            .await
    }

    async fn compaction_lock(&self) -> Result<Option<CompactionLock>, Error> {
        Ok(self
            .inner
            .compacting
            .clone()
            .try_lock_owned()
            .ok()
            .map(|held| CompactionLock::new(async move { drop(held) })))
    }
}

#[cfg(test)]
mod tests;
