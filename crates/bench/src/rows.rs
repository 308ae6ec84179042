//! Turns what the run measured into the rows of TARGETS.md (P8 and P1), with "not run" rows
//! carrying the reason wherever a step failed.

use porchlight_benchkit::Row;

use crate::{Measured, Options};

/// automerge-repo on the same workload at 10,000 records, measured from outside on this machine
/// (TARGETS.md and issue 11). At that size it takes about 8 minutes here, more than half the
/// benchmark's time, so `make bench` measures it in the run at 1,000 records ([`same_run_rows`])
/// and the 10,000 rows compare with these published figures; `make bench-reference` measures it
/// at 10,000 in the run.
const AM_REPO_JOIN_SECS: f64 = 185.0;
const AM_REPO_POPULATE_SECS: f64 = 221.0;
const AM_REPO_NAME: &str = "automerge-repo, measured outside at 10,000 (TARGETS.md), not this run";
/// The group size TARGETS.md sets P8 at.
const TARGET_RECORDS: usize = 10_000;

pub async fn measure(options: &Options) -> (Vec<Row>, Vec<Row>, Vec<Row>) {
    let mut m = Measured::default();
    let failure = crate::run(options, &mut m).await.err().map(|e| {
        eprintln!("bench: {e}");
        e.to_string()
    });
    (
        p8_rows(&m, failure.as_deref()),
        crate::p9::rows(&m, failure.as_deref()),
        p1_rows(&m, failure.as_deref()),
    )
}

const JOIN: &str = "new device joins: time until every record is readable";
const JOIN_BYTES: &str = "new device joins: bytes received vs saved documents";
const JOIN_REQUESTS: &str = "new device joins: HTTP requests";
const JOIN_LINEAR: &str = "new device joins: CPU time at N vs N/2 (linear in N)";
const POPULATE: &str = "populate N records on one device and push";
const SERVER_MEM: &str = "server peak memory (RSS) at N vs N/2";
const DEVICE_MEM: &str = "joining device peak memory (RSS) at N vs N/2";

