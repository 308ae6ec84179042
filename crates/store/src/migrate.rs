//! Numbered migrations embedded in the binary, run by `porchlight-sqlite` (each in its own
//! transaction); a database from a newer version is refused rather than silently misread.

use porchlight_sqlite::Migrations;
use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// The store's `schema_version` has an `applied_at` column (the server's does not).
const MIGRATIONS: Migrations<'static> = Migrations::new(&[
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
    (15, include_str!("../migrations/015_case_on_report_row.sql")),
])
.with_applied_at();

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.latest();

/// Refuses a store written by a newer version, reading only: nothing is created or changed.
pub(crate) fn refuse_newer(conn: &Connection) -> Result<()> {
    Ok(MIGRATIONS.refuse_newer(conn)?)
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    Ok(MIGRATIONS.apply(conn)?)
}

/// The shared runner's errors, as the store has always reported them.
impl From<porchlight_sqlite::Error> for StoreError {
    fn from(e: porchlight_sqlite::Error) -> Self {
        match e {
            porchlight_sqlite::Error::TooNew { found, supported } => {
                StoreError::Downgrade { found, supported }
            }
            porchlight_sqlite::Error::Migration { version, source } => {
                StoreError::Migration { version, source }
            }
            porchlight_sqlite::Error::Sqlite(e) => StoreError::Sqlite(e),
        }
    }
}
