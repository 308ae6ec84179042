//! The coordinator's lists a page at a time, filtered by period, zone and status, on a real
//! SQLite file: every answer here is worked out by hand from where the records were put.

use porchlight_crdt::{
    ReplyKeys, append_track, create_group, create_report, end_patrol, new_triage, set_assignee,
    set_case_status, set_priority, set_triage, set_zone, start_patrol,
};
use porchlight_model::planar::Local;
use porchlight_model::{
    Area, CaseOutcome, Category, DeviceId, DocId, DocKind, Fix, LocationPrecision, NewReport,
    Point, Priority, Timestamp, TriageStatus, Zone,
};
use porchlight_store::{PatrolQuery, ReportQuery, Store};

const ME: DeviceId = DeviceId::from_bytes([3; 16]);
const HOUR: i64 = 3_600_000;
/// On a quarter hour: report times are kept to 15 minutes.
const T0: i64 = 1_779_999_300_000;

fn origin() -> Local {
    Local::new(Point::new(45.52, -122.63))
}

/// A point `east`, `north` metres from the origin.
fn at(east: f64, north: f64) -> Point {
    origin().point(east, north)
}

/// "North": the square 0..100 m east, 0..100 m north. "Disc": 50 m around (500, 500).
fn north() -> Zone {
    Zone {
        name: "North".into(),
        area: Area::polygon(vec![
            at(0.0, 0.0),
            at(100.0, 0.0),
            at(100.0, 100.0),
            at(0.0, 100.0),
        ]),
    }
}

fn disc() -> Zone {
    Zone {
        name: "Disc".into(),
        area: Area::circle(at(500.0, 500.0), 50.0),
    }
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("pages.db"))
        .unwrap()
        .with_actor(ME)
}

fn group(store: &mut Store, zones: &[Zone]) -> DocId {
    let doc = store
        .create(
            |_| {
                create_group(
                    DocId::random(),
                    "Elm",
                    ME,
                    "Ana",
                    None,
                    Timestamp::from_millis(T0),
                )
            },
            |_, _| Ok(()),
        )
        .unwrap();
    for z in zones {
        store
            .update(
                doc.id(),
                DocKind::Group,
                |d| set_zone(d, z, Timestamp::from_millis(T0)),
                |_, _| Ok(()),
            )
            .unwrap();
    }
    doc.id()
}

fn patrol(store: &mut Store, title: &str, hour: i64, track: &[Point], ended: bool) -> DocId {
    let started = Timestamp::from_millis(T0 + hour * HOUR);
    let id = store
        .create(
            |_| start_patrol(DocId::random(), ME, "Ana", title, started),
            |_, _| Ok(()),
        )
        .unwrap()
        .id();
    let fixes: Vec<Fix> = track
        .iter()
        .enumerate()
        .map(|(i, p)| Fix {
            at: started.plus_millis(i as i64 * 1_000),
            point: *p,
            accuracy_m: None,
        })
        .collect();
    store
        .update(
            id,
            DocKind::Patrol,
            |d| append_track(d, &fixes, started),
            |_, _| Ok(()),
        )
        .unwrap();
    if ended {
        store
            .update(
                id,
                DocKind::Patrol,
                |d| end_patrol(d, started.plus_millis(HOUR)),
                |_, _| Ok(()),
            )
            .unwrap();
    }
    id
}

fn report(store: &mut Store, hour: i64, place: Option<Point>, category: Category) -> DocId {
    let new = NewReport {
        category,
        description: format!("report at hour {hour}"),
        occurred_at: Timestamp::from_millis(T0 + hour * HOUR),
        location: place,
        precision: LocationPrecision::Exact,
        photos: Vec::new(),
        person: None,
    };
    let keys = ReplyKeys::from_secret(&[hour as u8; 32]);
    store
        .create(
            |actor| create_report(DocId::random(), actor, Some(ME), &new, &keys),
            |_, _| Ok(()),
        )
        .unwrap()
        .id()
}

fn triage(store: &mut Store, report: DocId, status: TriageStatus) {
    let mut doc = new_triage(report, ME).unwrap();
    store
        .write(
            &mut doc,
            |d| set_triage(d, ME, status, None, Timestamp::from_millis(T0)),
            |_, _| Ok(()),
        )
        .unwrap();
}

fn titles(store: &Store, q: &PatrolQuery) -> Vec<String> {
    store
        .patrols_page(q)
        .unwrap()
        .rows
        .into_iter()
        .map(|p| p.title)
        .collect()
}

fn report_ids(store: &Store, q: &ReportQuery) -> Vec<DocId> {
    store
        .reports_page(q)
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.report.id)
        .collect()
}

