//! Measures of success on a generated data set with known answers: hours, distances, coverage,
//! medians and 90th percentiles equal the values worked out by hand in the comments.
//!
//! The neighbourhood, in metres east and north of a corner O at 45.5° N:
//! - zone "Elm": the square 0..200 × 0..200 (40 000 m²);
//! - zone "Oak": a disc of radius 100 around (1000, 1000) (31 415.9 m²).
//!
//! The period is 2026-06-01 (a Monday) to 2026-06-15: ISO weeks W23 and W24. The previous
//! period of the same length is 2026-05-18 to 2026-06-01.

use porchlight_core::{
    CaseFilter, Core, CoreError, IncidentQuery, MeasuresQuery, PatrolFilter, TrendStep,
};
use porchlight_crdt::{
    create_ack, end_patrol, join_patrol, new_triage, set_triage, start_patrol, triage_id,
};
use porchlight_model::{
    AlertCategory, Area, Category, DeviceId, DocId, DocKind, Fix, LocationPrecision, Meeting,
    NewAlert, NewReport, Point, Severity, Timestamp, TriageStatus, ValidationError, Zone,
};
use porchlight_store::DocChanges;

/// Metres per degree north and east at 45.5° N on the WGS 84 ellipsoid: the radii of curvature
/// M = a(1−e²)/(1−e² sin²φ)^1.5 and N = a/√(1−e² sin²φ), times π/180 (N also times cos φ).
fn m_per_deg(lat: f64) -> (f64, f64) {
    let (a, e2) = (6_378_137.0, 0.006_694_379_990_14);
    let (sin, cos) = lat.to_radians().sin_cos();
    let w: f64 = 1.0 - e2 * sin * sin;
    let m = a * (1.0 - e2) / (w * w.sqrt());
    let n = a / w.sqrt();
    (m.to_radians(), n.to_radians() * cos)
}
const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

fn at(east: f64, north: f64) -> Point {
    let lat0: f64 = 45.5;
    let (north_m, east_m) = m_per_deg(lat0);
    Point::new(lat0 + north / north_m, -122.6 + east / east_m)
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse("t", s).unwrap()
}

fn square(e0: f64, n0: f64, side: f64) -> Area {
    Area::polygon(vec![
        at(e0, n0),
        at(e0 + side, n0),
        at(e0 + side, n0 + side),
        at(e0, n0 + side),
    ])
}

const ANA: DeviceId = DeviceId::from_bytes([0xa1; 16]);
const BEN: DeviceId = DeviceId::from_bytes([0xb2; 16]);
const XAVI: DeviceId = DeviceId::from_bytes([0xc3; 16]);
const YARA: DeviceId = DeviceId::from_bytes([0xd4; 16]);

/// A patrol led by `lead` (with `also` along), from `start` for `hours`, along `path`.
fn patrol(
    lead: (DeviceId, &str),
    also: Option<(DeviceId, &str)>,
    start: &str,
    minutes: i64,
    path: &[(f64, f64)],
) -> DocChanges {
    let start = t(start);
    let (mut doc, _) = start_patrol(DocId::random(), lead.0, lead.1, "Round", start).unwrap();
    if let Some((d, name)) = also {
        join_patrol(&mut doc, d, name, start.plus_millis(MINUTE)).unwrap();
    }
    let fixes: Vec<Fix> = path
        .iter()
        .enumerate()
        .map(|(i, (e, n))| Fix {
            at: start.plus_millis(2 * MINUTE * (i as i64 + 1)),
            point: at(*e, *n),
            accuracy_m: Some(5.0),
        })
        .collect();
    porchlight_crdt::append_track(&mut doc, &fixes, start.plus_millis(10 * MINUTE)).unwrap();
    end_patrol(&mut doc, start.plus_millis(minutes * MINUTE)).unwrap();
    DocChanges {
        doc: doc.id(),
        kind: DocKind::Patrol,
        changes: doc.all_changes(),
    }
}

fn report(core: &Core, when: &str, p: Point) -> DocId {
    core.file_report(
        &NewReport {
            category: Category::Theft,
            description: "taken".into(),
            occurred_at: t(when),
            location: Some(p),
            precision: LocationPrecision::Exact,
            photos: vec![],
            person: None,
        },
        false,
    )
    .unwrap();
    report_at(core, when)
}

