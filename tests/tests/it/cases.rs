//! Only coordinators write a case (its assignee, priority, outcome, merges): they live in the
//! report's triage document, a kind only coordinators may write. A volunteer who forges such a
//! change is refused by the server; and when the server's operator stores it anyway, every
//! coordinator's device refuses it again on arrival.

use crate::common;

use common::{Server, append_to_log, coordinator, device_key, group_of, join, settle};
use porchlight_crdt::{Doc, new_triage, set_assignee, set_case_status, triage_id};
use porchlight_model::{
    CaseOutcome, Category, DocKind, LocationPrecision, NewReport, Priority, Role, Timestamp,
    TriageStatus,
};
use porchlight_sync::{Connect, HttpConnect, ServerAddr, SignedChange, SyncRequest, wire};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_writing_a_case_is_rejected_not_panicking() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let vic = join(&server, &carmen.core, Role::Volunteer, "Vic").await;
    settle(&[&carmen.core, &vic.core]).await;

    let report = carmen
        .core
        .file_report(
            &NewReport {
                category: Category::Theft,
                description: "Bike taken from the rack".into(),
                occurred_at: Timestamp::now(),
                location: None,
                precision: LocationPrecision::Exact,
                photos: vec![],
                person: None,
            },
            false,
        )
        .unwrap()
        .report;
    carmen
        .core
        .triage(report, TriageStatus::InReview, None, false)
        .unwrap();
    carmen.core.set_priority(report, Priority::High).unwrap();
    settle(&[&carmen.core, &vic.core]).await;

    // Vic's own app refuses at once.
    assert!(matches!(
        vic.core.assign(report, Some(vic.core.device())),
        Err(porchlight_core::CoreError::NotAllowed {
            role: Role::Volunteer,
            ..
        })
    ));

    // So Vic writes the triage document by hand, as his own device (his actor, his key): the
    // case assigned to himself and closed with an outcome.
    let me = vic.core.device();
    let mut doc: Doc = new_triage(report, me).unwrap();
    set_assignee(&mut doc, Some(me), Timestamp::now()).unwrap();
    set_case_status(
        &mut doc,
        me,
        TriageStatus::Closed,
        Some(CaseOutcome::NotAnIncident),
        None,
        Timestamp::now(),
    )
    .unwrap();
    let group = group_of(&carmen.core);
    let key = device_key(&vic);
    let signed: Vec<(SignedChange, [u8; 32])> = doc
        .all_changes()
        .into_iter()
        .map(|bytes| {
            let hash = porchlight_crdt::parse_change(&bytes).unwrap().hash().0;
            (
                SignedChange::sign(
                    &key,
                    &group,
                    triage_id(report),
                    DocKind::Triage,
                    &hash,
                    bytes,
                ),
                hash,
            )
        })
        .collect();

    // Through the real server: refused, nothing stored.
    let remote = HttpConnect
        .remote(
            &ServerAddr {
                url: server.url.clone(),
                pin: None,
            },
            group,
            &key,
        )
        .unwrap();
    let response = remote
        .sync(&SyncRequest {
            cursor: 0,
            push: vec![wire::DocChanges::new(
                triage_id(report),
                DocKind::Triage,
                signed.iter().map(|(c, _)| c.clone()),
            )],
        })
        .await
        .unwrap();
    assert_eq!(response.accepted, 0);
    assert_eq!(response.rejected.len(), signed.len());
    assert!(
        response
            .rejected
            .iter()
            .all(|r| r.reason.contains("volunteer") && r.reason.contains("triage")),
        "{:?}",
        response.rejected
    );

    // The operator stores Vic's genuine, signed changes anyway. Carmen's device refuses them.
    for (change, hash) in &signed {
        append_to_log(
            &server,
            group,
            triage_id(report),
            DocKind::Triage,
            me,
            hash,
            change,
        );
    }
    let sync = carmen.core.sync_once().await.unwrap();
    assert_eq!(
        sync.rejected
            .iter()
            .filter(|r| r.contains("volunteer") && r.contains("triage"))
            .count(),
        signed.len(),
        "{:?}",
        sync.rejected
    );
    let case = carmen.core.report(report).unwrap();
    assert_eq!(
        (
            case.report.status,
            case.assignee,
            case.outcome,
            case.priority
        ),
        (TriageStatus::InReview, None, None, Priority::High),
        "the case is as Carmen left it"
    );
    assert!(
        carmen
            .core
            .case_history(report)
            .unwrap()
            .iter()
            .all(|e| e.event.by == carmen.core.device()),
        "Vic is nowhere in the history"
    );
    server.stop().await;
}
