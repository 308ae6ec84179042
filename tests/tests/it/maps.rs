//! The group's offline map across devices and a real server on loopback: the coordinator imports
//! a package, its chunks go up as blobs, a member's device fetches them in the background sync,
//! resumes an interrupted download without fetching a chunk twice, and serves the same tiles.

use crate::common;

use common::{CREATION_TOKEN, Server, Tap, device, device_key, group_of, join_as};
use porchlight_core::{Event, write_demo_package};
use porchlight_model::Role;
use porchlight_sync::wire::blob_hash;
use porchlight_sync::{HttpClient, HttpTransport};

const CHUNK: usize = 256 * 1024;

/// How many requests on the tapped connections fetched blob `hash`.
fn fetches(tap: &Tap, hash: &str) -> usize {
    let needle = format!("GET /v1/blobs/{hash} ");
    tap.connections()
        .iter()
        .map(|c| {
            c.windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count()
        })
        .sum()
}

#[tokio::test]
async fn a_members_device_downloads_the_map_resumes_and_serves_the_same_tiles() {
    let server = Server::start().await;
    // Every device talks through a tap that records each request (the coordinator's device
    // never fetches map chunks: it holds the whole package).
    let tap = Tap::start(&server.url).await;
    let coord = device("Carmen");
    coord
        .core
        .create_group_on(&tap.url, "Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("sunnyside.mbtiles");
    write_demo_package(&path).unwrap();
    let imported = coord.core.import_map(&path).unwrap();
    assert!(imported.ready);

    // The chunks as the test cuts them itself: what the server must end up holding.
    let bytes = std::fs::read(&path).unwrap();
    let chunks: Vec<(String, Vec<u8>)> = bytes
        .chunks(CHUNK)
        .map(|c| (blob_hash(c), c.to_vec()))
        .collect();
    assert!(
        chunks.len() >= 3,
        "the demo package is {} bytes",
        bytes.len()
    );
    assert_eq!(imported.chunks_total as usize, chunks.len());

    // The manifest reaches the server through the change log alone, and only the first chunks
    // are uploaded: as if the coordinator's device lost its connection part-way.
    let transport = HttpTransport::new(
        HttpClient::new(&server.url).unwrap(),
        group_of(&coord.core),
        device_key(&coord),
    );
    coord.core.sync_via(&transport).await.unwrap();
    let first = chunks.len() / 2;
    for (hash, chunk) in &chunks[..first] {
        transport.put_map_chunk(hash, chunk.clone()).await.unwrap();
    }

    // A member joins; joining syncs once, which starts the download.
    let victor = device("Victor");
    let mut events = victor.core.subscribe();
    let member = join_as(&tap.url, &coord.core, Role::Resident, victor).await;
    let partial = member.core.map_status().unwrap().unwrap();
    assert_eq!(partial.id, imported.id);
    assert!(!partial.ready);
    assert_eq!(partial.chunks_held as usize, first);
    assert!(member.core.map_tile(16, 10_444, 23_441).unwrap().is_none());
    // Progress was announced chunk by chunk.
    let mut progress = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::Map(status) = event {
            progress.push(status.chunks_held);
        }
    }
    assert_eq!(progress, (1..=first as u32).collect::<Vec<_>>());

    // The coordinator's device syncs properly: every chunk goes up (a repeat is harmless).
    coord.core.sync_once().await.unwrap();
    // The member's next sync fetches only what it lacks, and puts the package together.
    member.core.sync_once().await.unwrap();
    let done = member.core.map_status().unwrap().unwrap();
    assert!(done.ready, "{done:?}");
    assert_eq!(done.chunks_held, done.chunks_total);
    for (i, (hash, _)) in chunks.iter().enumerate() {
        let expected = if i < first { 1 } else { 2 };
        assert_eq!(fetches(&tap, hash), expected, "chunk {i}");
    }

    // The same tiles on both devices, served from the package with no further requests.
    let before = tap.connections().iter().map(Vec::len).sum::<usize>();
    for (z, x, y) in [(13, 1305, 2930), (16, 10_444, 23_441), (17, 20_889, 46_883)] {
        let theirs = coord.core.map_tile(z, x, y).unwrap();
        let mine = member.core.map_tile(z, x, y).unwrap();
        assert!(mine.is_some(), "{z}/{x}/{y}");
        assert_eq!(mine, theirs);
    }
    assert_eq!(
        tap.connections().iter().map(Vec::len).sum::<usize>(),
        before
    );
    // The map is not fetched again on later syncs.
    member.core.sync_once().await.unwrap();
    assert!(chunks.iter().all(|(h, _)| fetches(&tap, h) <= 2));
    server.stop().await;
}
