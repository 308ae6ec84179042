//! Hostile and broken input: each gets a 4xx with a clear message, stores nothing, and leaves the
//! server answering.

use crate::common;

use common::{
    Device, TestServer, changes, coordinator, doc_by, expect_http, member, post_raw, raw_http,
};
use porchlight_model::{DeviceId, DocId, DocKind, Role};
use porchlight_sync::wire;
use porchlight_sync::{DocChanges, SyncRequest};

/// Pushes `bad` together with one good change in another document, expects the whole request to
/// be refused with 400 `bad_change`, and checks that nothing was stored.
async fn push_is_refused(server: &TestServer, device: &Device, bad: Vec<u8>, expected: &str) {
    let bad = device.signed(DocId::random(), DocKind::Alert, vec![bad]);
    refused_with(server, device, bad, (400, "bad_change"), expected).await;
}

/// Pushes `bad` after one good change; expects `status` and `kind`, a message containing
/// `expected`, and nothing stored.
async fn refused_with(
    server: &TestServer,
    device: &Device,
    bad: DocChanges,
    (status, kind): (u16, &str),
    expected: &str,
) {
    let request = SyncRequest {
        cursor: 0,
        push: vec![
            device.signed(DocId::random(), DocKind::Alert, changes(device.id, 1)),
            bad,
        ],
    };
    let result = device.client.sync(&device.session, &request).await;
    let message = expect_http(result, status, kind);
    assert!(message.contains(expected), "{message}");
    assert_eq!(
        server.change_count(device.group()).await,
        0,
        "nothing may be stored"
    );
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_rejected_not_panicking() {
    let server = TestServer::start_with(|s| s.body_limit = 64 * 1024).await;
    let device = coordinator(&server).await;
    let token = device.session.token();

    // Announces a gigabyte and sends none of it: the answer must come from the header alone.
    let head = format!(
        "POST /v1/sync HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/cbor\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\n"
    );
    let response = raw_http(&server, &head, b"").await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("too_large") && response.contains("65536"),
        "{response}"
    );

    // Without a length (chunked), the body is cut off at the limit while streaming.
    let head = format!(
        "POST /v1/sync HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/cbor\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let chunk_len = 100 * 1024;
    let mut body = format!("{chunk_len:x}\r\n").into_bytes();
    body.extend(std::iter::repeat_n(0u8, chunk_len));
    body.extend_from_slice(b"\r\n0\r\n\r\n");
    let response = raw_http(&server, &head, &body).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");

    assert_eq!(server.change_count(device.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn malformed_cbor_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    for body in [
        b"\xff\x00not cbor".to_vec(),
        Vec::new(),
        b"\xa1\x61x\x01".to_vec(),
    ] {
        let (status, error) =
            post_raw(&server, "/v1/sync", Some(device.session.token()), body).await;
        let error = error.unwrap();
        assert_eq!(
            (status, error.kind.as_str()),
            (400, "malformed"),
            "{}",
            error.message
        );
        assert!(error.message.contains("CBOR"), "{}", error.message);
    }
    // Unauthenticated endpoints too.
    let (status, _) = post_raw(&server, "/v1/join", None, b"\x00".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(server.change_count(device.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_compressed_change_chunk_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    let mut doc = doc_by(device.id, &"a long note ".repeat(200));
    let mut change = doc.get_changes(&[])[0].clone();
    let compressed = change.bytes().into_owned();
    assert_eq!(compressed[8], 2, "the chunk really is compressed");
    push_is_refused(&server, &device, compressed, "compressed").await;
}

#[tokio::test]
async fn a_whole_saved_document_sent_as_a_change_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    let saved = doc_by(device.id, "hello").save();
    push_is_refused(&server, &device, saved, "whole saved document").await;
}

#[tokio::test]
async fn a_change_with_a_corrupted_checksum_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    let mut bytes = changes(device.id, 1).remove(0);
    bytes[4] ^= 0x55;
    push_is_refused(&server, &device, bytes, "checksum").await;
}

#[tokio::test]
async fn a_change_by_an_unregistered_actor_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    let stranger = DeviceId::from_bytes([0x42; 16]);
    let bad = device.signed(DocId::random(), DocKind::Alert, changes(stranger, 1));
    refused_with(
        &server,
        &device,
        bad,
        (403, "unknown_author"),
        "not a current member",
    )
    .await;
}

/// A member writes a change as another member (the victim's actor) and signs it with its own
/// key: the server verifies the signature against the author's key, not the uploader's.
#[tokio::test]
async fn a_change_in_another_members_name_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let mallory = member(&server, &coord, Role::Volunteer).await;
    let doc = DocId::random();
    let forged = mallory.signed(doc, DocKind::Alert, changes(coord.id, 1));
    refused_with(
        &server,
        &mallory,
        forged,
        (403, "unsigned_change"),
        "signature",
    )
    .await;

    // Nor can a genuine signature be moved to another document or kind.
    let mut moved = coord.signed(doc, DocKind::Alert, changes(coord.id, 1));
    moved.doc = DocId::random();
    refused_with(
        &server,
        &coord,
        moved,
        (403, "unsigned_change"),
        "signature",
    )
    .await;
    let mut relabelled = coord.signed(doc, DocKind::Alert, changes(coord.id, 1));
    relabelled.kind = DocKind::Patrol;
    refused_with(
        &server,
        &coord,
        relabelled,
        (403, "unsigned_change"),
        "signature",
    )
    .await;

    // An honest push still goes through afterwards.
    let ok = coord.push_valid(DocKind::Alert, 2).await;
    assert!(ok.rejected.is_empty(), "{:?}", ok.rejected);
}

#[tokio::test]
async fn random_bytes_as_a_change_are_rejected_not_panicking() {
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    let mut bytes = changes(device.id, 1).remove(0);
    bytes.truncate(20);
    push_is_refused(&server, &device, bytes, "parsed").await;
    push_is_refused(&server, &device, b"hello there".to_vec(), "magic").await;
}

#[tokio::test]
async fn an_unknown_kind_is_rejected_not_panicking() {
    use ciborium::Value;
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    let change = changes(device.id, 1).remove(0);
    let doc = Value::Map(vec![
        (
            Value::Text("doc".into()),
            Value::Bytes(DocId::random().as_bytes().to_vec()),
        ),
        (Value::Text("kind".into()), Value::Text("gossip".into())),
        (
            Value::Text("changes".into()),
            Value::Array(vec![Value::Bytes(change)]),
        ),
    ]);
    let request = Value::Map(vec![
        (Value::Text("cursor".into()), Value::Integer(0.into())),
        (Value::Text("push".into()), Value::Array(vec![doc])),
    ]);
    let body = wire::encode(&request).unwrap();
    let (status, error) = post_raw(&server, "/v1/sync", Some(device.session.token()), body).await;
    let error = error.unwrap();
    assert_eq!((status, error.kind.as_str()), (400, "malformed"));
    assert!(error.message.contains("gossip"), "{}", error.message);
    assert_eq!(server.change_count(device.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn an_oversized_change_is_rejected_not_panicking() {
    let server = TestServer::start_with(|s| s.max_change_bytes = 200).await;
    let device = coordinator(&server).await;
    let big = doc_by(device.id, &"x".repeat(500)).get_changes(&[])[0]
        .raw_bytes()
        .to_vec();
    push_is_refused(&server, &device, big, "allowed for one change").await;
}

#[tokio::test]
async fn requests_without_a_valid_token_are_rejected_not_panicking() {
    let server = TestServer::start().await;
    let body = wire::encode(&SyncRequest::default()).unwrap();
    let (status, error) = post_raw(&server, "/v1/sync", None, body.clone()).await;
    assert_eq!(
        (status, error.unwrap().kind.as_str()),
        (401, "unauthorized")
    );
    let (status, _) = post_raw(&server, "/v1/sync", Some("made-up"), body).await;
    assert_eq!(status, 401);
    let (status, error) = post_raw(&server, "/v1/nowhere", None, vec![]).await;
    assert_eq!((status, error.unwrap().kind.as_str()), (404, "not_found"));
    server.assert_healthy().await;
}
