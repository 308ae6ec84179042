//! Photo blobs: stored once per group under their BLAKE3 hash, readable and writable by the roles
//! that may read and write the documents they belong to.

use crate::common;

use common::{
    TestServer, coordinator, error_body, expect_http, member, raw_http, sealed, send_raw,
};
use porchlight_model::{DocKind, Role};
use porchlight_sync::HttpTransport;
use porchlight_sync::wire::{self, BlobStored, MAX_BLOB, blob_hash};
use reqwest::Method;

/// Bytes that start like a JPEG (all the server looks at), different for each seed.
fn photo(seed: u8) -> (String, Vec<u8>) {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend(sealed(seed, 20_000));
    (blob_hash(&bytes), bytes)
}

#[tokio::test]
async fn a_blob_round_trips_through_the_http_client() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let (hash, bytes) = photo(1);

    let stored = volunteer
        .client
        .put_blob(&volunteer.session, &hash, DocKind::Patrol, bytes.clone())
        .await
        .unwrap();
    assert_eq!(stored, BlobStored { new: true });
    for device in [&volunteer, &coord] {
        let got = device
            .client
            .get_blob(&device.session, &hash)
            .await
            .unwrap();
        assert_eq!(got.as_deref(), Some(&bytes[..]));
    }
    let (missing, _) = photo(2);
    assert_eq!(
        coord
            .client
            .get_blob(&coord.session, &missing)
            .await
            .unwrap(),
        None
    );
    // Blobs belong to their group: another group's coordinator does not see it.
    let stranger = coordinator(&server).await;
    assert_eq!(
        stranger
            .client
            .get_blob(&stranger.session, &hash)
            .await
            .unwrap(),
        None
    );
    assert_eq!(server.blob_count(coord.group()).await, 1);
    assert_eq!(server.blob_count(stranger.group()).await, 0);
}

#[tokio::test]
async fn a_duplicate_blob_is_stored_once() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let (hash, bytes) = photo(1);
    let path = format!("/v1/blobs/{hash}?kind=alert");
    let token = Some(coord.session.token());
    let octets = "application/octet-stream";

    let (status, _, body) =
        send_raw(&server, Method::PUT, &path, token, octets, bytes.clone()).await;
    assert_eq!(status, 201);
    assert_eq!(
        wire::decode::<BlobStored>(&body).unwrap(),
        BlobStored { new: true }
    );
    let (status, _, body) =
        send_raw(&server, Method::PUT, &path, token, octets, bytes.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        wire::decode::<BlobStored>(&body).unwrap(),
        BlobStored { new: false }
    );
    let again = coord
        .client
        .put_blob(&coord.session, &hash, DocKind::Alert, bytes)
        .await
        .unwrap();
    assert!(!again.new);
    assert_eq!(server.blob_count(coord.group()).await, 1);
}