#[test]
fn patrols_filter_by_the_zone_their_track_passes_through_by_period_and_by_running() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    group(&mut store, &[north(), disc()]);
    // Crosses North with no fix inside it: one leg from west of it to east of it.
    patrol(
        &mut store,
        "across",
        1,
        &[at(-50.0, 50.0), at(150.0, 50.0)],
        true,
    );
    // Passes 10 m north of North's edge: in no zone.
    patrol(
        &mut store,
        "beside",
        2,
        &[at(-50.0, 110.0), at(150.0, 110.0)],
        true,
    );
    // Inside Disc, still running.
    patrol(
        &mut store,
        "disc",
        3,
        &[at(500.0, 520.0), at(510.0, 500.0)],
        false,
    );
    // Both zones, ended.
    patrol(
        &mut store,
        "both",
        4,
        &[at(50.0, 50.0), at(500.0, 500.0)],
        true,
    );

    let all = PatrolQuery::default();
    assert_eq!(titles(&store, &all), ["both", "disc", "beside", "across"]);
    let in_north = PatrolQuery {
        zone: Some("North".into()),
        ..all.clone()
    };
    assert_eq!(titles(&store, &in_north), ["both", "across"]);
    let in_disc_running = PatrolQuery {
        zone: Some("Disc".into()),
        running: Some(true),
        ..all.clone()
    };
    assert_eq!(titles(&store, &in_disc_running), ["disc"]);
    // [hour 2, hour 4): "beside" and "disc".
    let period = PatrolQuery {
        from: Some(Timestamp::from_millis(T0 + 2 * HOUR)),
        to: Some(Timestamp::from_millis(T0 + 4 * HOUR)),
        ..all.clone()
    };
    assert_eq!(titles(&store, &period), ["disc", "beside"]);
    let ended_in_north_before_4 = PatrolQuery {
        zone: Some("North".into()),
        running: Some(false),
        to: Some(Timestamp::from_millis(T0 + 4 * HOUR)),
        ..all
    };
    assert_eq!(titles(&store, &ended_in_north_before_4), ["across"]);
}

#[test]
fn pages_follow_one_another_without_repeats_or_gaps_while_records_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    group(&mut store, &[north()]);
    // Seven reports in North, two of them at the same hour (a tie the cursor must break).
    let mut expected = Vec::new();
    for hour in [1, 2, 3, 3, 4, 5, 6] {
        expected.push(report(
            &mut store,
            hour,
            Some(at(50.0, 50.0)),
            Category::Vandalism,
        ));
    }
    let mut q = ReportQuery {
        zone: Some("North".into()),
        limit: Some(3),
        ..ReportQuery::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.reports_page(&q).unwrap();
        pages += 1;
        assert!(page.rows.len() <= 3);
        seen.extend(page.rows.iter().map(|r| r.report.id));
        if pages == 1 {
            // A newer report and an older one arrive between the first and second page: the
            // newer one belongs before the cursor and is not shown; the older one is.
            report(&mut store, 9, Some(at(60.0, 60.0)), Category::Vandalism);
            expected.insert(
                0,
                report(&mut store, 0, Some(at(60.0, 60.0)), Category::Vandalism),
            );
        }
        match page.next {
            Some(next) => q.after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3, "3 + 3 + 2 rows");
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    sorted_seen.dedup();
    assert_eq!(sorted_seen.len(), seen.len(), "no row twice");
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    assert_eq!(sorted_seen, sorted_expected);
}

#[test]
fn reports_filter_by_zone_status_category_and_period_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    group(&mut store, &[north(), disc()]);
    let a = report(&mut store, 1, Some(at(10.0, 10.0)), Category::Vandalism);
    let b = report(&mut store, 2, Some(at(90.0, 90.0)), Category::Vandalism);
    let c = report(&mut store, 3, Some(at(90.0, 90.0)), Category::Theft);
    let _outside = report(&mut store, 4, Some(at(200.0, 200.0)), Category::Vandalism);
    let _nowhere = report(&mut store, 5, None, Category::Vandalism);
    let d = report(&mut store, 6, Some(at(500.0, 500.0)), Category::Vandalism);
    triage(&mut store, b, TriageStatus::Closed);
    triage(&mut store, c, TriageStatus::InReview);

    let north = |f: ReportQuery| ReportQuery {
        zone: Some("North".into()),
        ..f
    };
    assert_eq!(
        report_ids(&store, &north(ReportQuery::default())),
        [c, b, a]
    );
    let new_only = ReportQuery {
        status: Some(TriageStatus::New),
        ..ReportQuery::default()
    };
    assert_eq!(report_ids(&store, &north(new_only)), [a]);
    let vandalism = ReportQuery {
        category: Some(Category::Vandalism),
        ..ReportQuery::default()
    };
    assert_eq!(report_ids(&store, &north(vandalism)), [b, a]);
    let period = ReportQuery {
        from: Some(Timestamp::from_millis(T0 + 2 * HOUR)),
        to: Some(Timestamp::from_millis(T0 + 3 * HOUR)),
        ..ReportQuery::default()
    };
    assert_eq!(report_ids(&store, &north(period)), [b]);
    let disc = ReportQuery {
        zone: Some("Disc".into()),
        ..ReportQuery::default()
    };
    assert_eq!(report_ids(&store, &disc), [d]);
    let unknown = ReportQuery {
        zone: Some("Nowhere".into()),
        ..ReportQuery::default()
    };
    assert!(report_ids(&store, &unknown).is_empty());
}