fn seconds_list(secs: &[f64]) -> String {
    secs.iter()
        .map(|s| format!("{s:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn p8_rows(m: &Measured, failure: Option<&str>) -> Vec<Row> {
    let n = m.records;
    let why_not = failure.unwrap_or("the run stopped before this step");
    // The 3.7 s target is for 10,000 records; other sizes scale it linearly.
    let limit = 3.7 * n as f64 / 10_000.0;
    let join_target = format!(">= 50x faster than automerge-repo (<= {limit:.1} s at {n})");
    let mut rows = Vec::new();
    match &m.full {
        Some(full) => {
            let secs = full.joined.seconds;
            rows.push(
                Row::measured(
                    "P8",
                    &format!("{JOIN} ({n} records)"),
                    secs,
                    "s",
                    &join_target,
                )
                .against(AM_REPO_JOIN_SECS, AM_REPO_NAME)
                .ratio(AM_REPO_JOIN_SECS / secs)
                .met(secs <= limit)
                .why(format!(
                    "ratio = automerge-repo time / ours; the device used {:.2} s of CPU (all \
                     threads), the server {:.2} s; {}",
                    full.joined.cpu_secs,
                    full.server_cpu_secs,
                    if secs <= limit {
                        "met"
                    } else {
                        "bound by the device's CPU: signature checks, Automerge merges, \
                         projections (PERFORMANCE.md); wall time grows with the machine's load"
                    }
                )),
            );
            rows.push(
                Row::measured(
                    "P8",
                    &format!("new device joins: device CPU time ({n} records)"),
                    full.joined.cpu_secs,
                    "s CPU",
                    "reported (the wall-time row carries the target)",
                )
                .against(secs, "wall time of the same join")
                .why("user + system time of the joining process, all threads, from /proc"),
            );
            let ratio = full.wire.down as f64 / full.saved_bytes as f64;
            rows.push(
                Row::measured("P8", JOIN_BYTES, full.wire.down as f64, "B", "<= 1.1x the saved documents")
                    .against(full.saved_bytes as f64, "every document saved whole (Automerge, compressed)")
                    .met(ratio <= 1.1)
                    .why("raw changes, their 64-byte signatures and hashes, gzip-compressed pages; hashes and signatures do not compress"),
            );
            rows.push(
                Row::measured(
                    "P8",
                    JOIN_REQUESTS,
                    full.wire.requests as f64,
                    "requests",
                    "reported",
                )
                .why("sign-in, join, pages of up to 1,000 changes, token refill"),
            );
            match &m.half {
                Some(half) => {
                    // CPU time, not wall time: on a shared machine the wall time of two runs
                    // minutes apart says more about the neighbours than about N.
                    let r = full.joined.cpu_secs / half.joined.cpu_secs;
                    rows.push(
                        Row::measured(
                            "P8",
                            JOIN_LINEAR,
                            full.joined.cpu_secs,
                            "s CPU",
                            "<= 2.3x for 2x the records (linear, 15 % noise)",
                        )
                        .against(
                            half.joined.cpu_secs,
                            &format!("device CPU of the join at {}", half.records),
                        )
                        .met(r <= 2.3)
                        .why(format!(
                            "the median of {} joins at each size (CPU s: {} at {}, {} at {}); \
                             wall time {secs:.2} s vs {:.2} s",
                            full.tries_cpu_secs.len(),
                            seconds_list(&full.tries_cpu_secs),
                            full.records,
                            seconds_list(&half.tries_cpu_secs),
                            half.records,
                            half.joined.seconds
                        )),
                    );
                    rows.push(
                        Row::measured(
                            "P8",
                            SERVER_MEM,
                            mib(full.server_peak_kib),
                            "MiB",
                            "bounded as N grows (reported)",
                        )
                        .against(mib(half.server_peak_kib), &format!("at {}", half.records)),
                    );
                    rows.push(
                        Row::measured(
                            "P8",
                            DEVICE_MEM,
                            mib(full.joined.peak_rss_kib),
                            "MiB",
                            "bounded as N grows (reported)",
                        )
                        .against(
                            mib(half.joined.peak_rss_kib),
                            &format!("at {}", half.records),
                        ),
                    );
                }
                None => rows.push(Row::not_run("P8", JOIN_LINEAR, "linear", why_not)),
            }
        }
        None => {
            for name in [
                JOIN,
                JOIN_BYTES,
                JOIN_REQUESTS,
                JOIN_LINEAR,
                SERVER_MEM,
                DEVICE_MEM,
            ] {
                rows.push(Row::not_run("P8", name, "see TARGETS.md", why_not));
            }
        }
    }
    rows.extend(same_run_rows(m, why_not));
    rows.extend(hub_rows(m, why_not));
    if m.full.is_some() {
        let total = m.populate_secs + m.push_secs;
        rows.push(
            Row::measured("P8", &format!("{POPULATE} ({n})"), total, "s", "reported")
                .against(AM_REPO_POPULATE_SECS, AM_REPO_NAME)
                .ratio(AM_REPO_POPULATE_SECS / total)
                .why(format!(
                    "writing {:.1} s (one transaction per write, as the app does), pushing {:.1} s",
                    m.populate_secs, m.push_secs
                )),
        );
    } else {
        rows.push(Row::not_run("P8", POPULATE, "reported", why_not));
    }
    rows
}

const SAME_RUN_JOIN: &str = "new device joins, beside automerge-repo in this run";
const SAME_RUN_BYTES: &str = "new device joins: bytes received, beside automerge-repo in this run";

/// What `bench/automerge-repo/p8.mjs` printed (`make bench` runs it before this binary).
#[derive(serde::Deserialize)]
struct AmRepo {
    records: usize,
    join_secs: f64,
    join_bytes: u64,
    saved_bytes: u64,
    populate_secs: f64,
    version: String,
}

fn am_repo(records: usize) -> std::result::Result<AmRepo, String> {
    let file = porchlight_benchkit::bench_dir().join(format!("automerge-repo-{records}.out"));
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("automerge-repo did not run ({}: {e})", file.display()))?;
    serde_json::from_str(text.trim()).map_err(|e| format!("{}: {e}", file.display()))
}

/// The join at the reference size against automerge-repo measured on this machine in this run.
fn same_run_rows(m: &Measured, why_not: &str) -> Vec<Row> {
    let not_run = |why: &str| {
        [SAME_RUN_JOIN, SAME_RUN_BYTES]
            .into_iter()
            .map(|name| Row::not_run("P8", name, ">= 50x faster", why))
            .collect()
    };
    let am = match am_repo(m.reference_records) {
        Ok(am) => am,
        Err(why) => return not_run(&why),
    };
    // Our join at the same size: the reference step, or N/2 or N when one of them is that size.
    let Some(ours) = [&m.reference, &m.half, &m.full]
        .into_iter()
        .flatten()
        .find(|run| run.records == am.records)
    else {
        return not_run(&format!(
            "automerge-repo ran at {} records, and no join of ours at that size ({why_not})",
            am.records
        ));
    };
    let n = ours.records;
    let secs = ours.joined.seconds;
    let ratio = am.join_secs / secs;
    let name = format!("automerge-repo {}, this machine, this run", am.version);
    let how = format!(
        "ratio = automerge-repo / ours; automerge-repo: its WebSocket sync server, a fresh \
         client fetching one document per record, 64 at a time; writing its records took {:.1} s",
        am.populate_secs
    );
    // TARGETS.md sets P8 at 10,000 records. Below that the comparison is reported, not judged:
    // a small join is mostly fixed costs (sign-in, the first page), which the target is not about.
    let join = Row::measured(
        "P8",
        &format!("{SAME_RUN_JOIN} ({n} records)"),
        secs,
        "s",
        if n >= TARGET_RECORDS {
            ">= 50x faster than automerge-repo"
        } else {
            "reported (P8's target is set at 10,000 records)"
        },
    )
    .against(am.join_secs, &name)
    .ratio(ratio);
    let join = if n >= TARGET_RECORDS {
        join.met(ratio >= 50.0).why(how)
    } else {
        join.why(format!(
            "{how}; at {n} records fixed costs (sign-in, the first page) weigh most; \
             `make bench-reference` measures both at 10,000"
        ))
    };
    vec![
        join,
        Row::measured(
            "P8",
            &format!("{SAME_RUN_BYTES} ({n} records)"),
            ours.wire.down as f64,
            "B",
            "reported",
        )
        .against(am.join_bytes as f64, &name)
        .why(format!(
            "ours against our saved documents: {:.2}x; automerge-repo against its own: {:.2}x",
            ours.wire.down as f64 / ours.saved_bytes as f64,
            am.join_bytes as f64 / am.saved_bytes as f64
        )),
    ]
}

const HUB_JOIN: &str = "new device joins through the hub: time until every record is readable";
const HUB_BYTES: &str = "new device joins through the hub: bytes received";
const HUB_FILL: &str = "hub's first relay pass: the community server's log copied to the hub";

/// The join through the coordinator's hub (issue 13), beside the direct one.
fn hub_rows(m: &Measured, why_not: &str) -> Vec<Row> {
    let h = match &m.hub {
        Some(Ok(h)) => h,
        other => {
            let why = match other {
                Some(Err(e)) => e.to_string(),
                _ => why_not.to_owned(),
            };
            return [HUB_JOIN, HUB_BYTES, HUB_FILL]
                .into_iter()
                .map(|name| Row::not_run("P8", name, "reported", &why))
                .collect();
        }
    };
    let n = h.records;
    let mut join = Row::measured(
        "P8",
        &format!("{HUB_JOIN} ({n} records)"),
        h.joined.seconds,
        "s",
        "reported",
    )
    .why(format!(
        "the community server unreachable, the device joins at the hub; device CPU {:.2} s",
        h.joined.cpu_secs
    ));
    let mut bytes = Row::measured("P8", HUB_BYTES, h.wire.down as f64, "B", "reported")
        .why(format!("{} HTTP requests", h.wire.requests));
    if let Some(full) = &m.full {
        join = join.against(
            full.joined.seconds,
            "the same join from the community server",
        );
        bytes = bytes.against(
            full.wire.down as f64,
            "the same join from the community server",
        );
    }
    vec![
        join,
        bytes,
        Row::measured(
            "P8",
            &format!("{HUB_FILL} ({n} records)"),
            h.fill_secs,
            "s",
            "reported",
        )
        .why("the hub's server created, the membership mirrored, every page relayed once"),
    ]
}

const P1_TRIPS: &str = "catch-up (500 offline changes, 1,000 missing): sync round trips";
const P1_RAW: &str = "catch-up: bytes on the wire vs raw missing changes";
const P1_AM: &str = "catch-up: bytes on the wire vs Automerge's sync protocol";
const P1_WHOLE: &str = "catch-up: bytes on the wire vs whole documents";

fn p1_rows(m: &Measured, failure: Option<&str>) -> Vec<Row> {
    let c = match &m.catch_up {
        Some(Ok(c)) => c,
        other => {
            let why = match other {
                Some(Err(e)) => e.to_string(),
                _ => failure
                    .unwrap_or("the run stopped before this step")
                    .to_owned(),
            };
            return [P1_TRIPS, P1_RAW, P1_AM, P1_WHOLE]
                .into_iter()
                .map(|name| Row::not_run("P1", name, "see TARGETS.md", &why))
                .collect();
        }
    };
    let wire = (c.wire.up + c.wire.down) as f64;
    let raw_ratio = wire / c.raw_change_bytes as f64;
    vec![
        Row::measured("P1", P1_TRIPS, c.round_trips as f64, "round trips", "<= 3")
            .met(c.round_trips <= 3)
            .why(format!(
                "{} HTTP requests in all (sign-in and the drop-token refill included); pushed {}, pulled {} missing",
                c.wire.requests, c.changes_pushed, c.changes_missing
            )),
        Row::measured("P1", P1_RAW, wire, "B", "<= 1.2x the raw missing changes")
            .against(c.raw_change_bytes as f64, "raw bytes of the changes pushed and missing")
            .met(raw_ratio <= 1.2)
            .why(format!(
                "up {} B, down {} B; signatures (64 B a change), CBOR and HTTP framing",
                c.wire.up, c.wire.down
            )),
        Row::measured("P1", P1_AM, wire, "B", "reported")
            .against(c.automerge_sync_bytes as f64, "Automerge sync protocol per document, same states")
            .why(format!(
                "Automerge needs up to {} messages per document, one exchange per document",
                c.automerge_rounds
            )),
        Row::measured("P1", P1_WHOLE, wire, "B", "reported")
            .against(c.whole_document_bytes as f64, "every touched document sent whole"),
    ]
}
