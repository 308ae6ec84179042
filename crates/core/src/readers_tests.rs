//! The UI's reads answer while the writer is held, as a sync holds it for a whole pulled page.

use std::sync::mpsc;
use std::time::Duration;

use porchlight_model::{AlertCategory, Area, Fix, NewAlert, Point, Severity, Timestamp};
use porchlight_store::AlertQuery;

use crate::Core;

/// Only a guard against hanging forever on a broken build; the test synchronises on channels.
const GIVE_UP: Duration = Duration::from_secs(60);

#[test]
fn reads_answer_while_a_write_transaction_holds_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Rosa").unwrap();
    core.issue_alert(NewAlert {
        title: "Car break-ins".into(),
        body: String::new(),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: Area::circle(Point::new(45.5, -122.6), 300.0),
        issued_at: Timestamp::now(),
        expires_at: None,
        meeting: None,
        person: None,
    })
    .unwrap();
    let started = Timestamp::now();
    let patrol = core.start_patrol("Evening round", started).unwrap();
    core.add_fix(Fix {
        at: started.plus_millis(1000),
        point: Point::new(45.5, -122.6),
        accuracy_m: Some(5.0),
    })
    .unwrap();

    let (inside_tx, inside) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let (answers_tx, answers) = mpsc::channel();
    let core = &core;
    std::thread::scope(|s| {
        // The writer, held in an open transaction until the reads are done.
        s.spawn(move || {
            core.store()
                .with_transaction(|_| {
                    inside_tx.send(()).unwrap();
                    release.recv().unwrap();
                    Ok(())
                })
                .unwrap();
        });
        inside.recv_timeout(GIVE_UP).unwrap();
        s.spawn(move || {
            let alerts = core.alerts(&AlertQuery::default()).unwrap().len();
            let running = core.current_patrol().unwrap();
            let detail = core.patrol(patrol.id).unwrap();
            let totals = core.patrol_totals().unwrap().unwrap();
            let status = core.sync_status().unwrap();
            let me = core.whoami().unwrap();
            answers_tx
                .send((
                    alerts,
                    running,
                    detail.track.len(),
                    totals.fix_count,
                    status.pending,
                    me.name,
                ))
                .unwrap();
        });
        // With the old single store mutex the reads waited for the writer: this timed out.
        let answered = answers.recv_timeout(GIVE_UP);
        release_tx.send(()).unwrap();
        let (alerts, running, track, fixes, pending, name) = answered.unwrap();
        assert_eq!(alerts, 1);
        assert_eq!(running, Some(patrol.id));
        assert_eq!((track, fixes), (1, 1));
        assert!(pending > 0);
        assert_eq!(name.as_deref(), Some("Rosa"));
    });
}