#[tokio::test]
async fn a_blob_under_another_kind_is_rejected_with_conflict() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let (hash, bytes) = photo(1);
    coord
        .client
        .put_blob(&coord.session, &hash, DocKind::Patrol, bytes.clone())
        .await
        .unwrap();
    // Relabelling a patrol photo as an alert photo would show it to residents.
    let result = coord
        .client
        .put_blob(&coord.session, &hash, DocKind::Alert, bytes)
        .await;
    let message = expect_http(result, 409, "conflict");
    assert!(message.contains("patrol"), "{message}");
    assert_eq!(server.blob_count(coord.group()).await, 1);
    assert_eq!(
        resident
            .client
            .get_blob(&resident.session, &hash)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_blob_whose_hash_does_not_match_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let (hash, _) = photo(1);
    let (_, other_bytes) = photo(2);
    let result = coord
        .client
        .put_blob(&coord.session, &hash, DocKind::Alert, other_bytes)
        .await;
    let message = expect_http(result, 400, "hash_mismatch");
    assert!(message.contains(&hash), "{message}");
    assert_eq!(server.blob_count(coord.group()).await, 0);
    assert_eq!(
        coord.client.get_blob(&coord.session, &hash).await.unwrap(),
        None
    );
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_malformed_blob_hash_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let (hash, bytes) = photo(1);
    let token = Some(coord.session.token());
    for bad in [
        "abc".to_owned(),
        hash.to_uppercase(),
        hash[..63].to_owned(),
        format!("{hash}0"),
        format!("{}zz", &hash[..62]),
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
    ] {
        for method in [Method::PUT, Method::GET] {
            let (status, _, body) = send_raw(
                &server,
                method.clone(),
                &format!("/v1/blobs/{bad}?kind=alert"),
                token,
                "application/octet-stream",
                bytes.clone(),
            )
            .await;
            let error = error_body(&body);
            assert_eq!((status, error.kind.as_str()), (400, "bad_request"), "{bad}");
            assert!(error.message.contains("64"), "{}", error.message);
        }
    }
    assert_eq!(server.blob_count(coord.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn an_oversized_blob_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let token = coord.session.token();
    let big = sealed(1, MAX_BLOB + 1);
    let hash = blob_hash(&big);

    let head = format!(
        "PUT /v1/blobs/{hash}?kind=alert HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        big.len()
    );
    let response = raw_http(&server, &head, b"").await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("too_large") && response.contains(&MAX_BLOB.to_string()),
        "{response}"
    );

    let head = format!(
        "PUT /v1/blobs/{hash}?kind=alert HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
    );
    let mut chunked = format!("{:x}\r\n", big.len()).into_bytes();
    chunked.extend_from_slice(&big);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let response = raw_http(&server, &head, &chunked).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");

    assert_eq!(server.blob_count(coord.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_report_blob_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let (hash, bytes) = photo(1);
    // Even though every role may write reports: they never travel this way.
    for device in [&coord, &resident] {
        let result = device
            .client
            .put_blob(&device.session, &hash, DocKind::Report, bytes.clone())
            .await;
        let message = expect_http(result, 400, "bad_request");
        assert!(message.contains("/v1/drop"), "{message}");
    }
    assert_eq!(server.blob_count(coord.group()).await, 0);
}

#[tokio::test]
async fn a_missing_or_unknown_blob_kind_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let (hash, bytes) = photo(1);
    for query in ["", "?kind=gossip", "?kind=", "?sort=patrol"] {
        let (status, _, body) = send_raw(
            &server,
            Method::PUT,
            &format!("/v1/blobs/{hash}{query}"),
            Some(coord.session.token()),
            "application/octet-stream",
            bytes.clone(),
        )
        .await;
        let error = error_body(&body);
        assert_eq!(
            (status, error.kind.as_str()),
            (400, "bad_request"),
            "{query}"
        );
        assert!(error.message.contains("kind"), "{}", error.message);
    }
    assert_eq!(server.blob_count(coord.group()).await, 0);
}

#[tokio::test]
async fn a_resident_cannot_upload_a_patrol_blob() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let (hash, bytes) = photo(1);
    let result = resident
        .client
        .put_blob(&resident.session, &hash, DocKind::Patrol, bytes.clone())
        .await;
    let message = expect_http(result, 403, "forbidden");
    assert!(
        message.contains("resident") && message.contains("patrol"),
        "{message}"
    );
    // Residents write acknowledgements, but those carry no photos: filing a blob under them
    // would store it for the coordinators to read.
    let result = resident
        .client
        .put_blob(&resident.session, &hash, DocKind::Ack, bytes)
        .await;
    let message = expect_http(result, 400, "bad_request");
    assert!(message.contains("no photos"), "{message}");
    assert_eq!(server.blob_count(coord.group()).await, 0);
}

#[tokio::test]
async fn a_patrol_blob_answers_a_resident_like_a_missing_one() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let (patrol_hash, patrol_photo) = photo(1);
    let (alert_hash, alert_photo) = photo(2);
    volunteer
        .client
        .put_blob(
            &volunteer.session,
            &patrol_hash,
            DocKind::Patrol,
            patrol_photo,
        )
        .await
        .unwrap();
    volunteer
        .client
        .put_blob(
            &volunteer.session,
            &alert_hash,
            DocKind::Alert,
            alert_photo.clone(),
        )
        .await
        .unwrap();

    assert_eq!(
        resident
            .client
            .get_blob(&resident.session, &patrol_hash)
            .await
            .unwrap(),
        None
    );
    // Byte for byte the answer for a hash nobody stored: it tells neither the kind nor that the
    // photo exists.
    let get = |hash: String| {
        let token = resident.session.token().to_owned();
        let server = &server;
        async move {
            let (status, _, body) = send_raw(
                server,
                Method::GET,
                &format!("/v1/blobs/{hash}"),
                Some(&token),
                "application/octet-stream",
                vec![],
            )
            .await;
            (status, body)
        }
    };
    let hidden = get(patrol_hash.clone()).await;
    let missing = get(photo(9).0).await;
    assert_eq!(hidden.0, 404);
    assert_eq!(hidden, missing);
    assert_eq!(
        resident
            .client
            .get_blob(&resident.session, &alert_hash)
            .await
            .unwrap(),
        Some(alert_photo)
    );
}

#[tokio::test]
async fn blobs_need_a_token() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let (hash, bytes) = photo(1);
    for method in [Method::PUT, Method::GET] {
        let (status, _, body) = send_raw(
            &server,
            method,
            &format!("/v1/blobs/{hash}?kind=alert"),
            None,
            "application/octet-stream",
            bytes.clone(),
        )
        .await;
        assert_eq!(
            (status, error_body(&body).kind.as_str()),
            (401, "unauthorized")
        );
    }
    assert_eq!(server.blob_count(coord.group()).await, 0);
}

#[tokio::test]
async fn the_transport_renews_an_expired_session_for_blobs_drops_and_replies() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let transport = HttpTransport::new(server.client(), coord.group(), coord.key.clone());
    let (hash, bytes) = photo(1);
    transport
        .put_blob(&hash, DocKind::Alert, bytes.clone())
        .await
        .unwrap();

    server
        .clock
        .advance(server.settings.token_lifetime_secs as i64 + 1);
    // Each call meets a refused token first and signs in again by itself.
    let stored = transport
        .put_blob(&hash, DocKind::Alert, bytes.clone())
        .await
        .unwrap();
    assert!(!stored.new);
    server
        .clock
        .advance(server.settings.token_lifetime_secs as i64 + 1);
    assert_eq!(transport.get_blob(&hash).await.unwrap(), Some(bytes));
    server
        .clock
        .advance(server.settings.token_lifetime_secs as i64 + 1);
    assert!(transport.drops(0, 10).await.unwrap().drops.is_empty());
    server
        .clock
        .advance(server.settings.token_lifetime_secs as i64 + 1);
    let id = "00112233445566778899aabbccddeeff";
    transport
        .put_reply(id, b"sealed reply".to_vec())
        .await
        .unwrap();
    assert_eq!(
        porchlight_sync::AnonymousClient::reply(&server.url, coord.group(), id)
            .await
            .unwrap()
            .as_deref(),
        Some(&b"sealed reply"[..])
    );
}
