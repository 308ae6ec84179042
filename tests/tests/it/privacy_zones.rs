//! A volunteer's privacy zones hold all the way to the server: no fix inside a zone, nor near
//! where a patrol started or ended, is in anything that left the phone — not in what the
//! coordinator's device shows, not in any change the server stored. With the zone removed the
//! same checks find the fixes, so they can fail.

use crate::common;

use common::{Server, coordinator, join, server_db, settle};
use porchlight_core::PrivacyZone;
use porchlight_crdt::{Doc, read_track};
use porchlight_model::{DocId, DocKind, Fix, Point, Role, Timestamp};

const HOME: Point = Point {
    lat: 45.5,
    lon: -122.6,
};
const ZONE_M: f64 = 150.0;

/// A point `north_m` metres north of home.
fn north_of_home(north_m: f64) -> Point {
    Point::new(HOME.lat + north_m / 111_195.0, HOME.lon)
}

/// A walk from 600 m south of home, through the front door, to 600 m north, a fix every 10 s
/// and 15 m.
fn walk_past_home(start: Timestamp) -> Vec<Fix> {
    (0..=80)
        .map(|i| Fix {
            at: Timestamp::from_millis(start.millis() + i64::from(i) * 10_000),
            point: north_of_home(-600.0 + f64::from(i) * 15.0),
            accuracy_m: Some(5.0),
        })
        .collect()
}

/// Logs one walk past home on `volunteer` and returns the patrol's id.
fn patrol_past_home(volunteer: &porchlight_core::Core, start: Timestamp) -> DocId {
    let patrol = volunteer.start_patrol("Evening round", start).unwrap();
    let walk = walk_past_home(start);
    let end = walk.last().unwrap().at;
    for fix in walk {
        volunteer.add_fix(fix).unwrap();
    }
    volunteer.end_patrol(end).unwrap();
    patrol.id
}

/// The track of `patrol` rebuilt from every change the server stored for it.
fn track_on_server(server: &Server, patrol: DocId) -> Vec<Fix> {
    let db = server_db(server);
    let mut stmt = db
        .prepare("SELECT bytes FROM changes WHERE doc = ?1 ORDER BY seq")
        .unwrap();
    let changes: Vec<Vec<u8>> = stmt
        .query_map([&patrol.as_bytes()[..]], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!changes.is_empty(), "the patrol reached the server");
    let mut doc = Doc::empty(patrol, DocKind::Patrol, &[9; 16]);
    doc.apply_remote(&changes).unwrap();
    read_track(&doc).unwrap()
}

fn nearest_to_home(track: &[Fix]) -> f64 {
    track
        .iter()
        .map(|f| f.point.distance_m(&HOME))
        .fold(f64::INFINITY, f64::min)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_fix_inside_a_privacy_zone_leaves_the_volunteers_phone() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let victor = join(&server, &carmen.core, Role::Volunteer, "Victor").await;
    victor
        .core
        .set_privacy_zones(&[PrivacyZone {
            name: "Home".into(),
            center: HOME,
            radius_m: ZONE_M,
        }])
        .unwrap();

    let start = Timestamp::from_millis(Timestamp::now().millis() - 3_600_000);
    let zoned = patrol_past_home(&victor.core, start);
    settle(&[&carmen.core, &victor.core]).await;

    let walk = walk_past_home(start);
    let (first, last) = (walk[0].point, walk.last().unwrap().point);
    for (whose, track) in [
        ("coordinator", carmen.core.patrol(zoned).unwrap().track),
        ("server", track_on_server(&server, zoned)),
    ] {
        assert!(
            nearest_to_home(&track) > ZONE_M,
            "{whose}: a fix {} m from home",
            nearest_to_home(&track)
        );
        // The ends are cut by at least 100 m, whatever radius was drawn.
        assert!(
            track
                .iter()
                .all(|f| f.point.distance_m(&first) > 100.0 && f.point.distance_m(&last) > 100.0),
            "{whose}: a fix near where the patrol started or ended"
        );
        // Coverage is kept: the street between the cuts is there (81 fixes walked; at most
        // 17 go at each end and 21 in the zone).
        assert!(track.len() >= 26, "{whose}: only {} fixes", track.len());
    }

    // The control: without the zone the same checks find the fixes at the door, so they can fail.
    victor.core.set_privacy_zones(&[]).unwrap();
    let open = patrol_past_home(
        &victor.core,
        Timestamp::from_millis(start.millis() + 1_000_000),
    );
    settle(&[&carmen.core, &victor.core]).await;
    assert!(nearest_to_home(&carmen.core.patrol(open).unwrap().track) < 10.0);
    assert!(nearest_to_home(&track_on_server(&server, open)) < 10.0);
    server.stop().await;
}

#[test]
fn bad_zones_are_rejected_not_panicking_and_nothing_is_saved() {
    let d = common::device("Victor");
    let home = PrivacyZone {
        name: "Home".into(),
        center: HOME,
        radius_m: ZONE_M,
    };
    d.core
        .set_privacy_zones(std::slice::from_ref(&home))
        .unwrap();
    let too_small = PrivacyZone {
        radius_m: 5.0,
        ..home.clone()
    };
    assert!(matches!(
        d.core.set_privacy_zones(&[home.clone(), too_small]),
        Err(porchlight_core::CoreError::Invalid(_))
    ));
    let too_many = vec![home.clone(); 21];
    assert!(d.core.set_privacy_zones(&too_many).is_err());
    assert_eq!(d.core.privacy_zones().unwrap(), vec![home]);
}
