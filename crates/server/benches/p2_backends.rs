//! P2 (docs TARGETS.md) on both backends: up-to-date polls per second under a mix of polls and
//! one-change pushes from 200 simulated devices, against the same server's `/v1/health` rate;
//! poll latency p50/p99; lost changes (accepted but not in the log). Runs SQLite with one
//! instance and PostgreSQL with one and with two instances (the devices split between them).
//!
//! Two mixes, each with its rows:
//! - **paced** (the target's rows): 20 of the devices push one change each every 5 s, spread
//!   evenly (4 pushes a second into the group) and the other 180 poll as fast as they are
//!   answered. A poll whose answer brings nothing is an up-to-date poll; those are counted.
//! - **1 in 10**: every device makes every tenth request a one-change push. The push rate then
//!   grows with the poll rate (up to 20 changes land between two polls of a device, in bursts, as
//!   the devices start together), so many polls catch up on changes: its rows are reported
//!   beside the target's (the first recorded figures were of this mix).
//!
//! Writes `target/bench/P2-backends.json` (see the bench JSON format). Each phase runs
//! `PORCHLIGHT_BENCH_SECS` seconds (default 3).

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Device, TestServer, coordinator, member, valid_changes};
use porchlight_model::{DocKind, Role};
use porchlight_sync::{DocChanges, HttpClient, SyncRequest};
use serde_json::json;

const DEVICES: usize = 200;
/// Sessions the simulated devices share (joining 200 members would only time the joins).
const MEMBERS: usize = 20;
/// In the 1-in-10 mix, one request in this many is a one-change push; the rest are polls.
const PUSH_EVERY: usize = 10;
/// In the paced mix, this many devices push...
const PUSHERS: usize = 20;
/// ...one change each this often, spread evenly (4 pushes a second into one group: a very busy
/// neighbourhood, 14,400 changes an hour).
const PUSH_PERIOD: Duration = Duration::from_secs(5);

#[derive(Clone, Copy)]
enum Mix {
    Paced,
    OneInTen,
}

