//! Membership is authenticated end to end: whoever runs the server can add rows to its own
//! database and serve whatever it likes, but it cannot make a device trust a member the group's
//! founder did not vouch for, nor make a report readable by anyone but the real coordinators.

use crate::common;

use common::{
    Server, alert, append_to_log, coordinator, device, device_key, device_with, group_of, join,
    server_db, settle,
};
use porchlight_core::Config;
use porchlight_model::{
    Category, DocId, DocKind, LocationPrecision, NewReport, Role, Timestamp, random_bytes,
};
use porchlight_sync::seal::{SealError, open, sealing_secret};
use porchlight_sync::{InviteCode, SignedChange, SignedInvite, device_id_of, generate_signing_key};

fn no_delay() -> Config {
    Config {
        drop_delay_max_secs: 0,
        ..Config::default()
    }
}

/// Files an anonymous report on `reporter`, sends it, and returns its receipt with the sealed
/// envelope as the server stored it.
async fn file_anonymously(
    server: &Server,
    reporter: &porchlight_core::Core,
    description: &str,
) -> (porchlight_core::Receipt, Vec<u8>) {
    let receipt = reporter
        .file_report(
            &NewReport {
                category: Category::Theft,
                description: description.into(),
                occurred_at: Timestamp::now(),
                location: None,
                precision: LocationPrecision::Exact,
                photos: vec![],
                person: None,
            },
            true,
        )
        .unwrap();
    assert_eq!(reporter.send_due_drops().await.unwrap(), 1);
    let sealed = server_db(server)
        .query_row(
            "SELECT sealed FROM drops ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (receipt, sealed)
}

/// The operator writes a coordinator invite straight into its own database (signed with its own
/// key: it has no coordinator's), joins with a device of its own, and lets that device write
/// certificates for itself into the group document. Nobody else ever trusts it: the next
/// anonymous report is sealed to the real coordinator only, and honest devices keep syncing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_operator_cannot_make_itself_a_coordinator() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let rosa = join(&server, &carmen.core, Role::Resident, "Rosa").await;
    settle(&[&carmen.core, &rosa.core]).await;
    let group = group_of(&carmen.core);

    // The operator's own invite, inserted by hand.
    let operator_key = generate_signing_key();
    let (invite, secret) = (random_bytes::<16>(), random_bytes::<16>());
    let expires_at = Timestamp::now().millis() / 1000 + 3600;
    let minted = SignedInvite::issue(
        &operator_key,
        group,
        invite,
        &secret,
        Role::Coordinator,
        1,
        expires_at,
    );
    server_db(&server)
        .execute(
            "INSERT INTO invites (id, group_id, signed, role, uses_left, expires_at, created_by, created_at)
             VALUES (?1, ?2, ?3, 'coordinator', 1, ?4, ?5, 0)",
            rusqlite::params![
                &invite[..],
                &group.as_bytes()[..],
                porchlight_sync::wire::encode(&minted).unwrap(),
                expires_at,
                &device_id_of(&operator_key).as_bytes()[..],
            ],
        )
        .unwrap();
    // The operator's device joins with it; the server, being the operator's, says yes.
    let operator = device("Operator");
    let code = InviteCode {
        server: server.url.clone(),
        group,
        root: operator_key.verifying_key().to_bytes(),
        invite,
        secret,
        role: Role::Coordinator,
        tls_fingerprint: None,
        hub: None,
    };
    let me = operator
        .core
        .join(&code.to_string(), "Operator")
        .await
        .unwrap();
    assert_eq!(me.role, Role::Coordinator, "the server's word");
    // Its device certifies whoever it likes and issues an alert, as a coordinator would.
    let fake = operator
        .core
        .issue_alert(alert("Fake alert", 40.0))
        .unwrap();
    operator.core.sync_once().await.unwrap();

    // The real coordinator's routine syncs, then the resident's.
    settle(&[&carmen.core, &rosa.core]).await;
    let operator_device = operator.core.device();
    for core in [&carmen.core, &rosa.core] {
        let roster = core.roster().unwrap().unwrap();
        assert!(
            roster.member(&operator_device).is_none(),
            "the operator's device must never be trusted"
        );
        assert_eq!(roster.seal_keys().len(), 1, "only the real coordinator");
        assert!(
            core.alert(fake.id).is_err(),
            "a change by an uncertified author is never applied"
        );
    }

    // The next anonymous report is sealed to the coordinator only.
    let reporter = common::join_as(
        &server.url,
        &carmen.core,
        Role::Resident,
        device_with("Rita", no_delay()),
    )
    .await;
    settle(&[&carmen.core, &reporter.core]).await;
    let (receipt, sealed) = file_anonymously(
        &server,
        &reporter.core,
        "A van circles the block every night",
    )
    .await;
    assert_eq!(
        open(&sealed, &sealing_secret(&operator_key)),
        Err(SealError::NotForMe),
        "the operator cannot open the report"
    );
    carmen.core.sync_once().await.unwrap();
    assert!(
        carmen.core.report(receipt.report).is_ok(),
        "the coordinator can"
    );

    // Honest syncing goes on.
    let real = carmen.core.issue_alert(alert("Real alert", 40.0)).unwrap();
    settle(&[&carmen.core, &rosa.core]).await;
    assert!(rosa.core.alert(real.id).is_ok());
    server.stop().await;
}

