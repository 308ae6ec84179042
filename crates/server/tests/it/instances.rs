//! Several stateless server instances on one PostgreSQL database, as behind a load balancer:
//! devices on different instances converge, a long-poll on one instance wakes for a push through
//! another, and many concurrent pushers leave a log without gaps or duplicates that every reader
//! walks exactly once.

use crate::common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Device, TestServer, coordinator, valid_changes};
use porchlight_model::{DeviceId, DocId, DocKind, Role};
use porchlight_server::{
    CompactionPolicy, NewMember, PgStorage, PushChange, PushDoc, Storage, compact_once,
};
use porchlight_sync::wire::GroupId;
use porchlight_sync::{HttpClient, SyncRequest};

/// Two instances serving one fresh PostgreSQL database.
async fn two_instances() -> (TestServer, TestServer, String) {
    let url = common::pg::fresh_database().await;
    let a = TestServer::start_with(|s| s.database.clone_from(&url)).await;
    let b = TestServer::start_with(|s| s.database.clone_from(&url)).await;
    (a, b, url)
}

/// The same device, talking to another instance (its session is in the shared database).
fn via(device: &Device, server: &TestServer) -> Device {
    Device {
        key: device.key.clone(),
        id: device.id,
        session: device.session.clone(),
        client: server.client(),
    }
}