/// The report that happened at `when`.
fn report_at(core: &Core, when: &str) -> DocId {
    core.reports(None)
        .unwrap()
        .into_iter()
        .find(|r| r.report.occurred_at == t(when))
        .unwrap()
        .report
        .id
}

/// Triage of `report` by `by` at the given times: first "in review", then maybe "closed".
fn triage(by: DeviceId, report: DocId, first: &str, closed: Option<&str>) -> DocChanges {
    let mut doc = new_triage(report, by).unwrap();
    set_triage(&mut doc, by, TriageStatus::InReview, None, t(first)).unwrap();
    if let Some(c) = closed {
        set_triage(&mut doc, by, TriageStatus::Closed, None, t(c)).unwrap();
    }
    DocChanges {
        doc: triage_id(report),
        kind: DocKind::Triage,
        changes: doc.all_changes(),
    }
}

fn alert(core: &Core, when: &str, centre: Point, radius: f64, meeting: Option<&str>) -> DocId {
    core.issue_alert(NewAlert {
        title: if meeting.is_some() {
            "Meeting"
        } else {
            "Watch out"
        }
        .into(),
        body: String::new(),
        category: if meeting.is_some() {
            AlertCategory::Meeting
        } else {
            AlertCategory::Crime
        },
        severity: Severity::Info,
        area: Area::circle(centre, radius),
        issued_at: t(when),
        expires_at: None,
        meeting: meeting.map(|m| Meeting {
            starts_at: t(m),
            place: "Library".into(),
        }),
        person: None,
    })
    .unwrap()
    .id
}

fn ack(alert: DocId, by: DeviceId, when: &str) -> DocChanges {
    let (mut doc, _) = create_ack(alert, by, t(when)).unwrap();
    DocChanges {
        doc: doc.id(),
        kind: DocKind::Ack,
        changes: doc.all_changes(),
    }
}

fn query(zone: Option<&str>) -> MeasuresQuery {
    MeasuresQuery {
        from: t("2026-06-01T00:00:00Z"),
        to: t("2026-06-15T00:00:00Z"),
        zone: zone.map(str::to_owned),
        step: TrendStep::Week,
        utc_offset_minutes: 0,
    }
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * b.abs().max(1.0)
}

