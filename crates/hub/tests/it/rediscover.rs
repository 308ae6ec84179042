//! The coordinator's laptop comes back to the hall with another address (a new DHCP lease, or
//! here a new port): a phone whose invite named the old one finds the hub by its mDNS
//! announcement, matched by the certificate fingerprint it pinned, and syncs there.

use porchlight_hub::LocalHub;
use porchlight_model::Role;
use porchlight_server::TlsMode;

use crate::lan::{Community, alert, founded_behind_gate, invited, settings, settle, titles};

fn hub_settings(community: &Community) -> porchlight_server::Settings {
    let mut s = settings(community.database("hub.db"));
    s.tls = TlsMode::SelfSigned;
    s.listen = "0.0.0.0:0".parse().unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_finds_the_hub_at_its_new_address_by_its_announcement() {
    let (community, gate, carmen) = founded_behind_gate().await;
    let first = LocalHub::start(carmen.core.clone(), hub_settings(&community), None)
        .await
        .unwrap();
    assert!(
        first.announce_error().is_none(),
        "{:?}",
        first.announce_error()
    );
    let (victor, _) = invited(&carmen, "Victor", Role::Volunteer).await;
    settle(&[&carmen.core, &victor.core]).await;
    first.relay().unwrap().relay_now().await.unwrap();
    let (old_url, fingerprint) = (first.url().to_owned(), first.fingerprint().copied());
    assert!(
        fingerprint.is_some(),
        "a hub with TLS has a fingerprint to pin"
    );
    first.stop().await.unwrap();

    // Next meeting: the hub listens elsewhere, and the hall has no internet.
    let second = LocalHub::start(carmen.core.clone(), hub_settings(&community), None)
        .await
        .unwrap();
    assert_ne!(second.url(), old_url);
    assert_eq!(
        second.fingerprint().copied(),
        fingerprint,
        "the same certificate"
    );
    gate.set_open(false);
    victor
        .core
        .issue_alert(alert("Side door propped open"))
        .unwrap();
    victor.core.sync_once().await.unwrap();
    let now_on = victor.core.sync_status().unwrap().server.unwrap();
    let port = second.url().rsplit(':').next().unwrap().to_owned();
    assert!(
        now_on.ends_with(&format!(":{port}")),
        "{now_on} vs {}",
        second.url()
    );
    assert_eq!(victor.core.group_hub().unwrap().unwrap().url, now_on);

    settle(&[&carmen.core]).await;
    assert!(titles(&carmen.core).contains(&"Side door propped open".to_owned()));
    second.stop().await.unwrap();
    community.stop().await;
}

/// Anyone on the network can announce a hub with the group's fingerprint. The phone tries the
/// announced address with its pin, the impostor cannot show the certificate, and nothing is
/// recorded: the phone keeps the hub address it had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impostor_announcing_the_hubs_fingerprint_is_tried_and_not_recorded() {
    let (community, gate, carmen) = founded_behind_gate().await;
    let hub = LocalHub::start(carmen.core.clone(), hub_settings(&community), None)
        .await
        .unwrap();
    let (victor, _) = invited(&carmen, "Victor", Role::Volunteer).await;
    let fingerprint = *hub.fingerprint().unwrap();
    let hub_url = hub.url().to_owned();
    hub.stop().await.unwrap();

    // Mallory runs a server of her own (her own certificate) and announces it with the
    // fingerprint of Carmen's hub.
    let tls_dir = tempfile::tempdir().unwrap();
    let mut impostor = hub_settings(&community);
    impostor.database = community.database("impostor.db");
    impostor.tls_dir = Some(tls_dir.path().to_owned());
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(porchlight_server::launch_with_listener(
        impostor,
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    let announcement = porchlight_hub::Announcement::start(port, Some(&fingerprint)).unwrap();

    gate.set_open(false);
    let heard = victor.core.announced_hubs().await.unwrap();
    assert!(
        heard.iter().any(|u| u.ends_with(&format!(":{port}"))),
        "the phone hears the impostor: {heard:?}"
    );
    assert!(victor.core.sync_once().await.is_err());
    assert_eq!(victor.core.group_hub().unwrap().unwrap().url, hub_url);
    assert_eq!(
        victor.core.sync_status().unwrap().server.as_deref(),
        Some(gate.url.as_str()),
        "the phone stays where it was"
    );

    announcement.stop();
    let _ = stop.send(());
    let _ = server.await;
    community.stop().await;
}
