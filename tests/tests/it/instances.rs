//! Devices on different server instances that share one PostgreSQL database, as behind a load
//! balancer: they work offline, sync through their own instance, and converge to equal receipts.

#[path = "../../../crates/server/tests/it/common/pg.rs"]
mod pg;

use crate::common;

use std::time::Duration;

use common::{CREATION_TOKEN, Server, alert, assert_same_where_shared, device, settle};
use porchlight_model::{Role, Timestamp};

/// Joins a new device to the coordinator's group through the instance at `url` (the invite
/// names the coordinator's instance; any instance serves the group).
async fn join_via(
    url: &str,
    coordinator: &porchlight_core::Core,
    role: Role,
    name: &str,
) -> common::Device {
    let d = device(name);
    let mut code = coordinator
        .invite(role, 1, Duration::from_secs(3600))
        .await
        .unwrap();
    code.server = url.to_owned();
    let me = d.core.join(&code.to_string(), name).await.unwrap();
    assert_eq!(me.role, role);
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_on_two_instances_of_one_database_converge_to_equal_receipts() {
    let database = pg::fresh_database().await;
    let (a, b) = (
        Server::on_database(&database).await,
        Server::on_database(&database).await,
    );
    let carmen = device("Carmen");
    carmen
        .core
        .create_group_on(&a.url, "Elm Street Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    let victor = join_via(&b.url, &carmen.core, Role::Volunteer, "Victor").await;
    let rita = join_via(&b.url, &carmen.core, Role::Resident, "Rita").await;
    // The newcomers are certified by the coordinator's next sync, through instance A.
    settle(&[&carmen.core, &victor.core, &rita.core]).await;

    carmen.core.issue_alert(alert("From A", 40.0)).unwrap();
    victor.core.issue_alert(alert("From B", 40.1)).unwrap();
    victor
        .core
        .start_patrol("Night round", Timestamp::now())
        .unwrap();
    settle(&[&carmen.core, &victor.core, &rita.core]).await;

    let (rc, rv, rr) = (
        carmen.core.sync_receipt().unwrap(),
        victor.core.sync_receipt().unwrap(),
        rita.core.sync_receipt().unwrap(),
    );
    for (x, y) in [(&rc, &rv), (&rc, &rr), (&rv, &rr)] {
        assert_same_where_shared(x, y);
    }
    assert_eq!(
        rita.core
            .alerts(&porchlight_core::AlertQuery::default())
            .unwrap()
            .len(),
        2,
        "the resident on B has both alerts"
    );
    for d in [&carmen.core, &victor.core, &rita.core] {
        assert_eq!(d.sync_status().unwrap().pending, 0);
    }
    a.stop().await;
    b.stop().await;
}
