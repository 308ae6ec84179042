//! The core handle on real data directories.

use porchlight_core::{AlertQuery, Core, CoreError, ExportFormat, ExportKind};
use porchlight_model::{
    AlertCategory, Area, Category, Fix, LocationPrecision, NewAlert, NewObservation, NewReport,
    Point, Severity, Timestamp, TriageStatus, ValidationError,
};

fn open() -> (tempfile::TempDir, Core) {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Tester").unwrap();
    (dir, core)
}

fn alert(title: &str, center: Point) -> NewAlert {
    NewAlert {
        title: title.into(),
        body: "Seen twice this week, \"grey van\", plates unknown".into(),
        category: AlertCategory::SuspiciousActivity,
        severity: Severity::Urgent,
        area: Area::circle(center, 400.0),
        issued_at: Timestamp::now(),
        expires_at: None,
        meeting: None,
        person: None,
    }
}

fn fix(s: i64, lat: f64, lon: f64) -> Fix {
    Fix {
        at: Timestamp::from_millis(1_780_000_000_000 + s * 1000),
        point: Point::new(lat, lon),
        accuracy_m: Some(4.0),
    }
}

/// Some of everything, so the exchange and export tests see every kind.
fn fill(core: &Core, offset: f64) {
    core.issue_alert(alert(
        "Van circling the school",
        Point::new(40.0 + offset, -3.0),
    ))
    .unwrap();
    core.start_patrol("Evening round", Timestamp::from_millis(1_780_000_000_000))
        .unwrap();
    for s in 0..75 {
        core.add_fix(fix(s, 40.0 + offset + s as f64 * 0.0001, -3.0))
            .unwrap();
    }
    core.add_observation(&NewObservation {
        at: Timestamp::from_millis(1_780_000_030_000),
        point: Some(Point::new(40.0 + offset, -3.0)),
        category: Category::SuspiciousVehicle,
        note: "Grey van, engine running".into(),
        photos: vec![],
    })
    .unwrap();
    core.end_patrol(Timestamp::from_millis(1_780_000_080_000))
        .unwrap();
    let report = core
        .file_report(
            &NewReport {
                category: Category::Theft,
                description: "Parcel taken from the porch, around noon".into(),
                occurred_at: Timestamp::now(),
                location: Some(Point::new(40.0 + offset, -3.0)),
                precision: LocationPrecision::Within100m,
                photos: vec![],
                person: None,
            },
            false,
        )
        .unwrap();
    core.triage(
        report.report,
        TriageStatus::InReview,
        Some("asked neighbours for camera footage"),
        false,
    )
    .unwrap();
}

/// Swaps all changes both ways until neither side learns anything; fails if it never settles.
fn exchange(a: &Core, b: &Core) {
    for _ in 0..5 {
        let (to_b, failed_b) = b.receive(&a.all_changes().unwrap()).unwrap();
        let (to_a, failed_a) = a.receive(&b.all_changes().unwrap()).unwrap();
        assert!(
            failed_a.is_empty() && failed_b.is_empty(),
            "{failed_a:?} {failed_b:?}"
        );
        if to_a == 0 && to_b == 0 {
            return;
        }
    }
    panic!("the exchange did not settle");
}

#[test]
fn two_cores_exchanging_by_hand_converge() {
    let (_da, a) = open();
    let (_db, b) = open();
    fill(&a, 0.0);
    fill(&b, 0.5);
    assert_ne!(a.receipt().unwrap(), b.receipt().unwrap());
    exchange(&a, &b);
    assert_eq!(a.receipt().unwrap(), b.receipt().unwrap());
    assert_eq!(
        a.projection_digest().unwrap(),
        b.projection_digest().unwrap()
    );
    assert_eq!(a.alerts(&AlertQuery::default()).unwrap().len(), 2);
    assert_eq!(b.patrols(10, 0).unwrap().len(), 2);
    // Both coordinators triage the same report at once: converges, both notes kept.
    let report = a.reports(None).unwrap()[0].report.id;
    a.triage(
        report,
        TriageStatus::Forwarded,
        Some("sent to the police"),
        false,
    )
    .unwrap();
    b.triage_with_outcome(
        report,
        TriageStatus::Closed,
        Some(porchlight_model::CaseOutcome::Resolved),
        Some("owner found it"),
        false,
    )
    .unwrap();
    exchange(&a, &b);
    let (ra, rb) = (a.reports(None).unwrap(), b.reports(None).unwrap());
    assert_eq!(ra, rb);
    let entry = ra.iter().find(|e| e.report.id == report).unwrap();
    assert!(entry.notes.len() >= 2);
    assert_eq!(
        a.projection_digest().unwrap(),
        b.projection_digest().unwrap()
    );
}

