//! Devices and a real sync server on loopback: joining through invites, working offline,
//! converging, catching up after a long absence, and live updates through the long-poll.

use std::time::Duration;

use porchlight_core::{AlertQuery, Config, Core, CoreError, Event, SyncTask};
use porchlight_model::{
    Area, Category, DocKind, Fix, LocationPrecision, NewObservation, NewReport, Point, Role,
    Timestamp, TriageStatus,
};

use crate::common;

use common::{
    CREATION_TOKEN, Server, alert, assert_same_where_shared, coordinator, device, device_with,
    join, join_as, settle,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_roles_work_offline_and_converge() {
    let server = Server::start().await;
    let coord = device("Carmen");
    coord
        .core
        .create_group_on(&server.url, "Elm Street Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    let vol = join(&server, &coord.core, Role::Volunteer, "Victor").await;
    // Rita's reports leave without the random delays (they are tested on their own), and a
    // first sync gives her the drop tokens a report spends.
    let quick = Config {
        drop_delay_max_secs: 0,
        ..Config::default()
    };
    let res = join_as(
        &server.url,
        &coord.core,
        Role::Resident,
        device_with("Rita", quick),
    )
    .await;
    res.core.sync_once().await.unwrap();

    // Everyone works offline.
    coord
        .core
        .issue_alert(alert("Coordinator alert", 40.0))
        .unwrap();
    vol.core
        .issue_alert(alert("Volunteer alert", 40.1))
        .unwrap();
    vol.core
        .start_patrol("Night round", Timestamp::now())
        .unwrap();
    for i in 0..40 {
        vol.core
            .add_fix(Fix {
                at: Timestamp::from_millis(1_780_000_000_000 + i * 1000),
                point: Point::new(40.0 + i as f64 * 0.001, -3.0),
                accuracy_m: None,
            })
            .unwrap();
    }
    vol.core
        .add_observation(&NewObservation {
            at: Timestamp::now(),
            point: None,
            category: Category::AllClear,
            note: "quiet".into(),
            photos: vec![],
        })
        .unwrap();
    vol.core.end_patrol(Timestamp::now()).unwrap();
    let report = res
        .core
        .file_report(
            &NewReport {
                category: Category::Vandalism,
                description: "Bus shelter glass smashed".into(),
                occurred_at: Timestamp::now(),
                location: Some(Point::new(40.0, -3.0)),
                precision: LocationPrecision::Within100m,
                photos: vec![],
                person: None,
            },
            false,
        )
        .unwrap();
    // Reports travel sealed through the drop box, not the change log.
    assert_eq!(res.core.send_due_drops().await.unwrap(), 1);
    // What the resident's role does not allow is refused on the device already.
    assert!(matches!(
        res.core.issue_alert(alert("nope", 40.0)),
        Err(CoreError::NotAllowed { .. })
    ));

    settle(&[&coord.core, &vol.core, &res.core]).await;
    coord
        .core
        .triage(
            report.report,
            TriageStatus::InReview,
            Some("checking cameras"),
            false,
        )
        .unwrap();
    settle(&[&coord.core, &vol.core, &res.core]).await;

    // Every change is present on every device allowed to read it.
    for d in [&coord.core, &vol.core, &res.core] {
        let titles: Vec<String> = d
            .alerts(&AlertQuery::default())
            .unwrap()
            .into_iter()
            .map(|a| a.title)
            .collect();
        assert_eq!(titles.len(), 2, "{titles:?}");
        assert_eq!(d.group().unwrap().unwrap().members.len(), 3);
    }
    assert_eq!(coord.core.patrols(10, 0).unwrap()[0].observations, 1);
    // 40 fixes 111 m apart; the shared track leaves out 100-250 m at each end (1 to 3 fixes).
    let shared = coord.core.patrols(10, 0).unwrap()[0].fix_count;
    assert!((34..=38).contains(&shared), "{shared} fixes shared");
    let reports = coord.core.reports(None).unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].report.status, TriageStatus::InReview);
    assert!(
        res.core.patrols(10, 0).is_err(),
        "residents cannot see patrols"
    );

    // Equal receipts on everything two devices may both read.
    let (rc, rv, rr) = (
        coord.core.sync_receipt().unwrap(),
        vol.core.sync_receipt().unwrap(),
        res.core.sync_receipt().unwrap(),
    );
    assert_eq!(rc.kinds.len(), DocKind::ALL.len());
    assert!(rv.kinds.contains_key(&DocKind::Patrol) && !rr.kinds.contains_key(&DocKind::Patrol));
    for (a, b) in [(&rc, &rv), (&rc, &rr), (&rv, &rr)] {
        assert_same_where_shared(a, b);
    }
    for d in [&coord.core, &vol.core, &res.core] {
        assert_eq!(d.sync_status().unwrap().pending, 0);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_offline_catches_up_with_paging() {
    let server = Server::start().await;
    let coord = coordinator(&server).await;
    let away = join(&server, &coord.core, Role::Volunteer, "Away").await;
    // A busy week: thousands of changes land on the server while one device is away.
    for i in 0..1500 {
        coord
            .core
            .issue_alert(alert(&format!("alert {i}"), 40.0))
            .unwrap();
    }
    coord.core.sync_once().await.unwrap();
    away.core
        .issue_alert(alert("written offline", 41.0))
        .unwrap();
    let report = away.core.sync_once().await.unwrap();
    assert!(
        report.round_trips > 1,
        "paged ({} round trips)",
        report.round_trips
    );
    assert!(report.pulled >= 1500);
    coord.core.sync_once().await.unwrap();
    let (a, c) = (
        away.core.sync_receipt().unwrap(),
        coord.core.sync_receipt().unwrap(),
    );
    assert_eq!(a.common(&c).len(), 4, "group, alert, patrol and ack");
    assert_same_where_shared(&a, &c);
    assert_eq!(
        away.core.alerts(&AlertQuery::default()).unwrap().len(),
        1501
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_arrive_through_the_long_poll() {
    let server = Server::start().await;
    let coord = coordinator(&server).await;
    let res = join(&server, &coord.core, Role::Resident, "Rita").await;
    let mut events = res.core.subscribe();
    let task = SyncTask::spawn(res.core.clone());
    coord.core.issue_alert(alert("Live alert", 40.0)).unwrap();
    // This sync also writes the newcomer into the roster (a second pass); the report counts both.
    let report = coord.core.sync_once().await.unwrap();
    assert_eq!(report.pushed, 2, "the alert and the roster change");
    // Wait for the resident's background sync to bring it in (bounded: a hang fails the test).
    let arrived = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(Event::SyncStatus(_)) = events.recv().await
                && res
                    .core
                    .alerts(&AlertQuery::default())
                    .unwrap()
                    .iter()
                    .any(|a| a.title == "Live alert")
            {
                return;
            }
        }
    })
    .await;
    task.stop().await;
    assert!(arrived.is_ok(), "the alert never arrived");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_devices_and_bad_invites_are_refused() {
    let server = Server::start().await;
    let coord = coordinator(&server).await;
    let vol = join(&server, &coord.core, Role::Volunteer, "Victor").await;
    coord.core.revoke(vol.core.device()).await.unwrap();
    vol.core
        .issue_alert(alert("after revocation", 40.0))
        .unwrap();
    assert!(vol.core.sync_once().await.is_err());
    assert!(vol.core.sync_status().unwrap().last_error.is_some());
    assert_eq!(
        vol.core.sync_status().unwrap().pending,
        1,
        "nothing lost locally"
    );
    // The roster no longer lists the revoked device.
    coord.core.sync_once().await.unwrap();
    let roster = coord.core.group().unwrap().unwrap().members;
    assert!(roster.iter().all(|m| m.device != vol.core.device()));
    // A used-up invite is refused.
    let code = coord
        .core
        .invite(Role::Resident, 1, Duration::from_secs(60))
        .await
        .unwrap()
        .to_string();
    device("First").core.join(&code, "First").await.unwrap();
    assert!(device("Second").core.join(&code, "Second").await.is_err());
    // A garbled code is refused before any network use.
    assert!(
        device("Third")
            .core
            .join("plj1-garbage", "Third")
            .await
            .is_err()
    );
    server.stop().await;
}

/// Collects the alert news a device published since `events` was subscribed.
fn drain_news(events: &mut tokio::sync::broadcast::Receiver<Event>) -> (Vec<String>, Vec<String>) {
    let (mut matched, mut cancelled) = (Vec::new(), Vec::new());
    while let Ok(event) = events.try_recv() {
        if let Event::Alerts(news) = event {
            matched.extend(news.matched.into_iter().map(|m| m.alert.title));
            cancelled.extend(news.cancelled.into_iter().map(|a| a.title));
        }
    }
    (matched, cancelled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_announced_once_even_across_restarts_and_areas_stay_private() {
    let server = Server::start().await;
    let coord = coordinator(&server).await;
    let res_dir = tempfile::tempdir().unwrap();
    let code = coord
        .core
        .invite(Role::Resident, 1, Duration::from_secs(600))
        .await
        .unwrap()
        .to_string();
    // Distinctive coordinates, so finding them anywhere else is unambiguous.
    let (home_lat, home_lon) = (40.123_457_f64, -3.765_431_f64);
    {
        let res = Core::open(res_dir.path()).unwrap();
        res.join(&code, "Rita").await.unwrap();
        res.set_watch_area(porchlight_model::WatchArea {
            name: "Home".into(),
            area: Area::circle(Point::new(home_lat, home_lon), 400.0),
        })
        .unwrap();
    }
    let inside = |title: &str| alert(title, home_lat);
    let mut near_home = inside("Break-in on my street");
    // Near the home, ~150 m away: the alert's own coordinates differ from the area's.
    near_home.area = Area::circle(Point::new(home_lat + 0.001, home_lon + 0.001), 200.0);
    let mut cancelled = near_home.clone();
    cancelled.title = "Cancelled before anyone saw it".into();
    let mut expired = near_home.clone();
    expired.title = "Already expired".into();
    expired.issued_at = Timestamp::from_millis(Timestamp::now().millis() - 7_200_000);
    expired.expires_at = Some(expired.issued_at.plus_millis(60_000));
    let mut far = near_home.clone();
    far.title = "Across town".into();
    far.area = Area::circle(Point::new(home_lat + 0.1, home_lon + 0.1), 200.0);
    let first = coord.core.issue_alert(near_home).unwrap();
    let gone = coord.core.issue_alert(cancelled).unwrap();
    coord.core.cancel_alert(gone.id).unwrap();
    coord.core.issue_alert(expired).unwrap();
    coord.core.issue_alert(far).unwrap();
    coord.core.sync_once().await.unwrap();

    {
        let res = Core::open(res_dir.path()).unwrap();
        let mut events = res.subscribe();
        res.sync_once().await.unwrap();
        let (matched, cancelled) = drain_news(&mut events);
        assert_eq!(matched, ["Break-in on my street"]);
        assert!(cancelled.is_empty());
    }
    // Restarted and synced again: no repeat.
    {
        let res = Core::open(res_dir.path()).unwrap();
        let mut events = res.subscribe();
        res.sync_once().await.unwrap();
        assert_eq!(drain_news(&mut events), (vec![], vec![]));
        res.ack_alert(first.id).unwrap();
        res.sync_once().await.unwrap();
    }
    // The cancellation reaches the resident who heard of the alert, once.
    coord.core.cancel_alert(first.id).unwrap();
    coord.core.sync_once().await.unwrap();
    {
        let res = Core::open(res_dir.path()).unwrap();
        let mut events = res.subscribe();
        res.sync_once().await.unwrap();
        assert_eq!(
            drain_news(&mut events),
            (vec![], vec!["Break-in on my street".to_owned()])
        );
        res.sync_once().await.unwrap();
        assert_eq!(drain_news(&mut events), (vec![], vec![]));
    }
    // The coordinator sees the acknowledgement and how soon it came.
    coord.core.sync_once().await.unwrap();
    let acks = coord.core.alert_acks(first.id).unwrap();
    assert_eq!(acks.count, 1);
    assert!(acks.minutes_to_first.is_some_and(|m| m >= 0.0));

    // The area never left the resident's device: not in the server's files, not on the
    // coordinator's device. (It is on the resident's own, which shows the scan can find it.)
    let needles: Vec<Vec<u8>> = vec![
        home_lat.to_le_bytes().to_vec(),
        home_lon.to_le_bytes().to_vec(),
        home_lat.to_be_bytes().to_vec(),
        b"40.123457".to_vec(),
        b"-3.765431".to_vec(),
    ];
    let found_in = |dir: &std::path::Path| -> bool {
        std::fs::read_dir(dir).unwrap().flatten().any(|f| {
            let bytes = std::fs::read(f.path()).unwrap_or_default();
            needles
                .iter()
                .any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()))
        })
    };
    assert!(
        found_in(res_dir.path()),
        "the scan finds the area where it is stored"
    );
    assert!(
        !found_in(server.dir.path()),
        "the server holds the resident's area"
    );
    assert!(
        !found_in(coord.dir.path()),
        "another member holds the resident's area"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observation_photos_sync_as_blobs_to_those_who_may_see_patrols() {
    let server = Server::start().await;
    let coord = coordinator(&server).await;
    let vol = join(&server, &coord.core, Role::Volunteer, "Victor").await;
    let res = join(&server, &coord.core, Role::Resident, "Rita").await;
    vol.core
        .start_patrol("Night round", Timestamp::now())
        .unwrap();
    let photo = vol.core.add_photo(&common::png()).unwrap();
    vol.core
        .add_observation(&NewObservation {
            at: Timestamp::now(),
            point: Some(Point::new(40.0, -3.0)),
            category: Category::SuspiciousVehicle,
            note: "Van with no plates".into(),
            photos: vec![photo.hash.clone()],
        })
        .unwrap();
    // An observation may only name photos taken in on this device.
    assert!(matches!(
        vol.core.add_observation(&NewObservation {
            at: Timestamp::now(),
            point: None,
            category: Category::Other,
            note: "x".into(),
            photos: vec!["ab".repeat(32)],
        }),
        Err(CoreError::Invalid(_))
    ));
    vol.core.end_patrol(Timestamp::now()).unwrap();
    settle(&[&vol.core, &coord.core, &res.core]).await;
    let jpeg = coord
        .core
        .photo(&photo.hash)
        .unwrap()
        .expect("the photo came with the patrol");
    assert_eq!(Some(jpeg), vol.core.photo(&photo.hash).unwrap());
    assert!(
        res.core.photo(&photo.hash).unwrap().is_none(),
        "residents do not see patrols"
    );
    server.stop().await;
}
