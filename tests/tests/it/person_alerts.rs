//! Alerts that describe a person reach residents only with two coordinators' approvals, through
//! the real server on loopback — and one coordinator cannot fake the second approval.

use crate::common;

use common::{Server, alert, append_to_log, coordinator, device_key, group_of, join, settle};
use porchlight_core::{AlertQuery, CoreError, Event};
use porchlight_model::{
    Area, DetailKind, DocId, DocKind, NewAlert, PersonDescription, PersonDetail, Point, Role,
    Timestamp, ValidationError, WatchArea,
};
use porchlight_sync::SignedChange;

fn person_alert(title: &str) -> NewAlert {
    NewAlert {
        person: Some(PersonDescription {
            behaviour: "Tried the doors of parked cars on Elm St".into(),
            details: vec![
                PersonDetail {
                    kind: DetailKind::Clothing,
                    text: "red hooded jacket, white trainers".into(),
                },
                PersonDetail {
                    kind: DetailKind::Vehicle,
                    text: "left on a grey scooter".into(),
                },
            ],
        }),
        ..alert(title, 40.0)
    }
}

fn watch_elm_st(core: &porchlight_core::Core) {
    core.set_watch_area(WatchArea {
        name: "Home".into(),
        area: Area::circle(Point::new(40.0, -3.0), 500.0),
    })
    .unwrap();
}

fn live(core: &porchlight_core::Core) -> Vec<DocId> {
    core.alerts(&AlertQuery {
        live_at: Some(Timestamp::now()),
        ..AlertQuery::default()
    })
    .unwrap()
    .into_iter()
    .map(|a| a.id)
    .collect()
}

/// Whether an alert-news event for `id` is waiting on `events`.
fn announced(events: &mut tokio::sync::broadcast::Receiver<Event>, id: DocId) -> bool {
    let mut seen = false;
    while let Ok(e) = events.try_recv() {
        if let Event::Alerts(news) = e {
            seen |= news.matched.iter().any(|m| m.alert.id == id);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_alert_reaches_residents_only_after_a_second_coordinator_approves() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let diego = join(&server, &carmen.core, Role::Coordinator, "Diego").await;
    let rita = join(&server, &carmen.core, Role::Resident, "Rita").await;
    watch_elm_st(&rita.core);
    settle(&[&carmen.core, &diego.core, &rita.core]).await;
    let mut rita_events = rita.core.subscribe();

    let held = carmen
        .core
        .issue_alert(person_alert("Car doors tried"))
        .unwrap();
    assert!(
        held.awaiting_approval,
        "one approval (the issuer's) is not enough"
    );
    let plain = carmen.core.issue_alert(alert("Road closed", 40.0)).unwrap();
    settle(&[&carmen.core, &diego.core, &rita.core]).await;

    // Rita's device has the alert but neither lists nor announces it; plain alerts flow as ever.
    assert!(!live(&rita.core).contains(&held.id));
    assert!(live(&rita.core).contains(&plain.id));
    assert!(rita.core.alert(held.id).is_err());
    assert!(
        !rita
            .core
            .alerts_for_my_areas(Timestamp::now())
            .unwrap()
            .iter()
            .any(|a| a.id == held.id)
    );
    assert!(!announced(&mut rita_events, held.id));
    // Coordinators see it, marked, so they can approve it.
    let at_diego = diego.core.alert(held.id).unwrap();
    assert!(at_diego.awaiting_approval);
    assert_eq!(at_diego.approved_by, vec![carmen.core.device()]);
    // A resident cannot approve.
    assert!(matches!(
        rita.core.approve_alert(held.id),
        Err(CoreError::NotAllowed { .. })
    ));

    let approved = diego.core.approve_alert(held.id).unwrap();
    assert!(!approved.awaiting_approval);
    settle(&[&carmen.core, &diego.core, &rita.core]).await;
    let at_rita = rita.core.alert(held.id).unwrap();
    assert!(!at_rita.awaiting_approval);
    assert_eq!(at_rita.approved_by.len(), 2);
    assert!(live(&rita.core).contains(&held.id));
    assert!(
        announced(&mut rita_events, held.id),
        "announced once confirmed"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_cannot_approve_in_another_coordinators_name() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let diego = join(&server, &carmen.core, Role::Coordinator, "Diego").await;
    let rita = join(&server, &carmen.core, Role::Resident, "Rita").await;
    settle(&[&carmen.core, &diego.core, &rita.core]).await;
    let group = group_of(&carmen.core);

    // Carmen, alone, makes a person alert and writes a second approval naming Diego, signs both
    // changes with her own (valid) key and puts them in the log.
    let id = DocId::random();
    let me = carmen.core.device();
    let (mut doc, created) = porchlight_crdt::create_alert(id, me, &person_alert("Lone")).unwrap();
    let forged =
        porchlight_crdt::approve_alert(&mut doc, diego.core.device(), Timestamp::now()).unwrap();
    for w in [created, forged] {
        let signed = SignedChange::sign(
            &device_key(&carmen),
            &group,
            id,
            DocKind::Alert,
            &w.hash,
            w.bytes,
        );
        append_to_log(&server, group, id, DocKind::Alert, me, &w.hash, &signed);
    }
    settle(&[&carmen.core, &diego.core, &rita.core]).await;

    // Both changes are genuinely Carmen's, so they are applied — but the approval in Diego's
    // name does not count: Rita still never sees the alert.
    let at_diego = diego.core.alert(id).unwrap();
    assert_eq!(at_diego.approved_by, vec![me]);
    assert!(at_diego.awaiting_approval);
    assert!(rita.core.alert(id).is_err());
    assert!(!live(&rita.core).contains(&id));
    server.stop().await;
}

#[test]
fn a_description_by_race_alone_is_refused_and_nothing_is_written() {
    let d = common::device("Carmen");
    d.core.create_group("Watch").unwrap();
    let mut a = person_alert("Race only");
    a.person = Some(PersonDescription {
        behaviour: "Walking around".into(),
        details: vec![
            PersonDetail {
                kind: DetailKind::Other,
                text: "black man".into(),
            },
            PersonDetail {
                kind: DetailKind::Other,
                text: "young".into(),
            },
        ],
    });
    let err = d.core.issue_alert(a).unwrap_err();
    assert!(matches!(
        err,
        CoreError::Invalid(ValidationError::PersonDetails { distinguishing: 0 })
    ));
    assert_eq!(err.kind(), "person_details");
    assert!(d.core.alerts(&AlertQuery::default()).unwrap().is_empty());
}

#[test]
fn a_report_keeps_its_person_description_for_coordinators() {
    let d = common::device("Carmen");
    d.core.create_group("Watch").unwrap();
    let person = person_alert("x").person.unwrap();
    let filed = d
        .core
        .file_report(
            &porchlight_model::NewReport {
                category: porchlight_model::Category::SuspiciousPerson,
                description: "Someone trying car doors".into(),
                occurred_at: Timestamp::now(),
                location: None,
                precision: porchlight_model::LocationPrecision::Exact,
                photos: vec![],
                person: Some(person.clone()),
            },
            false,
        )
        .unwrap();
    let reports = d.core.reports(None).unwrap();
    let r = reports
        .iter()
        .find(|e| e.report.id == filed.report)
        .unwrap();
    assert_eq!(r.report.person.as_ref(), Some(&person));
}