#[test]
fn a_patrol_step_of_a_thousandth_of_a_degree_is_111_m() {
    let (_d, core) = open();
    core.start_patrol("North", Timestamp::from_millis(1_780_000_000_000))
        .unwrap();
    for i in 0..=20 {
        core.add_fix(fix(i, 40.0 + i as f64 * 0.001, -3.0)).unwrap();
    }
    // The live view on this device has every fix; the patrol as shared leaves out 100–250 m at
    // each end (one to three 111 m steps), so nobody learns where the volunteer set out from.
    let id = core.current_patrol().unwrap().unwrap();
    let live = core.patrol(id).unwrap();
    let ended = core
        .end_patrol(Timestamp::from_millis(1_780_000_030_000))
        .unwrap();
    assert_eq!(live.patrol.fix_count, 21);
    let per_step = live.patrol.distance_m / 20.0;
    assert!((per_step - 111.0).abs() / 111.0 < 0.005, "{per_step}");
    assert!((15..=19).contains(&ended.fix_count), "{}", ended.fix_count);
    let per_step = ended.distance_m / (ended.fix_count - 1) as f64;
    assert!((per_step - 111.0).abs() / 111.0 < 0.005, "{per_step}");
}

#[test]
fn bad_input_is_a_typed_error_and_stores_nothing() {
    let (_d, core) = open();
    fill(&core, 0.0);
    let before = (core.receipt().unwrap(), core.projection_digest().unwrap());
    let mut a = alert("ok", Point::new(40.0, -3.0));
    a.expires_at = Some(a.issued_at);
    assert!(matches!(
        core.issue_alert(a),
        Err(CoreError::Invalid(ValidationError::NotAfter {
            field: "expires_at",
            ..
        }))
    ));
    assert!(matches!(
        core.issue_alert(alert("", Point::new(40.0, -3.0))),
        Err(CoreError::Invalid(ValidationError::Empty {
            field: "title"
        }))
    ));
    assert!(matches!(
        core.issue_alert(alert("x", Point::new(40.0, 200.0))),
        Err(CoreError::Invalid(ValidationError::Longitude { .. }))
    ));
    assert!(matches!(
        core.add_fix(fix(0, 40.0, -3.0)),
        Err(CoreError::NoPatrol)
    ));
    assert!(matches!(
        core.triage(
            porchlight_model::DocId::random(),
            TriageStatus::InReview,
            None,
            false
        ),
        Err(CoreError::Store(
            porchlight_store::StoreError::NotFound { .. }
        ))
    ));
    core.start_patrol("p", Timestamp::now()).unwrap();
    assert!(matches!(
        core.start_patrol("q", Timestamp::now()),
        Err(CoreError::PatrolRunning(_))
    ));
    assert!(matches!(
        core.add_fix(fix(0, f64::NAN, -3.0)),
        Err(CoreError::Invalid(ValidationError::NotFinite { .. }))
    ));
    core.end_patrol(Timestamp::now()).unwrap();
    // The valid patrol changed things; undo our expectation by comparing after it.
    let after_bad = core.receipt().unwrap();
    assert_ne!(after_bad, before.0, "the valid patrol was stored");
    let digest = core.projection_digest().unwrap();
    core.rebuild_projections().unwrap();
    assert_eq!(core.projection_digest().unwrap(), digest);
}

