//! Every alert ends with an outcome, and the residents who were told of the alert are told how
//! it ended — through the real server, and nobody else is.

use crate::common;

use common::{Server, alert, coordinator, join, settle};
use porchlight_core::Event;
use porchlight_model::{AlertOutcome, AlertStatus, Area, DocId, Point, Role, WatchArea};

fn watch(core: &porchlight_core::Core, lat: f64) {
    core.set_watch_area(WatchArea {
        name: "Home".into(),
        area: Area::circle(Point::new(lat, -3.0), 400.0),
    })
    .unwrap();
}

/// (matched, ended) news about `id` waiting on `events`.
fn news(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    id: DocId,
) -> (bool, Option<porchlight_model::Alert>) {
    let (mut matched, mut ended) = (false, None);
    while let Ok(e) = events.try_recv() {
        if let Event::Alerts(n) = e {
            matched |= n.matched.iter().any(|m| m.alert.id == id);
            if let Some(a) = n.cancelled.iter().find(|a| a.id == id) {
                ended = Some(a.clone());
            }
        }
    }
    (matched, ended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_who_heard_of_an_alert_hear_how_it_ended() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let rita = join(&server, &carmen.core, Role::Resident, "Rita").await;
    let omar = join(&server, &carmen.core, Role::Resident, "Omar").await;
    watch(&rita.core, 40.0);
    watch(&omar.core, 41.0); // far from the alert
    settle(&[&carmen.core, &rita.core, &omar.core]).await;
    let (mut rita_events, mut omar_events) = (rita.core.subscribe(), omar.core.subscribe());

    let issued = carmen
        .core
        .issue_alert(alert("Smoke on Elm St", 40.0))
        .unwrap();
    settle(&[&carmen.core, &rita.core, &omar.core]).await;
    assert_eq!(news(&mut rita_events, issued.id), (true, None));
    assert_eq!(news(&mut omar_events, issued.id), (false, None));

    let closed = carmen
        .core
        .close_alert(issued.id, AlertOutcome::AllClear)
        .unwrap();
    assert_eq!(closed.status, AlertStatus::Closed);
    settle(&[&carmen.core, &rita.core, &omar.core]).await;

    let (_, ended) = news(&mut rita_events, issued.id);
    let ended = ended.expect("Rita is told how it ended");
    assert_eq!(ended.status, AlertStatus::Closed);
    assert_eq!(ended.outcome, Some(AlertOutcome::AllClear));
    assert_eq!(
        news(&mut omar_events, issued.id),
        (false, None),
        "Omar never heard of it"
    );
    // Closed alerts are not live anymore, but the record keeps the outcome.
    assert!(
        !rita
            .core
            .alert(issued.id)
            .unwrap()
            .is_live(porchlight_model::Timestamp::now())
    );
    assert_eq!(
        rita.core.alert(issued.id).unwrap().outcome,
        Some(AlertOutcome::AllClear)
    );
    server.stop().await;
}

#[test]
fn an_alert_closes_with_one_of_the_known_outcomes() {
    let d = common::device("Carmen");
    d.core.create_group("Watch").unwrap();
    let a = d.core.issue_alert(alert("Water main", 40.0)).unwrap();
    let closed = d.core.close_alert(a.id, AlertOutcome::Resolved).unwrap();
    assert_eq!(closed.outcome, Some(AlertOutcome::Resolved));
    assert!("maybe".parse::<AlertOutcome>().is_err());
}

/// A resident who follows only meetings hears of no ordinary crime alert — but an urgent one
/// comes through, and the choice stays on the device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_hears_only_the_categories_they_follow_and_urgent_alerts() {
    use porchlight_model::{AlertCategory, Severity};
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let rita = join(&server, &carmen.core, Role::Resident, "Rita").await;
    watch(&rita.core, 40.0);
    assert_eq!(
        rita.core.followed_categories().unwrap().len(),
        AlertCategory::ALL.len()
    );
    rita.core
        .set_followed_categories(&[AlertCategory::Meeting])
        .unwrap();
    assert!(rita.core.set_followed_categories(&[]).is_err());
    settle(&[&carmen.core, &rita.core]).await;
    let mut events = rita.core.subscribe();

    let ordinary = carmen
        .core
        .issue_alert(alert("Bikes stolen", 40.0))
        .unwrap();
    let urgent = carmen
        .core
        .issue_alert(porchlight_model::NewAlert {
            severity: Severity::Urgent,
            ..alert("Gas leak, stay inside", 40.0)
        })
        .unwrap();
    settle(&[&carmen.core, &rita.core]).await;
    let mut matched = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let Event::Alerts(n) = e {
            matched.extend(n.matched.iter().map(|m| m.alert.id));
        }
    }
    assert!(
        !matched.contains(&ordinary.id),
        "not followed, not announced"
    );
    assert!(
        matched.contains(&urgent.id),
        "urgent alerts always come through"
    );
    let mine: Vec<DocId> = rita
        .core
        .alerts_for_my_areas(porchlight_model::Timestamp::now())
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(mine, vec![urgent.id]);
    // The alert itself is still on the device (all live alerts list), just not announced.
    assert!(rita.core.alert(ordinary.id).is_ok());
    server.stop().await;
}
