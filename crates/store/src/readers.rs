//! A small pool of read-only connections beside the one writer.
//!
//! In WAL mode a reader sees the last committed state and never waits for a writer, so queries
//! the UI makes (alerts, the running patrol, sync status) answer while a sync applies a long
//! page of pulled changes on the writer. Each reader is a whole [`Store`] on a read-only
//! connection: every `&self` query works on it unchanged, and a write attempted on it fails
//! (`SQLITE_READONLY`) instead of racing the writer.

use std::ops::Deref;
use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};

use porchlight_model::random_bytes;
use rusqlite::{Connection, OpenFlags};

use crate::Store;
use crate::error::Result;

/// Read-only connections to one store file, handed out one at a time.
#[derive(Debug)]
pub struct Readers {
    idle: Mutex<Vec<Store>>,
    returned: Condvar,
}

/// A reader borrowed from [`Readers`]; it goes back to the pool when dropped.
#[derive(Debug)]
pub struct Reader<'a> {
    pool: &'a Readers,
    store: Option<Store>,
}

impl Readers {
    /// Opens `count` (at least one) read-only connections to the store at `path`. The store
    /// must already exist and be migrated: open the writer with [`Store::open`] first.
    pub fn open(path: &Path, count: usize) -> Result<Self> {
        let mut idle = Vec::with_capacity(count.max(1));
        for _ in 0..count.max(1) {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?;
            // Same settings as the writer where they matter to a reader: a reader can still
            // meet a lock briefly (while the WAL index is rebuilt after a crash).
            conn.pragma_update(None, "query_only", "ON")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.set_prepared_statement_cache_capacity(128);
            idle.push(Store {
                conn,
                // Never used: a reader writes nothing.
                actor: random_bytes(),
                group_cache: Some(crate::queries::GroupCache::default()),
            });
        }
        Ok(Self {
            idle: Mutex::new(idle),
            returned: Condvar::new(),
        })
    }

    /// An idle reader, waiting for one only when all are in use (by other reads, which are
    /// short; never by the writer).
    pub fn get(&self) -> Reader<'_> {
        // A panic while a reader was out cannot leave anything half-written: readers write
        // nothing. So a poisoned lock is safe to keep using.
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(store) = idle.pop() {
                return Reader {
                    pool: self,
                    store: Some(store),
                };
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Deref for Reader<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        // Only `drop` takes the store out.
        self.store.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(store);
            self.pool.returned.notify_one();
        }
    }
}

impl Store {
    /// Runs `f` inside one read transaction: everything it reads comes from one snapshot of the
    /// file, and the WAL read lock is taken once. Outside a transaction every statement takes
    /// and releases that lock (about 2 µs here), and a list call's role check, overdue times,
    /// page and merged duplicates are four statements: a tenth of a 60 µs page (P4). Inside a
    /// transaction already, `f` simply runs in it.
    pub fn in_snapshot<T, E: From<crate::StoreError>>(
        &self,
        f: impl FnOnce(&Self) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if !self.conn.is_autocommit() {
            return f(self);
        }
        // Read only: dropping the transaction (a rollback) ends it as well as a commit would.
        let _read = self
            .conn
            .unchecked_transaction()
            .map_err(crate::StoreError::from)?;
        f(self)
    }
}
