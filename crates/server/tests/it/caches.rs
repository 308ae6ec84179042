//! Attacks on the in-memory caches of sessions and newest numbers (docs/DECISIONS.md, decision
//! 63), through real servers on loopback: a revoked member's cached session, on the instance that
//! revoked it and on another one sharing the database; a stale newest number that would show,
//! count or lose a change.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Device, TestServer, coordinator, expect_http, member};
use porchlight_model::{DocKind, Role};
use porchlight_sync::{SyncRequest, SyncResponse};

/// The same device, talking to another instance (its session is in the shared database).
fn via(device: &Device, server: &TestServer) -> Device {
    Device {
        key: device.key.clone(),
        id: device.id,
        session: device.session.clone(),
        client: server.client(),
    }
}

async fn poll(device: &Device, cursor: u64) -> Result<SyncResponse, porchlight_sync::Error> {
    device
        .client
        .sync(
            &device.session,
            &SyncRequest {
                cursor,
                push: vec![],
            },
        )
        .await
}

/// Polls as `device` on `server` until `stop`, and counts the polls sent after `revoked` was set
/// that were answered (there must be none: a poll in flight during the revocation may still be
/// answered, as without any cache).
fn keep_polling(
    device: &Device,
    server: &TestServer,
    revoked: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    let device = via(device, server);
    tokio::spawn(async move {
        let (mut cursor, mut served_after) = (0, 0);
        while !stop.load(Ordering::SeqCst) {
            let after = revoked.load(Ordering::SeqCst);
            // A refusal may come before `revoked` is set: the revocation landed just before.
            if let Ok(r) = poll(&device, cursor).await {
                served_after += usize::from(after);
                cursor = r.cursor;
            }
        }
        served_after
    })
}

