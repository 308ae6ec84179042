//! One benchmark figure per TARGETS.md row, written the same way by every benchmark.
//!
//! A benchmark that proves a row writes `target/bench/<ROW>-<short-name>.json`, a JSON array of
//! [`Row`]s (the directory follows `CARGO_TARGET_DIR` when set). `make bench` ends with the
//! `bench-table` binary, which reads every such file, prints one table with every P row of
//! TARGETS.md (a row nobody wrote shows as "not run") and writes `target/bench/summary.json`.
//!
//! Times on this shared machine are noisy, so a row carries a reference measured in the same run
//! wherever one exists, and the ratio between the two.

mod table;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use table::{Summary, render, summarize};

/// Every performance row of TARGETS.md, in the order the table lists them.
pub const TARGET_IDS: [&str; 10] = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10"];

/// One measured figure (or one that could not be measured, with `value: None` and the reason in
/// `why`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub value: Option<f64>,
    pub unit: String,
    pub reference: Option<f64>,
    pub reference_name: Option<String>,
    pub ratio: Option<f64>,
    pub target: String,
    /// `None` when the row was not run or states no pass/fail (a figure only reported).
    pub met: Option<bool>,
    pub why: String,
}

impl Row {
    /// A measured figure without a reference.
    pub fn measured(id: &str, name: &str, value: f64, unit: &str, target: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            value: Some(value),
            unit: unit.to_owned(),
            reference: None,
            reference_name: None,
            ratio: None,
            target: target.to_owned(),
            met: None,
            why: String::new(),
        }
    }

    /// A row that could not be measured: printed as "not run" with `why`, never a number.
    pub fn not_run(id: &str, name: &str, target: &str, why: &str) -> Self {
        Self {
            value: None,
            unit: String::new(),
            why: why.to_owned(),
            ..Self::measured(id, name, 0.0, "", target)
        }
    }

    /// Sets the reference measured in the same run and the ratio `value / reference`.
    #[must_use]
    pub fn against(mut self, reference: f64, reference_name: &str) -> Self {
        self.reference = Some(reference);
        self.reference_name = Some(reference_name.to_owned());
        self.ratio = self
            .value
            .filter(|_| reference.abs() > f64::EPSILON)
            .map(|v| v / reference);
        self
    }

    /// Overrides the ratio (when the target compares `reference / value`, say).
    #[must_use]
    pub fn ratio(mut self, ratio: f64) -> Self {
        self.ratio = Some(ratio);
        self
    }

    #[must_use]
    pub fn met(mut self, met: bool) -> Self {
        self.met = Some(met);
        self
    }

    #[must_use]
    pub fn why(mut self, why: impl Into<String>) -> Self {
        self.why = why.into();
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a JSON array of bench rows: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// `target/bench` of this workspace: under `CARGO_TARGET_DIR` when it is set.
pub fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("bench")
}

/// Writes `rows` to `<dir>/<file>.json` (e.g. `P8-join`) and returns the path.
pub fn write_rows_in(dir: &Path, file: &str, rows: &[Row]) -> Result<PathBuf, BenchError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BenchError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(format!("{file}.json"));
    let text = serde_json::to_string_pretty(rows).map_err(|source| BenchError::Json {
        path: path.clone(),
        source,
    })?;
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(path)
}

/// Writes `rows` under [`bench_dir`] and prints them, so a bench run alone shows its figures.
pub fn write_rows(file: &str, rows: &[Row]) -> Result<PathBuf, BenchError> {
    let path = write_rows_in(&bench_dir(), file, rows)?;
    println!("{}", render(rows));
    println!("(written to {})", path.display());
    Ok(path)
}

/// Every row of every `*.json` file in `dir` except the summary, files in name order.
pub fn read_rows(dir: &Path) -> Result<Vec<Row>, BenchError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BenchError::Io { path, source }
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|e| e == "json")
                    && p.file_stem().is_some_and(|s| s != "summary")
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(dir)(e)),
    };
    files.sort();
    let mut rows = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let mut more: Vec<Row> =
            serde_json::from_str(&text).map_err(|source| BenchError::Json { path, source })?;
        rows.append(&mut more);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_the_bench_directory() {
        let dir = tempfile::tempdir().unwrap();
        let a = Row::measured("P8", "join", 3.2, "s", "<= 3.7 s")
            .against(180.0, "automerge-repo")
            .met(true);
        let b = Row::not_run("P7", "cold start", "reported", "no display");
        write_rows_in(dir.path(), "P8-join", std::slice::from_ref(&a)).unwrap();
        write_rows_in(dir.path(), "P7-app", std::slice::from_ref(&b)).unwrap();
        std::fs::write(dir.path().join("summary.json"), "{}").unwrap();
        assert_eq!(read_rows(dir.path()).unwrap(), vec![b, a]);
    }

    #[test]
    fn a_file_that_is_not_rows_is_rejected_not_panicking() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("P1-x.json"), "{\"id\": 1}").unwrap();
        assert!(matches!(
            read_rows(dir.path()),
            Err(BenchError::Json { .. })
        ));
    }

    #[test]
    fn the_ratio_is_left_empty_against_a_zero_reference() {
        let r = Row::measured("P2", "x", 1.0, "/s", "t").against(0.0, "zero");
        assert_eq!(r.ratio, None);
    }
}
