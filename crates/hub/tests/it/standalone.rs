//! A group started on the coordinator's computer, with no community server at all: the
//! embedded server alone on real sockets, with its self-signed certificate pinned. A member
//! joins with an invite carrying the computer's address and fingerprint, logs a patrol that the
//! coordinator's device (on loopback) sees, and back; the server restarts with its data and its
//! fingerprint; and, since anyone on the Wi-Fi can reach it, strangers and revoked members get
//! nothing from it.

use std::time::Duration;

use porchlight_core::{Connect, CoreError, HttpConnect, InviteCode, ServerAddr};
use porchlight_hub::{HubError, LocalHub};
use porchlight_model::{Role, Timestamp, random_bytes};
use porchlight_server::Settings;
use porchlight_sync::wire::SyncRequest;

use crate::lan::{Device, alert, device, founded_behind_gate, invited, settle, titles};

/// The server on every interface of this machine (as a hall's Wi-Fi reaches it), on a port the
/// system picks, with its database and certificate in the coordinator's data directory.
fn on_this_computer(carmen: &Device, listen: &str) -> Settings {
    Settings {
        database: format!("sqlite://{}", carmen.dir.path().join("hub.db").display()),
        listen: listen.parse().unwrap(),
        ..Settings::default()
    }
}

async fn founded(carmen: &Device) -> LocalHub {
    LocalHub::found(
        carmen.core.clone(),
        on_this_computer(carmen, "0.0.0.0:0"),
        None,
        "Elm Street Watch",
    )
    .await
    .unwrap()
}

fn patrols(d: &Device) -> Vec<String> {
    d.core
        .patrols(50, 0)
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect()
}

