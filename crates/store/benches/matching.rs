//! P3: alert matching. 100,000 active alerts around a city, one resident's watch area: the R*Tree
//! lookup (candidates by bounding box, then the exact test) against a linear scan of the same
//! rows with the same exact test, measured side by side in one run. Prints a table and writes the
//! P3 row (`target/bench/P3-matching.json`).
//!
//! Run with `make bench` (or `cargo bench -p porchlight-store --bench matching`).

use std::time::{Duration, Instant};

use porchlight_crdt::create_alert;
use porchlight_model::{
    AlertCategory, Area, DeviceId, DocId, NewAlert, Point, Severity, Timestamp,
};
use porchlight_store::{AlertQuery, DocChanges, Store};

/// 100,000 as the target says; `PORCHLIGHT_BENCH_ALERTS` sets another count for a quick look.
const ALERTS: usize = 100_000;
const ROUNDS: usize = 15;
/// Alerts per applied page, as a sync pull applies them.
const PAGE: usize = 1_000;

fn main() {
    let alerts: usize = std::env::var("PORCHLIGHT_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ALERTS);
    let dir = tempfile::tempdir().expect("temp dir");
    let me = DeviceId::from_bytes([1; 16]);
    let mut store = Store::open(&dir.path().join("bench.db"))
        .expect("store")
        .with_actor(me);
    let now = Timestamp::now();
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    // The alerts arrive as a resident's device receives them: written by a coordinator's device,
    // applied in pages of a thousand documents, one transaction each (the sync path).
    let author = DeviceId::from_bytes([2; 16]);
    let started = Instant::now();
    let mut page = Vec::with_capacity(PAGE);
    for i in 0..alerts {
        // A metro area ~60 km across; a fifth of the alerts are polygons.
        let c = Point::new(45.5 + (rnd() - 0.5) * 0.5, -122.6 + (rnd() - 0.5) * 0.7);
        let area = if i % 5 == 0 {
            let d = 0.001 + rnd() * 0.003;
            Area::polygon(vec![
                Point::new(c.lat - d, c.lon - d),
                Point::new(c.lat - d, c.lon + d),
                Point::new(c.lat + d, c.lon),
            ])
        } else {
            Area::circle(c, 50.0 + rnd() * 1_500.0)
        };
        let alert = NewAlert {
            title: format!("alert {i}"),
            body: String::new(),
            category: AlertCategory::Safety,
            severity: Severity::Info,
            area,
            issued_at: now,
            expires_at: Some(now.plus_millis(30 * 86_400_000)),
            meeting: None,
            person: None,
        };
        let (mut doc, _) = create_alert(DocId::random(), author, &alert).expect("alert");
        page.push(DocChanges {
            doc: doc.id(),
            kind: doc.kind(),
            changes: doc.all_changes(),
        });
        if page.len() == PAGE || i + 1 == alerts {
            store
                .apply_pulled_batch(&page, &[])
                .expect("apply a page of alerts");
            page.clear();
        }
        if (i + 1) % (alerts / 5).max(1) == 0 {
            eprintln!("loaded {} alerts ({:.0?})", i + 1, started.elapsed());
        }
    }
    let home = Area::circle(Point::new(45.52, -122.65), 400.0);

    let rtree = || {
        store
            .alerts(&AlertQuery {
                touching: Some(home.clone()),
                live_at: Some(now),
                limit: None,
            })
            .expect("rtree query")
    };
    let linear = || {
        store
            .alerts(&AlertQuery {
                touching: None,
                live_at: Some(now),
                limit: None,
            })
            .expect("scan")
            .into_iter()
            .filter(|a| a.area.intersects(&home))
            .collect::<Vec<_>>()
    };
    let mut a: Vec<DocId> = rtree().iter().map(|a| a.id).collect();
    let mut b: Vec<DocId> = linear().iter().map(|a| a.id).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the R*Tree and the scan must find the same alerts");

    let median = |f: &dyn Fn() -> usize| {
        let mut times: Vec<Duration> = (0..ROUNDS)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect();
        times.sort();
        times[ROUNDS / 2]
    };
    let t_rtree = median(&|| rtree().len());
    let t_linear = median(&|| linear().len());
    let ratio = t_linear.as_secs_f64() / t_rtree.as_secs_f64();
    println!();
    println!(
        "P3 alert matching: {alerts} active alerts, one 400 m watch area, {} matches",
        a.len()
    );
    println!("| method | median of {ROUNDS} | ratio |");
    println!("|---|---|---|");
    println!("| R*Tree candidates + exact test | {t_rtree:.2?} | 1 |");
    println!("| linear scan + exact test | {t_linear:.2?} | {ratio:.0}x |");
    println!(
        "target: R*Tree >= 100x faster than the scan -> {}",
        if ratio >= 100.0 { "met" } else { "NOT met" }
    );
    let row = porchlight_benchkit::Row::measured(
        "P3",
        &format!("alert matching: {alerts} active alerts, one watch area (median of {ROUNDS})"),
        t_rtree.as_secs_f64() * 1000.0,
        "ms",
        ">= 100x faster than a linear scan of the same rows",
    )
    .against(
        t_linear.as_secs_f64() * 1000.0,
        "linear scan + exact test, same run",
    )
    .ratio(ratio)
    .met(ratio >= 100.0)
    .why(format!(
        "ratio = scan / R*Tree; {} matches; the scan reads every row",
        a.len()
    ));
    porchlight_benchkit::write_rows("P3-matching", &[row]).expect("write the bench row");
}
