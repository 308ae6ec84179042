//! R2 (TARGETS.md): the server process is killed with SIGKILL again and again while devices push,
//! at points chosen by a seed (after a random number of bytes pushed), and started again on the
//! same database. Devices keep working and retrying; afterwards they converge, every alert made
//! anywhere is everywhere, and the change log is numbered 1..=N with no gap.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use porchlight_core::Core;
use porchlight_model::Role;
use porchlight_server::SqliteStorage;
use porchlight_tests::Rng;

use crate::common;

use common::faults::FaultyFront;
use common::{
    CREATION_TOKEN, alert, assert_same_where_shared, founded_at, seed, settle, titles, whole_log,
};

const KILLS: u64 = 8;

/// A server process, killed when dropped (also when the test fails).
pub struct ServerProcess(pub Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGKILL on Unix: no chance to finish anything.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A server process on `db`; returns it and the address it listens on.
pub fn spawn_server(db: &Path) -> (ServerProcess, SocketAddr) {
    let child = Command::new(env!("CARGO_BIN_EXE_server-process"))
        .env("PORCHLIGHT_DATABASE", format!("sqlite://{}", db.display()))
        .env("PORCHLIGHT_LISTEN", "127.0.0.1:0")
        .env("PORCHLIGHT_TLS", "off")
        .env("PORCHLIGHT_GROUP_CREATION_TOKEN", CREATION_TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut child = ServerProcess(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("the server said {line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

/// Makes an alert and syncs until the sync succeeds, over and over, until `stop`; returns the
/// titles made. A failed sync (the server is down) is retried, as the app's loop does.
async fn keep_working(name: &'static str, core: Arc<Core>, stop: Arc<AtomicBool>) -> Vec<String> {
    let mut made = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let title = format!("{name} {}", made.len());
        core.issue_alert(alert(&title, 40.0)).unwrap();
        made.push(title);
        while core.sync_once().await.is_err() && !stop.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
    }
    made
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_converge_and_the_log_has_no_gap_after_the_server_is_killed_during_pushes() {
    let mut rng = Rng(seed() | 1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let (mut server, addr) = spawn_server(&db);
    let front = FaultyFront::start(addr).await;

    let (carmen, members) = founded_at(
        &front.url,
        &[(Role::Volunteer, "Victor"), (Role::Volunteer, "Vera")],
    )
    .await;
    let [victor, vera] = <[_; 2]>::try_from(members).ok().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = [
        ("carmen", carmen.core.clone()),
        ("victor", victor.core.clone()),
        ("vera", vera.core.clone()),
    ]
    .into_iter()
    .map(|(name, core)| tokio::spawn(keep_working(name, core, stop.clone())))
    .collect();

    for _ in 0..KILLS {
        // A kill point: after another 1–40 KB pushed through the front, wherever the server is.
        let target = front.forwarded() + 1 + rng.below(40_000);
        front.wait_forwarded(target).await;
        drop(server);
        let (restarted, addr) = spawn_server(&db);
        server = restarted;
        front.set_upstream(addr);
    }
    stop.store(true, Ordering::SeqCst);
    let mut made = BTreeSet::new();
    for worker in workers {
        made.extend(worker.await.unwrap());
    }

    settle(&[&carmen.core, &victor.core, &vera.core]).await;
    let receipts = [
        carmen.core.sync_receipt().unwrap(),
        victor.core.sync_receipt().unwrap(),
        vera.core.sync_receipt().unwrap(),
    ];
    assert_same_where_shared(&receipts[0], &receipts[1]);
    assert_same_where_shared(&receipts[0], &receipts[2]);
    for core in [&carmen.core, &victor.core, &vera.core] {
        assert_eq!(titles(core), made, "every alert everywhere");
        assert_eq!(core.sync_status().unwrap().pending, 0);
    }

    // The log the server kept through the kills: numbers 1..=N, each once.
    let storage = SqliteStorage::open(&db).unwrap();
    let group = common::group_of(&carmen.core);
    let logged = whole_log(&storage, group, &porchlight_model::DocKind::ALL).await;
    let total = logged.len() as u64;
    let seqs: Vec<u64> = logged.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<u64>>());
    eprintln!(
        "{} alerts made across {KILLS} kills; {total} changes logged",
        made.len()
    );
    drop(server);
}
