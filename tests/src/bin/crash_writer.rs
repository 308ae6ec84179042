//! Writes to a Porchlight data directory forever, printing one line per acknowledged write:
//!
//! ```text
//! alert <title>            an alert with this unique title was issued
//! patrol <id>              a patrol was started
//! fix <patrol> <millis>    a fix at this time was recorded on that patrol
//! obs <patrol> <note>      an observation with this unique note was added
//! end <patrol>             the patrol was ended
//! report <id>              a report was filed
//! triage <id> <status>     the report's triage status was set
//! ```
//!
//! Usage: crash-writer DATA_DIR ROUND

use std::io::Write;
use std::path::PathBuf;

use porchlight_core::Core;
use porchlight_model::{
    AlertCategory, Area, Category, Fix, LocationPrecision, NewAlert, NewObservation, NewReport,
    Point, Severity, Timestamp, TriageStatus,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(round)) = (args.next(), args.next()) else {
        eprintln!("usage: crash-writer DATA_DIR ROUND");
        std::process::exit(2);
    };
    let round: i64 = round.parse().expect("ROUND is a number");
    let core = Core::open(&PathBuf::from(dir)).expect("open the data directory");
    let out = std::io::stdout();
    let mut out = out.lock();
    let base = 1_780_000_000_000 + round * 10_000_000;
    for n in 0i64.. {
        let at = Timestamp::from_millis(base + n * 1000);
        let line = match n % 10 {
            0 => {
                let title = format!("alert-{round}-{n}");
                core.issue_alert(NewAlert {
                    title: title.clone(),
                    body: String::new(),
                    category: AlertCategory::Crime,
                    severity: Severity::Warning,
                    area: Area::circle(Point::new(40.0, -3.0), 300.0),
                    issued_at: Timestamp::now(),
                    expires_at: None,
                    meeting: None,
                    person: None,
                })
                .expect("issue alert");
                format!("alert {title}")
            }
            5 => {
                let report = core
                    .file_report(
                        &NewReport {
                            category: Category::Theft,
                            description: format!("report-{round}-{n}"),
                            occurred_at: at,
                            location: Some(Point::new(40.0, -3.0)),
                            precision: LocationPrecision::Exact,
                            photos: vec![],
                            person: None,
                        },
                        false,
                    )
                    .expect("file report");
                let id = report.report;
                writeln!(out, "report {id}").expect("stdout");
                core.triage(id, TriageStatus::InReview, None, false)
                    .expect("triage");
                format!("triage {id} in_review")
            }
            7 => {
                let note = format!("obs-{round}-{n}");
                ensure_patrol(&core, &mut out, at);
                core.add_observation(&NewObservation {
                    at,
                    point: None,
                    category: Category::AllClear,
                    note: note.clone(),
                    photos: vec![],
                })
                .expect("observation");
                let patrol = core.current_patrol().expect("state").expect("running");
                format!("obs {patrol} {note}")
            }
            9 if n % 60 == 59 => match core.current_patrol().expect("state") {
                Some(patrol) => {
                    core.end_patrol(at).expect("end");
                    format!("end {patrol}")
                }
                None => continue,
            },
            _ => {
                ensure_patrol(&core, &mut out, at);
                let patrol = core.current_patrol().expect("state").expect("running");
                // 333 m apart, and each round on its own meridian (over 700 m away), so the
                // privacy cut at each end of a shared track (100-250 m) takes exactly the first
                // fix of a patrol and, once it ends, the last.
                let lat = 40.0 + ((n % 5_000) as f64) * 0.003;
                let lon = -3.0 + ((round % 100) as f64) * 0.02;
                core.add_fix(Fix {
                    at,
                    point: Point::new(lat, lon),
                    accuracy_m: Some(5.0),
                })
                .expect("fix");
                format!("fix {patrol} {}", at.millis())
            }
        };
        writeln!(out, "{line}").expect("stdout");
    }
}

fn ensure_patrol(core: &Core, out: &mut impl Write, at: Timestamp) {
    if core.current_patrol().expect("state").is_none() {
        let p = core.start_patrol("Crash patrol", at).expect("start patrol");
        writeln!(out, "patrol {}", p.id).expect("stdout");
    }
}
