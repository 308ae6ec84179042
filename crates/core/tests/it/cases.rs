//! Case handling on a generated set with known answers: duplicate suggestions, overdue marks,
//! filters, merging and the history are the values worked out by hand in the comments.
//!
//! Places are metres east and north of a corner O at 45.5° N (as in the measures test); report
//! times are on the 15-minute grid reports are kept at, counted from a base T ten days ago, so
//! the real clock decides "overdue" the same way on every run.

use porchlight_core::{CaseFilter, Core, CoreError, DuplicatePair};
use porchlight_crdt::{
    Doc, new_triage, set_assignee, set_case_status, set_member, set_priority, triage_id,
};
use porchlight_model::{
    CaseChange, CaseOutcome, Category, DeviceId, DocId, DocKind, LocationPrecision, NewReport,
    Point, Priority, Role, Timestamp, TriageStatus,
};
use porchlight_store::DocChanges;

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * HOUR;

const ANA: DeviceId = DeviceId::from_bytes([0xa1; 16]);
const BEN: DeviceId = DeviceId::from_bytes([0xb2; 16]);
const VIC: DeviceId = DeviceId::from_bytes([0xc3; 16]);
const RITA: DeviceId = DeviceId::from_bytes([0xd4; 16]);

/// Metres per degree north and east at 45.5° N on the WGS 84 ellipsoid.
fn m_per_deg(lat: f64) -> (f64, f64) {
    let (a, e2) = (6_378_137.0, 0.006_694_379_990_14);
    let (sin, cos) = lat.to_radians().sin_cos();
    let w: f64 = 1.0 - e2 * sin * sin;
    (
        (a * (1.0 - e2) / (w * w.sqrt())).to_radians(),
        (a / w.sqrt()).to_radians() * cos,
    )
}

fn at(east: f64, north: f64) -> Point {
    let (north_m, east_m) = m_per_deg(45.5);
    Point::new(45.5 + north / north_m, -122.6 + east / east_m)
}

fn file(core: &Core, category: Category, when: Timestamp, place: Option<Point>) -> DocId {
    core.file_report(
        &NewReport {
            category,
            description: format!("{category} at {}", when.millis()),
            occurred_at: when,
            location: place,
            precision: LocationPrecision::Exact,
            photos: vec![],
            person: None,
        },
        false,
    )
    .unwrap()
    .report
}

/// Ana (coordinator) adds Ana and Ben (coordinators), Vic (volunteer) and Rita (resident) to
/// the group, as her device would; the changes reach this device by direct handover.
fn add_members(core: &Core) {
    let group = core.group().unwrap().unwrap().id;
    let mine = core.all_changes().unwrap();
    let changes = &mine.iter().find(|d| d.doc == group).unwrap().changes;
    let mut doc = Doc::empty(group, DocKind::Group, ANA.as_bytes());
    doc.apply_remote(changes).unwrap();
    let t = Timestamp::now();
    for (d, name, role) in [
        (ANA, "Ana", Role::Coordinator),
        (BEN, "Ben", Role::Coordinator),
        (VIC, "Vic", Role::Volunteer),
        (RITA, "Rita", Role::Resident),
    ] {
        set_member(&mut doc, d, name, role, t).unwrap();
    }
    let (_, failed) = core
        .receive(&[DocChanges {
            doc: group,
            kind: DocKind::Group,
            changes: doc.all_changes(),
        }])
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");
}

fn ids(entries: &[porchlight_core::ReportEntry]) -> Vec<DocId> {
    let mut v: Vec<DocId> = entries.iter().map(|e| e.report.id).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<DocId>) -> Vec<DocId> {
    v.sort();
    v
}

/// The pairs as unordered sets, with their distances and minutes.
fn pairs(found: &[DuplicatePair]) -> Vec<((DocId, DocId), i64, i64)> {
    let mut v: Vec<_> = found
        .iter()
        .map(|p| {
            let key = if p.first < p.second {
                (p.first, p.second)
            } else {
                (p.second, p.first)
            };
            (key, p.distance_m.round() as i64, p.minutes_apart)
        })
        .collect();
    v.sort();
    v
}

