//! Hotspots on a data set with known answers: the busy cells and hours are counted exactly, and
//! nothing under the k threshold appears in any output.

use porchlight_core::{Core, Direction, HotspotQuery, Shown};
use porchlight_model::{Area, Category, LocationPrecision, NewReport, Point, Timestamp, Zone};

const M_PER_DEG: f64 = 111_320.0;

/// A point `north` and `east` metres from a corner well inside one 250 m grid cell.
fn at(north: f64, east: f64) -> Point {
    let base = Point::new(45.0 + 10.3 * 250.0 / M_PER_DEG, -122.0);
    Point::new(
        base.lat + north / M_PER_DEG,
        base.lon + east / (M_PER_DEG * base.lat.to_radians().cos()),
    )
}

fn file(core: &Core, when: &str, p: Point, category: Category) {
    core.file_report(
        &NewReport {
            category,
            description: "seen".into(),
            occurred_at: Timestamp::parse("t", when).unwrap(),
            location: Some(p),
            precision: LocationPrecision::Exact,
            photos: vec![],
            person: None,
        },
        false,
    )
    .unwrap();
}

fn setup() -> (tempfile::TempDir, Core) {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Watch").unwrap();
    (dir, core)
}

#[test]
fn busy_cells_and_hours_are_counted_and_quiet_ones_never_shown() {
    let (_dir, core) = setup();
    // Cell A: 5 reports, all on Tuesdays at 10:xx UTC (2026-06-02 and 2026-06-09 are Tuesdays).
    for (i, day) in (0u32..).zip(["02", "02", "09", "09", "09"]) {
        file(
            &core,
            &format!("2026-06-{day}T10:{:02}:00Z", i * 10),
            at(10.0 + f64::from(i), 10.0),
            Category::Theft,
        );
    }
    // Cell B, 1 km north: 3 reports, Wednesday 22:xx.
    for i in 0..3 {
        file(
            &core,
            &format!("2026-06-03T22:{:02}:00Z", i * 15),
            at(1_000.0 + f64::from(i), 10.0),
            Category::Vandalism,
        );
    }
    // Cell C: 2 reports; cell D: 1 report — both under k = 3, at hours of their own.
    file(
        &core,
        "2026-06-04T03:00:00Z",
        at(2_000.0, 10.0),
        Category::Theft,
    );
    file(
        &core,
        "2026-06-04T03:30:00Z",
        at(2_001.0, 10.0),
        Category::Theft,
    );
    file(
        &core,
        "2026-06-05T05:00:00Z",
        at(3_000.0, 10.0),
        Category::Theft,
    );

    let h = core.hotspots(&HotspotQuery::default()).unwrap();
    assert_eq!(h.k, 3);
    assert_eq!(h.total, 11);
    let counts: Vec<u32> = h.cells.iter().map(|c| c.count).collect();
    assert_eq!(counts, vec![5, 3]);
    assert_eq!(h.in_hidden_cells, 3);
    let a = &h.cells[0];
    let first = at(10.0, 10.0);
    assert!(a.south_west.lat <= first.lat && first.lat < a.north_east.lat);
    // Week: Tuesday 10h (5) and Wednesday 22h (3); Thursday 3h (2) and Friday 5h (1) hidden.
    let week: Vec<(u8, u8, u32)> = h
        .week
        .iter()
        .map(|c| (c.weekday, c.hour, c.count))
        .collect();
    assert_eq!(week, vec![(1, 10, 5), (2, 22, 3)]);
    // Nothing under k anywhere in what is serialised (the JSON the UI, CLI and exports use).
    let json = serde_json::to_string(&h).unwrap();
    assert!(
        !json.contains("\"count\":2") && !json.contains("\"count\":1"),
        "{json}"
    );

    // A higher k hides cell B too; a lower one than the group's is ignored.
    let strict = core
        .hotspots(&HotspotQuery {
            k: Some(4),
            ..HotspotQuery::default()
        })
        .unwrap();
    assert_eq!(strict.cells.len(), 1);
    let lax = core
        .hotspots(&HotspotQuery {
            k: Some(1),
            ..HotspotQuery::default()
        })
        .unwrap();
    assert_eq!(lax.k, 3);
    // Period and category filters.
    let june_third_on = core
        .hotspots(&HotspotQuery {
            from: Some(Timestamp::parse("t", "2026-06-03T00:00:00Z").unwrap()),
            category: Some(Category::Vandalism),
            ..HotspotQuery::default()
        })
        .unwrap();
    assert_eq!(june_third_on.total, 3);
    assert_eq!(
        june_third_on
            .cells
            .iter()
            .map(|c| c.count)
            .collect::<Vec<_>>(),
        vec![3]
    );
    // The group may raise k for everyone.
    assert_eq!(core.set_hotspot_k(6).unwrap(), 6);
    assert!(
        core.hotspots(&HotspotQuery::default())
            .unwrap()
            .cells
            .is_empty()
    );
    assert!(
        core.set_hotspot_k(1).is_err(),
        "k below 2 would locate single reports"
    );
}

#[test]
fn a_zone_before_and_after_shows_the_change_only_above_k() {
    let (_dir, core) = setup();
    core.set_zone(&Zone {
        name: "Elm".into(),
        area: Area::circle(at(0.0, 0.0), 200.0),
    })
    .unwrap();
    for i in 0..5 {
        file(
            &core,
            &format!("2026-05-1{i}T12:00:00Z"),
            at(5.0, 5.0),
            Category::Theft,
        );
    }
    for i in 0..3 {
        file(
            &core,
            &format!("2026-06-1{i}T12:00:00Z"),
            at(5.0, 5.0),
            Category::Theft,
        );
    }
    file(&core, "2026-07-10T12:00:00Z", at(5.0, 5.0), Category::Theft);
    // Outside the zone: never counted.
    file(
        &core,
        "2026-06-15T12:00:00Z",
        at(900.0, 0.0),
        Category::Theft,
    );
    let t = |s: &str| Timestamp::parse("t", s).unwrap();
    let may = (t("2026-05-01T00:00:00Z"), t("2026-06-01T00:00:00Z"));
    let june = (t("2026-06-01T00:00:00Z"), t("2026-07-01T00:00:00Z"));
    let july = (t("2026-07-01T00:00:00Z"), t("2026-08-01T00:00:00Z"));
    let c = core.compare_zone("Elm", may, june).unwrap();
    assert_eq!((c.before, c.after), (Shown::Count(5), Shown::Count(3)));
    assert_eq!(c.direction, Direction::Down);
    assert!((c.change_percent.unwrap() + 40.0).abs() < 1e-9);
    // July has one report: shown only as "fewer than 3", and no change is given.
    let c = core.compare_zone("Elm", june, july).unwrap();
    assert_eq!(c.after, Shown::FewerThan(3));
    assert_eq!((c.change_percent, c.direction), (None, Direction::Unknown));
    assert!(core.compare_zone("Oak", may, june).is_err());
}
