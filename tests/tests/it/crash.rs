//! Crash safety: a writer process is killed with SIGKILL at random points, again and again, on the
//! same data directory. After each kill, everything it acknowledged must be there exactly once,
//! and the query tables must equal a rebuild from the documents.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use porchlight_core::{AlertQuery, Core};
use porchlight_model::DocId;
use porchlight_tests::Rng;

const ROUNDS: u64 = 24;

#[derive(Default)]
struct Acked {
    alerts: BTreeSet<String>,
    patrols: BTreeSet<DocId>,
    fixes: BTreeMap<DocId, BTreeSet<i64>>,
    observations: BTreeMap<DocId, BTreeSet<String>>,
    ended: BTreeSet<DocId>,
    reports: BTreeSet<DocId>,
    triaged: BTreeSet<DocId>,
}

impl Acked {
    fn record(&mut self, line: &str) {
        let parts: Vec<&str> = line.split(' ').collect();
        let id = |s: &str| s.parse::<DocId>().expect("doc id");
        match parts.as_slice() {
            ["alert", title] => assert!(self.alerts.insert((*title).to_owned())),
            ["patrol", p] => assert!(self.patrols.insert(id(p))),
            ["fix", p, at] => assert!(
                self.fixes
                    .entry(id(p))
                    .or_default()
                    .insert(at.parse().unwrap())
            ),
            ["obs", p, note] => assert!(
                self.observations
                    .entry(id(p))
                    .or_default()
                    .insert((*note).to_owned())
            ),
            ["end", p] => assert!(self.ended.insert(id(p))),
            ["report", r] => assert!(self.reports.insert(id(r))),
            ["triage", r, "in_review"] => assert!(self.triaged.insert(id(r))),
            other => panic!("unexpected line {other:?}"),
        }
    }
}

fn verify(core: &Core, acked: &Acked) {
    // Alerts: every acknowledged title exactly once, and no title twice at all.
    let alerts = core.alerts(&AlertQuery::default()).unwrap();
    let mut titles = BTreeMap::<String, usize>::new();
    for a in &alerts {
        *titles.entry(a.title.clone()).or_default() += 1;
    }
    assert!(
        titles.values().all(|&n| n == 1),
        "an alert was stored twice"
    );
    for t in &acked.alerts {
        assert!(titles.contains_key(t), "acknowledged alert {t} lost");
    }
    // Patrols: every acknowledged fix and observation present once.
    for p in &acked.patrols {
        let detail = core.patrol(*p).unwrap();
        let times: Vec<i64> = detail.track.iter().map(|f| f.at.millis()).collect();
        let unique: BTreeSet<i64> = times.iter().copied().collect();
        assert_eq!(unique.len(), times.len(), "a fix was stored twice in {p}");
        // The privacy cut leaves a patrol's first fix out of its shared track, and its last
        // once it has ended (the crash writer spaces fixes so that it takes no more). A patrol
        // may have ended without the end being acknowledged (killed before the line was
        // printed): its last fix is cut all the same.
        let acked_fixes: BTreeSet<i64> =
            acked.fixes.get(p).into_iter().flatten().copied().collect();
        let first = acked_fixes.first().copied();
        let ended = acked.ended.contains(p) || detail.patrol.ended_at.is_some();
        let last = ended.then(|| acked_fixes.last().copied()).flatten();
        for at in &acked_fixes {
            if Some(*at) == first || Some(*at) == last {
                continue;
            }
            assert!(unique.contains(at), "acknowledged fix {at} of {p} lost");
        }
        let notes: Vec<&str> = detail
            .patrol
            .observations
            .iter()
            .map(|o| o.note.as_str())
            .collect();
        let unique_notes: BTreeSet<&str> = notes.iter().copied().collect();
        assert_eq!(
            unique_notes.len(),
            notes.len(),
            "an observation was stored twice"
        );
        for n in acked.observations.get(p).into_iter().flatten() {
            assert!(
                unique_notes.contains(n.as_str()),
                "acknowledged observation {n} lost"
            );
        }
        if acked.ended.contains(p) {
            assert!(
                detail.patrol.ended_at.is_some(),
                "acknowledged end of {p} lost"
            );
        }
    }
    // Reports and their triage.
    let reports = core.reports(None).unwrap();
    let ids: BTreeSet<DocId> = reports.iter().map(|e| e.report.id).collect();
    assert_eq!(ids.len(), reports.len(), "a report was listed twice");
    for r in &acked.reports {
        assert!(ids.contains(r), "acknowledged report {r} lost");
    }
    for r in &acked.triaged {
        let e = reports.iter().find(|e| e.report.id == *r).unwrap();
        assert_eq!(
            e.report.status.as_str(),
            "in_review",
            "acknowledged triage of {r} lost"
        );
    }
    // Projections equal a rebuild from the documents.
    let incremental = core.projection_digest().unwrap();
    core.rebuild_projections().unwrap();
    assert_eq!(
        core.projection_digest().unwrap(),
        incremental,
        "projections drifted"
    );
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut acked = Acked::default();
    let mut total_acks = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(dir.path())
            .arg(round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Kill after a random number of acknowledgements, plus a random spin so the kill lands
        // at a random instant inside the next write rather than between writes.
        let target = 1 + rng.below(120);
        for _ in 0..target {
            let line = lines.next().expect("writer exited early").unwrap();
            acked.record(&line);
            total_acks += 1;
        }
        let spin = rng.below(400_000);
        let mut x = 0u64;
        for i in 0..spin {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // Lines printed after our last read but before the kill were acknowledged too.
        for line in lines {
            match line {
                Ok(l) if !l.is_empty() => {
                    acked.record(&l);
                    total_acks += 1;
                }
                _ => break,
            }
        }
        let core = Core::open(dir.path()).unwrap();
        verify(&core, &acked);
    }
    assert!(total_acks >= ROUNDS, "the writer made progress");
}