#[test]
fn zones_drawn_or_moved_after_the_records_arrived_are_applied_to_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    // The records first (a device whose group document comes last in a sync), then the group.
    let inside = report(&mut store, 1, Some(at(50.0, 50.0)), Category::Theft);
    let later_inside = report(&mut store, 2, Some(at(150.0, 50.0)), Category::Theft);
    patrol(
        &mut store,
        "walk",
        1,
        &[at(50.0, -50.0), at(50.0, 150.0)],
        true,
    );
    patrol(
        &mut store,
        "far",
        2,
        &[at(150.0, -50.0), at(150.0, 150.0)],
        true,
    );
    let g = group(&mut store, &[north()]);
    let in_north = ReportQuery {
        zone: Some("North".into()),
        ..ReportQuery::default()
    };
    assert_eq!(report_ids(&store, &in_north), [inside]);
    let patrols_in_north = PatrolQuery {
        zone: Some("North".into()),
        ..PatrolQuery::default()
    };
    assert_eq!(titles(&store, &patrols_in_north), ["walk"]);

    // North grows to 200 m east: the second report and the "far" patrol are now in it.
    let wider = Zone {
        name: "North".into(),
        area: Area::polygon(vec![
            at(0.0, 0.0),
            at(200.0, 0.0),
            at(200.0, 100.0),
            at(0.0, 100.0),
        ]),
    };
    store
        .update(
            g,
            DocKind::Group,
            |d| set_zone(d, &wider, Timestamp::from_millis(T0 + HOUR)),
            |_, _| Ok(()),
        )
        .unwrap();
    assert_eq!(report_ids(&store, &in_north), [later_inside, inside]);
    assert_eq!(titles(&store, &patrols_in_north), ["far", "walk"]);

    // What was built step by step equals a rebuild from the documents.
    let before = store.projection_digest().unwrap();
    store.rebuild_projections().unwrap();
    assert_eq!(store.projection_digest().unwrap(), before);
}

#[test]
fn a_triage_that_arrives_before_its_report_still_sets_the_status_the_filters_use() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    group(&mut store, &[north()]);
    // The coordinator's triage syncs in before the report it is about (a different document).
    let id = DocId::random();
    let mut doc = new_triage(id, ME).unwrap();
    store
        .write(
            &mut doc,
            |d| {
                set_triage(
                    d,
                    ME,
                    TriageStatus::Closed,
                    None,
                    Timestamp::from_millis(T0),
                )
            },
            |_, _| Ok(()),
        )
        .unwrap();
    report_with_id(&mut store, id);
    let closed_in_north = ReportQuery {
        zone: Some("North".into()),
        status: Some(TriageStatus::Closed),
        ..ReportQuery::default()
    };
    let closed_anywhere = ReportQuery {
        status: Some(TriageStatus::Closed),
        ..ReportQuery::default()
    };
    assert_eq!(report_ids(&store, &closed_in_north), [id]);
    assert_eq!(report_ids(&store, &closed_anywhere), [id]);
    // Reopened: both copies follow.
    store
        .write(
            &mut doc,
            |d| {
                set_triage(
                    d,
                    ME,
                    TriageStatus::InReview,
                    None,
                    Timestamp::from_millis(T0 + 1),
                )
            },
            |_, _| Ok(()),
        )
        .unwrap();
    assert!(report_ids(&store, &closed_in_north).is_empty());
    assert!(report_ids(&store, &closed_anywhere).is_empty());
    let before = store.projection_digest().unwrap();
    store.rebuild_projections().unwrap();
    assert_eq!(store.projection_digest().unwrap(), before);
}

