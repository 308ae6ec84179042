//! The store on real SQLite files in temporary directories.

use porchlight_crdt::{create_alert, read_alert, set_alert_status, start_patrol};
use porchlight_model::{
    AlertCategory, AlertStatus, Area, DeviceId, DocId, DocKind, NewAlert, Point, Severity,
    Timestamp,
};
use porchlight_store::{AlertQuery, Store, StoreError};

const ME: DeviceId = DeviceId::from_bytes([7; 16]);

fn alert(title: &str, center: Point) -> NewAlert {
    NewAlert {
        title: title.into(),
        body: "details".into(),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: Area::circle(center, 200.0),
        issued_at: Timestamp::from_millis(1_780_000_000_000),
        expires_at: Some(Timestamp::from_millis(1_790_000_000_000)),
        meeting: None,
        person: None,
    }
}

#[test]
fn writes_survive_reopening_and_projections_equal_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let id;
    {
        let mut store = Store::open(&path).unwrap().with_actor(ME);
        let doc = store
            .create(
                |_| {
                    create_alert(
                        DocId::random(),
                        ME,
                        &alert("Break-ins", Point::new(40.0, -3.0)),
                    )
                },
                |_, _| Ok(()),
            )
            .unwrap();
        id = doc.id();
        // Enough updates to force compaction into a snapshot.
        for i in 0..150 {
            let status = if i % 2 == 0 {
                AlertStatus::Cancelled
            } else {
                AlertStatus::Active
            };
            store
                .update(
                    id,
                    DocKind::Alert,
                    |d| set_alert_status(d, status, Timestamp::from_millis(1_780_000_000_000 + i)),
                    |_, _| Ok(()),
                )
                .unwrap();
        }
        store
            .create(
                |_| {
                    start_patrol(
                        DocId::random(),
                        ME,
                        "Ana",
                        "Round",
                        Timestamp::from_millis(5),
                    )
                },
                |_, _| Ok(()),
            )
            .unwrap();
    }
    let mut store = Store::open(&path).unwrap().with_actor(ME);
    let doc = store.load(id).unwrap().unwrap();
    assert_eq!(read_alert(&doc).unwrap().status, AlertStatus::Active);
    assert_eq!(store.outbox_len().unwrap(), 152);
    let before = store.projection_digest().unwrap();
    store.rebuild_projections().unwrap();
    assert_eq!(store.projection_digest().unwrap(), before);
}

#[test]
fn remote_changes_project_and_do_not_enter_the_outbox() {
    let mut a = Store::open_in_memory().unwrap().with_actor(ME);
    let other = DeviceId::from_bytes([9; 16]);
    let mut b = Store::open_in_memory().unwrap().with_actor(other);
    let mut doc = a
        .create(
            |_| {
                create_alert(
                    DocId::random(),
                    ME,
                    &alert("Loose dog", Point::new(40.0, -3.0)),
                )
            },
            |_, _| Ok(()),
        )
        .unwrap();
    assert_eq!(
        b.apply_remote(doc.id(), DocKind::Alert, &doc.all_changes())
            .unwrap(),
        1
    );
    // A repeat is a no-op.
    assert_eq!(
        b.apply_remote(doc.id(), DocKind::Alert, &doc.all_changes())
            .unwrap(),
        0
    );
    assert_eq!(b.outbox_len().unwrap(), 0);
    assert_eq!(b.alert(doc.id()).unwrap().title, "Loose dog");
    assert_eq!(
        a.projection_digest().unwrap(),
        b.projection_digest().unwrap()
    );
    // The same id under another kind is refused.
    assert!(
        b.apply_remote(doc.id(), DocKind::Patrol, &doc.all_changes())
            .is_err()
    );
}

#[test]
fn rtree_lookup_finds_exactly_the_touching_alerts() {
    let mut store = Store::open_in_memory().unwrap().with_actor(ME);
    let mut ids = Vec::new();
    for i in 0..50 {
        let p = Point::new(40.0 + f64::from(i) * 0.01, -3.0);
        let doc = store
            .create(
                |_| create_alert(DocId::random(), ME, &alert(&format!("a{i}"), p)),
                |_, _| Ok(()),
            )
            .unwrap();
        ids.push(doc.id());
    }
    let watch = Area::circle(Point::new(40.1, -3.0), 500.0);
    let found = store
        .alerts(&AlertQuery {
            touching: Some(watch.clone()),
            live_at: None,
            limit: None,
        })
        .unwrap();
    let all = store.alerts(&AlertQuery::default()).unwrap();
    let brute: Vec<_> = all
        .iter()
        .filter(|a| a.area.intersects(&watch))
        .map(|a| a.id)
        .collect();
    assert_eq!(found.iter().map(|a| a.id).collect::<Vec<_>>(), brute);
    assert_eq!(brute.len(), 1);
    assert_eq!(found[0].id, ids[10]);
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("INSERT INTO schema_version VALUES (999, 'future')", [])
            .unwrap();
    }
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::Downgrade { found: 999, .. })
    ));
}