/// The operator rewrites a stored change (the founder's own, so its author is trusted) and
/// appends one in the founder's name with a signature of its own making. A device that joins
/// afterwards refuses both and still gets everything genuine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_the_server_forged_or_altered_are_refused() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let genuine = carmen.core.issue_alert(alert("Genuine", 40.0)).unwrap();
    carmen.core.sync_once().await.unwrap();
    let group = group_of(&carmen.core);

    // A second alert in Carmen's name (her actor), signed by the operator, as the next change.
    let forged_id = DocId::random();
    let (_, written) =
        porchlight_crdt::create_alert(forged_id, carmen.core.device(), &alert("Forged", 41.0))
            .unwrap();
    let operator_key = generate_signing_key();
    let hash = written.hash;
    let signed = SignedChange::sign(
        &operator_key,
        &group,
        forged_id,
        DocKind::Alert,
        &hash,
        written.bytes,
    );
    append_to_log(
        &server,
        group,
        forged_id,
        DocKind::Alert,
        carmen.core.device(),
        &hash,
        &signed,
    );
    // And the genuine alert's signature is scrambled in place.
    server_db(&server)
        .execute(
            "UPDATE changes SET signature = zeroblob(64) WHERE doc = ?1",
            [&genuine.id.as_bytes()[..]],
        )
        .unwrap();

    let rosa = join(&server, &carmen.core, Role::Resident, "Rosa").await;
    settle(&[&carmen.core, &rosa.core]).await;
    assert!(
        rosa.core.alert(forged_id).is_err(),
        "forged in Carmen's name"
    );
    assert!(rosa.core.alert(genuine.id).is_err(), "altered signature");
    // What is intact still arrives: the group and a new alert.
    let later = carmen.core.issue_alert(alert("Later", 40.0)).unwrap();
    settle(&[&carmen.core, &rosa.core]).await;
    assert!(rosa.core.alert(later.id).is_ok());
    assert_eq!(rosa.core.group().unwrap().unwrap().name, "Watch");
    server.stop().await;
}

/// Carmen founds a group, Cora joins as a second coordinator and Rita as a resident who sends
/// her drops at once; all three have synced.
async fn two_coordinators_and_a_resident()
-> (Server, common::Device, common::Device, common::Device) {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let cora = join(&server, &carmen.core, Role::Coordinator, "Cora").await;
    let rita = common::join_as(
        &server.url,
        &carmen.core,
        Role::Resident,
        device_with("Rita", no_delay()),
    )
    .await;
    settle(&[&carmen.core, &cora.core, &rita.core]).await;
    (server, carmen, cora, rita)
}

/// Whoever runs the server marks an honest coordinator revoked in its own database. No
/// coordinator's device signs a revocation for it: the group document's roster keeps her, and
/// new anonymous reports are still sealed to her. (The operator can refuse her requests on its
/// own server; it cannot make the group disown her.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_operator_cannot_make_coordinators_revoke_a_member() {
    let (server, carmen, cora, rita) = two_coordinators_and_a_resident().await;
    assert_eq!(rita.core.roster().unwrap().unwrap().seal_keys().len(), 2);

    let changed = server_db(&server)
        .execute(
            "UPDATE members SET revoked_at = 1 WHERE device = ?1",
            [&cora.core.device().as_bytes()[..]],
        )
        .unwrap();
    assert_eq!(changed, 1, "the operator's edit took");
    settle(&[&carmen.core, &rita.core]).await;
    for core in [&carmen.core, &rita.core] {
        let roster = core.roster().unwrap().unwrap();
        assert!(
            roster.member(&cora.core.device()).is_some(),
            "no revocation was signed for her"
        );
        assert!(!roster.is_revoked(&cora.core.device()));
        assert_eq!(roster.seal_keys().len(), 2);
    }
    let (_, sealed) = file_anonymously(&server, &rita.core, "Someone tried the car doors").await;
    assert!(open(&sealed, &sealing_secret(&device_key(&cora))).is_ok());
    server.stop().await;
}

