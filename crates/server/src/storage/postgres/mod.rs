//! The PostgreSQL backend, for any number of stateless server instances sharing one database:
//! a connection pool for the requests and one more connection per instance that LISTENs for the
//! pushes other instances announce, so a long-poll wakes whichever instance took the push.

mod compact;
mod drops;
mod log;
mod members;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use futures_util::StreamExt;
use porchlight_model::{DeviceId, DocId, DocKind, Role};
use porchlight_protocol::SignedInvite;
use porchlight_protocol::wire::{GroupId, Member, StoredDrop};
use tokio::sync::{Notify, oneshot};
use tokio_postgres::{AsyncMessage, NoTls, Row};

use super::{
    BlobKeeping, BlobOutcome, CompactionLock, FoldInput, MemberRecord, NewInvite, NewMember,
    PulledChange, PushDoc, PushOutcome, Retention, SessionRecord, Snapshot, Storage, StoredBlob,
    StoredDoc, TokenKeyRecord, Wakeups,
};
use crate::Error;

/// Numbered migrations, applied in order, each in its own transaction. Never edit a released one:
/// add the next number. (Numbered apart from SQLite's: the two schemas evolve separately.)
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_snapshots.sql"),
];

/// The channel pushes are announced on; the payload is the group id. A membership change is
/// announced on it too, as [`members_payload`] (an older instance cannot parse that payload and
/// wakes everyone, which is safe).
const CHANNEL: &str = "porchlight_push";

/// The NOTIFY payload of a membership change in `group`.
fn members_payload(group: GroupId) -> String {
    format!("{MEMBERS_PREFIX}{group}")
}

const MEMBERS_PREFIX: &str = "members:";

/// Key of the advisory lock that lets one instance at a time migrate the schema.
const MIGRATION_LOCK: i64 = 0x706f_7263_6801;

/// Connections per instance. Requests are short; more instances add more connections, so this
/// stays modest (PostgreSQL's default max_connections is 100).
const POOL_SIZE: usize = 16;

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Error::Database(Box::new(e))
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Error::Database(Box::new(e))
    }
}

/// A value in the database that this server could not have written.
fn corrupt(what: &str) -> Error {
    Error::Database(Box::new(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("the database holds an invalid {what}"),
    )))
}

#[derive(Clone, Debug)]
pub struct PgStorage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: Pool,
    wakeups: Arc<Wakeups>,
    /// Dropped with the last handle, which ends the listening task.
    _stop_listening: oneshot::Sender<()>,
}

impl PgStorage {
    /// Connects to the database a `postgres://` URL names (a Unix socket directory can be given
    /// as `?host=/path`), migrates it and starts listening for other instances' pushes.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| Error::DatabaseUrl {
            url: url.to_owned(),
            reason: format!("not a PostgreSQL connection URL: {e}"),
        })?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| Error::Config(format!("PostgreSQL pool: {e}")))?;
        let mut client = pool.get().await?;
        migrate(&mut client).await?;
        drop(client);
        let wakeups = Arc::new(Wakeups::default());
        let (stop, stopped) = oneshot::channel();
        let (ready, listening) = oneshot::channel();
        tokio::spawn(listen(config, wakeups.clone(), stopped, ready));
        // Only a listening instance is ready: a long-poll must not miss a push made through
        // another instance in its first moments.
        listening
            .await
            .map_err(|_| corrupt("listener (it stopped before listening)"))??;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                wakeups,
                _stop_listening: stop,
            }),
        })
    }

    async fn client(&self) -> Result<Object, Error> {
        Ok(self.inner.pool.get().await?)
    }
}

async fn migrate(client: &mut Object) -> Result<(), Error> {
    let supported = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
    loop {
        let tx = client.transaction().await?;
        // Instances starting together take turns; each step is re-read under the lock.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        // Under the lock: two instances creating it at once would collide in the catalog.
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            .await?;
        let current: Option<i32> = tx
            .query_one("SELECT max(version) FROM schema_version", &[])
            .await?
            .try_get(0)?;
        let current = current.map_or(0, i32::unsigned_abs);
        if current > supported {
            return Err(Error::DatabaseTooNew {
                found: current,
                supported,
            });
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            tx.commit().await?;
            return Ok(());
        };
        tx.batch_execute(sql).await?;
        let next = i32::try_from(current + 1).unwrap_or(i32::MAX);
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&next])
            .await?;
        tx.commit().await?;
    }
}

