//! The SQLite plumbing the server's backend and the device store share: numbered migrations
//! applied once each (safely when two processes open a new file together), the switch to WAL,
//! and refusing a file a newer version wrote without touching it.
//!
//! Each caller keeps its own `schema_version` table layout (the server records the version
//! alone, the device store also the time it was applied), so files stay readable by older
//! builds of either.

use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file's schema is newer than the last migration this build knows.
    #[error("the database has schema {found}, this build knows up to {supported}")]
    TooNew { found: i64, supported: i64 },
    /// A migration's own SQL failed (its transaction was rolled back).
    #[error("migration {version} failed: {source}")]
    Migration {
        version: i64,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How a caller's `schema_version` table looks. Fixed per file format: changing it would make
/// files unreadable to the older builds that refuse or migrate them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VersionTable {
    /// `schema_version (version)`: the server's.
    VersionOnly,
    /// `schema_version (version, applied_at)`: the device store's.
    WithAppliedAt,
}

/// A list of numbered migrations, in the order they apply. Never edit a released step: add the
/// next number.
#[derive(Clone, Copy, Debug)]
pub struct Migrations<'a> {
    steps: &'a [(i64, &'a str)],
    table: VersionTable,
}

impl<'a> Migrations<'a> {
    /// Steps as `(version, sql)`. Versions start at 1 or above and strictly increase; a list that
    /// does not is a programming error, caught at compile time when built in a `const`.
    pub const fn new(steps: &'a [(i64, &'a str)]) -> Self {
        let mut i = 0;
        let mut previous = 0;
        while i < steps.len() {
            assert!(
                steps[i].0 > previous,
                "migration versions must start at 1 or above and strictly increase"
            );
            previous = steps[i].0;
            i += 1;
        }
        Self {
            steps,
            table: VersionTable::VersionOnly,
        }
    }

    /// Records when each step was applied, in an `applied_at` column (`datetime('now')`).
    #[must_use]
    pub const fn with_applied_at(mut self) -> Self {
        self.table = VersionTable::WithAppliedAt;
        self
    }

    /// The schema version this build writes: the last step's number (0 with no steps).
    pub const fn latest(&self) -> i64 {
        match self.steps.last() {
            Some(&(version, _)) => version,
            None => 0,
        }
    }

    /// Refuses a file a newer build migrated, reading only: nothing is created or changed, so
    /// the newer build, installed again, finds the file as it left it. Call it before anything
    /// that may write, even the journal-mode pragma (which rewrites a rollback-mode header).
    /// A file without a version table (new, or being created by another process) passes.
    pub fn refuse_newer(&self, conn: &Connection) -> Result<()> {
        let has_versions: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version')",
            [],
            |r| r.get(0),
        )?;
        if !has_versions {
            return Ok(());
        }
        let found: i64 = conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )?;
        self.check(found)
    }

    /// Applies every step newer than the file's version, each in its own transaction.
    ///
    /// Each transaction is IMMEDIATE and reads the version only once it holds the write lock:
    /// two processes opening a new file at once (the app and the CLI, a server and a tool) take
    /// turns instead of both running step 1 and the second failing on "table already exists".
    pub fn apply(&self, conn: &mut Connection) -> Result<()> {
        loop {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(self.create_table_sql())?;
            let current: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )?;
            self.check(current)?;
            let Some(&(version, sql)) = self.steps.iter().find(|(v, _)| *v > current) else {
                tx.commit()?;
                return Ok(());
            };
            tx.execute_batch(sql)
                .map_err(|source| Error::Migration { version, source })?;
            tx.execute(self.record_sql(), [version])?;
            tx.commit()?;
        }
    }

    fn check(&self, found: i64) -> Result<()> {
        let supported = self.latest();
        if found > supported {
            return Err(Error::TooNew { found, supported });
        }
        Ok(())
    }

    // The exact statements each format has always used: SQLite keeps a table's CREATE text in
    // the file, so a new file looks just like one the older code made.
    fn create_table_sql(&self) -> &'static str {
        match self.table {
            VersionTable::VersionOnly => {
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            }
            VersionTable::WithAppliedAt => {
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)"
            }
        }
    }

    fn record_sql(&self) -> &'static str {
        match self.table {
            VersionTable::VersionOnly => "INSERT INTO schema_version (version) VALUES (?1)",
            VersionTable::WithAppliedAt => {
                "INSERT INTO schema_version (version, applied_at) VALUES (?1, datetime('now'))"
            }
        }
    }
}

/// How long [`use_wal`] keeps retrying a "busy" answer.
const WAL_SWITCH_PATIENCE: Duration = Duration::from_secs(5);

/// Switches the file to WAL. When two processes open a new file at once, SQLite can answer the
/// second one's switch with "busy" without calling the busy handler, so it is tried again for up
/// to five seconds; once one has switched, the mode is in the file.
pub fn use_wal(conn: &Connection) -> Result<()> {
    let deadline = Instant::now() + WAL_SWITCH_PATIENCE;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::DatabaseBusy && Instant::now() < deadline =>
            {
                // A retry interval, not synchronisation: the other opener holds a lock we
                // cannot wait on through SQLite here.
                std::thread::sleep(Duration::from_millis(10));
            }
            done => return Ok(done?),
        }
    }
}

#[cfg(test)]
mod tests;
