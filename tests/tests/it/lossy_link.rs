//! R3 (TARGETS.md): devices sync with a real server through a link that drops, delays,
//! truncates, duplicates and reorders their connections, chosen by a seed. Whatever the link
//! did, once it is good again every device converges to the same receipts and every change made
//! anywhere is present everywhere.
//!
//! Replay a failure with the seed it prints: `PORCHLIGHT_SIM_SEED=… cargo test --workspace
//! --test it lossy_link::`.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use porchlight_core::Core;
use porchlight_model::{Category, NewObservation, Role, Timestamp};

use crate::common;

use common::faults::{Fault, FaultyFront};
use common::{Server, alert, assert_same_where_shared, founded_at, seed, settle, titles};

/// At least this many rounds, and more until the link has applied every fault at least once
/// (devices reuse connections, so how many a round opens varies); never more than `MAX_ROUNDS`.
const ROUNDS: usize = 30;
const MAX_ROUNDS: usize = 200;

const ALL_FAULTS: [Fault; 5] = [
    Fault::Drop,
    Fault::Truncate,
    Fault::Duplicate,
    Fault::Delay,
    Fault::Reorder,
];

/// Syncs once, as the app's loop would; a failure is the link's doing and the next sync retries.
async fn try_sync(core: &Core) {
    let _ = core.sync_once().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_converge_through_a_link_that_drops_delays_truncates_duplicates_and_reorders() {
    let seed = seed();
    let server = Server::start().await;
    let upstream: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let front = FaultyFront::start(upstream).await;

    // The group is made and joined over a good link: the test is about syncing.
    let (carmen, members) = founded_at(
        &front.url,
        &[(Role::Volunteer, "Victor"), (Role::Resident, "Rita")],
    )
    .await;
    let [victor, rita] = <[_; 2]>::try_from(members).ok().unwrap();

    front.faults(Some(seed));
    let mut made = BTreeSet::new();
    victor
        .core
        .start_patrol("Round in the rain", Timestamp::now())
        .unwrap();
    let all_applied = |front: &FaultyFront| {
        let injected = front.injected();
        ALL_FAULTS
            .iter()
            .all(|f| injected.get(f).copied().unwrap_or(0) > 0)
    };
    let mut rounds = 0;
    while rounds < ROUNDS || !all_applied(&front) {
        assert!(
            rounds < MAX_ROUNDS,
            "the link applied every fault within {MAX_ROUNDS} rounds (seed {seed}): {:?}",
            front.injected()
        );
        let round = rounds;
        rounds += 1;
        for (who, core) in [("carmen", &carmen.core), ("victor", &victor.core)] {
            let title = format!("{who} {round}");
            core.issue_alert(alert(&title, 40.0)).unwrap();
            made.insert(title);
        }
        victor
            .core
            .add_observation(&NewObservation {
                at: Timestamp::now(),
                point: None,
                category: Category::AllClear,
                note: format!("corner {round}"),
                photos: vec![],
            })
            .unwrap();
        // All three at once, so their connections interleave (and can be reordered).
        tokio::join!(
            try_sync(&carmen.core),
            try_sync(&victor.core),
            try_sync(&rita.core)
        );
    }
    victor.core.end_patrol(Timestamp::now()).unwrap();
    eprintln!("{rounds} rounds; faults applied: {:?}", front.injected());

    // The link recovers.
    front.faults(None);
    settle(&[&carmen.core, &victor.core, &rita.core]).await;
    let receipts = [
        carmen.core.sync_receipt().unwrap(),
        victor.core.sync_receipt().unwrap(),
        rita.core.sync_receipt().unwrap(),
    ];
    assert_same_where_shared(&receipts[0], &receipts[1]);
    assert_same_where_shared(&receipts[0], &receipts[2]);
    assert_same_where_shared(&receipts[1], &receipts[2]);
    for core in [&carmen.core, &victor.core] {
        assert_eq!(titles(core), made, "every alert everywhere (seed {seed})");
    }
    for core in [&carmen.core, &victor.core, &rita.core] {
        assert_eq!(core.sync_status().unwrap().pending, 0);
    }
    let patrols = carmen.core.patrols(10, 0).unwrap();
    let patrol = carmen.core.patrol(patrols[0].id).unwrap();
    assert_eq!(patrol.patrol.observations.len(), rounds);
    server.stop().await;
}