fn flags() -> (Arc<AtomicBool>, Arc<AtomicBool>) {
    (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_coordinators_cached_session_is_refused_at_once_not_served_from_memory() {
    let server = TestServer::start().await;
    let carmen = coordinator(&server).await;
    let deputy = member(&server, &carmen, Role::Coordinator).await;
    // The deputy's session is in the cache: it polled, and keeps polling during the revocation.
    let cursor = deputy.pull_all(0).await.1;
    for _ in 0..3 {
        assert_eq!(poll(&deputy, cursor).await.unwrap().cursor, cursor);
    }
    let (revoked, stop) = flags();
    let poller = keep_polling(&deputy, &server, revoked.clone(), stop.clone());

    carmen
        .client
        .revoke(&carmen.session, deputy.id)
        .await
        .unwrap();
    revoked.store(true, Ordering::SeqCst);
    // Something only a coordinator may read, written after the revocation.
    carmen.push_valid(DocKind::Triage, 1).await;
    expect_http(poll(&deputy, cursor).await, 401, "unauthorized");
    expect_http(poll(&deputy, 0).await, 401, "unauthorized");

    stop.store(true, Ordering::SeqCst);
    assert_eq!(
        poller.await.unwrap(),
        0,
        "polls of the revoked coordinator were answered"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_residents_cached_poll_never_shows_or_counts_a_patrol() {
    let server = TestServer::start().await;
    let carmen = coordinator(&server).await;
    let resident = member(&server, &carmen, Role::Resident).await;
    let volunteer = member(&server, &carmen, Role::Volunteer).await;
    carmen.push_valid(DocKind::Alert, 1).await;
    let seen = resident.pull_all(0).await.1;
    assert!(seen > 0);
    // Warm: the resident's kinds are cached at `seen`.
    assert_eq!(poll(&resident, seen).await.unwrap().cursor, seen);

    let patrol = volunteer.push_valid(DocKind::Patrol, 2).await.cursor;
    assert!(patrol > seen);
    // The coordinator's kinds are now cached at the patrol's number.
    assert_eq!(carmen.pull_all(0).await.1, patrol);
    assert_eq!(poll(&carmen, patrol).await.unwrap().cursor, patrol);

    // A resident guessing the patrol's number must not hear it confirmed from the coordinators'
    // cache entry: its answer is the newest number of what it may read.
    let guessed = poll(&resident, patrol).await.unwrap();
    assert_eq!((guessed.cursor, guessed.pull.len()), (seen, 0));
    let r = poll(&resident, seen).await.unwrap();
    assert_eq!(
        (r.cursor, r.pull.len()),
        (seen, 0),
        "the patrol moved a resident's cursor"
    );

    // What it may read still reaches it at once, past the cached number.
    let alert = carmen.push_valid(DocKind::Alert, 1).await.cursor;
    let r = poll(&resident, seen).await.unwrap();
    assert_eq!(r.cursor, alert);
    assert!(r.pull.iter().all(|d| d.kind == DocKind::Alert) && r.pull.len() == 1);
    server.stop().await;
}

/// Two instances serving one fresh PostgreSQL database, caching for the longest time allowed, so
/// only a notification can retire a cached copy within the tests' deadlines.
async fn two_instances() -> (TestServer, TestServer) {
    let url = common::pg::fresh_database().await;
    let config = |s: &mut porchlight_server::Settings| {
        s.database.clone_from(&url);
        s.cache_secs = porchlight_server::MAX_CACHE_SECS;
    };
    let a = TestServer::start_with(config).await;
    let b = TestServer::start_with(config).await;
    (a, b)
}

/// Less than the caches' lifetime in [`two_instances`].
const DEADLINE: Duration = Duration::from_secs(30);

/// Polls as `device` until `done` holds for an answer, for at most [`DEADLINE`].
async fn poll_until(
    device: &Device,
    cursor: u64,
    done: impl Fn(&Result<SyncResponse, porchlight_sync::Error>) -> bool,
) -> Result<SyncResponse, porchlight_sync::Error> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let r = poll(device, cursor).await;
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "still {r:?} after {DEADLINE:?}");
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_coordinators_cached_session_on_another_instance_is_refused_once_the_wake_arrives()
 {
    let (a, b) = two_instances().await;
    let carmen = coordinator(&a).await;
    let deputy_on_a = member(&a, &carmen, Role::Coordinator).await;
    let deputy_on_b = via(&deputy_on_a, &b);
    // Both instances have the deputy's session cached.
    let cursor = deputy_on_a.pull_all(0).await.1;
    for deputy in [&deputy_on_a, &deputy_on_b, &deputy_on_b] {
        assert_eq!(poll(deputy, cursor).await.unwrap().cursor, cursor);
    }
    let (revoked, stop) = flags();
    let poller = keep_polling(&deputy_on_a, &a, revoked.clone(), stop.clone());

    carmen
        .client
        .revoke(&carmen.session, deputy_on_a.id)
        .await
        .unwrap();
    revoked.store(true, Ordering::SeqCst);
    // On the instance that revoked: at once.
    expect_http(poll(&deputy_on_a, cursor).await, 401, "unauthorized");
    carmen.push_valid(DocKind::Triage, 1).await;
    // On the other: as soon as its notification connection delivers the revocation (the cached
    // copy would live a minute more). Until then it answers as before the revocation, and never
    // with the triage written after it.
    let refused = poll_until(&deputy_on_b, cursor, |r| {
        if let Ok(r) = r {
            assert!(r.pull.iter().all(|d| d.kind != DocKind::Triage));
        }
        r.is_err()
    })
    .await;
    expect_http(refused, 401, "unauthorized");
    expect_http(poll(&deputy_on_b, 0).await, 401, "unauthorized");

    stop.store(true, Ordering::SeqCst);
    assert_eq!(poller.await.unwrap(), 0, "A answered after revoking");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_newest_number_on_another_instance_neither_loses_nor_repeats_a_change() {
    let (a, b) = two_instances().await;
    let carmen = coordinator(&a).await;
    let volunteer = member(&a, &carmen, Role::Volunteer).await;
    let (reader_on_b, volunteer_on_b) = (via(&carmen, &b), via(&volunteer, &b));
    let cursor = reader_on_b.pull_all(0).await.1;
    // B caches `cursor` as the newest number of both roles' kinds.
    assert_eq!(poll(&reader_on_b, cursor).await.unwrap().cursor, cursor);
    assert_eq!(poll(&volunteer_on_b, cursor).await.unwrap().cursor, cursor);

    // The pusher moves to B with the cursor A gave it, whether or not B heard of its push yet:
    // its cursor never goes back (which would send it changes again).
    let pushed = volunteer.push_valid(DocKind::Patrol, 1).await;
    let r = poll(&volunteer_on_b, pushed.cursor).await.unwrap();
    assert_eq!((r.cursor, r.pull.len()), (pushed.cursor, 0));

    // A reader on B gets the change as soon as B hears of it (the cached number would live a
    // minute more): nothing is lost, and it comes once.
    let r = poll_until(&reader_on_b, cursor, |r| {
        r.as_ref().is_ok_and(|r| r.cursor != cursor)
    })
    .await
    .unwrap();
    assert_eq!(r.cursor, pushed.cursor);
    assert_eq!(r.pull.len(), 1);
    let again = poll(&reader_on_b, r.cursor).await.unwrap();
    assert_eq!((again.cursor, again.pull.len()), (pushed.cursor, 0));
    a.stop().await;
    b.stop().await;
}
