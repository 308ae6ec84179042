//! The one table `make bench` prints, and the summary it writes beside it.

use std::fmt::Write as _;

use serde::Serialize;

use crate::{Row, TARGET_IDS};

/// What `target/bench/summary.json` holds: the machine and every row, including a "not run"
/// row for each target no benchmark measured.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub machine: Machine,
    pub rows: Vec<Row>,
}

/// Where the figures were measured (read from /proc; empty where it is not there).
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_mib: u64,
    pub kernel: String,
}

impl Machine {
    pub fn here() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default();
        let memory_mib = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024);
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
            memory_mib,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }
}

/// `rows` ordered by target id, plus a "not run" row for every target none of them covers.
pub fn summarize(mut rows: Vec<Row>) -> Summary {
    for id in TARGET_IDS {
        if !rows.iter().any(|r| r.id == id) {
            rows.push(Row::not_run(
                id,
                "(no benchmark)",
                "see TARGETS.md",
                "no benchmark wrote a row for this target in this run",
            ));
        }
    }
    let rank = |id: &str| {
        TARGET_IDS
            .iter()
            .position(|t| *t == id)
            .unwrap_or(TARGET_IDS.len())
    };
    // Stable: rows of one target keep the order their benchmark wrote them in.
    rows.sort_by_key(|r| rank(&r.id));
    Summary {
        machine: Machine::here(),
        rows,
    }
}

/// A Markdown table: id, what, value, reference, ratio, target, met, why.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "| id | what | value | reference | ratio | target | met | why |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let value = r.value.map_or_else(
            || "not run".to_owned(),
            |v| format!("{} {}", number(v), r.unit),
        );
        let reference = match (r.reference, &r.reference_name) {
            (Some(v), Some(name)) => format!("{} ({name})", number(v)),
            (Some(v), None) => number(v),
            _ => "–".to_owned(),
        };
        let ratio = r
            .ratio
            .map_or_else(|| "–".to_owned(), |v| format!("{}×", number(v)));
        let met = match (r.value, r.met) {
            (None, _) => "not run",
            (_, Some(true)) => "met",
            (_, Some(false)) => "MISSED",
            (_, None) => "reported",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            cell(&r.name),
            value.trim_end(),
            cell(&reference),
            ratio,
            cell(&r.target),
            met,
            cell(&r.why)
        );
    }
    out
}

/// Three significant digits or so, without exponent noise.
fn number(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 || a.fract().abs() < f64::EPSILON {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// A pipe inside a cell would split it.
fn cell(text: &str) -> String {
    text.replace('|', "/").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_appears_once_missing_ones_as_not_run() {
        let rows = vec![
            Row::measured("P8", "join", 3.1, "s", "<= 3.7 s").met(true),
            Row::measured("P3", "rtree", 150.0, "x", ">= 100x").met(true),
        ];
        let summary = summarize(rows);
        let ids: Vec<&str> = summary.rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, TARGET_IDS);
        let table = render(&summary.rows);
        assert!(table.contains("| P8 | join | 3.10 s |"), "{table}");
        assert_eq!(table.matches("not run").count(), 2 * 8, "{table}");
    }

    #[test]
    fn a_missed_target_says_so() {
        let r = Row::measured("P1", "bytes", 1.4, "×", "<= 1.2")
            .met(false)
            .why("CBOR");
        assert!(render(&[r]).contains("| MISSED | CBOR |"));
    }
}
