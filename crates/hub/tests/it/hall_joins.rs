//! Joining in a hall without internet: the newcomer joins at the hub with the invite code, and
//! the hub's relay forwards the join (as the newcomer's device signed it) to the community server
//! once it can. Over real sockets on loopback, with the gate of `lan.rs` in front of the community
//! server.

use std::time::Duration;

use porchlight_core::HttpConnect;
use porchlight_hub::Hub;
use porchlight_model::Role;
use tokio::net::TcpListener;

use crate::lan::{
    Community, Device, Gate, addr, alert, device, founded_behind_gate, invited, settings, settle,
    titles,
};

const HOUR: Duration = Duration::from_secs(3600);

/// The community server behind a gate, Carmen's group on it, and her hub running and recorded
/// (so her invites carry it).
pub(crate) async fn hall() -> (Community, Gate, Device, Hub) {
    let (community, gate, carmen) = founded_behind_gate().await;
    let hub = Hub::start(
        carmen.core.clone(),
        settings(community.database("hub.db")),
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        &addr(&gate.url),
        &HttpConnect,
    )
    .await
    .unwrap();
    carmen
        .core
        .set_group_hub(Some(&addr(hub.local_url())))
        .unwrap();
    hub.relay_now().await.unwrap();
    (community, gate, carmen, hub)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_joins_in_a_hall_without_internet_and_reaches_the_community_server_later() {
    let (community, gate, carmen, hub) = hall().await;
    // Vera joined at home before the meeting, and stays at home.
    let (vera, _) = invited(&carmen, "Vera", Role::Volunteer).await;
    settle(&[&carmen.core, &vera.core]).await;
    vera.core
        .switch_server(&addr(&format!("http://{}", community.addr)))
        .unwrap();

    // The hall has no internet: the invite Carmen makes there is registered with the hub alone,
    // and Nina joins there.
    gate.set_open(false);
    let code = carmen.core.invite(Role::Volunteer, 1, HOUR).await.unwrap();
    // A second code from the hall, for someone who will use it at home.
    let for_omar = carmen.core.invite(Role::Resident, 1, HOUR).await.unwrap();
    let nina = device("Nina");
    let me = nina.core.join(&code.to_string(), "Nina").await.unwrap();
    assert_eq!(me.role, Role::Volunteer);
    assert_eq!(
        nina.core.sync_status().unwrap().server.as_deref(),
        Some(hub.local_url()),
        "Nina syncs with the hub"
    );
    // Carmen, on the hub too, certifies Nina, and Nina's alert reaches her in the hall.
    nina.core
        .issue_alert(alert("Ladder left by the school"))
        .unwrap();
    settle(&[&carmen.core, &nina.core]).await;
    settle(&[&carmen.core, &nina.core]).await;
    let ladder = "Ladder left by the school".to_owned();
    assert!(titles(&carmen.core).contains(&ladder));
    // The community server has heard of neither.
    settle(&[&vera.core]).await;
    assert!(!titles(&vera.core).contains(&ladder));

    // Internet again: the relay brings Nina's join, then her alert, to the community server.
    gate.set_open(true);
    hub.relay_now().await.unwrap();
    settle(&[&vera.core]).await;
    assert!(
        titles(&vera.core).contains(&ladder),
        "{:?}",
        titles(&vera.core)
    );
    let nina_id = me.device_id;
    // Carmen's next sync registers the hall's invites with the community server too, so Omar,
    // at home, joins there with his.
    carmen.core.sync_once().await.unwrap();
    let omar = device("Omar");
    omar.core.join(&for_omar.to_string(), "Omar").await.unwrap();
    assert_eq!(
        omar.core.sync_status().unwrap().server.as_deref(),
        Some(gate.url.as_str())
    );
    let upstream = carmen.core.members().await.unwrap();
    assert!(
        upstream
            .iter()
            .any(|m| m.device == nina_id && m.revoked_at.is_none()),
        "Nina is a member of the community server: {upstream:?}"
    );

    // Without the hub, Nina's device goes to the community server by itself, as a member.
    hub.stop().await.unwrap();
    nina.core.issue_alert(alert("Gate left open")).unwrap();
    nina.core.sync_once().await.unwrap();
    assert_eq!(
        nina.core.sync_status().unwrap().server.as_deref(),
        Some(gate.url.as_str())
    );
    settle(&[&vera.core]).await;
    assert!(titles(&vera.core).contains(&"Gate left open".to_owned()));
    community.stop().await;
}

/// A leaked single-use code is redeemed twice: outside by Mallory, on the community server, and
/// in the hall by Nina, on the hub, which cannot know. The community server's count decides: the
/// relay's forwarded join is refused, the hub revokes Nina, and Carmen's device withdraws the
/// certificate it gave her. One use, one device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_use_code_redeemed_outside_and_in_the_hall_admits_one_device() {
    let (community, gate, carmen, hub) = hall().await;
    let code = carmen
        .core
        .invite(Role::Volunteer, 1, HOUR)
        .await
        .unwrap()
        .to_string();
    let mallory = device("Mallory");
    let mallory_id = mallory.core.join(&code, "Mallory").await.unwrap().device_id;

    gate.set_open(false);
    let nina = device("Nina");
    let nina_id = nina.core.join(&code, "Nina").await.unwrap().device_id;
    // In the hall, Carmen's device certifies Nina from the hub's member list.
    carmen.core.sync_once().await.unwrap();
    assert!(carmen.core.hub_roster().unwrap().contains(nina_id));

    gate.set_open(true);
    hub.relay_now().await.unwrap();
    carmen.core.sync_once().await.unwrap();
    let roster = carmen.core.hub_roster().unwrap();
    assert!(!roster.contains(nina_id), "Nina's certificate is withdrawn");
    assert!(roster.is_revoked(nina_id));
    assert!(
        nina.core.sync_once().await.is_err(),
        "the hub refuses Nina now"
    );
    let upstream = carmen.core.members().await.unwrap();
    assert!(upstream.iter().any(|m| m.device == mallory_id));
    assert!(!upstream.iter().any(|m| m.device == nina_id));

    hub.stop().await.unwrap();
    community.stop().await;
}

/// `porchlight sync` beside `porchlight hub`: two processes on one device's data directory. When
/// one moves the device to the hub, the other follows at its next sync, instead of syncing the
/// community server's log against the cursor it keeps for the hub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_the_same_device_follows_a_server_switch() {
    let (community, gate, carmen, hub) = hall().await;
    let (victor, _) = invited(&carmen, "Victor", Role::Volunteer).await;
    let config = porchlight_core::Config {
        drop_delay_max_secs: 0,
        ..porchlight_core::Config::default()
    };
    let beside = porchlight_core::Core::open_with(victor.dir.path(), config).unwrap();
    settle(&[&carmen.core, &victor.core, &beside]).await;

    gate.set_open(false);
    victor.core.sync_once().await.unwrap();
    carmen
        .core
        .issue_alert(alert("Hall doors open at 7"))
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    beside.sync_once().await.unwrap();
    assert_eq!(
        beside.sync_status().unwrap().server.as_deref(),
        Some(hub.local_url())
    );
    assert!(titles(&beside).contains(&"Hall doors open at 7".to_owned()));

    hub.stop().await.unwrap();
    community.stop().await;
}