/// The generated neighbourhood the hand-computed values below are worked out for (the
/// meeting summary's tests reuse it): its core, the coordinator's device, and the folder.
pub fn neighbourhood() -> (tempfile::TempDir, Core, DeviceId) {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Watch").unwrap();
    let me = core.device();
    core.set_zone(&Zone {
        name: "Elm".into(),
        area: square(0.0, 0.0, 200.0),
    })
    .unwrap();
    core.set_zone(&Zone {
        name: "Oak".into(),
        area: Area::circle(at(1000.0, 1000.0), 100.0),
    })
    .unwrap();

    // Patrols. Points are placed with the ellipsoid's local scale at O, so the geodesic
    // distances match the nominal metres to well under 0.5 % (the tolerance); hours are exact.
    let mut batch = vec![
        // P1 Ana, Mon 1 June 18:00–19:30 = 1.5 h, west to east along north = 100: 400 m.
        patrol(
            (ANA, "Ana"),
            None,
            "2026-06-01T18:00:00Z",
            90,
            &[(-100.0, 100.0), (300.0, 100.0)],
        ),
        // P2 Ben with Ana, Wed 10 June 20:00–22:15 = 2.25 h, north along east = 100 from
        // −100 to 100: 200 m.
        patrol(
            (BEN, "Ben"),
            Some((ANA, "Ana")),
            "2026-06-10T20:00:00Z",
            135,
            &[(100.0, -100.0), (100.0, 100.0)],
        ),
        // P3 Ana, in the previous period: Wed 20 May 10:00–11:00 = 1 h, 100 m inside Elm.
        patrol(
            (ANA, "Ana"),
            None,
            "2026-05-20T10:00:00Z",
            60,
            &[(50.0, 50.0), (150.0, 50.0)],
        ),
        // P4 Ben, Wed 3 June 09:00–10:00 = 1 h, through Oak's centre west to east: 600 m.
        patrol(
            (BEN, "Ben"),
            None,
            "2026-06-03T09:00:00Z",
            60,
            &[(700.0, 1000.0), (1300.0, 1000.0)],
        ),
    ];

    // Reports (times on the 15-minute grid reports are kept at) and their triage.
    let r1 = report(&core, "2026-06-02T10:00:00Z", at(100.0, 100.0)); // Elm
    let r2 = report(&core, "2026-06-04T08:00:00Z", at(20.0, 20.0)); // Elm
    let r3 = report(&core, "2026-06-09T22:00:00Z", at(1000.0, 1000.0)); // Oak
    let r4 = report(&core, "2026-06-11T12:00:00Z", at(150.0, 180.0)); // Elm
    let _r5 = report(&core, "2026-06-13T09:00:00Z", at(190.0, 10.0)); // Elm, never triaged
    let r0 = report(&core, "2026-05-25T10:00:00Z", at(100.0, 100.0)); // previous period
    batch.extend([
        // first triage 1 h, closed after 26 h
        triage(me, r1, "2026-06-02T11:00:00Z", Some("2026-06-03T12:00:00Z")),
        // first triage 30 min, still open
        triage(me, r2, "2026-06-04T08:30:00Z", None),
        // first triage 2 h, closed after 72 h
        triage(me, r3, "2026-06-10T00:00:00Z", Some("2026-06-12T22:00:00Z")),
        // first triage 4 h, closed after 6 h
        triage(me, r4, "2026-06-11T16:00:00Z", Some("2026-06-11T18:00:00Z")),
        // previous period: first triage 3 h
        triage(me, r0, "2026-05-25T13:00:00Z", None),
    ]);

    // Alerts and acknowledgements.
    let elm = at(100.0, 100.0);
    let oak = at(1000.0, 1000.0);
    let a1 = alert(&core, "2026-06-02T12:00:00Z", elm, 50.0, None);
    let a2 = alert(&core, "2026-06-08T09:00:00Z", oak, 50.0, None);
    let a3 = alert(&core, "2026-06-12T18:00:00Z", elm, 50.0, None);
    let _a4 = alert(&core, "2026-06-14T07:00:00Z", elm, 50.0, None); // never acknowledged
    let m1 = alert(
        &core,
        "2026-05-28T10:00:00Z",
        elm,
        300.0,
        Some("2026-06-05T19:00:00Z"),
    );
    let m2 = alert(
        &core,
        "2026-06-01T08:00:00Z",
        oak,
        50.0,
        Some("2026-06-12T19:00:00Z"),
    );
    batch.extend([
        ack(a1, XAVI, "2026-06-02T12:10:00Z"), // first: 10 min
        ack(a1, YARA, "2026-06-02T12:40:00Z"),
        ack(a2, XAVI, "2026-06-08T11:00:00Z"), // 2 h
        ack(a3, YARA, "2026-06-12T18:45:00Z"), // 45 min
    ]);
    let (_, failed) = core.receive(&batch).unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    core.record_attendance(m1, 14, vec![me]).unwrap();
    core.record_attendance(m2, 9, vec![]).unwrap();
    (dir, core, me)
}