fn pair(a: DocId, b: DocId, m: i64, min: i64) -> ((DocId, DocId), i64, i64) {
    (if a < b { (a, b) } else { (b, a) }, m, min)
}

#[test]
#[allow(clippy::too_many_lines)] // one story with its hand-computed answers side by side
fn cases_of_a_generated_set_equal_the_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Watch").unwrap();
    add_members(&core);
    let started = Timestamp::now();
    let base = Timestamp::from_millis(started.millis() - 10 * DAY).floor_to(15 * MINUTE);
    let t = |minutes: i64| base.plus_millis(minutes * MINUTE);

    // The set (T = base):
    let r1 = file(&core, Category::Theft, t(0), Some(at(0.0, 0.0)));
    let r2 = file(&core, Category::Theft, t(90), Some(at(150.0, 0.0)));
    let r3 = file(&core, Category::Theft, t(120), Some(at(0.0, 250.0)));
    let r4 = file(&core, Category::Vandalism, t(135), Some(at(100.0, 0.0)));
    let r5 = file(&core, Category::Theft, t(135), Some(at(0.0, 0.0)));
    let r6 = file(&core, Category::Theft, t(0), Some(at(0.0, 190.0)));
    let r7 = file(&core, Category::Theft, t(30), Some(at(10.0, 10.0)));
    let r8 = file(&core, Category::Theft, t(0), None);
    let r9 = file(
        &core,
        Category::Noise,
        Timestamp::from_millis(started.millis() - HOUR).floor_to(15 * MINUTE),
        Some(at(5000.0, 5000.0)),
    );

    // Closing needs an outcome, in either ending status.
    for status in [TriageStatus::Closed, TriageStatus::Dismissed] {
        assert!(matches!(
            core.triage(r7, status, None, false),
            Err(CoreError::OutcomeRequired { status: s }) if s == status
        ));
    }
    let closed = core
        .triage_with_outcome(
            r7,
            TriageStatus::Closed,
            Some(CaseOutcome::Resolved),
            None,
            false,
        )
        .unwrap();
    assert_eq!(closed.outcome, Some(CaseOutcome::Resolved));
    assert!(matches!(
        core.triage_with_outcome(
            r3,
            TriageStatus::InReview,
            Some(CaseOutcome::Resolved),
            None,
            false
        ),
        Err(CoreError::Invalid(_))
    ));

    // Duplicates among the open located reports (r7 closed, r8 has no place), same category,
    // ≤ 200 m and ≤ 2 h apart:
    //   r1–r2 150 m, 90 min ✓   r1–r6 190 m, 0 min ✓   r2–r5 150 m, 45 min ✓
    //   r3–r6 60 m, 120 min ✓ (both bounds inclusive)
    //   r1–r3 250 m ✗  r1–r5 135 min ✗  r2–r6 √(150²+190²) = 242 m ✗  r2–r3 √(150²+250²) = 292 m ✗
    //   r3–r5 250 m ✗  r5–r6 135 min ✗  r4: vandalism ✗  r9: days later ✗
    assert_eq!(
        pairs(&core.duplicates().unwrap()),
        sorted_pairs(vec![
            pair(r1, r2, 150, 90),
            pair(r1, r6, 190, 0),
            pair(r2, r5, 150, 45),
            pair(r3, r6, 60, 120),
        ])
    );

    // Priorities and the group's overdue times (defaults: urgent 24 h, high 72 h, normal 168 h,
    // low 720 h); the group makes "high" 300 h.
    core.set_priority(r1, Priority::Low).unwrap();
    core.set_priority(r2, Priority::Urgent).unwrap();
    core.set_priority(r4, Priority::High).unwrap();
    core.set_priority(r5, Priority::Urgent).unwrap();
    assert_eq!(core.set_due_hours(Priority::High, 300).unwrap().high, 300);
    assert!(matches!(
        core.set_due_hours(Priority::Low, 0),
        Err(CoreError::Invalid(_))
    ));
    // r4 is due at T + 135 min + 300 h.
    assert_eq!(
        core.report(r4).unwrap().due_at,
        t(135).plus_millis(300 * HOUR)
    );

    // History written elsewhere, at known times: Ana reviews r3 at T+3 h with a note, Ben
    // assigns it to Vic at T+4 h, Ana makes it high at T+5 h.
    let mut doc = new_triage(r3, ANA).unwrap();
    set_case_status(
        &mut doc,
        ANA,
        TriageStatus::InReview,
        None,
        Some("Asked the neighbours"),
        t(180),
    )
    .unwrap();
    let mut bens = Doc::empty(triage_id(r3), DocKind::Triage, BEN.as_bytes());
    bens.apply_remote(&doc.all_changes()).unwrap();
    set_assignee(&mut bens, Some(VIC), t(240)).unwrap();
    doc.apply_remote(&bens.all_changes()).unwrap();
    set_priority(&mut doc, Priority::High, t(300)).unwrap();
    let (_, failed) = core
        .receive(&[DocChanges {
            doc: triage_id(r3),
            kind: DocKind::Triage,
            changes: doc.all_changes(),
        }])
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    // Carmen puts it back to normal, now.
    core.set_priority(r3, Priority::Normal).unwrap();
    let done = Timestamp::now();

    let history = core.case_history(r3).unwrap();
    let seen: Vec<(Option<&str>, Vec<CaseChange>)> = history
        .iter()
        .map(|e| (e.by_name.as_deref(), e.event.changes.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                Some("Ana"),
                vec![
                    CaseChange::Status {
                        from: None,
                        to: TriageStatus::InReview
                    },
                    CaseChange::Note {
                        text: "Asked the neighbours".into()
                    },
                ]
            ),
            (
                Some("Ben"),
                vec![CaseChange::Assignee {
                    from: None,
                    to: Some(VIC)
                }]
            ),
            (
                Some("Ana"),
                vec![CaseChange::Priority {
                    from: None,
                    to: Priority::High
                }]
            ),
            (
                Some("Carmen"),
                vec![CaseChange::Priority {
                    from: Some(Priority::High),
                    to: Priority::Normal
                }]
            ),
        ]
    );
    let times: Vec<Timestamp> = history.iter().map(|e| e.event.at).collect();
    assert_eq!(&times[..3], &[t(180), t(240), t(300)]);
    // Automerge keeps seconds: Carmen's change is within the second around her write.
    assert!(times[3].millis() >= started.millis() / 1000 * 1000 && times[3] <= done);
    assert_eq!(history[3].event.by, core.device());
    // Only coordinators appear; the reporter is never read from the report's own history.
    assert!(
        history
            .iter()
            .all(|e| [ANA, BEN, core.device()].contains(&e.event.by))
    );

    // Assignees: coordinators and volunteers only.
    assert!(matches!(
        core.assign(r6, Some(RITA)),
        Err(CoreError::NotAssignable { device }) if device == RITA
    ));
    assert!(matches!(
        core.assign(r6, Some(DeviceId::from_bytes([9; 16]))),
        Err(CoreError::NotAssignable { .. })
    ));
    assert_eq!(core.assign(r6, Some(BEN)).unwrap().assignee, Some(BEN));

    // Merge r2 into r1: it points there, leaves the open list, and both histories show it.
    assert!(matches!(core.merge(r1, r1), Err(CoreError::BadMerge(_))));
    let case = core.merge(r2, r1).unwrap();
    assert_eq!(case.merged, vec![r2]);
    assert_eq!(core.report(r2).unwrap().merged_into, Some(r1));
    assert!(
        matches!(core.merge(r5, r2), Err(CoreError::BadMerge(_))),
        "into a merged case"
    );
    assert!(
        matches!(core.merge(r2, r6), Err(CoreError::BadMerge(_))),
        "merged twice"
    );
    assert!(
        matches!(core.merge(r1, r6), Err(CoreError::BadMerge(_))),
        "has duplicates"
    );
    assert_eq!(
        core.case_history(r1).unwrap().last().unwrap().event.changes,
        vec![CaseChange::Duplicate {
            report: r2,
            merged: true
        }]
    );
    assert_eq!(
        core.case_history(r2).unwrap().last().unwrap().event.changes,
        vec![CaseChange::MergedInto { into: Some(r1) }]
    );
    // r2's pairs are gone from the suggestions.
    assert_eq!(
        pairs(&core.duplicates().unwrap()),
        sorted_pairs(vec![pair(r1, r6, 190, 0), pair(r3, r6, 60, 120)])
    );

    // Overdue now (T is ten days ago): r1 low (30 d) no; r2 merged no; r3 normal (7 d) yes;
    // r4 high at 300 h = 12.5 d no; r5 urgent (1 d) yes; r6 normal yes; r7 closed no;
    // r8 normal yes; r9 one hour old no.
    let overdue = CaseFilter {
        overdue_only: true,
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(&core.cases(&overdue).unwrap()),
        sorted(vec![r3, r5, r6, r8])
    );
    let all = core.cases(&CaseFilter::default()).unwrap();
    assert_eq!(
        ids(&all),
        sorted(vec![r1, r3, r4, r5, r6, r7, r8, r9]),
        "the merged r2 left the list"
    );
    for e in &all {
        assert_eq!(
            e.overdue,
            [r3, r5, r6, r8].contains(&e.report.id),
            "{}",
            e.report.id
        );
    }
    let filter = |f: CaseFilter| ids(&core.cases(&f).unwrap());
    assert_eq!(
        filter(CaseFilter {
            assignee: Some(VIC),
            ..CaseFilter::default()
        }),
        vec![r3]
    );
    assert_eq!(
        filter(CaseFilter {
            priority: Some(Priority::Urgent),
            ..CaseFilter::default()
        }),
        vec![r5]
    );
    assert_eq!(
        filter(CaseFilter {
            priority: Some(Priority::Urgent),
            include_merged: true,
            ..CaseFilter::default()
        }),
        sorted(vec![r2, r5])
    );
    assert_eq!(
        filter(CaseFilter {
            status: Some(TriageStatus::Closed),
            ..CaseFilter::default()
        }),
        vec![r7]
    );

    // Unmerge: r2 is its own open (and, as urgent, overdue) case again.
    let back = core.unmerge(r2).unwrap();
    assert_eq!((back.merged_into, back.overdue), (None, true));
    assert!(core.report(r1).unwrap().merged.is_empty());
    assert!(matches!(core.unmerge(r2), Err(CoreError::BadMerge(_))));
    assert_eq!(
        core.case_history(r1).unwrap().last().unwrap().event.changes,
        vec![CaseChange::Duplicate {
            report: r2,
            merged: false
        }]
    );

    // The projections equal a rebuild from the documents.
    let digest = core.projection_digest().unwrap();
    core.rebuild_projections().unwrap();
    assert_eq!(core.projection_digest().unwrap(), digest);
}

