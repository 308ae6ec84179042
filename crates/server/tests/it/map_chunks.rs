//! Chunks of a group's offline map package: the one blob that is not a photo. Coordinators upload
//! them, every member reads them, they are size-limited, and the photo rules stay as they were.

use crate::common;

use common::{TestServer, coordinator, expect_http, member, sealed, send_raw};
use porchlight_model::{DocKind, Role};
use porchlight_sync::wire::{BlobStored, MAX_MAP_CHUNK, blob_hash};
use reqwest::Method;

/// Bytes like a slice out of the middle of a SQLite file: no image signature at all.
fn chunk(seed: u8, len: usize) -> (String, Vec<u8>) {
    let bytes = sealed(seed, len);
    (blob_hash(&bytes), bytes)
}

#[tokio::test]
async fn a_coordinators_map_chunk_is_read_by_every_member_and_no_other_group() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let (hash, bytes) = chunk(1, MAX_MAP_CHUNK);

    let stored = coord
        .client
        .put_map_chunk(&coord.session, &hash, bytes.clone())
        .await
        .unwrap();
    assert_eq!(stored, BlobStored { new: true });
    for device in [&coord, &volunteer, &resident] {
        let got = device
            .client
            .get_blob(&device.session, &hash)
            .await
            .unwrap();
        assert_eq!(got.as_deref(), Some(&bytes[..]));
    }
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
}

#[tokio::test]
async fn a_map_chunk_from_a_volunteer_or_resident_is_rejected() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let (hash, bytes) = chunk(2, 4096);
    for (device, role) in [(&volunteer, "volunteer"), (&resident, "resident")] {
        let result = device
            .client
            .put_map_chunk(&device.session, &hash, bytes.clone())
            .await;
        let message = expect_http(result, 403, "forbidden");
        assert!(message.contains(role), "{message}");
    }
    assert_eq!(server.blob_count(coord.group()).await, 0);
}

#[tokio::test]
async fn an_oversized_map_chunk_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let (hash, bytes) = chunk(3, MAX_MAP_CHUNK + 1);
    let result = coord
        .client
        .put_map_chunk(&coord.session, &hash, bytes)
        .await;
    let message = expect_http(result, 413, "too_large");
    assert!(message.contains(&MAX_MAP_CHUNK.to_string()), "{message}");
    assert_eq!(server.blob_count(coord.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn non_image_bytes_are_still_rejected_under_every_other_kind() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let (hash, bytes) = chunk(4, 4096);
    // The map kind does not open a way around photo sniffing: not under a photo kind, and not
    // by naming the group kind that map chunks are stored under.
    for kind in [DocKind::Patrol, DocKind::Alert] {
        let result = coord
            .client
            .put_blob(&coord.session, &hash, kind, bytes.clone())
            .await;
        let message = expect_http(result, 400, "bad_request");
        assert!(message.contains("photo"), "{message}");
    }
    let (status, _, _) = send_raw(
        &server,
        Method::PUT,
        &format!("/v1/blobs/{hash}?kind=group"),
        Some(coord.session.token()),
        "application/octet-stream",
        bytes,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(server.blob_count(coord.group()).await, 0);
}
