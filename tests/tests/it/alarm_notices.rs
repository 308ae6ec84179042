//! A patrol alarm raises one notification on each device it concerns, through the real server:
//! the coordinator's device takes a missed check-in as new exactly once — not on the next look,
//! not after a restart — and a deadline missed again, or an SOS, is a new alarm.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Device, Server, coordinator, join, settle};
use porchlight_core::{AlarmKind, Core};
use porchlight_model::{Role, Timestamp};

const MINUTE: i64 = 60_000;

/// Closes the device's core and opens its data directory again, as after the app restarts.
fn restart(d: Device) -> Device {
    let Device { core, dir } = d;
    Arc::try_unwrap(core)
        .expect("no other handle on the core")
        .shutdown();
    Device {
        core: Arc::new(Core::open(dir.path()).unwrap()),
        dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_check_in_is_one_new_alarm_on_the_coordinators_device_even_across_a_restart() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let tomas = join(&server, &carmen.core, Role::Volunteer, "Tomás").await;
    let vera = join(&server, &carmen.core, Role::Volunteer, "Vera").await;
    let rita = join(&server, &carmen.core, Role::Resident, "Rita").await;
    settle(&[&carmen.core, &tomas.core, &vera.core, &rita.core]).await;

    let t0 = Timestamp::now();
    let patrol = tomas.core.start_patrol("Night round", t0).unwrap();
    tomas
        .core
        .start_check_ins(Duration::from_secs(15 * 60), t0)
        .unwrap();
    settle(&[&carmen.core, &tomas.core, &vera.core, &rita.core]).await;

    assert!(
        carmen
            .core
            .take_new_alarms(t0.plus_millis(10 * MINUTE))
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let late = t0.plus_millis(16 * MINUTE);
    let fresh = carmen.core.take_new_alarms(late).unwrap();
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    assert_eq!(fresh[0].kind, AlarmKind::MissedCheckIn);
    assert_eq!(fresh[0].patrol, patrol.id);
    // The next look (the app's 30-second timer) finds nothing new; the list still shows it.
    assert!(
        carmen
            .core
            .take_new_alarms(late.plus_millis(MINUTE))
            .unwrap()
            .is_empty()
    );
    assert_eq!(carmen.core.patrol_alarms(late).unwrap().len(), 1);
    // A volunteer not on the patrol sees it in the list only; a resident not at all. Tomás's
    // own phone reminds him.
    assert!(vera.core.take_new_alarms(late).unwrap().is_empty());
    assert_eq!(vera.core.patrol_alarms(late).unwrap().len(), 1);
    assert!(rita.core.take_new_alarms(late).unwrap().is_empty());
    assert_eq!(tomas.core.take_new_alarms(late).unwrap().len(), 1);

    // Restarted and synced again: still nothing new.
    let carmen = restart(carmen);
    carmen.core.sync_once().await.unwrap();
    assert!(
        carmen
            .core
            .take_new_alarms(late.plus_millis(2 * MINUTE))
            .unwrap()
            .is_empty()
    );

    // Tomás checks in late and misses the next deadline: a new alarm, once.
    tomas.core.check_in(late).unwrap();
    settle(&[&carmen.core, &tomas.core]).await;
    let next = late.plus_millis(16 * MINUTE);
    let fresh = carmen.core.take_new_alarms(next).unwrap();
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    assert_eq!(fresh[0].since, late.plus_millis(15 * MINUTE));
    assert!(carmen.core.take_new_alarms(next).unwrap().is_empty());

    // His SOS is new for Carmen, never for his own phone.
    tomas.core.take_new_alarms(next).unwrap();
    tomas.core.sos(None, next).unwrap();
    settle(&[&carmen.core, &tomas.core]).await;
    let fresh = carmen.core.take_new_alarms(next).unwrap();
    assert_eq!(
        fresh.iter().map(|a| a.kind).collect::<Vec<_>>(),
        [AlarmKind::Sos]
    );
    assert_eq!(fresh[0].by, Some(tomas.core.device()));
    assert!(tomas.core.take_new_alarms(next).unwrap().is_empty());
    server.stop().await;
}
