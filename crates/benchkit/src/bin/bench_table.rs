//! Prints every benchmark row under `target/bench/` as one table and writes
//! `target/bench/summary.json` (the last step of `make bench`).

use std::process::ExitCode;

use porchlight_benchkit::{bench_dir, read_rows, render, summarize};

fn main() -> ExitCode {
    let dir = bench_dir();
    let rows = match read_rows(&dir) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("bench-table: {e}");
            return ExitCode::FAILURE;
        }
    };
    let summary = summarize(rows);
    println!("{}", render(&summary.rows));
    let m = &summary.machine;
    println!(
        "machine: {} ({} cores, {} MiB, Linux {})",
        m.cpu, m.cores, m.memory_mib, m.kernel
    );
    let path = dir.join("summary.json");
    let written = serde_json::to_string_pretty(&summary)
        .map_err(|e| e.to_string())
        .and_then(|text| std::fs::write(&path, text).map_err(|e| e.to_string()));
    match written {
        Ok(()) => {
            println!("summary: {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-table: {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}
