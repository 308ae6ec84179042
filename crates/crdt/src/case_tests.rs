use automerge::ROOT;
use automerge::transaction::Transactable;
use porchlight_model::{
    CaseChange, CaseOutcome, DeviceId, DocId, DocKind, Priority, Timestamp, TriageStatus,
    ValidationError,
};

use super::*;
use crate::report::{new_triage, read_triage, set_case_status};
use crate::validate::validate_document;

const ANA: DeviceId = DeviceId::from_bytes([1; 16]);
const BEN: DeviceId = DeviceId::from_bytes([2; 16]);
const VIC: DeviceId = DeviceId::from_bytes([3; 16]);

fn t(secs: i64) -> Timestamp {
    Timestamp::from_millis(secs * 1000)
}

fn copy_for(doc: &mut Doc, actor: DeviceId) -> Doc {
    let mut theirs = Doc::empty(doc.id(), DocKind::Triage, actor.as_bytes());
    theirs.apply_remote(&doc.all_changes()).unwrap();
    theirs
}

#[test]
fn history_names_each_change_its_author_and_time_including_concurrent_ones() {
    let report = DocId::random();
    let mut ana = new_triage(report, ANA).unwrap();
    set_case_status(
        &mut ana,
        ANA,
        TriageStatus::InReview,
        None,
        Some("Called"),
        t(100),
    )
    .unwrap();
    set_priority(&mut ana, Priority::High, t(200)).unwrap();
    // Ben, offline, assigns Vic while Ana closes the case.
    let mut ben = copy_for(&mut ana, BEN);
    set_assignee(&mut ben, Some(VIC), t(300)).unwrap();
    set_case_status(
        &mut ana,
        ANA,
        TriageStatus::Closed,
        Some(CaseOutcome::Resolved),
        None,
        t(400),
    )
    .unwrap();
    ana.apply_remote(&ben.all_changes()).unwrap();

    let h = case_history(&mut ana).unwrap();
    let seen: Vec<(i64, DeviceId, Vec<CaseChange>)> = h
        .into_iter()
        .map(|e| (e.at.millis() / 1000, e.by, e.changes))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                100,
                ANA,
                vec![
                    CaseChange::Status {
                        from: None,
                        to: TriageStatus::InReview
                    },
                    CaseChange::Note {
                        text: "Called".into()
                    },
                ]
            ),
            (
                200,
                ANA,
                vec![CaseChange::Priority {
                    from: None,
                    to: Priority::High
                }]
            ),
            (
                300,
                BEN,
                vec![CaseChange::Assignee {
                    from: None,
                    to: Some(VIC)
                }]
            ),
            (
                400,
                ANA,
                vec![
                    CaseChange::Status {
                        from: Some(TriageStatus::InReview),
                        to: TriageStatus::Closed
                    },
                    CaseChange::Outcome {
                        from: None,
                        to: Some(CaseOutcome::Resolved)
                    },
                ]
            ),
        ]
    );
    let now = read_triage(&ana).unwrap();
    assert_eq!(
        (now.assignee, now.priority, now.outcome),
        (Some(VIC), Priority::High, Some(CaseOutcome::Resolved))
    );
}

#[test]
fn reopening_clears_the_outcome_and_merging_shows_on_both_sides() {
    let (dup, survivor) = (DocId::random(), DocId::random());
    let mut d = new_triage(dup, ANA).unwrap();
    set_merged_into(&mut d, Some(survivor), t(10)).unwrap();
    let mut s = new_triage(survivor, ANA).unwrap();
    set_duplicate(&mut s, dup, true, t(10)).unwrap();
    set_case_status(
        &mut s,
        ANA,
        TriageStatus::Dismissed,
        Some(CaseOutcome::NotAnIncident),
        None,
        t(20),
    )
    .unwrap();
    set_case_status(&mut s, ANA, TriageStatus::InReview, None, None, t(30)).unwrap();
    set_duplicate(&mut s, dup, false, t(40)).unwrap();
    set_merged_into(&mut d, None, t(40)).unwrap();

    let st = read_triage(&s).unwrap();
    assert_eq!((st.outcome, st.duplicates.len()), (None, 0));
    assert_eq!(read_triage(&d).unwrap().merged_into, None);
    let hs = case_history(&mut s).unwrap();
    assert_eq!(
        hs[0].changes,
        vec![CaseChange::Duplicate {
            report: dup,
            merged: true
        }]
    );
    assert!(hs[2].changes.contains(&CaseChange::Outcome {
        from: Some(CaseOutcome::NotAnIncident),
        to: None
    }));
    assert_eq!(
        hs[3].changes,
        vec![CaseChange::Duplicate {
            report: dup,
            merged: false
        }]
    );
    let hd = case_history(&mut d).unwrap();
    assert_eq!(
        hd.iter().map(|e| e.changes.clone()).collect::<Vec<_>>(),
        vec![
            vec![CaseChange::MergedInto {
                into: Some(survivor)
            }],
            vec![CaseChange::MergedInto { into: None }],
        ]
    );
}

#[test]
fn an_outcome_on_an_open_status_is_rejected_not_panicking() {
    let mut d = new_triage(DocId::random(), ANA).unwrap();
    assert!(matches!(
        set_case_status(
            &mut d,
            ANA,
            TriageStatus::InReview,
            Some(CaseOutcome::Resolved),
            None,
            t(1)
        ),
        Err(CrdtError::Invalid(ValidationError::Invalid {
            field: "outcome",
            ..
        }))
    ));
}

#[test]
fn unknown_case_values_written_raw_are_rejected_not_panicking() {
    for (key, value) in [
        ("priority", ScalarValue::Str("whenever".into())),
        ("outcome", ScalarValue::Str("shrug".into())),
        ("assignee", ScalarValue::Bytes(vec![1, 2, 3])),
    ] {
        let report = DocId::random();
        let mut d = new_triage(report, ANA).unwrap();
        set_case_status(&mut d, ANA, TriageStatus::InReview, None, None, t(1)).unwrap();
        d.am.put(ROOT, key, value).unwrap();
        d.commit(t(2)).unwrap();
        assert!(
            matches!(validate_document(&mut d), Err(CrdtError::Invalid(ValidationError::Invalid { field, .. })) if field == key),
            "{key}"
        );
    }
    let report = DocId::random();
    let mut d = new_triage(report, ANA).unwrap();
    set_merged_into(&mut d, Some(report), t(1)).unwrap();
    assert!(matches!(
        validate_document(&mut d),
        Err(CrdtError::Invalid(ValidationError::Invalid {
            field: "merged_into",
            ..
        }))
    ));
}
