//! A pulled document this device cannot show is set aside: the page and its cursor still commit,
//! the rest of the page is shown, and a later change that makes the document valid brings it back.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use porchlight_crdt::{ReplyKeys, create_alert, create_report};
use porchlight_model::{
    AlertCategory, Area, Category, DeviceId, DocId, DocKind, LocationPrecision, NewAlert,
    NewReport, Point, Severity, Timestamp,
};
use porchlight_store::{AlertQuery, DocChanges, Store};

const THEM: DeviceId = DeviceId::from_bytes([5; 16]);

fn alert(title: &str) -> NewAlert {
    NewAlert {
        title: title.into(),
        body: String::new(),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: Area::circle(Point::new(40.0, -3.0), 200.0),
        issued_at: Timestamp::from_millis(1_780_000_000_000),
        expires_at: None,
        meeting: None,
        person: None,
    }
}

/// The change that sets the alert's area to a circle around `lat`, on top of `base`.
fn area_change(base: &[Vec<u8>], lat: f64) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    for c in base {
        doc.load_incremental(c).unwrap();
    }
    let mut doc = doc.with_actor(ActorId::from(THEM.as_bytes().as_slice()));
    let heads = doc.get_heads();
    let area =
        format!(r#"{{"type":"circle","center":{{"lat":{lat},"lon":-3.0}},"radiusM":200.0}}"#);
    doc.put(ROOT, "area", area).unwrap();
    doc.commit();
    doc.get_changes(&heads)[0].raw_bytes().to_vec()
}

fn titles(store: &Store) -> Vec<String> {
    let mut t: Vec<String> = store
        .alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    t.sort();
    t
}

#[test]
fn an_unprojectable_document_is_quarantined_and_the_page_still_commits() {
    let mut store = Store::open_in_memory().unwrap();
    let good = DocId::random();
    let (_, good_change) = create_alert(good, THEM, &alert("Good")).unwrap();
    let bad = DocId::random();
    let (_, first) = create_alert(bad, THEM, &alert("Bad")).unwrap();
    let broken = area_change(std::slice::from_ref(&first.bytes), 999.0);
    let report = DocId::random();
    let new_report = NewReport {
        category: Category::Theft,
        description: "Bike".into(),
        occurred_at: Timestamp::from_millis(1_780_000_000_000),
        location: None,
        precision: LocationPrecision::Exact,
        photos: vec![],
        person: None,
    };
    let keys = ReplyKeys::from_secret(&[1; 32]);
    let (_, report_change) =
        create_report(report, THEM.as_bytes(), Some(THEM), &new_report, &keys).unwrap();
    let page = vec![
        DocChanges {
            doc: bad,
            kind: DocKind::Alert,
            changes: vec![first.bytes.clone(), broken.clone()],
        },
        DocChanges {
            doc: report,
            kind: DocKind::Report,
            changes: vec![report_change.bytes],
        },
        DocChanges {
            doc: good,
            kind: DocKind::Alert,
            changes: vec![good_change.bytes],
        },
    ];
    let applied = store.apply_pulled_batch(&page, &[("cursor", "3")]).unwrap();
    assert_eq!(applied.changed, vec![(good, DocKind::Alert)]);
    assert_eq!(applied.failed.len(), 2);
    assert_eq!(store.state("cursor").unwrap().as_deref(), Some("3"));
    assert_eq!(titles(&store), ["Good"]);
    let set_aside = store.quarantined().unwrap();
    let reason = |doc| {
        set_aside
            .iter()
            .find(|q| q.doc == doc)
            .map(|q| q.reason.clone())
    };
    assert!(reason(bad).unwrap().contains("latitude 999"));
    assert!(reason(report).unwrap().contains("drop box"));
    // The report was never kept; a rebuild skips what is in quarantine.
    assert!(store.load(report).unwrap().is_none());
    store.rebuild_projections().unwrap();
    assert_eq!(titles(&store), ["Good"]);

    // The same page again (a retry) changes nothing; a fix takes the alert out of quarantine.
    store.apply_pulled_batch(&page, &[("cursor", "3")]).unwrap();
    assert_eq!(store.quarantined().unwrap().len(), 2);
    let fix = area_change(&[first.bytes, broken], 41.0);
    let applied = store
        .apply_pulled_batch(
            &[DocChanges {
                doc: bad,
                kind: DocKind::Alert,
                changes: vec![fix],
            }],
            &[("cursor", "4")],
        )
        .unwrap();
    assert!(applied.failed.is_empty());
    assert_eq!(titles(&store), ["Bad", "Good"]);
    assert!(store.quarantined().unwrap().iter().all(|q| q.doc != bad));
}

#[test]
fn a_report_handed_over_by_a_peer_is_still_accepted() {
    // Only the server's change log is a path reports never take; direct exchange keeps working.
    let mut store = Store::open_in_memory().unwrap();
    let report = DocId::random();
    let new_report = NewReport {
        category: Category::Noise,
        description: "Party".into(),
        occurred_at: Timestamp::from_millis(1_780_000_000_000),
        location: None,
        precision: LocationPrecision::Exact,
        photos: vec![],
        person: None,
    };
    let keys = ReplyKeys::from_secret(&[2; 32]);
    let (_, w) = create_report(report, THEM.as_bytes(), None, &new_report, &keys).unwrap();
    let applied = store
        .apply_remote_batch(
            &[DocChanges {
                doc: report,
                kind: DocKind::Report,
                changes: vec![w.bytes],
            }],
            &[],
        )
        .unwrap();
    assert!(applied.failed.is_empty());
    assert!(store.quarantined().unwrap().is_empty());
}