/// What a device holds after pulling everything: each document's change hashes, sorted. Two
/// devices with equal receipts hold the same changes.
async fn receipt(device: &Device) -> BTreeMap<DocId, Vec<[u8; 32]>> {
    let (pulled, _, _) = device.pull_all(0).await;
    let mut docs: BTreeMap<DocId, Vec<[u8; 32]>> = BTreeMap::new();
    for doc in pulled {
        let hashes = docs.entry(doc.doc).or_default();
        for change in doc.changes {
            let (bytes, _) = change.into_parts();
            hashes.push(*blake3::hash(&bytes).as_bytes());
        }
    }
    for hashes in docs.values_mut() {
        hashes.sort_unstable();
    }
    docs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_on_different_instances_converge_to_equal_receipts() {
    let (a, b, _url) = two_instances().await;
    let carmen = coordinator(&a).await;
    // Victor joins through instance B with an invite Carmen made on A.
    let victor = common::member(&b, &via(&carmen, &b), Role::Volunteer).await;
    let vera = via(&common::member(&a, &carmen, Role::Volunteer).await, &b);
    for (device, kind) in [
        (&carmen, DocKind::Alert),
        (&victor, DocKind::Patrol),
        (&vera, DocKind::Alert),
        (&victor, DocKind::Alert),
    ] {
        device.push_valid(kind, 3).await;
    }
    let on_a = receipt(&carmen).await;
    assert_eq!(on_a.len(), 4, "the four documents pushed");
    assert_eq!(receipt(&victor).await, on_a);
    assert_eq!(receipt(&vera).await, on_a);
    assert_eq!(receipt(&via(&victor, &a)).await, on_a);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_on_one_instance_wakes_for_a_push_through_another() {
    let (a, b, _url) = two_instances().await;
    let carmen = coordinator(&a).await;
    let victor = common::member(&b, &via(&carmen, &b), Role::Volunteer).await;
    let cursor = carmen.pull_all(0).await.1;
    let (client, session) = (carmen.client.clone(), carmen.session.clone());
    let waiter = tokio::spawn(async move {
        let r = client.wait(&session, cursor, Duration::from_secs(50)).await;
        (r, Instant::now())
    });
    let pushed = victor.push_valid(DocKind::Patrol, 1).await;
    let pushed_at = Instant::now();
    let (woke, woke_at) = tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the long-poll on A never woke for the push through B")
        .unwrap();
    let woke = woke.unwrap();
    assert!(woke.changed);
    assert_eq!(woke.cursor, pushed.cursor);
    assert!(
        woke_at.saturating_duration_since(pushed_at) < Duration::from_secs(1),
        "woke {:?} after the push",
        woke_at.saturating_duration_since(pushed_at)
    );
    a.stop().await;
    b.stop().await;
}

fn one_change_doc(n: u32) -> PushDoc {
    let bytes = n.to_be_bytes().to_vec();
    PushDoc {
        doc: DocId::random(),
        kind: DocKind::Alert,
        changes: vec![PushChange {
            hash: *blake3::hash(&bytes).as_bytes(),
            bytes,
            signature: [0; 64],
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_through_one_instance_wakes_the_waiters_of_another() {
    // At the storage level the order is certain: the waiter is registered before the push.
    let url = common::pg::fresh_database().await;
    let (one, two) = (
        PgStorage::connect(&url).await.unwrap(),
        PgStorage::connect(&url).await.unwrap(),
    );
    let group = GroupId::random();
    let founder = NewMember {
        device: DeviceId::from_bytes([1; 16]),
        public_key: [1; 32],
        display_name: "founder".into(),
        joined_at: 1,
    };
    one.create_group(group, "Elm".into(), founder.clone())
        .await
        .unwrap();
    let notify = one.wakeup(group);
    let woken = notify.notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    two.push(group, founder.device, vec![one_change_doc(1)])
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), woken)
        .await
        .expect("a push through the other instance woke this one's waiter");
}

/// How long the concurrent-pushers test runs: 5 s in `cargo test`, longer when asked
/// (`make bench` runs it for 30 s).
fn soak() -> Duration {
    let secs = std::env::var("PORCHLIGHT_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

const PUSHERS: usize = 50;

/// Every pulled change with its document: two documents may hold byte-identical changes (the
/// same author writing the same content in the same millisecond), and each is its own entry.
fn flatten(pulled: Vec<porchlight_sync::DocChanges>) -> Vec<(DocId, Vec<u8>)> {
    pulled
        .into_iter()
        .flat_map(|d| {
            let doc = d.doc;
            d.changes.into_iter().map(move |c| (doc, c.into_parts().0))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_pushers_on_two_instances_leave_no_gaps_or_duplicates() {
    let (a, b, url) = two_instances().await;
    let storage = PgStorage::connect(&url).await.unwrap();
    pushers_and_readers(&a, &b, storage, false).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_during_fifty_concurrent_pushers_on_two_instances_loses_nothing() {
    let (a, b, url) = two_instances().await;
    let storage = PgStorage::connect(&url).await.unwrap();
    pushers_and_readers(&a, &b, storage, true).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_compaction_during_fifty_concurrent_pushers_on_sqlite_loses_nothing() {
    // The server's background compaction, every second, folding all but the newest 20 changes
    // (a second writer on the file from here would only contend with the server's writer).
    let server = TestServer::start_with(|s| {
        s.compact_every_secs = 1;
        s.compact_keep_changes = 20;
        s.compact_min_changes = 2;
    })
    .await;
    // A second handle on the file only once the server answers (it has migrated the file).
    server.assert_healthy().await;
    let (group, docs) = pushers_and_readers(&server, &server, server.storage(), false).await;
    let storage = server.storage();
    let mut folded = 0;
    for doc in docs {
        let stored = storage.doc_changes(group, doc).await.unwrap().unwrap();
        folded += usize::from(stored.snapshot.is_some());
    }
    assert!(
        folded > 0,
        "the server folded documents while they were pushed and read"
    );
    server.stop().await;
}

/// 50 pushers through `a` and `b` for the soak time while a reader on each walks its cursor (and,
/// with `compacting`, a compactor folds everything but the newest 20 changes, pass after pass):
/// the log ends numbered 1..=N with every pushed change once, and each reader saw each change
/// exactly once. Returns the group and the documents pushed.
async fn pushers_and_readers<S: Storage>(
    a: &TestServer,
    b: &TestServer,
    storage: S,
    compacting: bool,
) -> (GroupId, Vec<DocId>) {
    let carmen = coordinator(a).await;
    let mut authors = vec![Arc::new(carmen)];
    for i in 0..4 {
        let (server, other) = if i % 2 == 0 { (a, b) } else { (b, a) };
        let inviter = via(&authors[0], server);
        let volunteer = common::member(server, &inviter, Role::Volunteer).await;
        authors.push(Arc::new(via(&volunteer, other)));
    }
    let group = authors[0].group();
    let deadline = Instant::now() + soak();
    let urls = [a.url.clone(), b.url.clone()];

    // Readers walk their cursors while the pushers run, one on each instance.
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let reader = Device {
                key: authors[r].key.clone(),
                id: authors[r].id,
                session: authors[r].session.clone(),
                client: HttpClient::new(&urls[r]).unwrap(),
            };
            tokio::spawn(async move {
                let mut seen: Vec<(DocId, Vec<u8>)> = Vec::new();
                let mut cursor = 0;
                while Instant::now() < deadline {
                    let r = reader
                        .client
                        .sync(
                            &reader.session,
                            &SyncRequest {
                                cursor,
                                push: vec![],
                            },
                        )
                        .await
                        .unwrap();
                    seen.extend(flatten(r.pull));
                    cursor = r.cursor;
                }
                (reader, seen, cursor)
            })
        })
        .collect();

    let pushers: Vec<_> = (0..PUSHERS)
        .map(|p| {
            let author = authors[p % authors.len()].clone();
            let client = HttpClient::new(&urls[p % 2]).unwrap();
            tokio::spawn(async move {
                let mut pushed = Vec::new();
                while Instant::now() < deadline {
                    let (doc, changes) = valid_changes(DocKind::Alert, author.id, 2);
                    let request = SyncRequest {
                        cursor: 0,
                        push: vec![author.signed(doc, DocKind::Alert, changes.clone())],
                    };
                    let r = client.sync(&author.session, &request).await.unwrap();
                    assert_eq!((r.accepted, r.rejected.len()), (2, 0));
                    pushed.extend(changes.into_iter().map(|c| (doc, c)));
                }
                pushed
            })
        })
        .collect();
    let compactor = compacting.then(|| {
        let storage = storage.clone();
        tokio::spawn(async move {
            let policy = CompactionPolicy {
                keep_changes: 20,
                min_changes: 2,
                docs_per_pass: 50,
            };
            let mut folded = 0;
            while Instant::now() < deadline {
                if let Some(done) = compact_once(&storage, policy).await.unwrap() {
                    folded += done.changes;
                }
                tokio::task::yield_now().await;
            }
            folded
        })
    });
    let mut pushed = HashSet::new();
    for p in pushers {
        for change in p.await.unwrap() {
            assert!(
                pushed.insert(change),
                "a pusher pushed the same change twice"
            );
        }
    }
    assert!(
        pushed.len() >= PUSHERS,
        "every pusher got through at least once"
    );

    if let Some(compactor) = compactor {
        let folded = compactor.await.unwrap();
        assert!(
            folded > 0,
            "the compactor folded changes while they were pushed and read"
        );
    }
    // The log: numbers 1..=N, each once, N = every change pushed.
    let total = storage.change_count(group).await.unwrap();
    assert_eq!(storage.latest_seq(group).await.unwrap(), total, "no gaps");
    let mut cursor = 0;
    let mut seqs = Vec::new();
    loop {
        let page = storage
            .pull(
                group,
                cursor,
                DocKind::ALL.to_vec(),
                porchlight_server::PageLimits {
                    max_changes: 1000,
                    max_bytes: 1 << 22,
                },
            )
            .await
            .unwrap();
        seqs.extend(page.changes.iter().map(|c| c.seq));
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(seqs, (1..=total).collect::<Vec<u64>>());
    assert_eq!(
        total,
        pushed.len() as u64,
        "every accepted change is in the log once"
    );

    // Every reader, having walked during the pushes, finishes its walk and has seen each change
    // exactly once.
    for reader in readers {
        let (reader, mut seen, cursor) = reader.await.unwrap();
        let (rest, _, _) = reader.pull_all(cursor).await;
        seen.extend(flatten(rest));
        let mut counts: HashMap<&(DocId, Vec<u8>), usize> = HashMap::new();
        for change in &seen {
            *counts.entry(change).or_default() += 1;
        }
        assert!(
            counts.values().all(|&n| n == 1),
            "a reader saw a change twice"
        );
        let seen: HashSet<(DocId, Vec<u8>)> = seen.iter().cloned().collect();
        assert!(pushed.is_subset(&seen), "a reader missed a change");
        assert_eq!(seen.len() as u64, total);
    }
    let docs: HashSet<DocId> = pushed.iter().map(|(doc, _)| *doc).collect();
    (group, docs.into_iter().collect())
}

async fn health_of(server: &TestServer) -> (u16, serde_json::Value) {
    let response = reqwest::get(format!("{}/v1/health", server.url))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_names_the_backend_and_reports_a_database_that_does_not_answer() {
    let sqlite = TestServer::start().await;
    let (status, body) = health_of(&sqlite).await;
    assert_eq!(status, 200);
    assert_eq!(body["storage"]["backend"], "sqlite");
    assert_eq!(body["storage"]["state"], "ok");
    // Devices read the same document as before: the old fields are all there.
    sqlite.assert_healthy().await;
    sqlite.stop().await;

    let url = common::pg::fresh_database().await;
    let server = TestServer::start_with(|s| s.database.clone_from(&url)).await;
    let (status, body) = health_of(&server).await;
    assert_eq!(
        (status, &body["storage"]["backend"]),
        (200, &"postgres".into())
    );
    assert_eq!(body["storage"]["state"], "ok");

    // The database stops taking connections and drops the ones it has.
    let database = url
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .unwrap()
        .to_owned();
    let admin = url.replacen(&format!("/{database}?"), "/postgres?", 1);
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "ALTER DATABASE {database} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}';"
        ))
        .await
        .unwrap();
    let (status, body) = health_of(&server).await;
    assert_eq!(status, 503);
    assert_eq!(body["storage"]["state"], "unavailable");

    // And comes back: so does the instance, without a restart.
    client
        .batch_execute(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let (status, body) = health_of(&server).await;
    assert_eq!((status, &body["storage"]["state"]), (200, &"ok".into()));
    server.stop().await;
}
