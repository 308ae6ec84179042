//! On-device alert matching: a resident with two watch areas — a circle across the antimeridian
//! and a square — against 100 alerts designed around them (inside, outside, touching within a
//! centimetre, one metre short, polygons meeting only at an edge or corner, across the
//! antimeridian, near the poles), plus random ones. The matches must be exactly the expected
//! set, and the R*Tree lookup must agree with a brute-force scan of the same data.

use std::collections::BTreeSet;

use geo::{Destination, Geodesic};
use porchlight_core::{AlertQuery, Core};
use porchlight_model::{
    AlertCategory, Area, DocId, NewAlert, Point, Severity, Timestamp, WatchArea,
};

const A_CENTER: Point = Point::new(-17.0, 179.995);
const A_RADIUS: f64 = 2_000.0;

fn dest(from: Point, bearing: f64, metres: f64) -> Point {
    let p = Geodesic.destination(geo::Point::new(from.lon, from.lat), bearing, metres);
    let lon = if p.x() > 180.0 {
        p.x() - 360.0
    } else if p.x() < -180.0 {
        p.x() + 360.0
    } else {
        p.x()
    };
    Point::new(p.y(), lon)
}

fn square(lat: f64, lon: f64, d: f64) -> Area {
    Area::polygon(vec![
        Point::new(lat, lon),
        Point::new(lat, lon + d),
        Point::new(lat + d, lon + d),
        Point::new(lat + d, lon),
    ])
}

/// The designed cases: (label, area, expected to match).
fn designed() -> Vec<(&'static str, Area, bool)> {
    let b_east_mid = Point::new(40.005, -2.99);
    let north_of_a = dest(A_CENTER, 0.0, A_RADIUS);
    let north_of_a_gap = dest(A_CENTER, 0.0, A_RADIUS + 1.0);
    let apex = |p: Point| {
        Area::polygon(vec![
            p,
            Point::new(p.lat + 0.01, p.lon + 0.005),
            Point::new(p.lat + 0.01, p.lon - 0.005),
        ])
    };
    vec![
        ("inside A", Area::circle(A_CENTER, 100.0), true),
        (
            "inside A across the antimeridian",
            Area::circle(Point::new(-17.0, -179.999), 200.0),
            true,
        ),
        (
            "inside B",
            Area::circle(Point::new(40.005, -2.995), 50.0),
            true,
        ),
        ("polygon inside B", square(40.002, -2.998, 0.002), true),
        (
            "far away",
            Area::circle(Point::new(0.0, 0.0), 1_000.0),
            false,
        ),
        (
            "west of A, 2.3 km short",
            Area::circle(Point::new(-17.0, 179.95), 500.0),
            false,
        ),
        (
            "north pole",
            Area::circle(Point::new(89.99, 0.0), 5_000.0),
            false,
        ),
        (
            "south pole",
            Area::circle(Point::new(-89.99, 0.0), 5_000.0),
            false,
        ),
        (
            "over the north pole",
            Area::circle(Point::new(89.9, 179.99), 50_000.0),
            false,
        ),
        (
            "circle touching A from the east",
            Area::circle(dest(A_CENTER, 90.0, A_RADIUS + 300.0), 300.0),
            true,
        ),
        (
            "circle 1 m short of A",
            Area::circle(dest(A_CENTER, 90.0, A_RADIUS + 301.0), 300.0),
            false,
        ),
        (
            "circle touching B's east edge",
            Area::circle(dest(b_east_mid, 90.0, 200.0), 200.0),
            true,
        ),
        (
            "circle 1 m short of B",
            Area::circle(dest(b_east_mid, 90.0, 200.0), 199.0),
            false,
        ),
        (
            "polygon sharing B's east edge",
            square(40.0, -2.99, 0.01),
            true,
        ),
        (
            "polygon sharing B's corner",
            square(40.01, -2.99, 0.01),
            true,
        ),
        ("polygon 8 m east of B", square(40.0, -2.9899, 0.01), false),
        ("polygon whose tip touches A", apex(north_of_a), true),
        (
            "polygon whose tip is 1 m from A",
            apex(north_of_a_gap),
            false,
        ),
        (
            "polygon across the antimeridian over A",
            Area::polygon(vec![
                Point::new(-17.01, 179.99),
                Point::new(-17.01, -179.99),
                Point::new(-16.99, -179.99),
                Point::new(-16.99, 179.99),
            ]),
            true,
        ),
        (
            "polygon across the antimeridian far south",
            Area::polygon(vec![
                Point::new(-30.01, 179.99),
                Point::new(-30.01, -179.99),
                Point::new(-29.99, -179.99),
                Point::new(-29.99, 179.99),
            ]),
            false,
        ),
    ]
}