/// A downgrade must leave the newer version's store exactly as it was, so that installing the
/// newer app again finds everything. The file is in rollback-journal mode here because that is
/// where even the journal-mode pragma would rewrite the header.
#[test]
fn a_newer_store_is_refused_and_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("INSERT INTO schema_version VALUES (999, 'future')", [])
            .unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = blake3::hash(&std::fs::read(&path).unwrap());
    let refused = Store::open(&path);
    assert!(
        matches!(refused, Err(StoreError::Downgrade { found: 999, supported }) if supported == porchlight_store::SCHEMA_VERSION),
        "{:?}",
        refused.err()
    );
    assert_eq!(blake3::hash(&std::fs::read(&path).unwrap()), before);
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["store.db"], "no journal or WAL left beside it");
}

#[test]
fn search_treats_input_as_words_not_syntax() {
    let mut store = Store::open_in_memory().unwrap().with_actor(ME);
    store
        .create(
            |_| {
                create_alert(
                    DocId::random(),
                    ME,
                    &alert("Garage broken into", Point::new(40.0, -3.0)),
                )
            },
            |_, _| Ok(()),
        )
        .unwrap();
    assert_eq!(store.search("garage", 10).unwrap().len(), 1);
    assert!(store.search("\"unbalanced AND (", 10).unwrap().is_empty());
    assert!(store.search("   ", 10).unwrap().is_empty());
}

#[test]
fn outbox_acks_and_batches_apply_with_their_cursor() {
    let mut a = Store::open_in_memory().unwrap().with_actor(ME);
    let mut b = Store::open_in_memory()
        .unwrap()
        .with_actor(DeviceId::from_bytes([3; 16]));
    for i in 0..3 {
        a.create(
            |_| {
                create_alert(
                    DocId::random(),
                    ME,
                    &alert(&format!("a{i}"), Point::new(40.0, -3.0)),
                )
            },
            |_, _| Ok(()),
        )
        .unwrap();
    }
    let pending = a.outbox(10).unwrap();
    assert_eq!(pending.len(), 3);
    let batch: Vec<porchlight_store::DocChanges> = pending
        .iter()
        .map(|e| porchlight_store::DocChanges {
            doc: e.doc,
            kind: e.kind,
            changes: vec![e.bytes.clone()],
        })
        .chain(std::iter::once(porchlight_store::DocChanges {
            doc: DocId::random(),
            kind: DocKind::Alert,
            changes: vec![b"not a change".to_vec()],
        }))
        .collect();
    let applied = b.apply_remote_batch(&batch, &[("cursor", "42")]).unwrap();
    assert_eq!(applied.added, 3);
    assert_eq!(applied.changed.len(), 3);
    assert_eq!(
        applied.failed.len(),
        1,
        "the bad document is reported, the rest applied"
    );
    assert_eq!(b.state("cursor").unwrap().as_deref(), Some("42"));
    assert_eq!(b.alerts(&AlertQuery::default()).unwrap().len(), 3);
    let hashes: Vec<[u8; 32]> = pending.iter().take(2).map(|e| e.hash).collect();
    assert_eq!(a.ack_outbox(&hashes).unwrap(), 2);
    assert_eq!(a.outbox_len().unwrap(), 1);
}

#[test]
fn a_requested_rebuild_runs_on_open_and_keeps_everything_findable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let digest = {
        let mut store = Store::open(&path).unwrap().with_actor(ME);
        store
            .create(
                |_| {
                    create_alert(
                        DocId::random(),
                        ME,
                        &alert("Broken gate", Point::new(40.0, -3.0)),
                    )
                },
                |_, _| Ok(()),
            )
            .unwrap();
        // What a migration does when it changes how projections are keyed.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("DELETE FROM p_search", []).unwrap();
        conn.execute(
            "INSERT INTO local_state VALUES ('store.rebuild_projections', '1')",
            [],
        )
        .unwrap();
        store.projection_digest().unwrap()
    };
    let store = Store::open(&path).unwrap().with_actor(ME);
    assert_eq!(store.search("gate", 5).unwrap().len(), 1);
    assert_ne!(
        store.projection_digest().unwrap(),
        digest,
        "the search row came back"
    );
    assert_eq!(store.state("store.rebuild_projections").unwrap(), None);
}

#[test]
fn two_processes_opening_a_new_data_directory_at_once_both_succeed() {
    // Before each migration step took the write lock before reading the version, both openers
    // read version 0 and the second failed on a table the first had just made.
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("porchlight.db");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let openers: Vec<_> = (0..4)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    porchlight_store::Store::open(&path).map(|_| ())
                })
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().unwrap();
        }
    }
}