/// A report with id `id` at hour 0, in the zone North.
fn report_with_id(store: &mut Store, id: DocId) {
    let new = NewReport {
        category: Category::Vandalism,
        description: "gate kicked in".into(),
        occurred_at: Timestamp::from_millis(T0),
        location: Some(at(50.0, 50.0)),
        precision: LocationPrecision::Exact,
        photos: Vec::new(),
        person: None,
    };
    let keys = ReplyKeys::from_secret(&[7; 32]);
    store
        .create(
            |actor| create_report(id, actor, Some(ME), &new, &keys),
            |_, _| Ok(()),
        )
        .unwrap();
}

/// A whole case for `report`: closed with an outcome and a note, assigned, urgent.
fn full_case(store: &mut Store, report: DocId) {
    let mut doc = new_triage(report, ME).unwrap();
    let steps: [&dyn Fn(&mut porchlight_crdt::Doc) -> _; 3] = [
        &|d| set_priority(d, Priority::Urgent, Timestamp::from_millis(T0 + 1)),
        &|d| set_assignee(d, Some(ME), Timestamp::from_millis(T0 + 2)),
        &|d| {
            set_case_status(
                d,
                ME,
                TriageStatus::Closed,
                Some(CaseOutcome::Resolved),
                Some("fixed by the council"),
                Timestamp::from_millis(T0 + 3),
            )
        },
    ];
    for step in steps {
        store.write(&mut doc, step, |_, _| Ok(())).unwrap();
    }
}

fn the_case(store: &Store, q: &ReportQuery) -> porchlight_store::ReportEntry {
    let mut rows = store.reports_page(q).unwrap().rows;
    assert_eq!(rows.len(), 1, "one case expected");
    rows.remove(0)
}

#[test]
fn a_case_reads_the_same_whether_its_report_or_its_triage_arrived_first() {
    let id = DocId::random();
    let q = ReportQuery {
        assignee: Some(ME),
        priority: Some(Priority::Urgent),
        status: Some(TriageStatus::Closed),
        zone: Some("North".into()),
        now: Some(Timestamp::from_millis(T0 + 10 * HOUR)),
        ..ReportQuery::default()
    };
    let (report_first, triage_first) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = open(&report_first);
    group(&mut a, &[north()]);
    report_with_id(&mut a, id);
    full_case(&mut a, id);
    let mut b = open(&triage_first);
    group(&mut b, &[north()]);
    full_case(&mut b, id);
    report_with_id(&mut b, id);

    let case = the_case(&a, &q);
    assert_eq!(case.report.id, id);
    assert_eq!(case.priority, Priority::Urgent);
    assert_eq!(case.assignee, Some(ME));
    assert_eq!(case.outcome, Some(CaseOutcome::Resolved));
    assert_eq!(case.report.status, TriageStatus::Closed);
    assert_eq!(case.notes.len(), 1);
    assert_eq!(case.triaged_at, Some(Timestamp::from_millis(T0 + 3)));
    assert!(case.first_triaged_at.is_some());
    assert!(!case.overdue, "a closed case is never overdue");
    assert_eq!(the_case(&b, &q), case);
    for store in [&mut a, &mut b] {
        let before = store.projection_digest().unwrap();
        store.rebuild_projections().unwrap();
        assert_eq!(store.projection_digest().unwrap(), before);
    }
}

#[test]
fn opening_a_store_from_before_the_case_copy_fills_it_from_the_triage_projection() {
    let dir = tempfile::tempdir().unwrap();
    let id = DocId::random();
    let q = ReportQuery {
        priority: Some(Priority::Urgent),
        now: Some(Timestamp::from_millis(T0 + 10 * HOUR)),
        ..ReportQuery::default()
    };
    let expected = {
        let mut store = open(&dir);
        group(&mut store, &[north()]);
        report_with_id(&mut store, id);
        full_case(&mut store, id);
        the_case(&store, &q)
    };
    // Put the file back as the previous version left it: no case columns on report rows.
    {
        let conn = rusqlite::Connection::open(dir.path().join("pages.db")).unwrap();
        for column in [
            "case_updated_at",
            "case_first_at",
            "case_notes",
            "case_assignee",
            "case_priority",
            "case_outcome",
            "case_merged_into",
        ] {
            conn.execute_batch(&format!("ALTER TABLE p_reports DROP COLUMN {column}"))
                .unwrap();
        }
        conn.execute("DELETE FROM schema_version WHERE version = 15", [])
            .unwrap();
    }
    let store = open(&dir);
    assert_eq!(the_case(&store, &q), expected);
}
