//! The change log as devices use it: idempotent pushes, paging, long-polls.

use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use common::{TestServer, coordinator, member, valid_changes};
use porchlight_model::{DocKind, Role};
use porchlight_sync::SyncRequest;

#[tokio::test]
async fn the_same_push_twice_is_stored_once() {
    let server = TestServer::start().await;
    let device = coordinator(&server).await;
    let (doc, batch) = valid_changes(DocKind::Alert, device.id, 5);
    let first = device.push(doc, DocKind::Alert, batch.clone()).await;
    let second = device.push(doc, DocKind::Alert, batch).await;
    // Both report the changes as held by the server; only the first added rows.
    assert_eq!((first.accepted, second.accepted), (5, 5));
    assert_eq!(first.cursor, second.cursor);
    assert_eq!(server.change_count(device.group()).await, 5);
}

#[tokio::test]
async fn thousands_of_changes_page_through_without_duplicates() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let mut pushed = HashSet::new();
    for _ in 0..10 {
        let (doc, batch) = valid_changes(DocKind::Alert, coord.id, 300);
        pushed.extend(batch.iter().cloned());
        coord.push(doc, DocKind::Alert, batch).await;
    }
    assert_eq!(pushed.len(), 3000);

    let reader = member(&server, &coord, Role::Resident).await;
    let (pulled, cursor, pages) = reader.pull_all(0).await;
    let all: Vec<Vec<u8>> = pulled
        .into_iter()
        .flat_map(|d| d.changes)
        .map(|c| c.into_parts().0)
        .collect();
    assert_eq!(all.len(), 3000, "every change exactly once");
    assert_eq!(all.iter().cloned().collect::<HashSet<_>>(), pushed);
    assert_eq!(cursor, 3000);
    assert!(
        pages >= 3,
        "{pages} pages: the default page holds 1000 changes"
    );

    // From the final cursor there is nothing more.
    let (rest, _, _) = reader.pull_all(cursor).await;
    assert!(rest.is_empty());
}

#[tokio::test]
async fn a_wait_returns_when_another_device_pushes() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let cursor = coord.push_valid(DocKind::Alert, 1).await.cursor;

    let (client, session) = (coord.client.clone(), coord.session.clone());
    let waiter =
        tokio::spawn(async move { client.wait(&session, cursor, Duration::from_secs(60)).await });
    // Whether the wait registers before or after this push, it must report the change.
    let pushed = volunteer.push_valid(DocKind::Patrol, 1).await;
    let woke = waiter.await.unwrap().unwrap();
    assert!(woke.changed);
    assert_eq!(woke.cursor, pushed.cursor);
}

#[tokio::test]
async fn a_wait_with_nothing_new_times_out_empty() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let r = coord
        .client
        .wait(&coord.session, 0, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!((r.changed, r.cursor), (false, 0));
}

#[tokio::test]
async fn a_wait_ends_when_the_server_stops() {
    let server = TestServer::start_with(|s| s.max_wait_secs = 600).await;
    let coord = coordinator(&server).await;
    let (client, session) = (coord.client.clone(), coord.session.clone());
    let waiter =
        tokio::spawn(async move { client.wait(&session, 0, Duration::from_secs(600)).await });
    // The wait is in flight or about to be; stopping must not hang for ten minutes either way.
    tokio::time::timeout(Duration::from_secs(30), server.stop())
        .await
        .expect("stopped promptly");
    let _ = waiter.await.unwrap();
}

#[tokio::test]
async fn a_bad_wait_query_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let response = reqwest::Client::new()
        .get(format!("{}/v1/wait?cursor=minus-one", server.url))
        .bearer_auth(coord.session.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.text().await.unwrap().contains("cursor"));
    server.assert_healthy().await;
}

#[tokio::test]
async fn pulls_include_what_others_pushed_since_the_cursor() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let start = volunteer.pull_all(0).await.1;
    let (doc, alert) = valid_changes(DocKind::Alert, coord.id, 3);
    coord.push(doc, DocKind::Alert, alert).await;

    let (patrol, changes) = valid_changes(DocKind::Patrol, volunteer.id, 1);
    let request = SyncRequest {
        cursor: start,
        push: vec![volunteer.signed(patrol, DocKind::Patrol, changes)],
    };
    let response = volunteer
        .client
        .sync(&volunteer.session, &request)
        .await
        .unwrap();
    let alert = response
        .pull
        .iter()
        .find(|d| d.doc == doc)
        .expect("the alert came back");
    assert_eq!(alert.changes.len(), 3);
    assert_eq!(response.accepted, 1);
}