#[test]
fn measures_of_a_generated_neighbourhood_equal_the_hand_computed_values() {
    let (_dir, core, me) = neighbourhood();

    let m = core.measures(&query(None)).unwrap();
    let s = &m.totals;
    // P1 + P2 + P4: 1.5 + 2.25 + 1 = 4.75 h; 400 + 200 + 600 = 1200 m; Ana and Ben.
    assert_eq!(s.patrols, 3);
    assert!(close(s.patrol_hours, 4.75, 1e-9));
    assert!(
        close(s.patrol_distance_m, 1200.0, 0.005),
        "{}",
        s.patrol_distance_m
    );
    assert_eq!(s.active_volunteers, 2);
    // Ana: P1 + P2 = 3.75 h, 600 m (W23 1.5 h 400 m; W24 2.25 h 200 m).
    // Ben: P2 + P4 = 3.25 h, 800 m (W23 1 h 600 m; W24 2.25 h 200 m). Busiest first.
    let names: Vec<&str> = m.volunteers.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["Ana", "Ben"]);
    let (ana, ben) = (&m.volunteers[0], &m.volunteers[1]);
    assert_eq!((ana.device, ana.patrols), (ANA, 2));
    assert!(close(ana.hours, 3.75, 1e-9) && close(ana.distance_m, 600.0, 0.005));
    assert!(close(ben.hours, 3.25, 1e-9) && close(ben.distance_m, 800.0, 0.005));
    let weeks: Vec<(&str, f64)> = ben
        .weeks
        .iter()
        .map(|w| (w.week.as_str(), w.hours))
        .collect();
    assert_eq!(weeks, [("2026-W23", 1.0), ("2026-W24", 2.25)]);
    assert!(close(ben.weeks[0].distance_m, 600.0, 0.005));
    assert!(close(ana.weeks[0].distance_m, 400.0, 0.005));

    // Reports: 5. First triage [1 h, 30 min, 2 h, 4 h], sorted [30 min, 1 h, 2 h, 4 h]:
    // nearest-rank median = rank ⌈0.5·4⌉ = 2 → 1 h; 90th = rank ⌈0.9·4⌉ = 4 → 4 h.
    assert_eq!(s.reports, 5);
    assert_eq!(s.first_triage.count, 4);
    assert_eq!(s.first_triage.median_ms, Some(HOUR));
    assert_eq!(s.first_triage.p90_ms, Some(4 * HOUR));
    // Closed: [26 h, 72 h, 6 h] → sorted [6, 26, 72]: median rank 2 → 26 h; 90th rank 3 → 72 h.
    assert_eq!(s.to_closed.count, 3);
    assert_eq!(s.to_closed.median_ms, Some(26 * HOUR));
    assert_eq!(s.to_closed.p90_ms, Some(72 * HOUR));
    // Alerts issued in the period: A1–A4 and M2 = 5. First acks [10 min, 2 h, 45 min] →
    // sorted [10, 45, 120] min: median rank 2 → 45 min; 90th rank ⌈2.7⌉ = 3 → 2 h.
    assert_eq!(s.alerts, 5);
    assert_eq!(s.first_ack.count, 3);
    assert_eq!(s.first_ack.median_ms, Some(45 * MINUTE));
    assert_eq!(s.first_ack.p90_ms, Some(2 * HOUR));
    // Meetings held in the period: M1 (5 June, 14 people) and M2 (12 June, 9): 23.
    assert_eq!((s.meetings, s.meetings_recorded, s.attendance), (2, 2, 23));
    assert_eq!(m.meetings[0].attendance.as_ref().unwrap().members, vec![me]);

    // Previous period: P3 (1 h, 100 m, Ana), R0 (first triage 3 h), M1 issued (no ack).
    let p = &m.previous;
    assert_eq!(
        (p.patrols, p.active_volunteers, p.reports, p.alerts),
        (1, 1, 1, 1)
    );
    assert!(close(p.patrol_hours, 1.0, 1e-9));
    assert_eq!(p.first_triage.median_ms, Some(3 * HOUR));
    assert_eq!(p.first_ack.count, 0);

    // Trend by ISO week. W23: P1, P4 (2.5 h, 1000 m), R1, R2 (first triage [1 h, 30 min] →
    // median rank 1 → 30 min). W24: P2 (2.25 h, 200 m), R3, R4, R5.
    let labels: Vec<&str> = m.trend.iter().map(|w| w.label.as_str()).collect();
    assert_eq!(labels, ["2026-W23", "2026-W24"]);
    let (w23, w24) = (&m.trend[0].totals, &m.trend[1].totals);
    assert_eq!((w23.patrols, w23.reports), (2, 2));
    assert!(close(w23.patrol_hours, 2.5, 1e-9) && close(w23.patrol_distance_m, 1000.0, 0.005));
    assert_eq!(w23.first_triage.median_ms, Some(30 * MINUTE));
    assert_eq!((w24.patrols, w24.reports), (1, 3));
    assert!(close(w24.patrol_hours, 2.25, 1e-9));

    // Coverage. Elm: P1's band north 50..150 across the square = 200 × 100 = 20 000 m²; P2 adds
    // east 50..150 × north 0..50 = 5 000 m² (its cap at the end lies inside P1's band):
    // 25 000 / 40 000 = 62.5 %. Oak: P4 through the centre covers the band |y| ≤ 50 of the disc,
    // 2 (h·√(r²−h²) + r²·asin(h/r)) = 19 132.2 m² of 31 415.9 m² = 60.90 %.
    let cov = |name: &str| m.coverage.iter().find(|c| c.zone == name).unwrap().clone();
    let (elm_cov, oak_cov) = (cov("Elm"), cov("Oak"));
    assert!(
        (elm_cov.share - 0.625).abs() <= elm_cov.error_bound,
        "{elm_cov:?}"
    );
    assert!((elm_cov.share - 0.625).abs() < 0.005, "{elm_cov:?}");
    assert!((elm_cov.area_m2 - 40_000.0).abs() < 40.0, "{elm_cov:?}");
    assert!(
        (oak_cov.share - 0.6090).abs() <= oak_cov.error_bound,
        "{oak_cov:?}"
    );
    assert!((oak_cov.share - 0.6090).abs() < 0.005, "{oak_cov:?}");

    // Only Elm: patrols whose track enters it (P1, P2: 3.75 h, 600 m), reports located in it
    // (R1, R2, R4, R5), alerts touching it (A1, A3, A4) and only its coverage.
    let e = core.measures(&query(Some("Elm"))).unwrap();
    let s = &e.totals;
    assert_eq!((s.patrols, s.reports, s.alerts), (2, 4, 3));
    assert!(close(s.patrol_hours, 3.75, 1e-9) && close(s.patrol_distance_m, 600.0, 0.005));
    // First triage [1 h, 30 min, 4 h] → median rank 2 → 1 h, 90th rank 3 → 4 h.
    assert_eq!(s.first_triage.median_ms, Some(HOUR));
    assert_eq!(s.first_triage.p90_ms, Some(4 * HOUR));
    // Closed [26 h, 6 h] → sorted [6, 26]: median rank 1 → 6 h, 90th rank 2 → 26 h.
    assert_eq!(s.to_closed.median_ms, Some(6 * HOUR));
    assert_eq!(s.to_closed.p90_ms, Some(26 * HOUR));
    // First acks [10 min, 45 min]: median rank 1 → 10 min, 90th rank 2 → 45 min.
    assert_eq!(s.first_ack.median_ms, Some(10 * MINUTE));
    assert_eq!(s.first_ack.p90_ms, Some(45 * MINUTE));
    // M1 only (its circle of 300 m reaches Elm; M2 is at Oak).
    assert_eq!((s.meetings, s.attendance), (1, 14));
    assert_eq!(e.coverage.len(), 1);
    assert_eq!(e.previous.patrols, 1);

    // The lists filtered to Elm and the period hold exactly what Elm's measures counted.
    let (r1, r2, r4, r5) = (
        report_at(&core, "2026-06-02T10:00:00Z"),
        report_at(&core, "2026-06-04T08:00:00Z"),
        report_at(&core, "2026-06-11T12:00:00Z"),
        report_at(&core, "2026-06-13T09:00:00Z"),
    );
    let period = (
        Some(t("2026-06-01T00:00:00Z")),
        Some(t("2026-06-15T00:00:00Z")),
    );
    let patrols = core
        .patrols_page(&PatrolFilter {
            from: period.0,
            to: period.1,
            zone: Some("Elm".into()),
            ..PatrolFilter::default()
        })
        .unwrap();
    let started: Vec<Timestamp> = patrols.rows.iter().map(|p| p.started_at).collect();
    assert_eq!(
        started,
        [t("2026-06-10T20:00:00Z"), t("2026-06-01T18:00:00Z")],
        "P2 and P1, newest first"
    );
    let cases = core
        .cases_page(&CaseFilter {
            from: period.0,
            to: period.1,
            zone: Some("Elm".into()),
            limit: Some(3),
            ..CaseFilter::default()
        })
        .unwrap();
    let ids: Vec<DocId> = cases.rows.iter().map(|r| r.report.id).collect();
    assert_eq!(ids, [r5, r4, r2], "newest first, three to a page");
    let rest = core
        .cases_page(&CaseFilter {
            from: period.0,
            to: period.1,
            zone: Some("Elm".into()),
            limit: Some(3),
            after: cases.next,
            ..CaseFilter::default()
        })
        .unwrap();
    assert_eq!(
        rest.rows.iter().map(|r| r.report.id).collect::<Vec<_>>(),
        [r1]
    );
    assert!(rest.next.is_none());
    // A zone the group does not have, and a period that ends before it starts, are refused.
    let unknown = core.patrols_page(&PatrolFilter {
        zone: Some("Nowhere".into()),
        ..PatrolFilter::default()
    });
    assert!(matches!(unknown, Err(CoreError::Invalid(_))), "{unknown:?}");
    let backwards = core.cases_page(&CaseFilter {
        from: period.1,
        to: period.0,
        ..CaseFilter::default()
    });
    assert!(
        matches!(backwards, Err(CoreError::Invalid(_))),
        "{backwards:?}"
    );

    // The incident map of the period: reports R1–R5, alerts A1–A4 and M2, patrols P1, P2, P4.
    let map = |zone: Option<&str>, status: Option<TriageStatus>, zoom: u8| {
        core.incident_map(&IncidentQuery {
            from: period.0,
            to: period.1,
            zone: zone.map(str::to_owned),
            status,
            zoom,
            ..IncidentQuery::default()
        })
        .unwrap()
    };
    let whole = map(None, None, 3);
    assert_eq!(
        (whole.report_count, whole.alert_count, whole.patrol_count),
        (5, 5, 3)
    );
    assert_eq!(whole.tracks.len(), 3);
    // Zoomed out to a continent, 1.5 km of neighbourhood is one cluster.
    let gathered: Vec<(u32, u32)> = whole
        .clusters
        .iter()
        .map(|c| (c.reports, c.alerts))
        .collect();
    assert_eq!(gathered, [(5, 5)]);
    assert!(whole.reports.is_empty() && whole.alerts.is_empty());
    // Zoomed in to a couple of metres, only markers at the very same spot gather: R1 with A1, A3
    // and A4 at Elm's point; R3 with A2 and M2 at Oak's. R2, R4 and R5 stand alone.
    let close_up = map(None, None, 22);
    let mut gathered: Vec<(u32, u32)> = close_up
        .clusters
        .iter()
        .map(|c| (c.reports, c.alerts))
        .collect();
    gathered.sort_unstable();
    assert_eq!(gathered, [(1, 2), (1, 3)]);
    let mut alone: Vec<DocId> = close_up.reports.iter().map(|r| r.id).collect();
    alone.sort();
    let mut expected = vec![r2, r4, r5];
    expected.sort();
    assert_eq!(alone, expected);
    assert!(close_up.alerts.is_empty());
    // Elm only: R1, R2, R4, R5; A1, A3, A4 touch it; P1 and P2 pass through it.
    let elm = map(Some("Elm"), None, 22);
    assert_eq!(
        (elm.report_count, elm.alert_count, elm.patrol_count),
        (4, 3, 2)
    );
    // Closed cases only: R1, R3, R4.
    let closed = map(None, Some(TriageStatus::Closed), 22);
    assert_eq!(closed.report_count, 3);
}