fn sorted_pairs(mut v: Vec<((DocId, DocId), i64, i64)>) -> Vec<((DocId, DocId), i64, i64)> {
    v.sort();
    v
}

#[test]
fn case_commands_are_refused_to_a_volunteer_not_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Watch").unwrap();
    let me = core.device();
    let report = file(&core, Category::Theft, Timestamp::now(), None);
    // The same device, demoted to volunteer in the roster.
    let group = core.group().unwrap().unwrap().id;
    let mine = core.all_changes().unwrap();
    let mut doc = Doc::empty(group, DocKind::Group, ANA.as_bytes());
    doc.apply_remote(&mine.iter().find(|d| d.doc == group).unwrap().changes)
        .unwrap();
    set_member(&mut doc, me, "Carmen", Role::Volunteer, Timestamp::now()).unwrap();
    core.receive(&[DocChanges {
        doc: group,
        kind: DocKind::Group,
        changes: doc.all_changes(),
    }])
    .unwrap();
    assert_eq!(core.role().unwrap(), Role::Volunteer);
    for r in [
        core.assign(report, Some(me)).err(),
        core.set_priority(report, Priority::High).err(),
        core.merge(report, DocId::random()).err(),
        core.set_due_hours(Priority::High, 10).err(),
    ] {
        assert!(
            matches!(
                r,
                Some(CoreError::NotAllowed {
                    role: Role::Volunteer,
                    ..
                })
            ),
            "{r:?}"
        );
    }
}
