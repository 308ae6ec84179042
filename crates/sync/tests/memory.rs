//! The in-memory relay behaves like the server's change log, and cutting a device off is visible
//! to exactly that device.

use std::collections::HashSet;
use std::time::Duration;

use porchlight_model::{DeviceId, DocId, DocKind};
use porchlight_sync::{DocChanges, Error, MemoryHub, SignedChange, SyncRequest, Transport};

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 16])
}

fn push(doc: DocId, changes: &[&[u8]]) -> SyncRequest {
    SyncRequest {
        cursor: 0,
        push: vec![DocChanges::new(
            doc,
            DocKind::Alert,
            // The relay passes changes on as they are; it never looks at signatures.
            changes
                .iter()
                .map(|c| SignedChange::from_parts(c.to_vec(), [0; 64])),
        )],
    }
}

/// Pulls until `more` is false; returns every change seen and the final cursor.
async fn pull_all(t: &impl Transport, mut cursor: u64) -> (Vec<Vec<u8>>, u64) {
    let mut all = Vec::new();
    loop {
        let r = t
            .sync(&SyncRequest {
                cursor,
                push: vec![],
            })
            .await
            .unwrap();
        for doc in r.pull {
            all.extend(doc.changes.into_iter().map(|c| c.into_parts().0));
        }
        cursor = r.cursor;
        if !r.more {
            return (all, cursor);
        }
    }
}

#[tokio::test]
async fn a_cut_off_device_fails_and_catches_up_after_reconnecting() {
    let hub = MemoryHub::new();
    let (a, b) = (hub.transport(device(1)), hub.transport(device(2)));
    hub.cut_off(device(2));

    let doc = DocId::random();
    a.sync(&push(doc, &[b"one", b"two"])).await.unwrap();
    assert!(matches!(
        b.sync(&SyncRequest::default()).await,
        Err(Error::Disconnected)
    ));
    assert!(
        b.wait(0, Duration::from_secs(1))
            .await
            .unwrap_err()
            .is_offline()
    );

    // A push from the cut-off side stores nothing.
    assert!(b.sync(&push(doc, &[b"lost"])).await.is_err());
    assert_eq!(hub.len(), 2);

    hub.reconnect(device(2));
    let (changes, cursor) = pull_all(&b, 0).await;
    assert_eq!(changes, vec![b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(cursor, 2);
}

#[tokio::test]
async fn repeated_pushes_are_stored_once() {
    let hub = MemoryHub::new();
    let a = hub.transport(device(1));
    let doc = DocId::random();
    for _ in 0..3 {
        let r = a.sync(&push(doc, &[b"same"])).await.unwrap();
        assert_eq!(r.accepted, 1);
    }
    assert_eq!(hub.len(), 1);
}

#[tokio::test]
async fn paging_delivers_everything_once() {
    let hub = MemoryHub::with_page_size(7);
    let a = hub.transport(device(1));
    let doc = DocId::random();
    let sent: Vec<Vec<u8>> = (0..100u32).map(|i| i.to_be_bytes().to_vec()).collect();
    let refs: Vec<&[u8]> = sent.iter().map(Vec::as_slice).collect();
    a.sync(&push(doc, &refs)).await.unwrap();

    let (got, cursor) = pull_all(&hub.transport(device(2)), 0).await;
    assert_eq!(cursor, 100);
    assert_eq!(got.len(), 100);
    assert_eq!(
        got.iter().collect::<HashSet<_>>().len(),
        100,
        "no duplicates"
    );
}

#[tokio::test]
async fn a_wait_wakes_when_another_device_pushes() {
    let hub = MemoryHub::new();
    let (a, b) = (hub.transport(device(1)), hub.transport(device(2)));
    let waiter = tokio::spawn(async move { b.wait(0, Duration::from_secs(60)).await });
    // Let the waiter register before pushing; either order must work, this covers the harder one.
    tokio::task::yield_now().await;
    a.sync(&push(DocId::random(), &[b"x"])).await.unwrap();
    let woke = waiter.await.unwrap().unwrap();
    assert!(woke.changed);
    assert_eq!(woke.cursor, 1);
}

#[tokio::test(start_paused = true)]
async fn a_wait_times_out_when_nothing_happens() {
    let hub = MemoryHub::new();
    let r = hub
        .transport(device(1))
        .wait(0, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(!r.changed);
}

#[tokio::test]
async fn cutting_off_ends_a_wait_in_progress() {
    let hub = MemoryHub::new();
    let b = hub.transport(device(2));
    let waiter = tokio::spawn(async move { b.wait(0, Duration::from_secs(60)).await });
    tokio::task::yield_now().await;
    hub.cut_off(device(2));
    assert!(matches!(waiter.await.unwrap(), Err(Error::Disconnected)));
}
