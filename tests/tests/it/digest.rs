//! The daily digest through the real server: with it on, a resident's ordinary alerts wait for
//! the chosen hour (in the inbox meanwhile) and come as one digest, once, even across a
//! restart; urgent alerts, and the end of urgent ones, still come at once.

use crate::common;

use std::sync::Arc;

use common::{Device, Server, alert, coordinator, join, settle};
use porchlight_core::{CategoryCount, Core, DigestSetting, Event};
use porchlight_model::{
    AlertCategory, AlertOutcome, Area, Point, Role, Severity, Timestamp, WatchArea,
};

const HOUR: i64 = 3_600_000;

/// (title, notify) of the matched alerts and titles of the ended ones waiting on `events`.
fn drain(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
) -> (Vec<(String, bool)>, Vec<String>) {
    let (mut matched, mut ended) = (Vec::new(), Vec::new());
    while let Ok(e) = events.try_recv() {
        if let Event::Alerts(n) = e {
            matched.extend(n.matched.into_iter().map(|m| (m.alert.title, m.notify)));
            ended.extend(n.cancelled.into_iter().map(|a| a.title));
        }
    }
    (matched, ended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_alerts_wait_for_the_digest_and_urgent_ones_come_at_once() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let rita = join(&server, &carmen.core, Role::Resident, "Rita").await;
    rita.core
        .set_watch_area(WatchArea {
            name: "Home".into(),
            area: Area::circle(Point::new(40.0, -3.0), 400.0),
        })
        .unwrap();
    assert_eq!(
        rita.core.digest_setting().unwrap(),
        DigestSetting { hour: None }
    );
    assert!(
        rita.core
            .set_digest_setting(DigestSetting { hour: Some(24) })
            .is_err()
    );
    rita.core
        .set_digest_setting(DigestSetting { hour: Some(0) })
        .unwrap();
    settle(&[&carmen.core, &rita.core]).await;
    let mut events = rita.core.subscribe();

    let ordinary = carmen
        .core
        .issue_alert(alert("Bikes stolen", 40.0))
        .unwrap();
    let mut urgent = alert("Gas leak", 40.0);
    urgent.severity = Severity::Urgent;
    urgent.category = AlertCategory::Safety;
    let urgent = carmen.core.issue_alert(urgent).unwrap();
    settle(&[&carmen.core, &rita.core]).await;
    let (mut matched, _) = drain(&mut events);
    matched.sort();
    assert_eq!(
        matched,
        [
            ("Bikes stolen".to_owned(), false),
            ("Gas leak".to_owned(), true)
        ],
        "the urgent alert sounds, the ordinary one waits (in the inbox)"
    );

    // The digest at the top of the next hour (UTC, the zone this test passes), which is after
    // the news arrived. Before it: nothing. From it on: one digest, once.
    let now = Timestamp::now();
    let next_hour = (now.millis().div_euclid(HOUR) + 1) * HOUR;
    let hour = u8::try_from((next_hour / HOUR).rem_euclid(24)).unwrap();
    assert_eq!(
        rita.core
            .set_digest_setting(DigestSetting { hour: Some(hour) })
            .unwrap(),
        DigestSetting { hour: Some(hour) }
    );
    assert_eq!(rita.core.take_digest_in(now, 0).unwrap(), None);
    let at = Timestamp::from_millis(next_hour);
    let digest = rita.core.take_digest_in(at, 0).unwrap().expect("due");
    assert_eq!(digest.alerts, 1);
    assert_eq!(
        digest.categories,
        [CategoryCount {
            category: AlertCategory::Crime,
            count: 1
        }]
    );
    assert_eq!(rita.core.take_digest_in(at, 0).unwrap(), None);

    // Both end: the urgent one's end comes at once, the ordinary one's waits for the digest,
    // which a restart does not lose or repeat.
    carmen
        .core
        .close_alert(ordinary.id, AlertOutcome::AllClear)
        .unwrap();
    carmen
        .core
        .close_alert(urgent.id, AlertOutcome::Resolved)
        .unwrap();
    settle(&[&carmen.core, &rita.core]).await;
    assert_eq!(drain(&mut events).1, ["Gas leak"]);
    let Device { core, dir } = rita;
    Arc::try_unwrap(core).expect("one handle").shutdown();
    let rita = Core::open(dir.path()).unwrap();
    let tomorrow = Timestamp::from_millis(next_hour + 24 * HOUR);
    let digest = rita.take_digest_in(tomorrow, 0).unwrap().expect("due");
    assert_eq!((digest.alerts, digest.ended), (0, 1));
    let rita = {
        rita.shutdown();
        Core::open(dir.path()).unwrap()
    };
    assert_eq!(rita.take_digest_in(tomorrow, 0).unwrap(), None);

    // Back to each alert at once: nothing more is held.
    rita.set_digest_setting(DigestSetting { hour: None })
        .unwrap();
    assert_eq!(rita.digest_setting().unwrap(), DigestSetting { hour: None });
    server.stop().await;
}
