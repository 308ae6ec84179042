//! Devices against a server with its default self-signed certificate: the coordinator creates
//! the group with the fingerprint, the pin travels in the invite, and every kind of request a
//! device makes (sync, the drop box, reply reads) goes to the pinned certificate only.

use porchlight_core::{Config, CoreError, format_fingerprint};
use porchlight_model::{
    Category, LocationPrecision, NewReport, Point, Role, Timestamp, TriageStatus,
};
use porchlight_server::{Settings, TlsMode, tls_fingerprint};

use crate::common;

use common::{CREATION_TOKEN, device, device_with, settle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_reach_a_self_signed_server_through_the_pin_in_the_invite() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        database: format!("sqlite://{}", dir.path().join("server.db").display()),
        tls: TlsMode::SelfSigned,
        group_creation_token: Some(porchlight_server::Secret::new(CREATION_TOKEN)),
        ..Settings::default()
    };
    let pin = tls_fingerprint(&settings).unwrap().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(porchlight_server::launch_with_listener(
        settings,
        listener,
        async {
            let _ = stopped.await;
        },
    ));

    // Without the fingerprint the coordinator's device does not trust the server.
    let carmen = device("Carmen");
    let refused = carmen
        .core
        .create_group_on(&url, "Watch", Some(CREATION_TOKEN))
        .await;
    assert!(
        matches!(
            refused,
            Err(CoreError::Sync(
                porchlight_sync::Error::CertificateRejected { .. }
            ))
        ),
        "{refused:?}"
    );
    carmen
        .core
        .create_group_on_pinned(&url, Some(&pin), "Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();

    let code = carmen
        .core
        .invite(Role::Resident, 1, std::time::Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(code.tls_fingerprint, Some(pin));
    let rita = device_with(
        "Rita",
        Config {
            drop_delay_max_secs: 0,
            ..Config::default()
        },
    );
    rita.core.join(&code.to_string(), "Rita").await.unwrap();
    // Carmen certifies Rita; Rita then learns the sealing keys and gets drop tokens.
    carmen.core.sync_once().await.unwrap();
    rita.core.sync_once().await.unwrap();

    // A report goes through the drop box, a status comes back through a reply: both anonymous
    // clients use the pin from the invite.
    let filed = rita
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
            true,
        )
        .unwrap();
    let mut sent = 0;
    while rita.core.send_due_drops().await.unwrap() > 0 {
        sent += 1;
    }
    assert_eq!(sent, 1);
    settle(&[&carmen.core, &rita.core]).await;
    assert_eq!(carmen.core.reports(None).unwrap().len(), 1);
    carmen
        .core
        .triage(filed.report, TriageStatus::InReview, None, true)
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    assert_eq!(rita.core.refresh_receipts().await.unwrap(), 1);
    // What the coordinator would read off `porchlight serve`.
    assert_eq!(format_fingerprint(&pin).len(), 64);

    // A printed token code carries the pin too, so a person who is not a member reaches the
    // self-signed server; the same code without its pin is refused before anything is sent.
    let codes = carmen.core.token_sheet(2).await.unwrap();
    let mut unpinned = porchlight_sync::wire::TokenCode::parse(&codes[1]).unwrap();
    assert_eq!(unpinned.fingerprint().unwrap(), Some(pin));
    unpinned.pin = None;
    let refused =
        porchlight_core::Core::file_with_token_code(&unpinned.to_text().unwrap(), &bus_stop())
            .await;
    assert!(
        matches!(
            refused,
            Err(CoreError::Sync(
                porchlight_sync::Error::CertificateRejected { .. }
            ))
        ),
        "{refused:?}"
    );
    let by_code = porchlight_core::Core::file_with_token_code(&codes[0], &bus_stop())
        .await
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    assert_eq!(
        carmen.core.report(by_code).unwrap().report.description,
        "Seen from the bus stop"
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

fn bus_stop() -> NewReport {
    NewReport {
        category: Category::SuspiciousActivity,
        description: "Seen from the bus stop".into(),
        occurred_at: Timestamp::now(),
        location: None,
        precision: LocationPrecision::Within100m,
        photos: vec![],
        person: None,
    }
}
