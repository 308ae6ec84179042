//! P4: the coordinator's lists at city scale. A coordinator's device holds 50,000 patrols (a
//! 30-fix track each) and 20,000 reports (70 % triaged) spread over a year across 16 named zones.
//! Measured side by side in one run: one page of 50 rows filtered by period, zone and status
//! (through `Core`, as the app asks for it) against a bare `SELECT … LIMIT 50` of the same table
//! decoded the same way; the 20th page of the same filter; and the hotspots of a year of reports.
//! The target: a filtered page within 2× the bare one. Writes `target/bench/P4-lists.json`.
//!
//! Run with `make bench` (or `cargo bench -p porchlight-core --bench p4_lists`);
//! `PORCHLIGHT_BENCH_PATROLS` and `PORCHLIGHT_BENCH_REPORTS` set other counts for a quick look.

use std::time::{Duration, Instant};

use porchlight_benchkit::Row;
use porchlight_core::{CaseFilter, Core, HotspotQuery, PatrolFilter};
use porchlight_crdt::{
    ReplyKeys, append_track, create_report, end_patrol, new_triage, set_triage, start_patrol,
    triage_id,
};
use porchlight_model::planar::Local;
use porchlight_model::{
    Area, Category, DeviceId, DocId, DocKind, Fix, LocationPrecision, NewReport, Participant,
    Point, Timestamp, TriageStatus, Zone,
};
use porchlight_store::{DocChanges, Store};