/// Keeps one connection LISTENing and wakes this instance's long-polls for every announced push.
/// `ready` hears once whether the first LISTEN worked. A connection lost later is made again;
/// then every waiter is woken (it looks at the log itself), so a missed notification costs a
/// look, never a stuck long-poll.
async fn listen(
    config: tokio_postgres::Config,
    wakeups: Arc<Wakeups>,
    mut stop: oneshot::Receiver<()>,
    ready: oneshot::Sender<Result<(), Error>>,
) {
    let mut ready = Some(ready);
    loop {
        let lost = tokio::select! {
            _ = &mut stop => return,
            lost = listen_once(&config, &wakeups, &mut ready) => lost,
        };
        if let Some(ready) = ready.take() {
            let _ = ready.send(Err(lost));
            return;
        }
        tracing::warn!(error = %lost, "lost the PostgreSQL notification connection; reconnecting");
        // Until it listens again nothing other instances announce is heard: no cache is trusted.
        wakeups.set_deaf();
        wakeups.wake_all();
        tokio::select! {
            _ = &mut stop => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Runs until the listening connection fails, and returns why.
async fn listen_once(
    config: &tokio_postgres::Config,
    wakeups: &Arc<Wakeups>,
    ready: &mut Option<oneshot::Sender<Result<(), Error>>>,
) -> Error {
    let (client, mut connection) = match config.connect(NoTls).await {
        Ok(pair) => pair,
        Err(e) => return e.into(),
    };
    let woken = wakeups.clone();
    // The connection must be polled for the LISTEN below to complete and for notifications to
    // arrive; it ends when the server closes it or the client is dropped.
    let mut driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => match n.payload().parse::<GroupId>() {
                    Ok(group) => woken.wake(group),
                    Err(_) if n.payload().starts_with(MEMBERS_PREFIX) => woken.members_changed(),
                    Err(_) => woken.wake_all(),
                },
                Ok(_) => {}
                Err(e) => return Error::from(e),
            }
        }
        corrupt("notification stream (it ended)")
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        driver.abort();
        return e.into();
    }
    match ready.take() {
        Some(ready) => {
            let _ = ready.send(Ok(()));
        }
        // Pushes and revocations made while no connection was listening went unannounced.
        None => wakeups.hearing_again(),
    }
    let lost = (&mut driver).await.unwrap_or_else(Error::Task);
    drop(client);
    lost
}

fn kind_at(row: &Row, column: usize) -> Result<DocKind, Error> {
    row.try_get::<_, &str>(column)?
        .parse()
        .map_err(|_| corrupt("document kind"))
}

fn role_at(row: &Row, column: usize) -> Result<Role, Error> {
    row.try_get::<_, &str>(column)?
        .parse()
        .map_err(|_| corrupt("role"))
}

fn array_at<const N: usize>(row: &Row, column: usize, what: &str) -> Result<[u8; N], Error> {
    row.try_get::<_, &[u8]>(column)?
        .try_into()
        .map_err(|_| corrupt(what))
}

fn group_at(row: &Row, column: usize) -> Result<GroupId, Error> {
    Ok(GroupId::from_bytes(array_at(row, column, "group id")?))
}

fn doc_at(row: &Row, column: usize) -> Result<DocId, Error> {
    Ok(DocId::from_bytes(array_at(row, column, "document id")?))
}

fn seq_at(row: &Row, column: usize) -> Result<u64, Error> {
    Ok(row.try_get::<_, i64>(column)?.unsigned_abs())
}

