//! Devices and a server whose log was compacted (DECISIONS 30): a device that joins afterwards
//! and one whose cursor is older than the fold both receive the folded changes, check every
//! author's signature as usual, and converge to the same receipts as the devices that saw the
//! changes before.

use crate::common;

use porchlight_model::{Area, Category, NewObservation, Point, Role, Timestamp, Zone};
use porchlight_server::{CompactionPolicy, SqliteStorage, Storage, compact_once};

use common::{Server, alert, assert_same_where_shared, coordinator, join, settle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_behind_a_fold_and_newcomers_converge_on_the_folded_log() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let victor = join(&server, &carmen.core, Role::Volunteer, "Victor").await;
    let olga = join(&server, &carmen.core, Role::Volunteer, "Olga").await;
    settle(&[&carmen.core, &victor.core, &olga.core]).await;
    // Olga stays offline from here: her cursor will be older than the fold.

    // Many changes to two documents: the group's zones and a patrol's observations.
    for i in 0..40 {
        carmen
            .core
            .set_zone(&Zone {
                name: format!("Zone {i}"),
                area: Area::circle(Point::new(40.0 + f64::from(i) * 0.01, -3.0), 150.0),
            })
            .unwrap();
    }
    victor
        .core
        .start_patrol("Long round", Timestamp::now())
        .unwrap();
    for i in 0..40 {
        victor
            .core
            .add_observation(&NewObservation {
                at: Timestamp::now(),
                point: None,
                category: Category::AllClear,
                note: format!("corner {i} quiet"),
                photos: vec![],
            })
            .unwrap();
    }
    victor.core.end_patrol(Timestamp::now()).unwrap();
    carmen
        .core
        .issue_alert(alert("After the round", 40.0))
        .unwrap();
    settle(&[&carmen.core, &victor.core]).await;

    // No device syncs while the server folds, so this second handle on its file writes alone.
    let storage = SqliteStorage::open(server.dir.path().join("server.db")).unwrap();
    let group = common::group_of(&carmen.core);
    let count_before = storage.change_count(group).await.unwrap();
    let policy = CompactionPolicy {
        keep_changes: 3,
        min_changes: 8,
        docs_per_pass: 100,
    };
    let done = compact_once(&storage, policy).await.unwrap().unwrap();
    assert!(
        done.docs >= 2 && done.changes >= 70,
        "the zones and the patrol were folded: {done:?}"
    );
    assert_eq!(storage.change_count(group).await.unwrap(), count_before);

    // Olga comes back; Rita joins only now.
    let rita = join(&server, &carmen.core, Role::Volunteer, "Rita").await;
    settle(&[&carmen.core, &victor.core, &olga.core, &rita.core]).await;
    let receipts: Vec<_> = [&carmen, &victor, &olga, &rita]
        .iter()
        .map(|d| d.core.sync_receipt().unwrap())
        .collect();
    for other in &receipts[1..] {
        assert_same_where_shared(&receipts[0], other);
    }
    for late in [&olga, &rita] {
        let group = late.core.group().unwrap().unwrap();
        assert_eq!(group.zones.len(), 40);
        let patrols = late.core.patrols(10, 0).unwrap();
        let round = patrols.iter().find(|p| p.title == "Long round").unwrap();
        assert_eq!(
            late.core
                .patrol(round.id)
                .unwrap()
                .patrol
                .observations
                .len(),
            40
        );
        let status = late.core.sync_status().unwrap();
        assert!(
            status.quarantined.is_empty(),
            "every folded change was accepted"
        );
    }
    server.stop().await;
}

/// The server's operator alters a folded change (one byte of its signature in the snapshot's
/// index, as it could alter the save itself): a device pulling it refuses it as forged, exactly as
/// it refuses an altered row. A snapshot gives the operator no new way in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folded_change_the_operator_altered_is_refused_by_devices() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let olga = join(&server, &carmen.core, Role::Volunteer, "Olga").await;
    settle(&[&carmen.core, &olga.core]).await;
    for i in 0..20 {
        carmen
            .core
            .set_zone(&Zone {
                name: format!("Zone {i}"),
                area: Area::circle(Point::new(40.0 + f64::from(i) * 0.01, -3.0), 150.0),
            })
            .unwrap();
    }
    carmen.core.sync_once().await.unwrap();
    let storage = SqliteStorage::open(server.dir.path().join("server.db")).unwrap();
    let policy = CompactionPolicy {
        keep_changes: 0,
        min_changes: 8,
        docs_per_pass: 100,
    };
    let done = compact_once(&storage, policy).await.unwrap().unwrap();
    assert!(done.docs >= 1, "the group document was folded: {done:?}");

    // The operator flips one bit of the newest folded zone's signature (each index entry is
    // number 8, hash 32, signature 64 bytes).
    let db = common::server_db(&server);
    let (doc, mut folded): (Vec<u8>, Vec<u8>) = db
        .query_row(
            "SELECT doc, folded FROM snapshots WHERE kind = 'group'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let last = folded.len() - 104;
    folded[last + 40] ^= 1;
    db.execute(
        "UPDATE snapshots SET folded = ?1 WHERE doc = ?2",
        rusqlite::params![folded, doc],
    )
    .unwrap();

    let sync = olga.core.sync_once().await.unwrap();
    assert!(
        sync.rejected
            .iter()
            .any(|r| r.contains("forged or altered")),
        "{:?}",
        sync.rejected
    );
    let zones = olga.core.group().unwrap().unwrap().zones;
    assert_eq!(zones.len(), 19, "every zone but the altered one");
    assert!(zones.iter().all(|z| z.name != "Zone 19"));
    server.stop().await;
}