/// Revoking a coordinator takes its sealing key out of every new seal at once, everywhere the
/// revocation has synced, and the server ends its drop reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_coordinator_gets_no_new_reports() {
    let (server, carmen, cora, rita) = two_coordinators_and_a_resident().await;
    let cora_key = device_key(&cora);
    assert_eq!(rita.core.roster().unwrap().unwrap().seal_keys().len(), 2);

    carmen.core.revoke(cora.core.device()).await.unwrap();
    settle(&[&carmen.core, &rita.core]).await;
    let roster = rita.core.roster().unwrap().unwrap();
    assert!(roster.member(&cora.core.device()).is_none());
    assert_eq!(roster.seal_keys().len(), 1);

    let (_, sealed) = file_anonymously(&server, &rita.core, "Bikes taken from the shed").await;
    assert_eq!(
        open(&sealed, &sealing_secret(&cora_key)),
        Err(SealError::NotForMe)
    );
    // Cora's device can no longer sign in to read drops.
    assert!(cora.core.sync_once().await.is_err());
    server.stop().await;
}

/// A report written into the change log by a member no coordinator has certified yet is held;
/// once the member is certified it is still set aside, never shown (reports travel only through
/// the drop box, whoever their author turns out to be).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_report_is_set_aside_once_its_author_is_certified() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let victor = join(&server, &carmen.core, Role::Volunteer, "Victor").await;
    let group = group_of(&carmen.core);
    let victor_key = device_key(&victor);
    // Victor's report in the clear, signed by him, straight into the log (the server itself
    // refuses reports on /v1/sync).
    let doc = DocId::random();
    let keys = porchlight_crdt::ReplyKeys::from_secret(&[9; 32]);
    let (_, written) = porchlight_crdt::create_report(
        doc,
        victor.core.device().as_bytes(),
        Some(victor.core.device()),
        &NewReport {
            category: Category::Theft,
            description: "Filed in the clear".into(),
            occurred_at: Timestamp::now(),
            location: None,
            precision: LocationPrecision::Exact,
            photos: vec![],
            person: None,
        },
        &keys,
    )
    .unwrap();
    let signed = SignedChange::sign(
        &victor_key,
        &group,
        doc,
        DocKind::Report,
        &written.hash,
        written.bytes,
    );
    append_to_log(
        &server,
        group,
        doc,
        DocKind::Report,
        victor.core.device(),
        &written.hash,
        &signed,
    );

    // Carmen's next sync pulls it before she has certified Victor (held), then certifies him
    // and tries it again.
    carmen.core.sync_once().await.unwrap();
    let roster = carmen.core.roster().unwrap().unwrap();
    assert!(roster.member(&victor.core.device()).is_some(), "certified");
    let status = carmen.core.sync_status().unwrap();
    assert_eq!(status.held_changes, 0, "tried again and settled");
    assert!(status.quarantined.iter().any(|q| q.doc == doc));
    assert!(carmen.core.report(doc).is_err(), "never shown");
    server.stop().await;
}

/// A member cannot slip unsigned changes past the checks by handing them over directly (a file,
/// a USB stick): a device in a server group refuses the whole handover and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_handover_without_signatures_is_rejected_not_panicking() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    // Mallory keeps a group of her own on her device and writes an alert there.
    let mallory = device("Mallory");
    mallory.core.create_group("Elsewhere").unwrap();
    let fake = mallory.core.issue_alert(alert("Fake alert", 40.0)).unwrap();
    let refused = carmen.core.receive(&mallory.core.all_changes().unwrap());
    assert!(
        matches!(refused, Err(porchlight_core::CoreError::UnsignedHandover)),
        "{refused:?}"
    );
    assert!(carmen.core.alert(fake.id).is_err(), "nothing was stored");
    // Carmen's own work goes on.
    carmen.core.issue_alert(alert("Real alert", 40.0)).unwrap();
    carmen.core.sync_once().await.unwrap();
    server.stop().await;
}