/// What a server's refusal says it is (`not_member`, `revoked`...).
fn refusal(e: &porchlight_sync::Error) -> &str {
    match e {
        porchlight_sync::Error::Http { kind, .. } => kind,
        other => panic!("expected the server's refusal, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_joins_the_group_on_the_coordinators_computer_and_both_see_each_other() {
    let carmen = device("Carmen");
    let hub = founded(&carmen).await;
    assert_eq!(hub.upstream(), None, "nothing to relay to");
    assert!(hub.relay().is_none());
    let fingerprint = *hub.fingerprint().expect("a self-signed certificate");
    let port = hub.url().rsplit(':').next().unwrap().to_owned();
    // Carmen's own device uses loopback, with the certificate pinned.
    let status = carmen.core.sync_status().unwrap();
    assert_eq!(
        status.server.as_deref(),
        Some(format!("https://127.0.0.1:{port}").as_str())
    );
    assert_eq!(carmen.core.whoami().unwrap().role, Role::Coordinator);

    // The invite names the computer's address on the network, as server and as hub, and its
    // certificate.
    let code = carmen
        .core
        .invite(Role::Volunteer, 1, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(code.server, hub.url());
    assert!(!code.server.contains("127.0.0.1"), "{}", code.server);
    assert_eq!(code.tls_fingerprint, Some(fingerprint));
    let named = code.hub.as_ref().unwrap();
    assert_eq!(
        (named.url.as_str(), named.tls_fingerprint),
        (hub.url(), Some(fingerprint))
    );

    let victor = device("Victor");
    victor.core.join(&code.to_string(), "Victor").await.unwrap();
    assert_eq!(
        victor.core.sync_status().unwrap().server.as_deref(),
        Some(hub.url())
    );
    victor
        .core
        .start_patrol("Evening round", Timestamp::now())
        .unwrap();
    victor.core.end_patrol(Timestamp::now()).unwrap();
    carmen
        .core
        .issue_alert(alert("Bikes taken from the hall rack"))
        .unwrap();
    settle(&[&victor.core, &carmen.core]).await;
    settle(&[&victor.core, &carmen.core]).await;
    assert!(patrols(&carmen).contains(&"Evening round".to_owned()));
    assert!(titles(&victor.core).contains(&"Bikes taken from the hall rack".to_owned()));

    // Closing the app stops it; opening it starts it again where it listened, with the same
    // database and certificate: Victor's membership and the log are still there.
    hub.stop().await.unwrap();
    assert!(victor.core.sync_once().await.is_err(), "nobody serves now");
    let kept = carmen.core.standalone_server().unwrap().unwrap();
    assert!(kept.running);
    assert!(kept.listen.ends_with(&format!(":{port}")), "{kept:?}");
    let again = LocalHub::serve_alone(
        carmen.core.clone(),
        on_this_computer(&carmen, &kept.listen),
        None,
    )
    .await
    .unwrap();
    assert_eq!(again.fingerprint(), Some(&fingerprint));
    assert_eq!(again.url(), code.server);
    carmen
        .core
        .issue_alert(alert("Meeting moved to Thursday"))
        .unwrap();
    settle(&[&carmen.core, &victor.core]).await;
    assert!(titles(&victor.core).contains(&"Meeting moved to Thursday".to_owned()));
    assert_eq!(
        victor
            .core
            .sync_receipt()
            .unwrap()
            .kinds
            .get(&porchlight_model::DocKind::Alert),
        carmen
            .core
            .sync_receipt()
            .unwrap()
            .kinds
            .get(&porchlight_model::DocKind::Alert)
    );
    again.stop().await.unwrap();
}

/// Anyone on the Wi-Fi reaches the coordinator's computer. A stranger with a key of their own
/// gets no session, cannot join with a made-up invite and cannot create a group there; a member
/// the coordinator revoked is refused and gets nothing written after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_and_a_revoked_member_get_nothing_from_the_coordinators_computer() {
    let carmen = device("Carmen");
    let hub = founded(&carmen).await;
    let server = ServerAddr {
        url: hub.url().to_owned(),
        pin: hub.fingerprint().copied(),
    };
    let (mallory, me) = invited(&carmen, "Mallory", Role::Volunteer).await;
    settle(&[&carmen.core, &mallory.core]).await;
    let group: porchlight_sync::GroupId = carmen
        .core
        .sync_status()
        .unwrap()
        .group
        .unwrap()
        .parse()
        .unwrap();

    // A stranger: a key of their own, the group's id and the server's address (all heard or
    // guessed on the network).
    let stranger = porchlight_sync::SigningKey::from_bytes(&random_bytes::<32>());
    let remote = HttpConnect.remote(&server, group, &stranger).unwrap();
    let pulled = remote
        .sync(&SyncRequest {
            cursor: 0,
            push: Vec::new(),
        })
        .await;
    assert_eq!(refusal(&pulled.unwrap_err()), "not_member");
    let members = remote.members().await;
    assert_eq!(refusal(&members.unwrap_err()), "not_member");
    let made_up = InviteCode {
        server: server.url.clone(),
        group,
        root: random_bytes::<32>(),
        invite: random_bytes::<16>(),
        secret: random_bytes::<16>(),
        role: Role::Coordinator,
        tls_fingerprint: server.pin,
        hub: None,
    };
    let joined = HttpConnect.join(&made_up, &stranger, "Stranger").await;
    assert_eq!(refusal(&joined.unwrap_err()), "invite_invalid");
    let created = HttpConnect
        .create_group(&server, &stranger, "Squatters", "Stranger", None)
        .await;
    assert_eq!(refusal(&created.unwrap_err()), "forbidden");

    // Mallory is revoked on the group's only server; her device is refused from then on and
    // gets nothing written after.
    carmen.core.revoke(me.device_id).await.unwrap();
    carmen
        .core
        .issue_alert(alert("Mallory must not read this"))
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    match mallory.core.sync_once().await {
        Err(CoreError::Sync(e)) => assert_eq!(refusal(&e), "revoked"),
        other => panic!("a revoked member synced: {other:?}"),
    }
    assert!(!titles(&mallory.core).contains(&"Mallory must not read this".to_owned()));
    hub.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relaying_a_group_that_has_no_community_server_is_rejected_not_panicking() {
    let carmen = device("Carmen");
    let hub = founded(&carmen).await;
    let listen = carmen.core.standalone_server().unwrap().unwrap().listen;
    hub.stop().await.unwrap();
    let relayed = LocalHub::start(
        carmen.core.clone(),
        on_this_computer(&carmen, &listen),
        None,
    )
    .await;
    assert!(matches!(relayed, Err(HubError::Standalone)), "{relayed:?}");
    // A second group on top of the first one is refused too.
    let second = LocalHub::found(
        carmen.core.clone(),
        on_this_computer(&carmen, "127.0.0.1:0"),
        None,
        "Another",
    )
    .await;
    assert!(
        matches!(second, Err(HubError::Core(CoreError::AlreadyJoined))),
        "{second:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serving_alone_a_group_of_a_community_server_is_rejected_not_panicking() {
    let (community, _gate, carmen) = founded_behind_gate().await;
    let alone = LocalHub::serve_alone(
        carmen.core.clone(),
        on_this_computer(&carmen, "127.0.0.1:0"),
        None,
    )
    .await;
    assert!(
        matches!(alone, Err(HubError::NotStandalone(ref url)) if url.starts_with("http://127.0.0.1:")),
        "{alone:?}"
    );
    community.stop().await;
}

/// The coordinator's computer comes back with another address (here another port; in a hall, a
/// new lease): a phone whose invite named the old one finds it by its announcement and the
/// fingerprint it pinned, and moves its server there, since there is no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_follows_the_coordinators_computer_to_its_new_address() {
    let carmen = device("Carmen");
    let first = founded(&carmen).await;
    let (victor, _) = invited(&carmen, "Victor", Role::Volunteer).await;
    settle(&[&carmen.core, &victor.core]).await;
    let (old_url, fingerprint) = (first.url().to_owned(), first.fingerprint().copied());
    first.stop().await.unwrap();

    let second = LocalHub::serve_alone(
        carmen.core.clone(),
        on_this_computer(&carmen, "0.0.0.0:0"),
        None,
    )
    .await
    .unwrap();
    assert_ne!(second.url(), old_url);
    assert_eq!(second.fingerprint().copied(), fingerprint);
    carmen
        .core
        .issue_alert(alert("Street light out on Elm"))
        .unwrap();
    carmen.core.sync_once().await.unwrap();

    victor.core.sync_once().await.unwrap();
    let port = second.url().rsplit(':').next().unwrap().to_owned();
    let now_on = victor.core.sync_status().unwrap().server.unwrap();
    assert!(now_on.ends_with(&format!(":{port}")), "{now_on}");
    // Still its one and only server: no "home" left behind at the old address.
    assert_eq!(victor.core.home_server().unwrap().url, now_on);
    assert_eq!(victor.core.group_hub().unwrap().unwrap().url, now_on);
    assert!(titles(&victor.core).contains(&"Street light out on Elm".to_owned()));
    second.stop().await.unwrap();
}
