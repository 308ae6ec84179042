//! Transport security through a real server on loopback: a self-signed certificate that devices
//! pin, the operator's own certificate, and the refusals (wrong pin, no pin, plain HTTP beyond
//! this machine) that must happen before a single byte of a request leaves the device.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{TestServer, changes, coordinator};
use porchlight_model::{DocId, DocKind, Role};
use porchlight_server::{Settings, TlsMode, self_signed_dir, tls_fingerprint};
use porchlight_sync::wire::{DROP_SIZE_CLASSES, DropRequest};
use porchlight_sync::{
    AnonymousClient, Error, HttpClient, InviteCode, SyncRequest, generate_signing_key,
};

/// A server with the default self-signed certificate, kept in `dir`.
async fn self_signed_in(dir: &Path) -> TestServer {
    let dir = dir.to_owned();
    TestServer::start_with(move |s| {
        s.tls = TlsMode::SelfSigned;
        s.tls_dir = Some(dir);
    })
    .await
}

fn other_pin(pin: [u8; 32]) -> [u8; 32] {
    let mut wrong = pin;
    wrong[0] ^= 1;
    wrong
}

fn a_drop(group: porchlight_sync::GroupId) -> DropRequest {
    DropRequest {
        group,
        sealed: common::sealed(1, DROP_SIZE_CLASSES[0]),
        token: None,
    }
}

#[tokio::test]
async fn a_pinned_device_syncs_with_a_self_signed_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = self_signed_in(dir.path()).await;
    assert!(server.url.starts_with("https://127.0.0.1:"));
    let coord = coordinator(&server).await;
    let pushed = coord.push_valid(DocKind::Alert, 2).await;
    assert_eq!(pushed.accepted, 2);
    assert_eq!(server.change_count(coord.group()).await, 2);

    // The anonymous endpoints speak TLS with the same pin.
    let paid = common::paid_drop(&coord, 1).await;
    let accepted = AnonymousClient::drop_pinned(&server.url, server.pin.as_ref(), &paid)
        .await
        .unwrap();
    assert!(accepted.accepted);
    assert_eq!(server.drop_count(coord.group()).await, 1);
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_pin_is_rejected_before_the_request_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let server = self_signed_in(dir.path()).await;
    let coord = coordinator(&server).await;
    let wrong = other_pin(server.pin.unwrap());

    // A device pinned to another certificate (a server in the middle) pushes with a real token.
    let client = HttpClient::with_pin(&server.url, Some(&wrong)).unwrap();
    let request = SyncRequest {
        cursor: 0,
        push: vec![coord.signed(DocId::random(), DocKind::Alert, changes(coord.id, 1))],
    };
    let refused = client.sync(&coord.session, &request).await.unwrap_err();
    assert!(
        matches!(&refused, Error::CertificateMismatch { expected, found }
            if *expected == porchlight_sync::format_fingerprint(&wrong)
            && *found == porchlight_sync::format_fingerprint(&server.pin.unwrap())),
        "{refused:?}"
    );
    assert!(
        !refused.is_offline(),
        "a wrong certificate is not 'try later'"
    );
    assert!(refused.to_string().contains("pinned"), "{refused}");

    let dropped = AnonymousClient::drop_pinned(&server.url, Some(&wrong), &a_drop(coord.group()))
        .await
        .unwrap_err();
    assert!(
        matches!(dropped, Error::CertificateMismatch { .. }),
        "{dropped:?}"
    );
    let read =
        AnonymousClient::reply_pinned(&server.url, Some(&wrong), coord.group(), &"ab".repeat(16))
            .await
            .unwrap_err();
    assert!(
        matches!(read, Error::CertificateMismatch { .. }),
        "{read:?}"
    );

    // Nothing reached the server's storage, and the server serves the right pin as before.
    assert_eq!(server.change_count(coord.group()).await, 0);
    assert_eq!(server.drop_count(coord.group()).await, 0);
    server.assert_healthy().await;
    server.stop().await;
}

