//! Checks of what only the SQLite backend has (its file and its migrations). Everything the
//! trait promises is checked for every backend by `tests/conformance.rs`.

use porchlight_model::{DeviceId, DocId, DocKind};
use porchlight_protocol::wire::GroupId;

use super::*;
use crate::storage::PushChange;

fn member(n: u8) -> NewMember {
    NewMember {
        device: DeviceId::from_bytes([n; 16]),
        public_key: [n; 32],
        display_name: format!("device {n}"),
        joined_at: 100,
    }
}

async fn storage_with_group() -> (tempfile::TempDir, SqliteStorage, GroupId) {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path().join("server.db")).unwrap();
    let group = GroupId::random();
    storage
        .create_group(group, "Elm Street".into(), member(1))
        .await
        .unwrap();
    (dir, storage, group)
}

fn doc(kind: DocKind, changes: &[&[u8]]) -> PushDoc {
    PushDoc {
        doc: DocId::random(),
        kind,
        changes: changes
            .iter()
            .map(|c| PushChange {
                hash: *blake3::hash(c).as_bytes(),
                bytes: c.to_vec(),
                signature: [7; 64],
            })
            .collect(),
    }
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    drop(SqliteStorage::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute("INSERT INTO schema_version VALUES (99)", [])
        .unwrap();
    assert!(matches!(
        SqliteStorage::open(&path),
        Err(Error::DatabaseTooNew { found: 99, supported })
            if i64::from(supported) == MIGRATIONS.latest()
    ));
}

/// The server a downgrade installed refuses the newer database and leaves it as it was, so the
/// newer server, installed again, finds everything. Rollback-journal mode, where even the
/// journal-mode pragma would write.
#[tokio::test]
async fn a_newer_database_is_refused_and_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    drop(SqliteStorage::open(&path).unwrap());
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute("INSERT INTO schema_version VALUES (99)", [])
            .unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = blake3::hash(&std::fs::read(&path).unwrap());
    assert!(matches!(
        SqliteStorage::open(&path),
        Err(Error::DatabaseTooNew { found: 99, .. })
    ));
    assert_eq!(blake3::hash(&std::fs::read(&path).unwrap()), before);
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["server.db"], "no journal or WAL left beside it");
}

#[tokio::test]
async fn reopening_keeps_the_data_and_does_not_rerun_migrations() {
    let (dir, storage, group) = storage_with_group().await;
    storage
        .push(group, member(1).device, vec![doc(DocKind::Alert, &[b"a"])])
        .await
        .unwrap();
    drop(storage);
    let again = SqliteStorage::open(dir.path().join("server.db")).unwrap();
    assert_eq!(again.change_count(group).await.unwrap(), 1);
}

#[test]
fn two_processes_opening_a_new_file_at_once_both_succeed() {
    // Found by a test whose second handle opened the file while the server was migrating it:
    // both read version 0, the second failed on "table already exists", the server did not start.
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    SqliteStorage::open(&path).map(|_| ())
                })
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().unwrap();
        }
        let conn = Connection::open(&path).unwrap();
        let versions: Vec<u32> = conn
            .prepare("SELECT version FROM schema_version ORDER BY version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            versions,
            (1..=MIGRATIONS.latest() as u32).collect::<Vec<_>>()
        );
    }
}