fn alert(title: String, area: Area) -> NewAlert {
    NewAlert {
        title,
        body: String::new(),
        category: AlertCategory::Safety,
        severity: Severity::Warning,
        area,
        issued_at: Timestamp::now(),
        expires_at: None,
        meeting: None,
        person: None,
    }
}

#[test]
fn exactly_the_geometrically_correct_alerts_match() {
    let (dc, dr) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (coord, resident) = (
        Core::open(dc.path()).unwrap(),
        Core::open(dr.path()).unwrap(),
    );
    let areas = [
        WatchArea {
            name: "A".into(),
            area: Area::circle(A_CENTER, A_RADIUS),
        },
        WatchArea {
            name: "B".into(),
            area: square(40.0, -3.0, 0.01),
        },
    ];
    for a in &areas {
        resident.set_watch_area(a.clone()).unwrap();
    }
    let mut expected = BTreeSet::new();
    let mut labels = std::collections::BTreeMap::new();
    for (label, area, hit) in designed() {
        area.validate("area")
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let a = coord.issue_alert(alert(label.into(), area)).unwrap();
        labels.insert(a.id, label);
        if hit {
            expected.insert(a.id);
        }
    }
    // Random alerts around both areas fill it up to 100; their truth comes from the reference.
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut random = Vec::new();
    while labels.len() < 100 {
        let (c, spread) = if rnd() < 0.5 {
            (A_CENTER, 0.06)
        } else {
            (Point::new(40.005, -2.995), 0.03)
        };
        let mut lon = c.lon + (rnd() - 0.5) * spread;
        if lon > 180.0 {
            lon -= 360.0;
        }
        let p = Point::new(c.lat + (rnd() - 0.5) * spread, lon);
        let a = coord
            .issue_alert(alert(
                format!("random {}", labels.len()),
                Area::circle(p, 50.0 + rnd() * 900.0),
            ))
            .unwrap();
        labels.insert(a.id, "random");
        random.push(a);
    }
    // Inside, but expired or cancelled: never matches.
    let mut expired = alert("expired inside A".into(), Area::circle(A_CENTER, 100.0));
    expired.issued_at = Timestamp::from_millis(Timestamp::now().millis() - 3_600_000);
    expired.expires_at = Some(expired.issued_at.plus_millis(60_000));
    let expired = coord.issue_alert(expired).unwrap();
    let cancelled = coord
        .issue_alert(alert(
            "cancelled inside B".into(),
            square(40.002, -2.998, 0.002),
        ))
        .unwrap();
    coord.cancel_alert(cancelled.id).unwrap();

    let (added, failed) = resident.receive(&coord.all_changes().unwrap()).unwrap();
    assert!(failed.is_empty() && added > 0);
    let all: Vec<DocId> = coord
        .alerts(&AlertQuery::default())
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    let now = Timestamp::now();
    let news = resident.match_alerts(&all, now).unwrap();
    let matched: BTreeSet<DocId> = news.matched.iter().map(|m| m.alert.id).collect();

    // Brute force: every alert, every area, the exact predicate, no index.
    let reference: BTreeSet<DocId> = resident
        .alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .filter(|a| a.is_live(now) && areas.iter().any(|w| w.area.intersects(&a.area)))
        .map(|a| a.id)
        .collect();
    assert_eq!(matched, reference, "R*Tree lookup and brute force disagree");
    for a in &random {
        if reference.contains(&a.id) {
            expected.insert(a.id);
        }
    }
    let wrong: Vec<&str> = matched
        .symmetric_difference(&expected)
        .map(|id| labels.get(id).copied().unwrap_or("?"))
        .collect();
    assert!(wrong.is_empty(), "wrongly matched or missed: {wrong:?}");
    assert!(!matched.contains(&expired.id) && !matched.contains(&cancelled.id));
    assert!(
        expected.len() > 10 && expected.len() < 90,
        "a meaningful mix: {}",
        expected.len()
    );
    // Urgent first, and every match names the areas it touches.
    assert!(news.matched.iter().all(|m| !m.areas.is_empty()));
    // Matching the same alerts again announces nothing new.
    assert!(resident.match_alerts(&all, now).unwrap().matched.is_empty());
}
