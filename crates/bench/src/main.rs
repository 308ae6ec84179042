//! `porchlight-bench`: the load generator behind `make bench`. It starts the release build of
//! `porchlight serve` on a loopback port, makes real member devices (a coordinator who founded the
//! group, volunteers who joined with invites; every change signed, every certificate real) and
//! measures, through a counting proxy in front of the server:
//!
//! - populating N records (half alerts, half patrols) on one device and pushing them;
//! - P8: a fresh device joining at N/2 and at N records (time, bytes received against the saved
//!   documents, requests, peak memory of the device and of the server);
//! - P9: a fresh device with a patrol running answering the UI's questions while it applies
//!   its first sync of N records;
//! - P1: that device catching up after working offline while the server moved on.
//!
//! Usage: `porchlight-bench [--records N] [--server PATH]` (defaults: 10,000 and the `porchlight`
//! binary next to this one). Rows go to `target/bench/P8-join.json`, `P9-responsive.json` and
//! `P1-catchup.json`.

mod catchup;
mod error;
mod hub_join;
mod join;
mod p9;
mod proxy;
mod rows;
mod server;
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use porchlight_core::{Config, Core};
use porchlight_model::{DocId, Role};

use crate::error::{BenchError, Result, io};
use crate::proxy::Proxy;
use crate::server::ServerProcess;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("p9-child") {
        return match p9::child_main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("responsive device: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("join-child") {
        return match join::child_main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("joining device: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let Some(options) = Options::parse(&args) else {
        eprintln!("usage: porchlight-bench [--records N] [--server PATH] [--reference N]");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("porchlight-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (p8, p9, p1) = runtime.block_on(rows::measure(&options));
    let mut status = ExitCode::SUCCESS;
    for (file, rows) in [("P8-join", p8), ("P9-responsive", p9), ("P1-catchup", p1)] {
        if let Err(e) = porchlight_benchkit::write_rows(file, &rows) {
            eprintln!("porchlight-bench: {e}");
            status = ExitCode::FAILURE;
        }
    }
    status
}

#[derive(Debug)]
pub struct Options {
    pub records: usize,
    pub server: PathBuf,
    /// The group size automerge-repo was measured at in this run (see [`REFERENCE_RECORDS`]).
    pub reference_records: usize,
}

impl Options {
    fn parse(args: &[String]) -> Option<Self> {
        let mut records = std::env::var("PORCHLIGHT_BENCH_RECORDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        let mut server = std::env::current_exe().ok()?.with_file_name("porchlight");
        let mut reference_records = REFERENCE_RECORDS;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--records" => records = it.next()?.parse().ok()?,
                "--server" => server = PathBuf::from(it.next()?),
                "--reference" => reference_records = it.next()?.parse().ok()?,
                _ => return None,
            }
        }
        // Even, so half are alerts and half patrols, and at least two of each.
        (records >= 4).then_some(Self {
            records: records / 2 * 2,
            server,
            reference_records,
        })
    }
}

/// Everything the run measured.
#[derive(Debug, Default)]
pub struct Measured {
    pub records: usize,
    pub populate_secs: f64,
    pub push_secs: f64,
    pub half: Option<JoinRun>,
    pub full: Option<JoinRun>,
    /// The size automerge-repo was measured at in this run ([`Options::reference_records`]).
    pub reference_records: usize,
    /// A fresh device joining at the reference size, beside automerge-repo at that size, when
    /// that is below N/2 (else the N/2 or N join is the one compared).
    pub reference: Option<JoinRun>,
    /// A fresh device joining at N through the coordinator's hub.
    pub hub: Option<std::result::Result<hub_join::HubJoin, BenchError>>,
    pub responsive: Option<std::result::Result<p9::Responsive, BenchError>>,
    pub catch_up: Option<std::result::Result<catchup::CatchUp, BenchError>>,
}

/// One fresh device's join.
#[derive(Debug)]
pub struct JoinRun {
    pub records: usize,
    pub joined: join::Joined,
    pub wire: proxy::Traffic,
    pub saved_bytes: u64,
    pub server_peak_kib: u64,
    /// CPU seconds the server spent during the join.
    pub server_cpu_secs: f64,
    /// The device CPU of every join at this size, in the order they ran (this run is the
    /// median of them).
    pub tries_cpu_secs: Vec<f64>,
}

/// The group, its server and the coordinator's device, with the records written so far.
#[derive(Debug)]
struct Bench {
    server: ServerProcess,
    proxy: Proxy,
    coord: std::sync::Arc<Core>,
    coord_dir: PathBuf,
    dir: PathBuf,
    rng: workload::Rng,
    alerts: Vec<DocId>,
    written: usize,
}

impl Bench {
    async fn start(options: &Options, dir: &Path) -> Result<Self> {
        let server = ServerProcess::start(&options.server, dir)?;
        let proxy = Proxy::start(&server.url).await?;
        let coord_dir = dir.join("coordinator");
        let coord = Core::open_with(&coord_dir, Config::default())?;
        coord.init("Coordinator")?;
        coord
            .create_group_on(&server.url, "Bench Watch", Some(server::CREATION_TOKEN))
            .await?;
        Ok(Self {
            server,
            proxy,
            coord: std::sync::Arc::new(coord),
            coord_dir,
            dir: dir.to_owned(),
            rng: workload::Rng(0x9e37_79b9_7f4a_7c15),
            alerts: Vec::new(),
            written: 0,
        })
    }

    /// Writes `count` more records (half alerts, half patrols) and pushes them; returns the
    /// seconds spent writing and pushing.
    async fn populate(&mut self, count: usize) -> Result<(f64, f64)> {
        let started = Instant::now();
        let half = count / 2;
        let from = self.written / 2;
        let mut ids = workload::alerts(&self.coord, &mut self.rng, from, half)?;
        self.alerts.append(&mut ids);
        workload::patrols(&self.coord, &mut self.rng, from, half)?;
        self.written += count;
        let wrote = started.elapsed().as_secs_f64();
        let pushing = Instant::now();
        self.coord.sync_once().await?;
        Ok((wrote, pushing.elapsed().as_secs_f64()))
    }

    /// P9: a new volunteer with a patrol running joins (straight to the server: its traffic is
    /// not what this measures), in its own process.
    async fn responsive(&self) -> Result<p9::Responsive> {
        let code = self
            .coord
            .invite(Role::Volunteer, 1, std::time::Duration::from_secs(3600))
            .await?
            .to_string();
        let dir = self.dir.join("responsive");
        let half = (self.written / 2) as u64;
        tokio::task::spawn_blocking(move || p9::run_in_child(&dir, &code, half, half))
            .await
            .map_err(|e| BenchError::Io {
                what: "waiting for the responsive device",
                source: std::io::Error::other(e),
            })?
    }

    /// A new volunteer joins through the proxy, in its own process.
    async fn join(&self, name: &str) -> Result<JoinRun> {
        let mut code = self
            .coord
            .invite(Role::Volunteer, 1, std::time::Duration::from_secs(3600))
            .await?;
        // The newcomer reaches the server through the proxy, which counts its traffic.
        code.server.clone_from(&self.proxy.url);
        let dir = self.dir.join(name);
        let half = (self.written / 2) as u64;
        let _ = self.proxy.take();
        let server_cpu = self.server.cpu_secs().unwrap_or(0.0);
        let code = code.to_string();
        let child_dir = dir.clone();
        let joined =
            tokio::task::spawn_blocking(move || join::join_in_child(&child_dir, &code, half, half))
                .await
                .map_err(|e| BenchError::Io {
                    what: "waiting for the joining device",
                    source: std::io::Error::other(e),
                })??;
        let wire = self.proxy.take();
        Ok(JoinRun {
            records: self.written,
            joined,
            wire,
            saved_bytes: join::saved_bytes(&dir)?,
            server_peak_kib: self.server.peak_rss_kib().unwrap_or(0),
            server_cpu_secs: self.server.cpu_secs().unwrap_or(0.0) - server_cpu,
            tries_cpu_secs: Vec::new(),
        })
    }
}

/// The group size automerge-repo is measured at in `make bench` (`bench/automerge-repo`): its
/// cost grows faster than linearly, and at 10,000 records it alone takes about 8 minutes here,
/// more than half the benchmark's 15. `make bench-reference` measures it at 10,000
/// (`--reference 10000`).
pub const REFERENCE_RECORDS: usize = 1_000;

/// Fresh devices joining at each size. One join's CPU time moved by ±10 % between runs here
/// (the neighbours of a VM), enough to fail the linearity row on its own; the median of three
/// does not, for a few seconds more.
const JOINS_PER_SIZE: usize = 3;

/// The join with the median device CPU, carrying every join's CPU time.
fn median_join(mut runs: Vec<JoinRun>) -> JoinRun {
    let tries: Vec<f64> = runs.iter().map(|r| r.joined.cpu_secs).collect();
    runs.sort_by(|a, b| a.joined.cpu_secs.total_cmp(&b.joined.cpu_secs));
    let mut median = runs.swap_remove(runs.len() / 2);
    median.tries_cpu_secs = tries;
    median
}

/// Runs the whole workload; what failed is in the result, as far as it got.
pub async fn run(options: &Options, m: &mut Measured) -> Result<()> {
    // First, so that the rows of a run that fails at once still name the right sizes.
    m.records = options.records;
    m.reference_records = options.reference_records;
    let tmp = tempfile::tempdir().map_err(io("making a temporary directory"))?;
    let mut bench = Bench::start(options, tmp.path()).await?;
    let half = options.records / 2 / 2 * 2;
    // First a join at the size automerge-repo is measured at in the same run (when it is below
    // N/2), then at N/2 and N.
    let reference = if options.reference_records < half {
        options.reference_records
    } else {
        0
    };
    let steps = [
        (2, reference),
        (0, half - reference),
        (1, options.records - half),
    ];
    for (step, count) in steps.into_iter().filter(|&(_, count)| count > 0) {
        eprintln!("bench: writing {count} records on the coordinator's device");
        let (wrote, pushed) = bench.populate(count).await?;
        eprintln!("bench: wrote in {wrote:.1} s, pushed in {pushed:.1} s");
        m.populate_secs += wrote;
        m.push_secs += pushed;
        let mut runs = Vec::with_capacity(JOINS_PER_SIZE);
        for i in 0..JOINS_PER_SIZE {
            eprintln!(
                "bench: a new device joins a {}-record group ({}/{JOINS_PER_SIZE})",
                bench.written,
                i + 1
            );
            // The first keeps the plain name: the catch-up step goes on with `newcomer-1`.
            let name = match i {
                0 => format!("newcomer-{step}"),
                _ => format!("newcomer-{step}-{i}"),
            };
            let run = bench.join(&name).await?;
            eprintln!(
                "bench: joined in {:.2} s (device CPU {:.2} s, server CPU {:.2} s), {} bytes received, {} requests",
                run.joined.seconds,
                run.joined.cpu_secs,
                run.server_cpu_secs,
                run.wire.down,
                run.wire.requests
            );
            runs.push(run);
        }
        let run = median_join(runs);
        match step {
            0 => m.half = Some(run),
            1 => m.full = Some(run),
            _ => m.reference = Some(run),
        }
    }
    eprintln!("bench: a new device joins through the coordinator's hub");
    let hub = hub_join::run(&bench.coord, &bench.server.url, &bench.dir, bench.written).await;
    match &hub {
        Ok(h) => eprintln!(
            "bench: the hub filled in {:.2} s; joined through it in {:.2} s, {} bytes received",
            h.fill_secs, h.joined.seconds, h.wire.down
        ),
        Err(e) => eprintln!("bench: joining through the hub failed: {e}"),
    }
    m.hub = Some(hub);
    eprintln!("bench: a device with a patrol running answers while it joins (P9)");
    let responsive = bench.responsive().await;
    if let Ok(r) = &responsive {
        eprintln!(
            "bench: joined in {:.2} s; list_alerts p99 {:.1} ms, current_patrol p99 {:.1} ms",
            r.join_secs, r.alerts_during.p99_ms, r.patrol_during.p99_ms
        );
    }
    m.responsive = Some(responsive);
    eprintln!("bench: catch-up after working offline");
    let device_dir = bench.dir.join("newcomer-1");
    m.catch_up = Some(
        catchup::run(
            &bench.coord,
            &bench.coord_dir,
            &bench.alerts,
            &device_dir,
            &bench.proxy,
        )
        .await,
    );
    Ok(())
}