const PATROLS: usize = 50_000;
const REPORTS: usize = 20_000;
const DAY: i64 = 86_400_000;
/// The start of the bench's year (a quarter hour: report times are kept to 15 minutes).
const YEAR_START: i64 = 1_750_000_500_000;
const ROUNDS: usize = 200;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 16 zones of 1 km × 1 km in a 4 × 4 grid over the neighbourhood.
fn zones(local: &Local) -> Vec<Zone> {
    let mut out = Vec::new();
    for row in 0..4 {
        for col in 0..4 {
            let (x, y) = (f64::from(col) * 1_000.0, f64::from(row) * 1_000.0);
            out.push(Zone {
                name: format!("Z{}", row * 4 + col),
                area: Area::polygon(vec![
                    local.point(x, y),
                    local.point(x + 1_000.0, y),
                    local.point(x + 1_000.0, y + 1_000.0),
                    local.point(x, y + 1_000.0),
                ]),
            });
        }
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

/// Times `bare` and `page` in alternating rounds (which goes first alternates too) and returns
/// the median of each: both then see the same machine, while a VM's neighbours move the clock
/// by several percent from one second to the next, as much as this target's margin.
fn paired<A, B>(
    rounds: usize,
    mut bare: impl FnMut() -> A,
    mut page: impl FnMut() -> B,
) -> (Duration, Duration) {
    let mut bare_times = Vec::with_capacity(rounds);
    let mut page_times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut time_bare = || {
            let t = Instant::now();
            std::hint::black_box(bare());
            bare_times.push(t.elapsed());
        };
        if round % 2 == 0 {
            time_bare();
        }
        let t = Instant::now();
        std::hint::black_box(page());
        page_times.push(t.elapsed());
        if round % 2 == 1 {
            time_bare();
        }
    }
    (median(bare_times), median(page_times))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// Fills the store with the patrols and reports, a page of documents per transaction (the path
/// a sync takes), and returns how long it took.
fn fill(
    store: &mut Store,
    me: DeviceId,
    local: &Local,
    patrols: usize,
    reports: usize,
) -> Duration {
    let started = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let walkers: Vec<DeviceId> = (1..=40u8).map(|i| DeviceId::from_bytes([i; 16])).collect();
    let mut batch: Vec<DocChanges> = Vec::new();
    let flush = |store: &mut Store, batch: &mut Vec<DocChanges>, force: bool| {
        if batch.len() >= 500 || (force && !batch.is_empty()) {
            store.apply_remote_batch(batch, &[]).expect("apply a page");
            batch.clear();
        }
    };
    for i in 0..patrols {
        let walker = walkers[i % walkers.len()];
        let at = Timestamp::from_millis(YEAR_START + (rng.unit() * 365.0 * DAY as f64) as i64);
        let (mut doc, first) =
            start_patrol(DocId::random(), walker, "Ana", &format!("Patrol {i}"), at)
                .expect("start");
        // A 30-fix walk of about 1.5 km from a random start.
        let (mut x, mut y) = (rng.unit() * 4_000.0, rng.unit() * 4_000.0);
        let heading = rng.unit() * std::f64::consts::TAU;
        let fixes: Vec<Fix> = (0..30)
            .map(|k| {
                let turn = heading + (rng.unit() - 0.5);
                x += 50.0 * turn.cos();
                y += 50.0 * turn.sin();
                Fix {
                    at: at.plus_millis(k * 60_000),
                    point: local.point(x, y),
                    accuracy_m: None,
                }
            })
            .collect();
        let mut changes = vec![first.bytes];
        changes.push(append_track(&mut doc, &fixes, at).expect("track").bytes);
        // One in fifty still running.
        if i % 50 != 0 {
            changes.push(
                end_patrol(&mut doc, at.plus_millis(2 * 3_600_000))
                    .expect("end")
                    .bytes,
            );
        }
        batch.push(DocChanges {
            doc: doc.id(),
            kind: DocKind::Patrol,
            changes,
        });
        flush(store, &mut batch, false);
        if (i + 1) % 10_000 == 0 {
            eprintln!("P4: {} patrols stored ({:.0?})", i + 1, started.elapsed());
        }
    }
    let categories = [
        Category::Theft,
        Category::Vandalism,
        Category::SuspiciousActivity,
        Category::Other,
    ];
    let statuses = [
        TriageStatus::InReview,
        TriageStatus::Forwarded,
        TriageStatus::Closed,
        TriageStatus::Dismissed,
    ];
    for i in 0..reports {
        let at = Timestamp::from_millis(YEAR_START + (rng.unit() * 365.0 * DAY as f64) as i64);
        let new = NewReport {
            category: categories[i % categories.len()],
            description: format!("Report {i}: something seen near the corner"),
            occurred_at: at,
            location: Some(local.point(rng.unit() * 4_000.0, rng.unit() * 4_000.0)),
            precision: LocationPrecision::Exact,
            photos: Vec::new(),
            person: None,
        };
        let keys = ReplyKeys::from_secret(&[(i % 251) as u8; 32]);
        let id = DocId::random();
        let (_, written) = create_report(id, id.as_bytes(), None, &new, &keys).expect("report");
        batch.push(DocChanges {
            doc: id,
            kind: DocKind::Report,
            changes: vec![written.bytes],
        });
        // 70 % triaged, spread over the four statuses after "new".
        if i % 10 < 7 {
            let mut triage = new_triage(id, me).expect("triage");
            let status = statuses[i % statuses.len()];
            let w = set_triage(&mut triage, me, status, None, at.plus_millis(3_600_000))
                .expect("set triage");
            batch.push(DocChanges {
                doc: triage_id(id),
                kind: DocKind::Triage,
                changes: vec![w.bytes],
            });
        }
        flush(store, &mut batch, false);
    }
    flush(store, &mut batch, true);
    eprintln!(
        "P4: {patrols} patrols and {reports} reports stored ({:.0?})",
        started.elapsed()
    );
    started.elapsed()
}

/// The bare page: `SELECT … LIMIT 50`, no filter and no order, the same columns decoded the same
/// way as the filtered list decodes them.
fn bare_patrols(db: &rusqlite::Connection) -> usize {
    let mut stmt = db
        .prepare_cached(
            "SELECT id, title, started_at, ended_at, fix_count, distance_m, observations,
                    participants FROM p_patrols LIMIT 50",
        )
        .expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let mut n = 0;
    while let Some(r) = rows.next().expect("row") {
        let id: Vec<u8> = r.get(0).expect("id");
        let title: String = r.get(1).expect("title");
        let times: (i64, Option<i64>) = (r.get(2).expect("start"), r.get(3).expect("end"));
        let counts: (i64, f64, i64) = (
            r.get(4).expect("fixes"),
            r.get(5).expect("distance"),
            r.get(6).expect("observations"),
        );
        let people: Vec<Participant> =
            serde_json::from_str(&r.get::<_, String>(7).expect("participants")).expect("json");
        std::hint::black_box((DocId::from_slice(&id).ok(), title, times, counts, people));
        n += 1;
    }
    n
}

fn bare_reports(db: &rusqlite::Connection) -> usize {
    let mut stmt = db
        .prepare_cached(
            "SELECT id, category, description, occurred_at, lat, lon, precision, photos,
                    filed_by, followups, person FROM p_reports LIMIT 50",
        )
        .expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let mut n = 0;
    while let Some(r) = rows.next().expect("row") {
        let id: Vec<u8> = r.get(0).expect("id");
        let text: (String, String, String) = (
            r.get(1).expect("category"),
            r.get(2).expect("description"),
            r.get(6).expect("precision"),
        );
        let place: (i64, Option<f64>, Option<f64>) = (
            r.get(3).expect("at"),
            r.get(4).expect("lat"),
            r.get(5).expect("lon"),
        );
        let photos: Vec<String> =
            serde_json::from_str(&r.get::<_, String>(7).expect("photos")).expect("json");
        let followups: serde_json::Value =
            serde_json::from_str(&r.get::<_, String>(9).expect("followups")).expect("json");
        let more: (Option<Vec<u8>>, Option<String>) =
            (r.get(8).expect("filed_by"), r.get(10).expect("person"));
        std::hint::black_box((
            DocId::from_slice(&id).ok(),
            text,
            place,
            photos,
            followups,
            more,
        ));
        n += 1;
    }
    n
}

#[allow(clippy::too_many_lines)] // one table's rows, measured in order
fn main() {
    let patrols = count("PORCHLIGHT_BENCH_PATROLS", PATROLS);
    let reports = count("PORCHLIGHT_BENCH_REPORTS", REPORTS);
    let dir = tempfile::tempdir().expect("temp dir");
    let local = Local::new(Point::new(45.50, -122.66));
    let me = {
        let core = Core::open(dir.path()).expect("open the device");
        core.init("Coordinator").expect("init");
        core.create_group("Bench Heights").expect("group");
        for z in zones(&local) {
            core.set_zone(&z).expect("zone");
        }
        core.device()
    };
    let fill_time = {
        let mut store = Store::open(&dir.path().join("porchlight.db")).expect("store");
        fill(&mut store, me, &local, patrols, reports)
    };
    let core = Core::open(dir.path()).expect("open again");
    let db = rusqlite::Connection::open_with_flags(
        dir.path().join("porchlight.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("read-only connection");

    // The middle quarter of the year, zone Z5, ended patrols / reports still new.
    let from = Timestamp::from_millis(YEAR_START + 120 * DAY);
    let to = Timestamp::from_millis(YEAR_START + 210 * DAY);
    let patrol_filter = PatrolFilter {
        from: Some(from),
        to: Some(to),
        zone: Some("Z5".into()),
        running: Some(false),
        after: None,
        limit: Some(50),
    };
    let case_filter = CaseFilter {
        status: Some(TriageStatus::New),
        from: Some(from),
        to: Some(to),
        zone: Some("Z5".into()),
        include_merged: true,
        limit: Some(50),
        ..CaseFilter::default()
    };
    assert_eq!(bare_patrols(&db), 50.min(patrols));
    assert_eq!(bare_reports(&db), 50.min(reports));
    let first = core.patrols_page(&patrol_filter).expect("patrol page");
    let reports_first = core.cases_page(&case_filter).expect("case page");
    eprintln!(
        "P4: filtered pages hold {} patrols and {} reports",
        first.rows.len(),
        reports_first.rows.len()
    );

    // The same queries straight on the store (no role check or filter validation), on a second
    // connection to the same file.
    let store = Store::open(&dir.path().join("porchlight.db")).expect("store");
    let store_patrols = porchlight_store::PatrolQuery {
        from: patrol_filter.from,
        to: patrol_filter.to,
        zone: patrol_filter.zone.clone(),
        running: patrol_filter.running,
        after: None,
        limit: Some(50),
    };
    let store_reports = porchlight_store::ReportQuery {
        status: case_filter.status,
        from: case_filter.from,
        to: case_filter.to,
        zone: case_filter.zone.clone(),
        limit: Some(50),
        due: store.due_hours().expect("due hours"),
        now: Some(Timestamp::now()),
        ..porchlight_store::ReportQuery::default()
    };
    // Every row against its own bare query, timed in the same rounds.
    let (bare_ps, store_p) = paired(
        ROUNDS,
        || bare_patrols(&db),
        || store.patrols_page(&store_patrols).expect("page"),
    );
    let (bare_rs, store_r) = paired(
        ROUNDS,
        || bare_reports(&db),
        || store.reports_page(&store_reports).expect("page"),
    );
    let (bare_pc, page_p) = paired(
        ROUNDS,
        || bare_patrols(&db),
        || core.patrols_page(&patrol_filter).expect("page"),
    );
    let (bare_rc, page_r) = paired(
        ROUNDS,
        || bare_reports(&db),
        || core.cases_page(&case_filter).expect("page"),
    );
    // The 20th page: every earlier page's cursor followed first, then that page timed.
    let mut deep = patrol_filter.clone();
    for _ in 0..19 {
        match core.patrols_page(&deep).expect("page").next {
            Some(next) => deep.after = Some(next),
            None => break,
        }
    }
    let (bare_p20, page_20) = paired(
        ROUNDS,
        || bare_patrols(&db),
        || core.patrols_page(&deep).expect("page"),
    );
    let year = HotspotQuery {
        from: Some(Timestamp::from_millis(YEAR_START)),
        to: Some(Timestamp::from_millis(YEAR_START + 365 * DAY)),
        ..HotspotQuery::default()
    };
    let hot = core.hotspots(&year).expect("hotspots");
    let hotspots = time(5, || core.hotspots(&year).expect("hotspots"));
    eprintln!(
        "P4: bare patrols {:.3} ms, filtered {:.3} ms (store {:.3} ms), page 20 {:.3} ms; bare \
         reports {:.3} ms, filtered {:.3} ms (store {:.3} ms); hotspots over {} reports {:.1} ms \
         ({} cells shown)",
        ms(bare_pc),
        ms(page_p),
        ms(store_p),
        ms(page_20),
        ms(bare_rc),
        ms(page_r),
        ms(store_r),
        hot.total,
        ms(hotspots),
        hot.cells.len()
    );

    let within = |page: Duration, bare: Duration| ms(page) / ms(bare) <= 2.0;
    let scale = format!("{patrols} patrols, {reports} reports");
    let rows = vec![
        Row::measured(
            "P4",
            "patrols: a page of 50 by period, zone and status (store query)",
            ms(store_p),
            "ms",
            "≤ 2× a bare SELECT … LIMIT 50",
        )
        .against(ms(bare_ps), "bare SELECT … LIMIT 50")
        .met(within(store_p, bare_ps))
        .why(format!("{scale}; zone index range in time order")),
        Row::measured(
            "P4",
            "reports: a page of 50 cases by period, zone and status (store query)",
            ms(store_r),
            "ms",
            "≤ 2× a bare SELECT … LIMIT 50",
        )
        .against(ms(bare_rs), "bare SELECT … LIMIT 50")
        .met(within(store_r, bare_rs))
        .why("one row per case (the case is copied onto the report's row); zone index range"),
        Row::measured(
            "P4",
            "patrols: a page of 50 by period, zone and status (the app's call)",
            ms(page_p),
            "ms",
            "≤ 2× a bare SELECT … LIMIT 50",
        )
        .against(ms(bare_pc), "bare SELECT … LIMIT 50")
        .met(within(page_p, bare_pc))
        .why("adds the role check and the filters' validation"),
        Row::measured(
            "P4",
            "patrols: the 20th page of the same filter",
            ms(page_20),
            "ms",
            "≤ 2× a bare SELECT … LIMIT 50",
        )
        .against(ms(bare_p20), "bare SELECT … LIMIT 50")
        .met(within(page_20, bare_p20))
        .why("pages continue from the last row, not an offset"),
        Row::measured(
            "P4",
            "reports: a page of 50 cases by period, zone and status (the app's call)",
            ms(page_r),
            "ms",
            "≤ 2× a bare SELECT … LIMIT 50",
        )
        .against(ms(bare_rc), "bare SELECT … LIMIT 50")
        .met(within(page_r, bare_rc))
        .why("adds the role check and the filters' validation"),
        Row::measured(
            "P4",
            "hotspots over a year of reports",
            ms(hotspots),
            "ms",
            "reported",
        )
        .why(format!(
            "{} reports, {} cells shown",
            hot.total,
            hot.cells.len()
        )),
        Row::measured(
            "P4",
            "storing the data set (pages of 500 documents)",
            fill_time.as_secs_f64(),
            "s",
            "reported",
        )
        .why(scale),
    ];
    porchlight_benchkit::write_rows("P4-lists", &rows).expect("write the bench rows");
    // For a look at the query plans: PORCHLIGHT_BENCH_KEEP=/some/file keeps a copy of the store.
    if let Ok(keep) = std::env::var("PORCHLIGHT_BENCH_KEEP") {
        drop(core);
        drop(store);
        db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").ok();
        std::fs::copy(dir.path().join("porchlight.db"), keep).expect("keep the store");
    }
}