#[test]
fn geojson_export_is_a_valid_feature_collection() {
    let (dir, core) = open();
    fill(&core, 0.0);
    core.issue_alert(NewAlert {
        area: Area::polygon(vec![
            Point::new(40.0, -3.0),
            Point::new(40.0, -2.99),
            Point::new(40.01, -2.995),
        ]),
        ..alert("Polygon alert", Point::new(0.0, 0.0))
    })
    .unwrap();
    for kind in [ExportKind::Alerts, ExportKind::Patrols, ExportKind::Reports] {
        let out = dir.path().join("export.geojson");
        let n = core.export(kind, ExportFormat::GeoJson, &out).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        // Every feature has a geometry member, `null` where there is nothing to draw (RFC 7946).
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        for f in raw["features"].as_array().unwrap() {
            assert!(f.get("geometry").is_some(), "{f}");
        }
        let gj: geojson::GeoJson = text.parse().unwrap();
        let geojson::GeoJson::FeatureCollection(fc) = gj else {
            panic!("not a FeatureCollection")
        };
        assert!(fc.features.len() >= n, "{kind:?}");
        assert!(n > 0);
        for f in &fc.features {
            let Some(g) = &f.geometry else { continue };
            match &g.value {
                geojson::Value::Polygon(rings) => {
                    assert!(rings[0].len() >= 4);
                    assert_eq!(rings[0].first(), rings[0].last(), "ring closed");
                }
                geojson::Value::LineString(line) => assert!(line.len() >= 2),
                geojson::Value::Point(p) => {
                    assert!((-180.0..=180.0).contains(&p[0]) && (-90.0..=90.0).contains(&p[1]));
                }
                other => panic!("unexpected geometry {other:?}"),
            }
        }
    }
}

