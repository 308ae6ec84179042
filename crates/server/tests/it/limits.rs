//! The smaller holes of issue 10 §7 on the server: what blobs may hold, how long and how much of
//! them a group keeps, and one change-size limit shared with devices.

use crate::common;

use common::{TestServer, coordinator, doc_by, expect_http, member, sealed};
use porchlight_model::{DocId, DocKind, Role};
use porchlight_sync::SyncRequest;
use porchlight_sync::wire::blob_hash;

fn jpeg(seed: u8, len: usize) -> (String, Vec<u8>) {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend(sealed(seed, len));
    (blob_hash(&bytes), bytes)
}

#[tokio::test]
async fn non_image_bytes_are_rejected_not_stored() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let html = b"<html><script>alert(1)</script></html>".repeat(10);
    let gif = [b"GIF89a".as_slice(), &sealed(1, 100)].concat();
    for bytes in [html, gif, sealed(2, 5000)] {
        let result = volunteer
            .client
            .put_blob(
                &volunteer.session,
                &blob_hash(&bytes),
                DocKind::Patrol,
                bytes,
            )
            .await;
        let message = expect_http(result, 400, "bad_request");
        assert!(message.contains("JPEG, PNG or WebP"), "{message}");
    }
    assert_eq!(server.blob_count(coord.group()).await, 0);
    // PNG and WebP magic are photos.
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &sealed(3, 100)].concat();
    let webp = [b"RIFF\0\0\0\0WEBP".as_slice(), &sealed(4, 100)].concat();
    for bytes in [png, webp] {
        volunteer
            .client
            .put_blob(
                &volunteer.session,
                &blob_hash(&bytes),
                DocKind::Patrol,
                bytes,
            )
            .await
            .unwrap();
    }
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_group_over_its_blob_quota_is_rejected_with_413() {
    let server = TestServer::start_with(|s| s.blob_quota_bytes = 50_000).await;
    let coord = coordinator(&server).await;
    let (a, first) = jpeg(1, 30_000);
    let (b, second) = jpeg(2, 30_000);
    coord
        .client
        .put_blob(&coord.session, &a, DocKind::Alert, first.clone())
        .await
        .unwrap();
    let message = expect_http(
        coord
            .client
            .put_blob(&coord.session, &b, DocKind::Alert, second)
            .await,
        413,
        "over_quota",
    );
    assert!(message.contains("50000"), "{message}");
    assert_eq!(server.blob_count(coord.group()).await, 1);
    // A blob it already has costs nothing more.
    coord
        .client
        .put_blob(&coord.session, &a, DocKind::Alert, first)
        .await
        .unwrap();
    // Another group has its own quota.
    let other = coordinator(&server).await;
    let (c, third) = jpeg(3, 30_000);
    other
        .client
        .put_blob(&other.session, &c, DocKind::Alert, third)
        .await
        .unwrap();
}

#[tokio::test]
async fn blobs_are_deleted_after_their_retention() {
    let server = TestServer::start_with(|s| s.blob_retention_days = 30).await;
    let coord = coordinator(&server).await;
    let (old, old_bytes) = jpeg(1, 1000);
    coord
        .client
        .put_blob(&coord.session, &old, DocKind::Alert, old_bytes)
        .await
        .unwrap();
    server.clock.advance(31 * 86_400);
    // A month later (signed in again): the next upload sweeps what is past its retention.
    let client = &coord.client;
    let session = client
        .authenticate(coord.group(), &coord.key)
        .await
        .unwrap();
    let (new, new_bytes) = jpeg(2, 1000);
    client
        .put_blob(&session, &new, DocKind::Alert, new_bytes.clone())
        .await
        .unwrap();
    assert_eq!(server.blob_count(coord.group()).await, 1);
    assert_eq!(client.get_blob(&session, &old).await.unwrap(), None);
    assert_eq!(
        client.get_blob(&session, &new).await.unwrap(),
        Some(new_bytes)
    );
}

#[tokio::test]
async fn a_change_devices_would_refuse_is_rejected_by_default() {
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    // Random text does not compress, so the raw change stays over the devices' limit.
    let text: String = (0..=porchlight_crdt::MAX_CHANGE_BYTES / 16)
        .map(|_| porchlight_model::hex(&porchlight_model::random_bytes::<8>()))
        .collect();
    let big = doc_by(device.id, &text).get_changes(&[])[0]
        .raw_bytes()
        .to_vec();
    assert!(big.len() > porchlight_crdt::MAX_CHANGE_BYTES);
    let request = SyncRequest {
        cursor: 0,
        push: vec![device.signed(DocId::random(), DocKind::Alert, vec![big])],
    };
    let message = expect_http(
        device.client.sync(&device.session, &request).await,
        400,
        "bad_change",
    );
    assert!(message.contains("allowed for one change"), "{message}");
    assert_eq!(server.change_count(device.group()).await, 0);
    server.assert_healthy().await;
}
