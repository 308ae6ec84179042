//! Devices set aside a pulled document they cannot show instead of failing every later sync
//! (issue 10 §2), and never show a report that came through the change log (§3). The server
//! refuses such documents now; these are written straight into its log, as a server from before
//! that check (or a hostile one) would serve them.

use crate::common;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use common::{Server, alert, coordinator, device_with, join, join_as, settle};
use porchlight_core::{AlertQuery, Config};
use porchlight_model::{
    Category, DeviceId, DocId, DocKind, LocationPrecision, NewReport, Role, Timestamp,
};
use porchlight_server::{PushChange, PushDoc, SqliteStorage, Storage};
use porchlight_sync::{GroupId, SignedChange, SigningKey, device_id_of};

/// Appends `changes` of `doc` to the server's log, signed by their author `by` (a real member's
/// key: these are a hostile member's changes, not forgeries), bypassing the HTTP checks.
async fn inject(
    server: &Server,
    group: GroupId,
    by: &SigningKey,
    doc: DocId,
    kind: DocKind,
    changes: Vec<Vec<u8>>,
) {
    let storage = SqliteStorage::open(server.dir.path().join("server.db")).unwrap();
    let changes = changes
        .into_iter()
        .map(|bytes| {
            let hash =
                porchlight_crdt::check_change(&bytes, None, porchlight_crdt::MAX_CHANGE_BYTES)
                    .unwrap()
                    .hash;
            let signed = SignedChange::sign(by, &group, doc, kind, &hash, bytes);
            let (bytes, signature) = signed.into_parts();
            PushChange {
                hash,
                bytes,
                signature,
            }
        })
        .collect();
    storage
        .push(
            group,
            device_id_of(by),
            vec![PushDoc { doc, kind, changes }],
        )
        .await
        .unwrap();
}

/// `base` (the changes so far) edited by `by`: only the new change.
fn edit(by: DeviceId, base: &[Vec<u8>], f: impl FnOnce(&mut AutoCommit)) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    for c in base {
        doc.load_incremental(c).unwrap();
    }
    let mut doc = doc.with_actor(ActorId::from(by.as_bytes().as_slice()));
    let heads = doc.get_heads();
    f(&mut doc);
    doc.commit();
    let new = doc.get_changes(&heads);
    new[0].raw_bytes().to_vec()
}

fn report() -> NewReport {
    NewReport {
        category: Category::Theft,
        description: "Bike taken from the rack".into(),
        occurred_at: Timestamp::now(),
        location: None,
        precision: LocationPrecision::Exact,
        photos: vec![],
        person: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_no_device_can_show_is_quarantined_and_sync_goes_on() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let quick = Config {
        drop_delay_max_secs: 0,
        ..Config::default()
    };
    let rita = join_as(
        &server.url,
        &carmen.core,
        Role::Resident,
        device_with("Rita", quick),
    )
    .await;
    let victor = join(&server, &carmen.core, Role::Volunteer, "Victor").await;
    settle(&[&carmen.core, &rita.core, &victor.core]).await;
    let group = common::group_of(&carmen.core);
    let mallory = victor.core.device();
    let mallory_key = common::device_key(&victor);

    // An alert at latitude 999, and a report in the clear that says Victor filed it.
    let bad_alert = DocId::random();
    let (_, first) =
        porchlight_crdt::create_alert(bad_alert, mallory, &alert("Prowler", 40.0)).unwrap();
    let broken = edit(mallory, std::slice::from_ref(&first.bytes), |d| {
        d.put(
            ROOT,
            "area",
            r#"{"type":"circle","center":{"lat":999.0,"lon":-3.0},"radiusM":300.0}"#,
        )
        .unwrap();
    });
    inject(
        &server,
        group,
        &mallory_key,
        bad_alert,
        DocKind::Alert,
        vec![first.bytes.clone(), broken.clone()],
    )
    .await;
    let forged = DocId::random();
    let keys = porchlight_crdt::ReplyKeys::from_secret(&[9; 32]);
    let (_, w) = porchlight_crdt::create_report(
        forged,
        mallory.as_bytes(),
        Some(victor.core.device()),
        &report(),
        &keys,
    )
    .unwrap();
    inject(
        &server,
        group,
        &mallory_key,
        forged,
        DocKind::Report,
        vec![w.bytes],
    )
    .await;
    // Then honest work: an alert from Carmen.
    carmen
        .core
        .issue_alert(alert("Water main burst", 40.0))
        .unwrap();

    // Every device syncs through it, more than once, and its cursor moves on.
    for d in [&carmen, &rita, &victor] {
        for _ in 0..2 {
            d.core.sync_once().await.unwrap();
        }
        let status = d.core.sync_status().unwrap();
        assert!(status.last_error.is_none(), "{:?}", status.last_error);
        assert!(
            status
                .quarantined
                .iter()
                .any(|q| q.doc == bad_alert && q.reason.contains("latitude 999")),
            "{:?}",
            status.quarantined
        );
        let titles: Vec<String> = d
            .core
            .alerts(&AlertQuery::default())
            .unwrap()
            .into_iter()
            .map(|a| a.title)
            .collect();
        assert!(
            titles.contains(&"Water main burst".to_owned()),
            "{titles:?}"
        );
        assert!(!titles.contains(&"Prowler".to_owned()));
    }
    // The coordinator never shows the forged report, and says why.
    let quarantined = carmen.core.sync_status().unwrap().quarantined;
    let q = quarantined
        .iter()
        .find(|q| q.doc == forged)
        .expect("the report is set aside");
    assert!(q.reason.contains("drop box"), "{}", q.reason);
    assert!(
        carmen
            .core
            .reports(None)
            .unwrap()
            .iter()
            .all(|r| r.report.id != forged)
    );

    // Real reports still reach the coordinator, through the drop box.
    let receipt = rita.core.file_report(&report(), true).unwrap();
    assert_eq!(rita.core.send_due_drops().await.unwrap(), 1);
    carmen.core.sync_once().await.unwrap();
    assert!(
        carmen
            .core
            .reports(None)
            .unwrap()
            .iter()
            .any(|r| r.report.id == receipt.report)
    );

    // Its author fixes the alert: the next sync retries it and it leaves quarantine.
    let fixed = edit(mallory, &[first.bytes, broken], |d| {
        d.put(
            ROOT,
            "area",
            r#"{"type":"circle","center":{"lat":40.0,"lon":-3.0},"radiusM":300.0}"#,
        )
        .unwrap();
    });
    inject(
        &server,
        group,
        &mallory_key,
        bad_alert,
        DocKind::Alert,
        vec![fixed],
    )
    .await;
    rita.core.sync_once().await.unwrap();
    let status = rita.core.sync_status().unwrap();
    assert!(
        status.quarantined.iter().all(|q| q.doc != bad_alert),
        "{:?}",
        status.quarantined
    );
    let titles: Vec<String> = rita
        .core
        .alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    assert!(titles.contains(&"Prowler".to_owned()), "{titles:?}");
    server.stop().await;
}