#[test]
fn csv_export_round_trips_through_a_csv_parser() {
    let (dir, core) = open();
    fill(&core, 0.0);
    let out = dir.path().join("alerts.csv");
    assert_eq!(
        core.export(ExportKind::Alerts, ExportFormat::Csv, &out)
            .unwrap(),
        1
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let get = |name: &str| {
        rows[0]
            .get(headers.iter().position(|h| h == name).unwrap())
            .unwrap()
    };
    let alert = &core.alerts(&AlertQuery::default()).unwrap()[0];
    assert_eq!(get("id"), alert.id.to_string());
    assert_eq!(get("body"), alert.body, "commas and quotes survive");
    assert!((get("radius_m").parse::<f64>().unwrap() - 400.0).abs() < 1e-9);
    for kind in [ExportKind::Patrols, ExportKind::Reports] {
        let out = dir.path().join("x.csv");
        let n = core.export(kind, ExportFormat::Csv, &out).unwrap();
        let count = csv::Reader::from_path(&out).unwrap().records().count();
        assert_eq!(count, n);
    }
}

#[test]
fn the_demo_fills_a_realistic_neighbourhood() {
    let (_d, core) = open();
    let mut stages = Vec::new();
    let s = core
        .demo(&mut |stage, done, total| stages.push((stage.to_owned(), done, total)))
        .unwrap();
    assert!(
        s.alerts >= 200 && s.patrols >= 20 && s.reports >= 50,
        "{s:?}"
    );
    assert!(stages.iter().any(|(st, d, t)| st == "patrols" && d == t));
    let stats = core.stats().unwrap();
    assert_eq!(stats.alerts_total as usize, s.alerts);
    assert!(stats.reports_by_status.iter().all(|(_, n)| *n > 0));
    assert!(core.group().unwrap().unwrap().members.len() >= 5);
    let digest = core.projection_digest().unwrap();
    core.rebuild_projections().unwrap();
    assert_eq!(core.projection_digest().unwrap(), digest);
}

#[test]
fn meetings_need_a_time_and_place_and_export_as_icalendar() {
    let (_d, core) = open();
    let starts = Timestamp::from_millis(Timestamp::now().millis() + 86_400_000);
    let meeting = NewAlert {
        category: AlertCategory::Meeting,
        meeting: Some(porchlight_model::Meeting {
            starts_at: starts,
            place: "Library, room 2; ground floor".into(),
        }),
        ..alert("Monthly watch meeting", Point::new(40.0, -3.0))
    };
    let issued = core.issue_alert(meeting.clone()).unwrap();
    assert_eq!(issued.meeting.as_ref().unwrap().starts_at, starts);
    // A meeting without a time and place, or a time on something that is not a meeting: refused.
    let mut no_place = meeting.clone();
    no_place.meeting = None;
    assert!(matches!(
        core.issue_alert(no_place),
        Err(CoreError::Invalid(_))
    ));
    let mut not_meeting = meeting.clone();
    not_meeting.category = AlertCategory::Crime;
    assert!(matches!(
        core.issue_alert(not_meeting),
        Err(CoreError::Invalid(_))
    ));
    // A past meeting is not upcoming.
    let mut past = meeting;
    past.title = "Last month's meeting".into();
    past.meeting.as_mut().unwrap().starts_at =
        Timestamp::from_millis(starts.millis() - 40 * 86_400_000);
    core.issue_alert(past).unwrap();

    let upcoming = core.upcoming_meetings(Timestamp::now()).unwrap();
    assert_eq!(upcoming.len(), 1);
    assert_eq!(upcoming[0].id, issued.id);
    let ics = core.meetings_ics(Timestamp::now()).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
    assert!(ics.contains("SUMMARY:Monthly watch meeting\r\n"));
    assert!(
        ics.contains("LOCATION:Library\\, room 2\\; ground floor\r\n"),
        "{ics}"
    );
    let dtstart = ics.lines().find(|l| l.starts_with("DTSTART:")).unwrap();
    assert_eq!(dtstart.len(), "DTSTART:20261124T220000Z".len(), "{dtstart}");
    // RFC 5545: long lines folded with CRLF and a space, at about 75 octets. The icalendar crate
    // (0.17.17) lets a last continuation line reach 76 octets with its leading space, one over
    // the RFC's SHOULD; calendar apps unfold either, so this checks the folding, not that octet.
    let mut long = core.upcoming_meetings(Timestamp::now()).unwrap()[0].clone();
    long.body = "Bring a torch and a neighbour; we walk the whole estate, past the ñandú \
                 enclosure and the school, then back along the canal towpath."
        .into();
    let folded = long_meeting_ics(long);
    for line in folded.split("\r\n") {
        assert!(line.len() <= 76, "a line over 75 octets: {line:?}");
    }
    let unfolded = folded.replace("\r\n ", "");
    assert!(unfolded.contains("past the ñandú enclosure"), "{unfolded}");
    // Acknowledging is idempotent and counted.
    core.ack_alert(issued.id).unwrap();
    core.ack_alert(issued.id).unwrap();
    let acks = core.alert_acks(issued.id).unwrap();
    assert_eq!(acks.count, 1);
    // Several alerts' acknowledgements in one call agree with one call each.
    let ids: Vec<_> = core
        .alerts(&porchlight_core::AlertQuery::default())
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    let together = core.alerts_acks(&ids).unwrap();
    assert_eq!(together.len(), ids.len());
    for (id, summary) in ids.iter().zip(&together) {
        let one = core.alert_acks(*id).unwrap();
        assert_eq!(
            (summary.alert, summary.count, summary.first_at),
            (one.alert, one.count, one.first_at)
        );
    }
    assert_eq!(together.iter().map(|s| s.count).sum::<u64>(), 1);
}

/// The calendar of one meeting with `alert`'s text, issued on a fresh coordinator's device.
fn long_meeting_ics(alert: porchlight_model::Alert) -> String {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Elm Street Watch").unwrap();
    let meeting = porchlight_model::NewAlert {
        title: alert.title,
        body: alert.body,
        category: alert.category,
        severity: alert.severity,
        area: alert.area,
        issued_at: Timestamp::now(),
        expires_at: None,
        meeting: alert.meeting,
        person: None,
    };
    core.issue_alert(meeting).unwrap();
    core.meetings_ics(Timestamp::now()).unwrap()
}
