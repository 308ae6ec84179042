//! P6: patrol tracking. A volunteer's device records one GPS fix a second for two hours of
//! walking, through the same `Core::add_fix` the app calls. Reported: the time of each durable
//! append (median and 99th percentile; the target is a median of at most 1 ms), the CPU time the
//! process spent per tracked hour, and the bytes the track adds to what the device will sync per
//! hour (target at most 64 KB). Writes `target/bench/P6-tracking.json`.
//!
//! Run with `make bench` (or `cargo bench -p porchlight-core --bench p6_tracking`);
//! `PORCHLIGHT_BENCH_FIXES` sets another number of fixes for a quick look.

use std::time::{Duration, Instant};

use porchlight_benchkit::Row;
use porchlight_core::Core;
use porchlight_model::{Fix, Point, Timestamp};

/// Two hours at one fix a second.
const FIXES: usize = 7_200;

/// User plus system CPU time of this process so far, from /proc (Linux), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    // Linux reports these in USER_HZ, which is 100 on every platform Rust supports there.
    ticks / 100.0
}

fn main() {
    let fixes: usize = std::env::var("PORCHLIGHT_BENCH_FIXES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FIXES);
    let dir = tempfile::tempdir().expect("temp dir");
    let core = Core::open(dir.path()).expect("open the device");
    core.init("Vic").expect("init");
    core.create_group("Elm Street Watch").expect("group");
    let start = Timestamp::from_millis(1_780_000_000_000);
    let patrol = core.start_patrol("Two hours", start).expect("start");

    let mut times = Vec::with_capacity(fixes);
    let cpu_before = cpu_seconds();
    let wall = Instant::now();
    for i in 0..fixes {
        // A walk at about 1.4 m/s, turning now and then, with a little GPS noise.
        let t = i as f64;
        let lat = 40.0 + 0.000_012_6 * t * (t / 900.0).cos().abs().max(0.2);
        let lon = -3.0 + 0.000_016 * t * (t / 700.0).sin() + 0.000_002 * (t * 1.7).sin();
        let fix = Fix {
            at: start.plus_millis(i as i64 * 1000),
            point: Point::new(lat, lon),
            accuracy_m: Some(5.0),
        };
        let began = Instant::now();
        core.add_fix(fix).expect("add fix");
        times.push(began.elapsed());
        if (i + 1) % (fixes / 4).max(1) == 0 {
            eprintln!("{} fixes ({:.0?})", i + 1, wall.elapsed());
        }
    }
    core.end_patrol(start.plus_millis(fixes as i64 * 1000))
        .expect("end");
    let cpu = cpu_seconds() - cpu_before;
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    let hours = fixes as f64 / 3600.0;

    // What the track adds to sync: every change of this patrol waiting in the outbox.
    let db = rusqlite::Connection::open(dir.path().join("porchlight.db")).expect("store file");
    let (bytes, changes): (i64, i64) = db
        .query_row(
            "SELECT coalesce(sum(length(bytes)), 0), count(*) FROM outbox WHERE doc = ?1",
            [&patrol.id.as_bytes()[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("outbox");
    let per_hour = bytes as f64 / hours;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;

    println!();
    println!("P6 patrol tracking: {fixes} fixes (one a second for {hours:.1} h)");
    println!(
        "durable append: median {:.3} ms, p99 {:.3} ms; CPU {:.2} s per tracked hour; \
         track {:.1} KB per hour in {changes} changes",
        ms(median),
        ms(p99),
        cpu / hours,
        per_hour / 1024.0
    );
    let rows = [
        Row::measured(
            "P6",
            "durable append of a fix, median (p99 in why)",
            ms(median),
            "ms",
            "<= 1 ms median",
        )
        .met(ms(median) <= 1.0)
        .why(format!("p99 {:.3} ms over {fixes} fixes", ms(p99))),
        Row::measured(
            "P6",
            "CPU time per tracked hour",
            cpu / hours,
            "s",
            "reported",
        )
        .why("user + system time of the process over the fixes, /proc/self/stat"),
        Row::measured(
            "P6",
            "track bytes per hour (changes to sync)",
            per_hour / 1024.0,
            "KB",
            "<= 64 KB per hour",
        )
        .met(per_hour <= 64.0 * 1024.0)
        .why(format!(
            "{bytes} bytes in {changes} changes for {hours:.1} h; packed every 30 s"
        )),
    ];
    porchlight_benchkit::write_rows("P6-tracking", &rows).expect("write the bench rows");
}
