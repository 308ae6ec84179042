//! P8: a fresh device joins the group and pulls everything, in its own process so that its
//! peak memory is its own. The parent runs [`join_in_child`]; the child is this same binary
//! started with `join-child` and runs [`child_main`].

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use porchlight_core::{Config, Core};
use serde::{Deserialize, Serialize};

use crate::error::{BenchError, Result, io};

/// What the joining device measured about itself.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Joined {
    /// From asking to join until every record is readable locally.
    pub seconds: f64,
    /// CPU time the device used for it, all threads (the machine is shared, so wall time
    /// alone says little).
    pub cpu_secs: f64,
    pub peak_rss_kib: u64,
    pub alerts: u64,
    pub patrols: u64,
}

/// Starts a device in `dir` that joins with `code` and waits for it.
pub fn join_in_child(dir: &Path, code: &str, alerts: u64, patrols: u64) -> Result<Joined> {
    run_child("join-child", dir, code, alerts, patrols)
}

/// Runs this program again as a joining device in `mode` (in its own process, so its memory
/// and CPU are its own) and reads what it prints as JSON.
pub(crate) fn run_child<T: serde::de::DeserializeOwned>(
    mode: &str,
    dir: &Path,
    code: &str,
    alerts: u64,
    patrols: u64,
) -> Result<T> {
    let exe = std::env::current_exe().map_err(io("finding this program"))?;
    let out = Command::new(exe)
        .arg(mode)
        .arg(dir)
        .arg(code)
        .arg(alerts.to_string())
        .arg(patrols.to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(io("starting the joining device"))?;
    if !out.status.success() {
        return Err(BenchError::Child { status: out.status });
    }
    serde_json::from_slice(&out.stdout).map_err(|source| BenchError::ChildOutput { source })
}

/// The child: `join-child DIR CODE ALERTS PATROLS`; prints a [`Joined`] as JSON.
pub fn child_main(args: &[String]) -> Result<()> {
    let [dir, code, alerts, patrols] = args else {
        return Err(BenchError::Incomplete {
            expected: 4,
            found: args.len() as u64,
        });
    };
    let expected = (
        alerts.parse::<u64>().unwrap_or_default(),
        patrols.parse::<u64>().unwrap_or_default(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(io("starting tokio"))?;
    let core = Core::open_with(Path::new(dir), Config::default())?;
    core.init("Newcomer")?;
    let cpu = || crate::server::cpu_secs("/proc/self/stat").unwrap_or(0.0);
    let cpu_before = cpu();
    let started = Instant::now();
    let stats = runtime.block_on(async {
        core.join(code, "Newcomer").await?;
        let mut stats = core.stats()?;
        // One join pulls everything; a second sync only if the server said "more" at its
        // round-trip cap (it never should here).
        if (stats.alerts_total, stats.patrols_total) != expected {
            core.sync_once().await?;
            stats = core.stats()?;
        }
        Ok::<_, BenchError>(stats)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_secs = cpu() - cpu_before;
    if (stats.alerts_total, stats.patrols_total) != expected {
        return Err(BenchError::Incomplete {
            expected: expected.0 + expected.1,
            found: stats.alerts_total + stats.patrols_total,
        });
    }
    let joined = Joined {
        seconds,
        cpu_secs,
        peak_rss_kib: crate::server::peak_rss_kib("/proc/self/status").unwrap_or(0),
        alerts: stats.alerts_total,
        patrols: stats.patrols_total,
    };
    core.shutdown();
    let text =
        serde_json::to_string(&joined).map_err(|source| BenchError::ChildOutput { source })?;
    println!("{text}");
    Ok(())
}

/// The size of every document the device in `dir` holds, saved whole in Automerge's compressed
/// format: what the bytes received are compared with.
pub fn saved_bytes(dir: &Path) -> Result<u64> {
    let store = porchlight_store::Store::open(&dir.join("porchlight.db"))?;
    let mut total = 0;
    for (id, _) in store.document_ids()? {
        if let Some(mut doc) = store.load(id)? {
            total += doc.save().len() as u64;
        }
    }
    Ok(total)
}
