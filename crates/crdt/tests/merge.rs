//! Two devices editing the same records offline, then exchanging changes, end up identical.

use porchlight_crdt::{
    Doc, add_observation, append_track, create_alert, end_patrol, new_triage, read_alert,
    read_patrol, read_triage, set_alert_status, set_triage, start_patrol, track,
};
use porchlight_model::{
    AlertCategory, AlertStatus, Area, Category, DeviceId, DocId, DocKind, Fix, NewAlert,
    NewObservation, Point, Severity, Timestamp, TriageStatus,
};

const A: DeviceId = DeviceId::from_bytes([1; 16]);
const B: DeviceId = DeviceId::from_bytes([2; 16]);

fn t(s: i64) -> Timestamp {
    Timestamp::from_millis(1_780_000_000_000 + s * 1000)
}

/// A copy of `doc` as another device would hold it after receiving every change.
fn copy_to(doc: &mut Doc, device: DeviceId) -> Doc {
    let mut other = Doc::empty(doc.id(), doc.kind(), device.as_bytes());
    other.apply_remote(&doc.all_changes()).unwrap();
    other
}

/// Exchanges changes both ways until neither side learns anything new.
fn sync(a: &mut Doc, b: &mut Doc) {
    for _ in 0..4 {
        let new_b = b.apply_remote(&a.all_changes()).unwrap();
        let new_a = a.apply_remote(&b.all_changes()).unwrap();
        if new_a == 0 && new_b == 0 {
            return;
        }
    }
    panic!("documents did not become quiescent");
}

fn observation(note: &str, s: i64) -> NewObservation {
    NewObservation {
        at: t(s),
        point: Some(Point::new(40.0, -3.0)),
        category: Category::SuspiciousVehicle,
        note: note.into(),
        photos: vec!["ab".repeat(32)],
    }
}

#[test]
fn concurrent_observations_are_both_kept() {
    let (mut a, _) = start_patrol(DocId::random(), A, "Ana", "Evening round", t(0)).unwrap();
    let mut b = copy_to(&mut a, B);
    add_observation(&mut a, A, &observation("van idling", 10)).unwrap();
    add_observation(&mut b, B, &observation("gate open", 11)).unwrap();
    sync(&mut a, &mut b);
    assert_eq!(a.heads(), b.heads());
    let pa = read_patrol(&a).unwrap();
    let notes: Vec<_> = pa.observations.iter().map(|o| o.note.as_str()).collect();
    assert_eq!(notes, ["van idling", "gate open"]);
    assert_eq!(pa, read_patrol(&b).unwrap());
}

#[test]
fn concurrent_status_changes_converge_to_one_value() {
    let alert = NewAlert {
        title: "Loose dog".into(),
        body: "Brown, friendly".into(),
        category: AlertCategory::Safety,
        severity: Severity::Info,
        area: Area::circle(Point::new(40.0, -3.0), 250.0),
        issued_at: t(0),
        expires_at: None,
        meeting: None,
        person: None,
    };
    let (mut a, _) = create_alert(DocId::random(), A, &alert).unwrap();
    let mut b = copy_to(&mut a, B);
    set_alert_status(&mut a, AlertStatus::Cancelled, t(5)).unwrap();
    set_alert_status(&mut b, AlertStatus::Active, t(6)).unwrap();
    sync(&mut a, &mut b);
    assert_eq!(
        read_alert(&a).unwrap().status,
        read_alert(&b).unwrap().status
    );

    // Triage: two coordinators create the same triage document independently.
    let report = DocId::random();
    let mut ta = new_triage(report, A).unwrap();
    let mut tb = new_triage(report, B).unwrap();
    assert_eq!(ta.id(), tb.id());
    set_triage(
        &mut ta,
        A,
        TriageStatus::InReview,
        Some("calling the owner"),
        t(1),
    )
    .unwrap();
    set_triage(
        &mut tb,
        B,
        TriageStatus::Forwarded,
        Some("sent to police"),
        t(2),
    )
    .unwrap();
    sync(&mut ta, &mut tb);
    let (ra, rb) = (read_triage(&ta).unwrap(), read_triage(&tb).unwrap());
    assert_eq!(ra, rb);
    assert_eq!(ra.notes.len(), 2, "both notes survive");
}

#[test]
fn two_hours_of_one_fix_a_second_fit_in_64_kb() {
    let (mut doc, _) = start_patrol(DocId::random(), A, "Ana", "Long walk", t(0)).unwrap();
    let fixes: Vec<Fix> = (0..7200)
        .map(|i| {
            let f = f64::from(i);
            Fix {
                at: t(i64::from(i)),
                // A meandering walk at ~1.3 m/s.
                point: Point::new(40.0 + (f / 300.0).sin() * 0.004, -3.0 + f * 0.000_012),
                accuracy_m: Some(5.0),
            }
        })
        .collect();
    for chunk in fixes.chunks(30) {
        append_track(&mut doc, chunk, chunk[0].at).unwrap();
    }
    end_patrol(&mut doc, t(7200)).unwrap();
    let size = doc.save().len();
    assert!(size <= 64 * 1024, "track document is {size} bytes");
    let p = read_patrol(&doc).unwrap();
    assert_eq!(p.fix_count, 7200);
    assert!((p.distance_m - track::distance_m(&fixes)).abs() < 5.0);
}

#[test]
fn a_thousandth_of_a_degree_of_latitude_walks_about_111_m_a_step() {
    let (mut doc, _) = start_patrol(DocId::random(), A, "Ana", "Straight north", t(0)).unwrap();
    let fixes: Vec<Fix> = (0..11)
        .map(|i| Fix {
            at: t(i),
            point: Point::new(40.0 + i as f64 * 0.001, -3.0),
            accuracy_m: None,
        })
        .collect();
    append_track(&mut doc, &fixes, t(10)).unwrap();
    let per_step = read_patrol(&doc).unwrap().distance_m / 10.0;
    assert!(
        (per_step - 111.0).abs() / 111.0 < 0.005,
        "{per_step} m per step"
    );
}

#[test]
fn bad_changes_are_rejected_not_panicking() {
    let (mut doc, written) = start_patrol(DocId::random(), A, "Ana", "Round", t(0)).unwrap();
    let mut other = Doc::empty(DocId::random(), DocKind::Patrol, B.as_bytes());
    // A whole saved document is not a change.
    assert!(other.apply_remote(&[doc.save()]).is_err());
    // A corrupted checksum.
    let mut bad = written.bytes.clone();
    bad[5] ^= 0xff;
    assert!(other.apply_remote(&[bad]).is_err());
    // Garbage and truncation.
    assert!(other.apply_remote(&[vec![1, 2, 3]]).is_err());
    assert!(other.apply_remote(&[written.bytes[..20].to_vec()]).is_err());
    // Nothing got in, and the good change still applies.
    assert!(!other.is_readable());
    assert_eq!(other.apply_remote(&[written.bytes]).unwrap(), 1);
    assert!(other.is_readable());
}

#[test]
fn concurrent_writes_to_one_field_are_listed_as_conflicts() {
    let (mut a, _) = start_patrol(DocId::random(), A, "Ana", "Round", t(0)).unwrap();
    let mut b = copy_to(&mut a, B);
    assert!(a.conflicts().is_empty());
    end_patrol(&mut a, t(10)).unwrap();
    end_patrol(&mut b, t(11)).unwrap();
    sync(&mut a, &mut b);
    assert_eq!(a.conflicts(), vec!["ended_at".to_owned()]);
    assert_eq!(b.conflicts(), a.conflicts());
}