fn phase() -> Duration {
    Duration::from_secs(
        std::env::var("PORCHLIGHT_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3),
    )
}

struct Run {
    /// Polls answered with nothing new, per second.
    up_to_date_per_sec: f64,
    polls_per_sec: f64,
    health_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    lost: u64,
    pushed: u64,
}

async fn health_rate(urls: &[String]) -> f64 {
    let deadline = Instant::now() + phase();
    let start = Instant::now();
    let tasks: Vec<_> = (0..DEVICES)
        .map(|i| {
            let client = HttpClient::new(&urls[i % urls.len()]).unwrap();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    client.health().await.unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// What one device did: poll latencies (and whether each was up to date), changes accepted.
struct DeviceRun {
    polls: Vec<(Duration, bool)>,
    accepted: u64,
}

/// Requests as `who` until `deadline`: in the paced mix a pusher only pushes, the `slot`-th of
/// [`PUSHERS`] in each period; everyone else polls, pushing every tenth request in the other mix.
async fn device(
    who: Arc<Device>,
    client: HttpClient,
    ready: Vec<DocChanges>,
    deadline: Instant,
    mix: Mix,
    pusher: Option<usize>,
) -> DeviceRun {
    let mut ready = ready.into_iter();
    let (mut cursor, mut polls, mut accepted) = (0u64, Vec::new(), 0u64);
    let mut n = 0usize;
    let start = Instant::now();
    let mut next_push = pusher.map(|slot| start + PUSH_PERIOD * slot as u32 / PUSHERS as u32);
    while Instant::now() < deadline {
        n += 1;
        let push: Vec<DocChanges> = match (mix, next_push.as_mut()) {
            (Mix::OneInTen, _) if n.is_multiple_of(PUSH_EVERY) => {
                ready.next().into_iter().collect()
            }
            (Mix::Paced, Some(at)) => {
                // A pacer, not a sleep for synchronisation: the pushers' rate is the workload.
                tokio::time::sleep_until((*at).min(deadline).into()).await;
                *at += PUSH_PERIOD;
                if Instant::now() >= deadline {
                    break;
                }
                ready.next().into_iter().collect()
            }
            _ => Vec::new(),
        };
        let is_poll = push.is_empty();
        let sent = Instant::now();
        let r = client
            .sync(&who.session, &SyncRequest { cursor, push })
            .await
            .unwrap();
        if is_poll {
            polls.push((sent.elapsed(), r.pull.is_empty() && r.cursor == cursor));
        }
        accepted += u64::from(r.accepted);
        cursor = r.cursor;
    }
    DeviceRun { polls, accepted }
}

async fn run(servers: &[TestServer], mix: Mix) -> Run {
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let carmen = coordinator(&servers[0]).await;
    let mut members = Vec::new();
    for _ in 0..MEMBERS {
        members.push(Arc::new(
            member(&servers[0], &carmen, Role::Volunteer).await,
        ));
    }
    // Changes are made and signed before the clock starts: the devices' CPU is not what P2
    // measures (the first recorded figures made 40,000 of them inside the measured phase).
    let paced = usize::try_from(phase().as_secs() / PUSH_PERIOD.as_secs()).unwrap_or(60) + 2;
    let health = health_rate(&urls).await;
    let prepared: Vec<(Arc<Device>, Option<usize>, Vec<DocChanges>)> = (0..DEVICES)
        .map(|i| {
            let who: Arc<Device> = members[i % MEMBERS].clone();
            let pusher = (matches!(mix, Mix::Paced) && i < PUSHERS).then_some(i);
            let wanted = match (mix, pusher) {
                // Enough for 10,000 requests a second through a 10 s phase.
                (Mix::OneInTen, _) => 60,
                (Mix::Paced, Some(_)) => paced,
                (Mix::Paced, None) => 0,
            };
            let ready = (0..wanted)
                .map(|_| {
                    let (doc, changes) = valid_changes(DocKind::Patrol, who.id, 1);
                    who.signed(doc, DocKind::Patrol, changes)
                })
                .collect();
            (who, pusher, ready)
        })
        .collect();

    let deadline = Instant::now() + phase();
    let start = Instant::now();
    let tasks: Vec<_> = prepared
        .into_iter()
        .enumerate()
        .map(|(i, (who, pusher, ready))| {
            let client = HttpClient::new(&urls[i % urls.len()]).unwrap();
            tokio::spawn(device(who, client, ready, deadline, mix, pusher))
        })
        .collect();
    let mut latencies = Vec::new();
    let (mut pushed, mut up_to_date) = (0, 0u64);
    for t in tasks {
        let run = t.await.unwrap();
        up_to_date += run.polls.iter().filter(|(_, fresh)| *fresh).count() as u64;
        latencies.extend(run.polls.into_iter().map(|(d, _)| d));
        pushed += run.accepted;
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    // Lost: accepted by a server but not in the log a reader walks.
    let (pulled, _, _) = carmen.pull_all(0).await;
    let stored = pulled.iter().map(|d| d.changes.len() as u64).sum::<u64>();
    Run {
        up_to_date_per_sec: up_to_date as f64 / elapsed,
        polls_per_sec: latencies.len() as f64 / elapsed,
        health_per_sec: health,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        lost: pushed.saturating_sub(stored),
        pushed,
    }
}

fn rows(label: &str, mix: Mix, r: &Run) -> Vec<serde_json::Value> {
    let what = match mix {
        Mix::Paced => format!(
            "{DEVICES} devices on {MEMBERS} sessions: {PUSHERS} push one change every {} s each \
             (spread evenly), the others poll; {} pushed; {:.0} polls/s in all; load generator \
             on the same 2 cores",
            PUSH_PERIOD.as_secs(),
            r.pushed,
            r.polls_per_sec
        ),
        Mix::OneInTen => format!(
            "{DEVICES} devices on {MEMBERS} sessions, 1 in {PUSH_EVERY} requests a one-change \
             push ({} pushed), so many polls catch up on changes; {:.0} of the polls/s were up to \
             date; load generator on the same 2 cores",
            r.pushed, r.up_to_date_per_sec
        ),
    };
    let (value, name) = match mix {
        Mix::Paced => (r.up_to_date_per_sec, format!("up-to-date polls/s, {label}")),
        Mix::OneInTen => (
            r.polls_per_sec,
            format!("polls/s with 1 in {PUSH_EVERY} a push, {label}"),
        ),
    };
    let ratio = value / r.health_per_sec;
    // Only the paced mix is the target's; the other is reported beside it.
    let (target, met) = match mix {
        Mix::Paced => (">= 0.5 x health rate", Some(ratio >= 0.5)),
        Mix::OneInTen => ("reported (not the target's mix)", None),
    };
    vec![
        json!({
            "id": "P2", "name": name,
            "value": value, "unit": "polls/s",
            "reference": r.health_per_sec, "reference_name": "health endpoint, same server",
            "ratio": ratio, "target": target, "met": met,
            "why": what,
        }),
        json!({
            "id": "P2", "name": format!("poll latency p50 / p99, {label}"),
            "value": r.p99_ms, "unit": "ms p99",
            "reference": r.p50_ms, "reference_name": "p50 (ms)",
            "ratio": null, "target": "reported", "met": null, "why": "",
        }),
        json!({
            "id": "P2", "name": format!("lost changes, {label}"),
            "value": r.lost, "unit": "changes",
            "reference": r.pushed, "reference_name": "changes accepted",
            "ratio": null, "target": "0", "met": r.lost == 0, "why": "",
        }),
    ]
}

fn out_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        std::path::PathBuf::from,
    );
    target.join("bench")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let all = runtime.block_on(async {
        let mut all = Vec::new();
        for mix in [Mix::Paced, Mix::OneInTen] {
            let sqlite = TestServer::start().await;
            let r = run(std::slice::from_ref(&sqlite), mix).await;
            sqlite.stop().await;
            all.extend(rows("sqlite, 1 instance", mix, &r));

            for instances in [1, 2] {
                let url = common::pg::fresh_database().await;
                let mut servers = Vec::new();
                for _ in 0..instances {
                    servers.push(TestServer::start_with(|s| s.database.clone_from(&url)).await);
                }
                let r = run(&servers, mix).await;
                for s in servers {
                    s.stop().await;
                }
                let label = format!(
                    "postgres, {instances} instance{}",
                    if instances > 1 { "s" } else { "" }
                );
                all.extend(rows(&label, mix, &r));
            }
        }
        all
    });
    for row in &all {
        println!(
            "{:<50} {:>12.1} {:<10} ref {:>10} met {}",
            row["name"].as_str().unwrap_or(""),
            row["value"].as_f64().unwrap_or(0.0),
            row["unit"].as_str().unwrap_or(""),
            row["reference"],
            row["met"]
        );
    }
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("P2-backends.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&all).unwrap()).unwrap();
    println!("wrote {}", path.display());
}