#[tokio::test]
async fn a_self_signed_server_is_not_trusted_without_its_pin() {
    let dir = tempfile::tempdir().unwrap();
    let server = self_signed_in(dir.path()).await;
    // No pin: the usual CA checks, which a self-signed certificate fails. No trust on first use.
    let unpinned = HttpClient::new(&server.url).unwrap();
    let key = generate_signing_key();
    let refused = unpinned
        .create_group(&key, "Watch", "Me", None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::CertificateRejected { .. }),
        "{refused:?}"
    );
    assert!(!refused.is_offline());
    server.stop().await;
}

#[tokio::test]
async fn plain_http_beyond_loopback_is_refused_before_connecting() {
    // 192.0.2.1 is a documentation address: nothing answers there. The refusal comes from
    // building the client, before any socket exists, so no packet can leave.
    for url in [
        "http://192.0.2.1:8470",
        "http://192.0.2.1",
        "http://watch.example.org",
    ] {
        assert!(
            matches!(HttpClient::new(url), Err(Error::PlainHttpRefused { .. })),
            "{url}"
        );
    }
    let group = porchlight_sync::GroupId::from_bytes([7; 16]);
    // The anonymous client checks first too; a timeout guards against a regression that
    // would try to connect instead of refusing.
    let dropped = tokio::time::timeout(
        Duration::from_secs(5),
        AnonymousClient::drop("http://192.0.2.1", &a_drop(group)),
    )
    .await
    .expect("refused at once, without trying to connect");
    assert!(
        matches!(dropped, Err(Error::PlainHttpRefused { .. })),
        "{dropped:?}"
    );
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        AnonymousClient::reply("http://192.0.2.1", group, &"ab".repeat(16)),
    )
    .await
    .expect("refused at once");
    assert!(
        matches!(read, Err(Error::PlainHttpRefused { .. })),
        "{read:?}"
    );
    // A pin always needs TLS, even on loopback.
    assert!(matches!(
        HttpClient::with_pin("http://127.0.0.1:8470", Some(&[1; 32])),
        Err(Error::InvalidUrl { .. })
    ));
}

#[tokio::test]
async fn the_self_signed_certificate_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = self_signed_in(dir.path()).await;
    let pin = first.pin.unwrap();
    first.assert_healthy().await;
    first.stop().await;

    let second = self_signed_in(dir.path()).await;
    assert_eq!(
        second.pin,
        Some(pin),
        "the fingerprint in every invite still holds"
    );
    // A device pinned before the restart reaches the restarted server.
    let client = HttpClient::with_pin(&second.url, Some(&pin)).unwrap();
    assert_eq!(client.health().await.unwrap().status, "ok");
    second.stop().await;
}

#[test]
fn the_self_signed_certificate_lives_beside_the_database_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        database: format!("sqlite://{}", dir.path().join("server.db").display()),
        ..Settings::default()
    };
    assert_eq!(
        settings.tls,
        TlsMode::SelfSigned,
        "TLS is on unless turned off"
    );
    let state = self_signed_dir(&settings).unwrap();
    assert_eq!(state, dir.path().join("server.db.tls"));
    let pin = tls_fingerprint(&settings).unwrap().unwrap();
    assert!(state.join("cert.pem").exists() && state.join("key.pem").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state.join("key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is the owner's alone");
    }
    assert_eq!(tls_fingerprint(&settings).unwrap(), Some(pin));
    let off = Settings {
        tls: TlsMode::Off,
        ..settings
    };
    assert_eq!(tls_fingerprint(&off).unwrap(), None);
}

