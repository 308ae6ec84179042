//! What the pre-check (bounding what a change's columns declare) adds to checking a change.
//!
//! `make bench` runs it under criterion, then prints the share the pre-check adds to a full
//! check of one honest change of every kind. Target: at most 5 %.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use porchlight_crdt::{MAX_CHANGE_BYTES, check_change, forge, precheck};

fn samples() -> Vec<Vec<u8>> {
    forge::honest_changes()
        .into_iter()
        .map(|(_, b)| b)
        .collect()
}

/// `check_change` as it was before the pre-check: header bytes, then Automerge's parser and the
/// checksum comparison (the header tests are a few comparisons, so the parse stands for them).
fn parse_only(changes: &[Vec<u8>]) {
    for c in changes {
        let parsed = automerge::Change::try_from(c.as_slice()).expect("honest");
        black_box(parsed.hash());
    }
}

fn with_precheck(changes: &[Vec<u8>]) {
    for c in changes {
        black_box(check_change(c, None, MAX_CHANGE_BYTES).expect("honest"));
    }
}

fn precheck_only(changes: &[Vec<u8>]) {
    for c in changes {
        black_box(precheck(c, MAX_CHANGE_BYTES).expect("honest"));
    }
}

fn benches(c: &mut Criterion) {
    let changes = samples();
    let mut group = c.benchmark_group("honest_changes");
    group.bench_function("parse_only", |b| b.iter(|| parse_only(&changes)));
    group.bench_function("check_change", |b| b.iter(|| with_precheck(&changes)));
    group.bench_function("precheck_only", |b| b.iter(|| precheck_only(&changes)));
    group.finish();
}

criterion_group!(group, benches);

/// The fastest of several batches: the least disturbed by other work on the machine.
fn best_of(batches: u32, runs: u32, mut f: impl FnMut()) -> Duration {
    (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..runs {
                f();
            }
            start.elapsed() / runs
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this once as a smoke test; the ratio needs a real run.
    if std::env::args().any(|a| a == "--bench") {
        let changes = samples();
        let parse = best_of(20, 200, || parse_only(&changes));
        let pre = best_of(20, 200, || precheck_only(&changes));
        let share = 100.0 * pre.as_secs_f64() / parse.as_secs_f64();
        println!(
            "{} honest changes: parse {parse:.2?}, pre-check {pre:.2?}: the pre-check adds {share:.1} %",
            changes.len(),
        );
        let row = porchlight_benchkit::Row::measured(
            "P10",
            "untrusted-change pre-check: share added to checking a change",
            share,
            "%",
            "<= 5 %",
        )
        .against(
            parse.as_secs_f64() * 1e6,
            "Automerge parse of the same honest changes, µs, same run",
        )
        .ratio(share / 100.0)
        .met(share <= 5.0)
        .why("one pass over the columns' run lengths, no allocation per item");
        porchlight_benchkit::write_rows("P10-precheck", &[row]).expect("write the bench row");
    }
}
