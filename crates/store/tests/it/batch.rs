//! Applying a pulled page in one go (the bulk path a new device's first sync takes): what it
//! stores and projects must be what one document at a time, or a rebuild, would give.

use porchlight_crdt::{Doc, append_track, create_alert, set_alert_status, start_patrol};
use porchlight_model::{
    AlertCategory, AlertStatus, Area, DeviceId, DocId, DocKind, Fix, NewAlert, Point, Severity,
    Timestamp,
};
use porchlight_store::{DocChanges, Store};

const A: DeviceId = DeviceId::from_bytes([1; 16]);
const B: DeviceId = DeviceId::from_bytes([2; 16]);
const T0: i64 = 1_780_000_000_000;

fn alert(title: &str) -> NewAlert {
    NewAlert {
        title: title.into(),
        body: format!("{title}: please keep an eye out"),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: Area::circle(Point::new(40.0, -3.0), 200.0),
        issued_at: Timestamp::from_millis(T0),
        expires_at: Some(Timestamp::from_millis(T0 + 86_400_000)),
        meeting: None,
        person: None,
    }
}

fn store(dir: &tempfile::TempDir, name: &str, actor: DeviceId) -> Store {
    Store::open(&dir.path().join(name))
        .unwrap()
        .with_actor(actor)
}

/// Every change of every document `store` holds, one entry per document.
fn everything(store: &Store) -> Vec<DocChanges> {
    store
        .document_ids()
        .unwrap()
        .into_iter()
        .map(|(id, kind)| DocChanges {
            doc: id,
            kind,
            changes: store.load(id).unwrap().unwrap().all_changes(),
        })
        .collect()
}

/// A device with forty alerts and a few patrols, and one alert another device edited at the same
/// time as this one (so it holds a conflict).
fn source(dir: &tempfile::TempDir) -> (Store, DocId) {
    let mut a = store(dir, "a.db", A);
    let mut b = store(dir, "b.db", B);
    for i in 0..40 {
        a.create(
            |_| create_alert(DocId::random(), A, &alert(&format!("Alert number{i}"))),
            |_, _| Ok(()),
        )
        .unwrap();
    }
    for i in 0..5 {
        let doc = a
            .create(
                |_| {
                    start_patrol(
                        DocId::random(),
                        A,
                        "Ana",
                        &format!("Round{i}"),
                        Timestamp::from_millis(T0),
                    )
                },
                |_, _| Ok(()),
            )
            .unwrap();
        let fixes: Vec<Fix> = (0..10)
            .map(|k| Fix {
                at: Timestamp::from_millis(T0 + k * 1000),
                point: Point::new(40.0 + k as f64 * 1e-4, -3.0),
                accuracy_m: None,
            })
            .collect();
        a.update(
            doc.id(),
            DocKind::Patrol,
            |d| append_track(d, &fixes, Timestamp::from_millis(T0 + 20_000)),
            |_, _| Ok(()),
        )
        .unwrap();
    }
    let disputed = a
        .create(
            |_| create_alert(DocId::random(), A, &alert("Disputed")),
            |_, _| Ok(()),
        )
        .unwrap()
        .id();
    b.apply_remote(
        disputed,
        DocKind::Alert,
        &a.load(disputed).unwrap().unwrap().all_changes(),
    )
    .unwrap();
    let status = |s| move |d: &mut Doc| set_alert_status(d, s, Timestamp::from_millis(T0 + 5));
    a.update(
        disputed,
        DocKind::Alert,
        status(AlertStatus::Cancelled),
        |_, _| Ok(()),
    )
    .unwrap();
    b.update(
        disputed,
        DocKind::Alert,
        status(AlertStatus::Active),
        |_, _| Ok(()),
    )
    .unwrap();
    let theirs = b.load(disputed).unwrap().unwrap().all_changes();
    a.apply_remote(disputed, DocKind::Alert, &theirs).unwrap();
    (a, disputed)
}

#[test]
fn a_page_of_new_documents_projects_like_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let (a, disputed) = source(&dir);
    let mut fresh = store(&dir, "fresh.db", DeviceId::from_bytes([9; 16]));
    let applied = fresh
        .apply_pulled_batch(&everything(&a), &[("cursor", "7")])
        .unwrap();
    assert_eq!(applied.changed.len(), 46);
    assert!(applied.failed.is_empty(), "{:?}", applied.failed);
    assert_eq!(fresh.all_heads().unwrap(), a.all_heads().unwrap());

    // Search rows of the whole page went in (written sorted, at the end of the page).
    assert_eq!(fresh.search("number17", 10).unwrap().len(), 1);
    assert_eq!(fresh.search("Round3", 10).unwrap().len(), 1);
    // The concurrently edited alert's conflict is found although the document is new here.
    let conflicts = fresh.conflicts().unwrap();
    assert!(
        conflicts.iter().any(|(doc, _, _)| *doc == disputed),
        "{conflicts:?}"
    );
    assert_eq!(conflicts, a.conflicts().unwrap());
    assert_eq!(
        fresh.projection_digest().unwrap(),
        a.projection_digest().unwrap()
    );
    let digest = fresh.projection_digest().unwrap();
    fresh.rebuild_projections().unwrap();
    assert_eq!(fresh.projection_digest().unwrap(), digest);
}

#[test]
fn one_document_over_two_entries_of_a_page_keeps_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let (a, disputed) = source(&dir);
    let changes = a.load(disputed).unwrap().unwrap().all_changes();
    let (first, rest) = changes.split_at(1);
    let entry = |changes: &[Vec<u8>]| DocChanges {
        doc: disputed,
        kind: DocKind::Alert,
        changes: changes.to_vec(),
    };
    let mut fresh = store(&dir, "fresh.db", DeviceId::from_bytes([9; 16]));
    fresh
        .apply_pulled_batch(&[entry(first), entry(rest)], &[])
        .unwrap();
    assert_eq!(fresh.heads(disputed).unwrap(), a.heads(disputed).unwrap());
    // What was stored loads again whole after reopening.
    drop(fresh);
    let fresh = store(&dir, "fresh.db", DeviceId::from_bytes([9; 16]));
    let mut doc = fresh.load(disputed).unwrap().unwrap();
    assert_eq!(doc.all_changes().len(), changes.len());
}

#[test]
fn changes_that_arrive_before_their_dependencies_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (a, disputed) = source(&dir);
    let mut changes = a.load(disputed).unwrap().unwrap().all_changes();
    changes.reverse();
    let mut fresh = store(&dir, "fresh.db", DeviceId::from_bytes([9; 16]));
    let applied = fresh
        .apply_pulled_batch(
            &[DocChanges {
                doc: disputed,
                kind: DocKind::Alert,
                changes: changes.clone(),
            }],
            &[],
        )
        .unwrap();
    assert_eq!(applied.added, changes.len());
    assert_eq!(fresh.heads(disputed).unwrap(), a.heads(disputed).unwrap());
    assert!(!fresh.conflicts().unwrap().is_empty());
    assert_eq!(fresh.conflicts().unwrap(), a.conflicts().unwrap());
}
