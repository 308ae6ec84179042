//! The runner on real files in temporary directories.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use rusqlite::Connection;

use super::*;

/// Step 2 only works after step 1, and step 3 after step 2, so order matters.
const STEPS: &[(i64, &str)] = &[
    (1, "CREATE TABLE item (id INTEGER PRIMARY KEY)"),
    (2, "ALTER TABLE item ADD COLUMN name TEXT"),
    (3, "CREATE INDEX item_by_name ON item (name)"),
];

fn open(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn
}

fn versions(conn: &Connection) -> Vec<i64> {
    conn.prepare("SELECT version FROM schema_version ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn columns(conn: &Connection, table: &str) -> Vec<String> {
    conn.prepare(&format!("PRAGMA table_info({table})"))
        .unwrap()
        .query_map([], |r| r.get(1))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn migrations_apply_in_order_and_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let migrations = Migrations::new(STEPS);
    let mut conn = open(&path);
    migrations.apply(&mut conn).unwrap();
    migrations.apply(&mut conn).unwrap();
    drop(conn);
    let mut conn = open(&path);
    migrations.apply(&mut conn).unwrap();
    assert_eq!(versions(&conn), [1, 2, 3]);
    assert_eq!(columns(&conn, "item"), ["id", "name"]);
    assert_eq!(migrations.latest(), 3);
}

#[test]
fn a_later_build_applies_only_its_new_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir.path().join("db"));
    Migrations::new(&STEPS[..1]).apply(&mut conn).unwrap();
    conn.execute("INSERT INTO item (id) VALUES (7)", [])
        .unwrap();
    Migrations::new(STEPS).apply(&mut conn).unwrap();
    assert_eq!(versions(&conn), [1, 2, 3]);
    let kept: i64 = conn
        .query_row("SELECT id FROM item", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 7, "step 1 did not run again over the data");
}

#[test]
fn numbers_with_gaps_apply_each_step_once() {
    let steps: &[(i64, &str)] = &[
        (2, "CREATE TABLE a (x)"),
        (5, "CREATE TABLE b (x)"),
        (9, "CREATE TABLE c (x)"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir.path().join("db"));
    Migrations::new(steps).apply(&mut conn).unwrap();
    Migrations::new(steps).apply(&mut conn).unwrap();
    assert_eq!(versions(&conn), [2, 5, 9]);
}

#[test]
fn a_failing_step_is_reported_with_its_number_and_rolled_back() {
    let steps: &[(i64, &str)] = &[
        (1, "CREATE TABLE a (x)"),
        (2, "CREATE TABLE b (x); CREATE TABLE a (x)"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir.path().join("db"));
    let failed = Migrations::new(steps).apply(&mut conn);
    assert!(matches!(failed, Err(Error::Migration { version: 2, .. })));
    assert_eq!(versions(&conn), [1]);
    assert!(
        columns(&conn, "b").is_empty(),
        "step 2's first table was rolled back"
    );
}

#[test]
fn each_table_layout_is_kept_as_the_older_code_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = open(&dir.path().join("plain"));
    Migrations::new(STEPS).apply(&mut plain).unwrap();
    assert_eq!(columns(&plain, "schema_version"), ["version"]);

    let mut dated = open(&dir.path().join("dated"));
    Migrations::new(STEPS)
        .with_applied_at()
        .apply(&mut dated)
        .unwrap();
    assert_eq!(columns(&dated, "schema_version"), ["version", "applied_at"]);
    let undated: i64 = dated
        .query_row(
            "SELECT count(*) FROM schema_version WHERE applied_at IS NULL OR applied_at = ''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(undated, 0);
}

/// Rollback-journal mode, where even switching the journal mode would rewrite the header.
#[test]
fn a_newer_version_is_refused_and_the_file_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let mut conn = open(&path);
        Migrations::new(STEPS).apply(&mut conn).unwrap();
        conn.execute("INSERT INTO schema_version VALUES (99)", [])
            .unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let migrations = Migrations::new(STEPS);
    {
        let conn = open(&path);
        assert!(matches!(
            migrations.refuse_newer(&conn),
            Err(Error::TooNew {
                found: 99,
                supported: 3
            })
        ));
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["db"], "no journal or WAL left beside it");
    // `apply` alone refuses it too, rather than running anything.
    let mut conn = open(&path);
    assert!(matches!(
        migrations.apply(&mut conn),
        Err(Error::TooNew { found: 99, .. })
    ));
}

#[test]
fn a_new_or_current_file_is_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir.path().join("db"));
    let migrations = Migrations::new(STEPS);
    migrations.refuse_newer(&conn).unwrap();
    migrations.apply(&mut conn).unwrap();
    migrations.refuse_newer(&conn).unwrap();
}

#[test]
fn use_wal_switches_the_file_to_wal() {
    let dir = tempfile::tempdir().unwrap();
    let conn = open(&dir.path().join("db"));
    use_wal(&conn).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

/// What both callers do on open, in their order.
fn open_and_migrate(path: &Path, migrations: Migrations<'_>) -> Result<()> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    migrations.refuse_newer(&conn)?;
    use_wal(&conn)?;
    migrations.apply(&mut conn)
}

fn race(migrations: Migrations<'static>) {
    // Twenty rounds: the race (both reading version 0, the second failing on "table already
    // exists", or the WAL switch answered "busy") showed up in some rounds only.
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let barrier = Arc::new(Barrier::new(4));
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    open_and_migrate(&path, migrations)
                })
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().unwrap();
        }
        assert_eq!(versions(&open(&path)), [1, 2, 3]);
    }
}

#[test]
fn threads_opening_a_new_file_at_once_all_succeed() {
    race(Migrations::new(STEPS));
}

#[test]
fn threads_opening_a_new_file_at_once_all_succeed_with_applied_at() {
    race(Migrations::new(STEPS).with_applied_at());
}
