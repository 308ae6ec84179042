//! Porchlight's local store, one SQLite file per device.
//!
//! Documents are the source of truth (snapshot + appended incremental changes); the outbox holds
//! local changes until a server acknowledges them; projections are query tables derived from the
//! documents and can always be rebuilt. Every user action is one transaction across all three,
//! so a crash at any instant loses nothing acknowledged and duplicates nothing.

mod case_copy;
mod documents;
mod error;
mod held;
mod local;
mod map_rows;
mod migrate;
mod notices;
mod pages;
mod private;
mod projection;
mod queries;
mod readers;
mod sql;
mod sync;
mod tokens;
mod totals;
mod zones;

use std::path::Path;

use porchlight_model::{DeviceId, random_bytes};
use rusqlite::Connection;

pub use documents::Heads;
pub use error::{Result, StoreError};
pub use held::HeldChange;
pub use local::{clear_buffer_in, set_state_in};
pub use map_rows::{MapAlert, PatrolTrack, ReportPoint};
pub use migrate::SCHEMA_VERSION;
pub use notices::{HeldKind, HeldNews};
pub use pages::{PageCursor, PatrolPage, PatrolQuery, ReportPage};
pub use private::{
    Forgotten, Receipt, attach_blobs_in, insert_receipt_in, queue_drop_in, queue_reply_in,
};
pub use queries::{AlertQuery, PatrolSummary, ReportEntry, ReportQuery, Stats};
pub use readers::{Reader, Readers};
pub use rusqlite::Transaction;
pub use sync::{Applied, DocChanges, OutboxEntry, Quarantined};
pub use totals::{PatrolTotals, start_totals_in};
pub use zones::TRACK_TOLERANCE_M;

const REBUILD_FLAG: &str = "store.rebuild_projections";

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// The Automerge actor for this device's writes.
    actor: [u8; 16],
    /// Readers only: the group as last read, and the connection's `data_version` then.
    group_cache: Option<queries::GroupCache>,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        Self::setup(Connection::open(path)?)
    }

    pub fn open_in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Self> {
        // First, so that another process creating the file's tables this moment is waited for.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Before anything that could write (even the journal-mode pragma rewrites the header of
        // a file in rollback mode): a store from a newer version stays byte for byte as it was.
        migrate::refuse_newer(&conn)?;
        // WAL: readers never block the writer. synchronous=NORMAL keeps every committed
        // transaction across a crash of the app (kill -9 included); only a power cut can lose
        // the last few, and never corrupts the file.
        porchlight_sqlite::use_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Every statement of the write and sync paths is cached (see `sql::exec`); they are a
        // few dozen, more than the default cache holds.
        conn.set_prepared_statement_cache_capacity(128);
        migrate::migrate(&mut conn)?;
        let mut store = Self {
            conn,
            actor: random_bytes(),
            // The writer reads the group fresh each time: its own commits do not change its
            // `data_version`, so a cache could not tell they happened.
            group_cache: None,
        };
        // A migration that changed how projections are keyed asks for them to be rebuilt.
        if store.state(REBUILD_FLAG)?.is_some() {
            store.rebuild_projections()?;
            store.set_state(REBUILD_FLAG, None)?;
        }
        Ok(store)
    }

    /// Sets the actor id this device writes with (its device id).
    #[must_use]
    pub fn with_actor(mut self, device: DeviceId) -> Self {
        self.actor = *device.as_bytes();
        self
    }
}
