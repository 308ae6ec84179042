//! R4 (TARGETS.md): 500 simulated devices against a server in its own process, each pushing
//! one-change documents and polling with think times between. Every acknowledged change is in the
//! log exactly once, the log has no gap, and the server's resident memory stays bounded.
//!
//! `make test` runs it for 5 s; `make bench` for the full 60 s (`PORCHLIGHT_SOAK_SECS=60`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use porchlight_model::{DocId, DocKind, Role};
use porchlight_server::SqliteStorage;
use porchlight_sync::{
    DocChanges, HttpClient, Session, SignedChange, SigningKey, SyncRequest, check_change,
    device_id_of, generate_signing_key,
};
use porchlight_tests::Rng;

use crate::common;
use crate::server_crash::spawn_server;

use common::{alert, device, seed, whole_log};

const DEVICES: usize = 500;
/// The most resident memory the server may reach under this load.
const RSS_LIMIT_MIB: u64 = 256;

fn soak() -> Duration {
    let secs = std::env::var("PORCHLIGHT_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

struct SimDevice {
    key: SigningKey,
    session: Session,
    client: HttpClient,
}

impl SimDevice {
    /// A new alert document, one change, signed by this device as its author.
    fn new_alert(&self, n: usize) -> (DocId, Vec<u8>, DocChanges) {
        let id = DocId::random();
        let (_, written) = porchlight_crdt::create_alert(
            id,
            device_id_of(&self.key),
            &alert(&format!("load {n}"), 40.0),
        )
        .unwrap();
        let bytes = written.bytes;
        let hash = check_change(&bytes, None, usize::MAX).unwrap().hash;
        let group = self.session.group();
        let signed =
            SignedChange::sign(&self.key, &group, id, DocKind::Alert, &hash, bytes.clone());
        (id, bytes, DocChanges::new(id, DocKind::Alert, [signed]))
    }
}

/// The server's resident memory, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_devices_lose_no_change_and_the_servers_memory_stays_bounded() {
    let seed = seed();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let (server, addr) = spawn_server(&db);
    let url = format!("http://{addr}");

    // A coordinator's device founds the group and makes one invite for every simulated device.
    let carmen = device("Carmen");
    carmen
        .core
        .create_group_on(&url, "Load Street Watch", Some(common::CREATION_TOKEN))
        .await
        .unwrap();
    let code = carmen
        .core
        .invite(Role::Volunteer, DEVICES as u32, Duration::from_secs(3600))
        .await
        .unwrap();
    let joins: Vec<_> = (0..DEVICES)
        .map(|i| {
            let code = code.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let client = HttpClient::new(&url).unwrap();
                let key = generate_signing_key();
                let membership = client.join(&code, &key, &format!("sim {i}")).await.unwrap();
                let session = client.authenticate(membership.group, &key).await.unwrap();
                SimDevice {
                    key,
                    session,
                    client,
                }
            })
        })
        .collect();
    let mut devices = Vec::with_capacity(DEVICES);
    for join in joins {
        devices.push(join.await.unwrap());
    }
    let group = devices[0].session.group();

    // The load: each device pushes a new document or polls, then thinks for 100–600 ms.
    let deadline = Instant::now() + soak();
    let pid = server.0.id();
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        while Instant::now() < deadline {
            peak = peak.max(rss_kib(pid));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak.max(rss_kib(pid))
    });
    let workers: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, sim)| {
            let mut rng = Rng((seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1);
            tokio::spawn(async move {
                let (mut acked, mut failed, mut cursor) = (Vec::new(), 0u64, 0u64);
                let mut n = 0;
                while Instant::now() < deadline {
                    let push = rng.below(2) == 0;
                    let (made, request) = if push {
                        n += 1;
                        let (doc, bytes, changes) = sim.new_alert(n);
                        (
                            Some((doc, bytes)),
                            SyncRequest {
                                cursor,
                                push: vec![changes],
                            },
                        )
                    } else {
                        (
                            None,
                            SyncRequest {
                                cursor,
                                push: vec![],
                            },
                        )
                    };
                    match sim.client.sync(&sim.session, &request).await {
                        Ok(r) => {
                            cursor = r.cursor;
                            if let Some(change) = made {
                                assert_eq!((r.accepted, r.rejected.len()), (1, 0));
                                acked.push(change);
                            }
                        }
                        Err(_) => failed += 1,
                    }
                    let think = 100 + rng.below(500);
                    tokio::time::sleep(Duration::from_millis(think)).await;
                }
                (acked, failed)
            })
        })
        .collect();
    let mut acked = HashSet::new();
    let mut failed = 0;
    for worker in workers {
        let (done, failures) = worker.await.unwrap();
        acked.extend(done);
        failed += failures;
    }
    let peak_kib = sampler.await.unwrap();

    // Every acknowledged change is in the log, once, numbered without a gap.
    let storage = SqliteStorage::open(&db).unwrap();
    let mut logged = HashSet::new();
    for change in whole_log(&storage, group, &[DocKind::Alert]).await {
        assert!(logged.insert((change.doc, change.bytes)), "logged twice");
    }
    let lost = acked.difference(&logged).count();
    eprintln!(
        "R4: {DEVICES} devices for {:?}: {} changes acknowledged, {lost} lost, {failed} failed \
         requests, server peak RSS {} MiB",
        soak(),
        acked.len(),
        peak_kib / 1024
    );
    assert_eq!(lost, 0, "no acknowledged change is lost");
    assert!(
        acked.len() >= DEVICES / 2,
        "the devices got their pushes through"
    );
    assert!(
        peak_kib / 1024 <= RSS_LIMIT_MIB,
        "the server stayed under {RSS_LIMIT_MIB} MiB (peak {} MiB)",
        peak_kib / 1024
    );
    drop(server);
}