fn sql_seq(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The member columns, in the order [`member_from`] reads them.
const MEMBER_COLUMNS: &str =
    "device, public_key, display_name, role, joined_at, revoked_at, evidence";

fn member_from(row: &Row, first: usize) -> Result<MemberRecord, Error> {
    Ok(Member {
        device: DeviceId::from_bytes(array_at(row, first, "device id")?),
        public_key: array_at(row, first + 1, "public key")?,
        display_name: row.try_get(first + 2)?,
        role: role_at(row, first + 3)?,
        joined_at: row.try_get(first + 4)?,
        revoked_at: row.try_get(first + 5)?,
        // Evidence the server cannot decode is no evidence: coordinators then never certify.
        evidence: row
            .try_get::<_, Option<&[u8]>>(first + 6)?
            .and_then(|b| porchlight_protocol::wire::decode(b).ok()),
    })
}

impl Storage for PgStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), Error> {
        self.client().await?.query_one("SELECT 1", &[]).await?;
        Ok(())
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
        log::changes_after(&self.client().await?, group, after, &kinds, limit).await
    }

    async fn drops_after(
        &self,
        group: GroupId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredDrop>, Error> {
        drops::drops_after(&self.client().await?, group, after, limit).await
    }

    async fn put_challenge(
        &self,
        nonce: [u8; 32],
        time: i64,
        expires_at: i64,
    ) -> Result<(), Error> {
        members::put_challenge(&mut self.client().await?, nonce, time, expires_at).await
    }

    async fn take_challenge(&self, nonce: [u8; 32]) -> Result<Option<(i64, i64)>, Error> {
        members::take_challenge(&self.client().await?, nonce).await
    }

    async fn create_group(
        &self,
        group: GroupId,
        name: String,
        first: NewMember,
    ) -> Result<(), Error> {
        members::create_group(&mut self.client().await?, group, &name, &first).await
    }

    async fn member(
        &self,
        group: GroupId,
        device: DeviceId,
    ) -> Result<Option<MemberRecord>, Error> {
        members::member(&self.client().await?, group, device).await
    }

    async fn members(&self, group: GroupId) -> Result<Vec<MemberRecord>, Error> {
        members::members(&self.client().await?, group).await
    }

    async fn create_invite(&self, invite: NewInvite) -> Result<(), Error> {
        members::create_invite(&self.client().await?, &invite).await
    }

    async fn invite(&self, invite: [u8; 16]) -> Result<Option<SignedInvite>, Error> {
        members::invite(&self.client().await?, invite).await
    }

    async fn redeem_invite(
        &self,
        invite: [u8; 16],
        now: i64,
        member: NewMember,
        evidence: Vec<u8>,
    ) -> Result<(GroupId, MemberRecord), Error> {
        members::redeem_invite(&mut self.client().await?, invite, now, &member, &evidence).await
    }

    async fn create_session(
        &self,
        token_hash: [u8; 32],
        group: GroupId,
        device: DeviceId,
        now: i64,
        expires_at: i64,
    ) -> Result<(), Error> {
        members::create_session(
            &mut self.client().await?,
            token_hash,
            group,
            device,
            now,
            expires_at,
        )
        .await
    }

    async fn session(&self, token_hash: [u8; 32]) -> Result<Option<SessionRecord>, Error> {
        members::session(&self.client().await?, token_hash).await
    }

    async fn revoke(
        &self,
        group: GroupId,
        device: DeviceId,
        now: i64,
    ) -> Result<MemberRecord, Error> {
        let revoked = members::revoke(&mut self.client().await?, group, device, now).await?;
        // At once on this instance; the NOTIFY sent with the commit comes back here too, so a
        // request dropped right after the commit still retires the cached sessions.
        self.inner.wakeups.members_changed();
        Ok(revoked)
    }

    async fn push(
        &self,
        group: GroupId,
        device: DeviceId,
        docs: Vec<PushDoc>,
    ) -> Result<Vec<PushOutcome>, Error> {
        let outcomes = log::push(&mut self.client().await?, group, device, &docs).await?;
        if outcomes
            .iter()
            .any(|o| matches!(o, PushOutcome::Stored { new } if *new > 0))
        {
            // Other instances hear of it through NOTIFY (sent with the commit); this one need
            // not wait for its own notification to come back.
            self.inner.wakeups.wake(group);
        }
        Ok(outcomes)
    }

    async fn latest_seq(&self, group: GroupId) -> Result<u64, Error> {
        log::latest_seq(&self.client().await?, group).await
    }

    async fn latest_seq_of(&self, group: GroupId, kinds: Vec<DocKind>) -> Result<u64, Error> {
        log::latest_seq_of(&self.client().await?, group, &kinds).await
    }

    async fn doc_changes(&self, group: GroupId, doc: DocId) -> Result<Option<StoredDoc>, Error> {
        log::doc_changes(&self.client().await?, group, doc).await
    }

    async fn change_count(&self, group: GroupId) -> Result<u64, Error> {
        let n: i64 = self
            .client()
            .await?
            .query_one(
                "SELECT (SELECT count(*) FROM changes WHERE group_id = $1)
                      + (SELECT coalesce(sum(n_changes), 0) FROM snapshots WHERE group_id = $1)::bigint",
                &[&&group.as_bytes()[..]],
            )
            .await?
            .try_get(0)?;
        Ok(n.unsigned_abs())
    }

    async fn add_drop(
        &self,
        group: GroupId,
        token: Vec<u8>,
        sealed: Vec<u8>,
        retention: Retention,
    ) -> Result<u64, Error> {
        drops::add_drop(&mut self.client().await?, group, &token, &sealed, retention).await
    }

    async fn token_key(&self, group: GroupId) -> Result<Option<TokenKeyRecord>, Error> {
        drops::token_key(&self.client().await?, group).await
    }

    async fn put_token_key(
        &self,
        group: GroupId,
        key: TokenKeyRecord,
    ) -> Result<TokenKeyRecord, Error> {
        drops::put_token_key(&mut self.client().await?, group, &key).await
    }

    async fn take_token_allowance(
        &self,
        group: GroupId,
        device: DeviceId,
        day: i64,
        want: u32,
        per_day: u32,
    ) -> Result<(u32, u32), Error> {
        drops::take_allowance(&mut self.client().await?, group, device, day, want, per_day).await
    }

    async fn drop_count(&self, group: GroupId) -> Result<u64, Error> {
        drops::count(&self.client().await?, "drops", group).await
    }

    async fn put_blob(
        &self,
        group: GroupId,
        hash: [u8; 32],
        kind: DocKind,
        bytes: Vec<u8>,
        keep: BlobKeeping,
    ) -> Result<BlobOutcome, Error> {
        drops::put_blob(&mut self.client().await?, group, hash, kind, &bytes, keep).await
    }

    async fn blob(&self, group: GroupId, hash: [u8; 32]) -> Result<Option<StoredBlob>, Error> {
        drops::blob(&self.client().await?, group, hash).await
    }

    async fn blob_count(&self, group: GroupId) -> Result<u64, Error> {
        drops::count(&self.client().await?, "blobs", group).await
    }

    async fn put_reply(
        &self,
        id: [u8; 16],
        group: GroupId,
        bytes: Vec<u8>,
        retention: Retention,
    ) -> Result<(), Error> {
        drops::put_reply(&mut self.client().await?, id, group, &bytes, retention).await
    }

    async fn reply(&self, group: GroupId, id: [u8; 16]) -> Result<Option<Vec<u8>>, Error> {
        drops::reply(&self.client().await?, group, id).await
    }

    async fn snapshots_in(
        &self,
        group: GroupId,
        after: u64,
        upto: u64,
        kinds: Vec<DocKind>,
    ) -> Result<Vec<Snapshot>, Error> {
        compact::snapshots_in(&self.client().await?, group, after, upto, &kinds).await
    }

    async fn compaction_candidates(
        &self,
        keep: u64,
        min: u64,
        limit: usize,
    ) -> Result<Vec<(GroupId, DocId, u64)>, Error> {
        compact::candidates(&self.client().await?, keep, min, limit).await
    }

    async fn fold_input(
        &self,
        group: GroupId,
        doc: DocId,
        upto: u64,
    ) -> Result<Option<FoldInput>, Error> {
        compact::fold_input(&mut self.client().await?, group, doc, upto).await
    }

    async fn replace_with_snapshot(
        &self,
        group: GroupId,
        snapshot: Snapshot,
        rows: Vec<u64>,
        previous_last: Option<u64>,
    ) -> Result<bool, Error> {
        compact::replace(
            &mut self.client().await?,
            group,
            &snapshot,
            &rows,
            previous_last,
        )
        .await
    }

    async fn compaction_lock(&self) -> Result<Option<CompactionLock>, Error> {
        compact::lock(self.client().await?).await
    }
}
