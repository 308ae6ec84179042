//! Numbered migrations embedded in the binary. Each runs in its own transaction; a database from a
//! newer version is refused rather than silently misread.

use rusqlite::Connection;

use crate::error::{Result, StoreError};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/001_initial.sql")),
    (2, include_str!("../migrations/002_conflicts.sql")),
    (3, include_str!("../migrations/003_alert_extras.sql")),
    (
        4,
        include_str!("../migrations/004_fast_projection_keys.sql"),
    ),
    (5, include_str!("../migrations/005_sealed_reports.sql")),
    (6, include_str!("../migrations/006_quarantine.sql")),
    (7, include_str!("../migrations/007_drop_tokens.sql")),
    (8, include_str!("../migrations/008_held_changes.sql")),
    (9, include_str!("../migrations/009_documents_by_kind.sql")),
    (
        10,
        include_str!("../migrations/010_person_descriptions.sql"),
    ),
    (
        11,
        include_str!("../migrations/011_digest_and_alarm_notices.sql"),
    ),
    (12, include_str!("../migrations/012_meeting_attendance.sql")),
    (13, include_str!("../migrations/013_cases.sql")),
    (14, include_str!("../migrations/014_zone_filters.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Refuses a store written by a newer version, reading only: nothing is created or changed.
pub(crate) fn refuse_newer(conn: &Connection) -> Result<()> {
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
    if found > SCHEMA_VERSION {
        return Err(StoreError::Downgrade {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    // One step at a time, each in a write transaction taken before the version is read: two
    // processes opening a new data directory at once (the app and the CLI, say) take turns
    // instead of both running the first migration.
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)",
        )?;
        let current: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::Downgrade {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        let Some(&(version, sql)) = MIGRATIONS.iter().find(|(v, _)| *v > current) else {
            tx.commit()?;
            return Ok(());
        };
        tx.execute_batch(sql)
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, datetime('now'))",
            [version],
        )?;
        tx.commit()?;
    }
}
