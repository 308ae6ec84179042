//! Patrol safety through the real server on loopback: a missed check-in and an SOS reach the
//! coordinator's device, which raises the alarm by its own clock.

use crate::common;

use std::time::Duration;

use common::{Server, coordinator, join, settle};
use porchlight_core::{AlarmKind, CoreError};
use porchlight_model::{Fix, Point, Role, Timestamp};

const MINUTE: i64 = 60_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_check_in_alerts_the_coordinator_and_a_check_in_clears_it() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let tomas = join(&server, &carmen.core, Role::Volunteer, "Tomás").await;
    let rita = join(&server, &carmen.core, Role::Resident, "Rita").await;
    settle(&[&carmen.core, &tomas.core, &rita.core]).await;

    let t0 = Timestamp::now();
    let patrol = tomas.core.start_patrol("Night round", t0).unwrap();
    // A walk long enough that some of it is shared past the privacy cut at the start.
    for i in 0..40 {
        tomas
            .core
            .add_fix(Fix {
                at: t0.plus_millis(i * 30_000),
                point: Point::new(45.5 + f64::from(i as i32) * 0.0005, -122.6),
                accuracy_m: Some(5.0),
            })
            .unwrap();
    }
    let state = tomas
        .core
        .start_check_ins(Duration::from_secs(15 * 60), t0)
        .unwrap();
    assert_eq!(state.every_secs, Some(900));
    settle(&[&carmen.core, &tomas.core, &rita.core]).await;

    // Within the interval: nothing. Past it: the coordinator's device raises the alarm, with
    // the last shared position.
    assert!(
        carmen
            .core
            .patrol_alarms(t0.plus_millis(10 * MINUTE))
            .unwrap()
            .is_empty()
    );
    let late = t0.plus_millis(16 * MINUTE);
    let alarms = carmen.core.patrol_alarms(late).unwrap();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0].kind, AlarmKind::MissedCheckIn);
    assert_eq!(alarms[0].patrol, patrol.id);
    assert_eq!(alarms[0].since, t0.plus_millis(15 * MINUTE));
    assert!(alarms[0].position.is_some(), "last shared position");
    assert!(alarms[0].participants.iter().any(|p| p.name == "Tomás"));
    // Residents never see patrols, so never their alarms.
    assert!(matches!(
        rita.core.patrol_alarms(late),
        Err(CoreError::NotAllowed { .. })
    ));

    // Tomás checks in (late): once synced, the alarm is gone until the next deadline.
    tomas.core.check_in(late).unwrap();
    settle(&[&carmen.core, &tomas.core]).await;
    assert!(
        carmen
            .core
            .patrol_alarms(late.plus_millis(MINUTE))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        carmen
            .core
            .patrol_alarms(late.plus_millis(16 * MINUTE))
            .unwrap()
            .len(),
        1
    );
    // Ending the patrol ends the timer.
    tomas.core.end_patrol(late.plus_millis(MINUTE)).unwrap();
    settle(&[&carmen.core, &tomas.core]).await;
    assert!(
        carmen
            .core
            .patrol_alarms(late.plus_millis(60 * MINUTE))
            .unwrap()
            .is_empty()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sos_reaches_the_coordinator_with_the_exact_position_even_without_a_patrol() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let tomas = join(&server, &carmen.core, Role::Volunteer, "Tomás").await;
    settle(&[&carmen.core, &tomas.core]).await;

    let here = Point::new(45.5123, -122.6321);
    let now = Timestamp::now();
    assert!(tomas.core.current_patrol().unwrap().is_none());
    let state = tomas.core.sos(Some(here), now).unwrap();
    assert!(state.sos);
    settle(&[&carmen.core, &tomas.core]).await;

    let alarms = carmen.core.patrol_alarms(now).unwrap();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0].kind, AlarmKind::Sos);
    assert_eq!(alarms[0].by, Some(tomas.core.device()));
    assert_eq!(alarms[0].position, Some(here));

    // Without a position given, the newest fix the phone has (still in its buffer, not shared
    // because of the privacy cut at the patrol's end) goes with the call.
    let last = Point::new(45.52, -122.64);
    tomas
        .core
        .add_fix(Fix {
            at: now,
            point: last,
            accuracy_m: None,
        })
        .unwrap();
    tomas.core.sos(None, now.plus_millis(1_000)).unwrap();
    settle(&[&carmen.core, &tomas.core]).await;
    let alarms = carmen.core.patrol_alarms(now).unwrap();
    assert_eq!(alarms[0].position, Some(last));

    // Withdrawn ("I'm safe"), it clears everywhere.
    tomas.core.withdraw_sos(now.plus_millis(MINUTE)).unwrap();
    settle(&[&carmen.core, &tomas.core]).await;
    assert!(
        carmen
            .core
            .patrol_alarms(now.plus_millis(MINUTE))
            .unwrap()
            .is_empty()
    );
    server.stop().await;
}

#[test]
fn check_in_intervals_outside_five_minutes_to_four_hours_are_refused() {
    let d = common::device("Tomás");
    d.core.create_group("Watch").unwrap();
    d.core.start_patrol("Round", Timestamp::now()).unwrap();
    for bad in [60, 5 * 3600] {
        assert!(matches!(
            d.core
                .start_check_ins(Duration::from_secs(bad), Timestamp::now()),
            Err(CoreError::Invalid(_))
        ));
    }
    assert!(matches!(
        d.core.check_in(Timestamp::now()),
        Err(CoreError::Invalid(_))
    ));
}
