//! P9: the app stays responsive while a device applies its first sync. A fresh volunteer with a
//! patrol running (a two-minute track) joins the N-record group; while the join applies every
//! pulled page, another thread asks what the UI asks (`list_alerts`: the 100 newest live alerts;
//! `current_patrol`: the running patrol with its track) every 10 ms, timing each answer. The
//! same questions asked while the device is idle are the reference.
//!
//! The questions are the core calls the Tauri commands make, on the blocking pool as the
//! commands run them; the IPC hop of a real window (serialising the answer to the web view)
//! is not in these figures.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use porchlight_core::{AlertQuery, Config, Core};
use porchlight_model::{Fix, Point, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{BenchError, Result, io};

/// Questions asked while idle, for the reference.
const IDLE_ROUNDS: usize = 200;
/// Time between two rounds of questions: a UI refreshing far more often than any view does.
const PACE: Duration = Duration::from_millis(10);
/// Fixes of the running patrol (one a second).
const TRACK_FIXES: usize = 120;

/// Latencies of one kind of question, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(mut samples: Vec<f64>) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i]
        };
        Self {
            count: samples.len(),
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            max_ms: samples[samples.len() - 1],
        }
    }
}

/// What the joining device measured.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Responsive {
    pub join_secs: f64,
    pub alerts_idle: Latency,
    pub alerts_during: Latency,
    pub patrol_idle: Latency,
    pub patrol_during: Latency,
}

/// Starts the measuring device in `dir`, joining with `code`, and waits for it.
pub fn run_in_child(dir: &Path, code: &str, alerts: u64, patrols: u64) -> Result<Responsive> {
    crate::join::run_child("p9-child", dir, code, alerts, patrols)
}

/// One round: both questions, each timed.
fn ask(core: &Core, alerts: &mut Vec<f64>, patrol: &mut Vec<f64>) -> Result<()> {
    let started = Instant::now();
    let listed = core.alerts(&AlertQuery {
        touching: None,
        live_at: Some(Timestamp::now()),
        limit: Some(100),
    })?;
    alerts.push(started.elapsed().as_secs_f64() * 1000.0);
    std::hint::black_box(listed);
    let started = Instant::now();
    let running = core
        .current_patrol()?
        .map(|id| core.patrol(id))
        .transpose()?;
    patrol.push(started.elapsed().as_secs_f64() * 1000.0);
    std::hint::black_box(running);
    Ok(())
}

/// The child: `p9-child DIR CODE ALERTS PATROLS`; prints a [`Responsive`] as JSON.
pub fn child_main(args: &[String]) -> Result<()> {
    let [dir, code, alerts, patrols] = args else {
        return Err(BenchError::Incomplete {
            expected: 4,
            found: args.len() as u64,
        });
    };
    let expected_alerts = alerts.parse::<u64>().unwrap_or_default();
    // The group's patrols and this device's own.
    let expected_patrols = patrols.parse::<u64>().unwrap_or_default() + 1;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(io("starting tokio"))?;
    let core = Arc::new(Core::open_with(Path::new(dir), Config::default())?);
    core.init("Newcomer")?;
    let start = Timestamp::now();
    core.start_patrol("Evening round", start)?;
    for i in 0..TRACK_FIXES {
        core.add_fix(Fix {
            at: start.plus_millis(i as i64 * 1000),
            point: Point::new(45.5 + i as f64 * 1e-4, -122.6),
            accuracy_m: Some(5.0),
        })?;
    }

    let (mut alerts_idle, mut patrol_idle) = (Vec::new(), Vec::new());
    for _ in 0..IDLE_ROUNDS {
        ask(&core, &mut alerts_idle, &mut patrol_idle)?;
    }

    let done = Arc::new(AtomicBool::new(false));
    let asking = {
        let (core, done) = (Arc::clone(&core), Arc::clone(&done));
        std::thread::spawn(move || {
            let (mut alerts, mut patrol) = (Vec::new(), Vec::new());
            while !done.load(Ordering::Acquire) {
                ask(&core, &mut alerts, &mut patrol)?;
                std::thread::sleep(PACE);
            }
            Ok::<_, BenchError>((alerts, patrol))
        })
    };
    let started = Instant::now();
    let joined = runtime.block_on(async {
        core.join(code, "Newcomer").await?;
        let mut stats = core.stats()?;
        if (stats.alerts_total, stats.patrols_total) != (expected_alerts, expected_patrols) {
            core.sync_once().await?;
            stats = core.stats()?;
        }
        Ok::<_, BenchError>(stats)
    });
    let join_secs = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Release);
    let (alerts_during, patrol_during) = asking.join().map_err(|_| BenchError::Io {
        what: "asking while joining",
        source: std::io::Error::other("the asking thread panicked"),
    })??;
    let stats = joined?;
    if (stats.alerts_total, stats.patrols_total) != (expected_alerts, expected_patrols) {
        return Err(BenchError::Incomplete {
            expected: expected_alerts + expected_patrols,
            found: stats.alerts_total + stats.patrols_total,
        });
    }
    let measured = Responsive {
        join_secs,
        alerts_idle: Latency::of(alerts_idle),
        alerts_during: Latency::of(alerts_during),
        patrol_idle: Latency::of(patrol_idle),
        patrol_during: Latency::of(patrol_during),
    };
    drop(core);
    let text =
        serde_json::to_string(&measured).map_err(|source| BenchError::ChildOutput { source })?;
    println!("{text}");
    Ok(())
}

const P9_ALERTS: &str = "list_alerts p99 while a new device applies its first sync";
const P9_PATROL: &str = "current_patrol p99 while a new device applies its first sync";
const P9_TARGET: &str = "<= 50 ms";

/// The P9 rows: p99 during the join, against p99 of the same question while idle.
pub fn rows(m: &crate::Measured, failure: Option<&str>) -> Vec<porchlight_benchkit::Row> {
    use porchlight_benchkit::Row;
    let r = match &m.responsive {
        Some(Ok(r)) => r,
        other => {
            let why = match other {
                Some(Err(e)) => e.to_string(),
                _ => failure
                    .unwrap_or("the run stopped before this step")
                    .to_owned(),
            };
            return [P9_ALERTS, P9_PATROL]
                .into_iter()
                .map(|name| Row::not_run("P9", name, P9_TARGET, &why))
                .collect();
        }
    };
    let row = |name: &str, during: Latency, idle: Latency, what: &str| {
        let met = during.count > 0 && during.p99_ms <= 50.0;
        Row::measured(
            "P9",
            &format!("{name} ({} records)", m.records),
            during.p99_ms,
            "ms",
            P9_TARGET,
        )
        .against(idle.p99_ms, "p99 of the same question on the idle device")
        .met(met)
        .why(format!(
            "{} answers during a {:.1} s join: p50 {:.1} ms, max {:.1} ms; {what}; core calls \
             as the commands make them, without the web view's IPC hop; {}",
            during.count,
            r.join_secs,
            during.p50_ms,
            during.max_ms,
            if met {
                "read-only WAL readers never wait for the sync's writer"
            } else {
                "the reads compete with the join for this 2-core machine's CPU"
            }
        ))
    };
    vec![
        row(
            P9_ALERTS,
            r.alerts_during,
            r.alerts_idle,
            "the 100 newest live alerts",
        ),
        row(
            P9_PATROL,
            r.patrol_during,
            r.patrol_idle,
            "the running patrol with its 120-fix track",
        ),
    ]
}