/// Writes a certificate and key the way an operator would get them, returns their paths and the
/// certificate's fingerprint.
fn operator_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, [u8; 32]) {
    let made = rcgen::generate_simple_self_signed(vec!["watch.example.org".to_owned()]).unwrap();
    let (cert, key) = (dir.join("fullchain.pem"), dir.join("privkey.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (
        cert,
        key,
        porchlight_sync::tls::fingerprint(made.cert.der()),
    )
}

#[tokio::test]
async fn the_operators_certificate_files_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, expected) = operator_files(dir.path());
    let server = TestServer::start_with(move |s| {
        s.tls = TlsMode::Certificate;
        s.tls_cert = Some(cert);
        s.tls_key = Some(key);
    })
    .await;
    assert_eq!(server.pin, Some(expected));
    let coord = coordinator(&server).await;
    let pushed = coord.push_valid(DocKind::Alert, 1).await;
    assert_eq!(pushed.accepted, 1);
    // Nothing was written beside the database: the operator's files are the whole setup.
    assert!(!server.db.with_extension("db.tls").exists());
    server.stop().await;
}

#[tokio::test]
async fn bad_certificate_files_are_rejected_not_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _, _) = operator_files(dir.path());
    let other = tempfile::tempdir().unwrap();
    let (_, other_key, _) = operator_files(other.path());
    let db = format!("sqlite://{}", dir.path().join("server.db").display());
    let with = |cert: &Path, key: &Path| Settings {
        database: db.clone(),
        tls: TlsMode::Certificate,
        tls_cert: Some(cert.to_owned()),
        tls_key: Some(key.to_owned()),
        ..Settings::default()
    };
    let missing = dir.path().join("missing.pem");
    assert!(matches!(
        tls_fingerprint(&with(&missing, &other_key)),
        Err(porchlight_server::Error::Certificate { .. })
    ));
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    assert!(matches!(
        tls_fingerprint(&with(&garbage, &other_key)),
        Err(porchlight_server::Error::Certificate { .. })
    ));
    // A key that belongs to another certificate: the server refuses to start.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let started =
        porchlight_server::launch_with_listener(with(&cert, &other_key), listener, async {}).await;
    assert!(
        matches!(started, Err(porchlight_server::Error::Tls(_))),
        "{started:?}"
    );
}

#[tokio::test]
async fn an_invite_carries_the_pin_to_the_joining_device() {
    let dir = tempfile::tempdir().unwrap();
    let server = self_signed_in(dir.path()).await;
    let coord = coordinator(&server).await;
    let code = common::invite_code(&server, &coord, Role::Resident).await;
    let pasted: InviteCode = code.to_string().parse().unwrap();
    assert_eq!(pasted.tls_fingerprint, server.pin);
    // The new device knows nothing but the code, and reaches the server through its pin.
    let client = HttpClient::for_invite(&pasted).unwrap();
    assert_eq!(client.pin(), server.pin.as_ref());
    let key = generate_signing_key();
    let membership = client.join(&pasted, &key, "Rosa").await.unwrap();
    assert_eq!(membership.role, Role::Resident);
    server.stop().await;
}

#[tokio::test]
async fn reply_reads_are_still_limited_per_address_over_tls() {
    // The in-memory limit on reply reads needs the socket's address (ConnectInfo) behind TLS too.
    let dir = tempfile::tempdir().unwrap();
    let tls_dir = dir.path().to_owned();
    let server = TestServer::start_with(move |s| {
        s.tls = TlsMode::SelfSigned;
        s.tls_dir = Some(tls_dir);
        s.reply_reads_per_hour = 1;
    })
    .await;
    let coord = coordinator(&server).await;
    let pin = server.pin;
    let id = "ab".repeat(16);
    let first = AnonymousClient::reply_pinned(&server.url, pin.as_ref(), coord.group(), &id)
        .await
        .unwrap();
    assert_eq!(first, None);
    let limited = AnonymousClient::reply_pinned(&server.url, pin.as_ref(), coord.group(), &id)
        .await
        .unwrap_err();
    assert_eq!(limited.status(), Some(429), "{limited:?}");
    server.stop().await;
}