#[test]
fn bad_periods_zones_and_attendance_are_rejected_not_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Watch").unwrap();
    let mut q = query(None);
    q.to = q.from;
    assert!(matches!(
        core.measures(&q),
        Err(CoreError::Invalid(ValidationError::NotAfter {
            field: "to",
            ..
        }))
    ));
    assert!(matches!(
        core.measures(&query(Some("Nowhere"))),
        Err(CoreError::Invalid(ValidationError::Invalid {
            field: "zone",
            ..
        }))
    ));
    let future = alert(
        &core,
        "2026-06-01T08:00:00Z",
        at(0.0, 0.0),
        50.0,
        Some("2099-01-01T19:00:00Z"),
    );
    let past = alert(
        &core,
        "2026-06-01T08:00:00Z",
        at(0.0, 0.0),
        50.0,
        Some("2026-06-02T19:00:00Z"),
    );
    let plain = alert(&core, "2026-06-01T08:00:00Z", at(0.0, 0.0), 50.0, None);
    let attendance_error = |r: Result<_, CoreError>| {
        matches!(
            r,
            Err(CoreError::Invalid(ValidationError::Invalid {
                field: "attendance",
                ..
            }))
        )
    };
    assert!(attendance_error(core.record_attendance(future, 5, vec![])));
    assert!(attendance_error(core.record_attendance(plain, 5, vec![])));
    assert!(attendance_error(core.record_attendance(past, 5, vec![ANA])));
    assert!(attendance_error(core.record_attendance(
        past,
        0,
        vec![core.device()]
    )));
    assert!(attendance_error(core.record_attendance(
        past,
        20_000,
        vec![]
    )));
    assert_eq!(core.alert(past).unwrap().attendance, None);
    let recorded = core
        .record_attendance(past, 7, vec![core.device()])
        .unwrap();
    assert_eq!(recorded.attendance.unwrap().count, 7);
}
