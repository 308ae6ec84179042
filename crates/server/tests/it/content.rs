//! Documents whose content every reader would have to set aside are refused before they are
//! stored (issue 10 §2, §3 and the acknowledgement hole of §7): one bad document must never stop
//! anyone's sync, reports never travel through the change log, and nobody acknowledges an alert
//! in another member's name.

use crate::common;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT, ScalarValue};
use common::{Device, TestServer, coordinator, member, new_alert, valid_changes};
use porchlight_model::{DeviceId, DocId, DocKind, Role, Timestamp};

/// The changes of `changes` loaded into a document, edited by `actor` with `edit`: every change,
/// the edit last.
fn edited(
    actor: DeviceId,
    changes: &[Vec<u8>],
    edit: impl FnOnce(&mut AutoCommit),
) -> Vec<Vec<u8>> {
    let mut doc = AutoCommit::new();
    for c in changes {
        doc.load_incremental(c).unwrap();
    }
    let mut doc = doc.with_actor(ActorId::from(actor.as_bytes().as_slice()));
    edit(&mut doc);
    doc.commit();
    doc.get_changes(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// A document of one change by `actor` holding just `fields`.
fn bare(actor: DeviceId, fields: &[(&str, ScalarValue)]) -> Vec<Vec<u8>> {
    edited(actor, &[], |doc| {
        for (key, value) in fields {
            doc.put(ROOT, *key, value.clone()).unwrap();
        }
    })
}

/// An alert area whose centre is at latitude 999.
fn area_at_latitude_999() -> String {
    r#"{"type":"circle","center":{"lat":999.0,"lon":-3.0},"radiusM":300.0}"#.to_owned()
}

/// Asserts the push was refused for every change with a reason containing `why`, and returns
/// the reason.
fn refused(response: &porchlight_sync::SyncResponse, why: &str) -> String {
    assert_eq!(response.accepted, 0, "{:?}", response.rejected);
    assert!(!response.rejected.is_empty());
    let reason = response.rejected[0].reason.clone();
    assert!(reason.contains(why), "{reason}");
    reason
}

/// After an attack: the server answers, honest devices still push and pull.
async fn honest_devices_keep_syncing(server: &TestServer, coord: &Device, reader: &Device) {
    server.assert_healthy().await;
    let before = reader.pull_all(0).await.0.len();
    let ok = coord.push_valid(DocKind::Alert, 2).await;
    assert_eq!((ok.accepted, ok.rejected.len()), (2, 0));
    let (pulled, _, _) = reader.pull_all(0).await;
    assert_eq!(pulled.len(), before + 1, "the reader gets the new alert");
}

#[tokio::test]
async fn an_alert_at_latitude_999_is_rejected_not_stored() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let (doc, good) = valid_changes(DocKind::Alert, volunteer.id, 1);
    let bad = edited(volunteer.id, &good, |d| {
        d.put(ROOT, "area", area_at_latitude_999()).unwrap();
    });
    let response = volunteer.push(doc, DocKind::Alert, bad).await;
    refused(&response, "latitude 999");
    assert_eq!(
        server.change_count(coord.group()).await,
        0,
        "nothing stored"
    );
    honest_devices_keep_syncing(&server, &coord, &resident).await;
}

#[tokio::test]
async fn a_change_that_breaks_a_stored_alert_is_rejected_not_stored() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let (doc, good) = valid_changes(DocKind::Alert, coord.id, 1);
    assert_eq!(
        coord.push(doc, DocKind::Alert, good.clone()).await.accepted,
        1
    );
    // The pushed change alone is harmless; only together with the stored one is the alert bad:
    // an expiry before the issue time, and an empty title.
    let issued = Timestamp::now().millis();
    let all = edited(volunteer.id, &good, |d| {
        d.put(ROOT, "expires_at", ScalarValue::Timestamp(issued - 60_000))
            .unwrap();
    });
    let response = volunteer.push(doc, DocKind::Alert, all[1..].to_vec()).await;
    refused(&response, "expires_at");
    let all = edited(volunteer.id, &good, |d| d.put(ROOT, "title", "  ").unwrap());
    let response = volunteer.push(doc, DocKind::Alert, all[1..].to_vec()).await;
    refused(&response, "title");
    assert_eq!(
        server.change_count(coord.group()).await,
        1,
        "only the good change"
    );
    honest_devices_keep_syncing(&server, &coord, &resident).await;
}

#[tokio::test]
async fn a_bare_ack_or_report_document_is_rejected_not_stored() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let ack = bare(resident.id, &[("kind", "ack".into())]);
    let response = resident.push(DocId::random(), DocKind::Ack, ack).await;
    refused(&response, "ack document");
    let report = bare(resident.id, &[("kind", "report".into())]);
    let response = resident
        .push(DocId::random(), DocKind::Report, report)
        .await;
    refused(&response, "drop box");
    // A document without its kind marker cannot be judged, so it is refused too.
    let nothing = bare(resident.id, &[("note", "hello".into())]);
    let response = resident.push(DocId::random(), DocKind::Ack, nothing).await;
    refused(&response, "empty document");
    assert_eq!(server.change_count(coord.group()).await, 0);
    honest_devices_keep_syncing(&server, &coord, &resident).await;
}

#[tokio::test]
async fn a_report_naming_another_member_is_rejected_on_sync_for_every_role() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    for attacker in [&resident, &volunteer, &coord] {
        // A complete, well-formed report that says the volunteer filed it.
        let (doc, changes) = valid_changes(DocKind::Report, attacker.id, 1);
        let named = edited(attacker.id, &changes, |d| {
            d.put(
                ROOT,
                "filed_by",
                ScalarValue::Bytes(volunteer.id.as_bytes().to_vec()),
            )
            .unwrap();
        });
        let response = attacker.push(doc, DocKind::Report, named).await;
        refused(&response, "drop box");
    }
    assert_eq!(
        server.change_count(coord.group()).await,
        0,
        "no report plaintext kept"
    );
    honest_devices_keep_syncing(&server, &coord, &resident).await;
}

#[tokio::test]
async fn an_ack_in_another_members_name_is_rejected_not_stored() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let victim = member(&server, &coord, Role::Resident).await;
    let alert = DocId::random();
    let at = ScalarValue::Timestamp(Timestamp::now().millis());
    let ack_fields = |by: DeviceId| {
        vec![
            ("kind", ScalarValue::from("ack")),
            ("v", ScalarValue::Int(1)),
            ("alert", ScalarValue::Bytes(alert.as_bytes().to_vec())),
            ("by", ScalarValue::Bytes(by.as_bytes().to_vec())),
            ("at", at.clone()),
        ]
    };
    // The victim's acknowledgement, written by the resident.
    let forged = bare(resident.id, &ack_fields(victim.id));
    let id = porchlight_crdt::ack_id(alert, victim.id);
    refused(
        &resident.push(id, DocKind::Ack, forged).await,
        "another device",
    );
    // The resident's own acknowledgement many times over, under made-up ids.
    for _ in 0..3 {
        let extra = bare(resident.id, &ack_fields(resident.id));
        let response = resident.push(DocId::random(), DocKind::Ack, extra).await;
        refused(&response, "its id");
    }
    assert_eq!(server.change_count(coord.group()).await, 0);
    // The real one goes through.
    let own = bare(resident.id, &ack_fields(resident.id));
    let id = porchlight_crdt::ack_id(alert, resident.id);
    assert_eq!(resident.push(id, DocKind::Ack, own).await.accepted, 1);
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_residents_cursor_and_wait_do_not_move_for_patrols() {
    let server = TestServer::start_with(|s| s.max_wait_secs = 2).await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    assert_eq!(coord.push_valid(DocKind::Alert, 1).await.accepted, 1);
    let (_, cursor, _) = resident.pull_all(0).await;

    // Patrols run: the resident can see neither them nor when they happened.
    for _ in 0..3 {
        assert_eq!(volunteer.push_valid(DocKind::Patrol, 2).await.accepted, 2);
    }
    let (pulled, after, _) = resident.pull_all(cursor).await;
    assert!(pulled.is_empty());
    assert_eq!(after, cursor, "the cursor stays where it was");
    let waited = resident
        .client
        .wait(&resident.session, cursor, std::time::Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!((waited.changed, waited.cursor), (false, cursor));

    // The volunteer's cursor did move, and the next alert moves the resident's.
    assert!(volunteer.pull_all(0).await.1 > cursor);
    assert_eq!(coord.push_valid(DocKind::Alert, 1).await.accepted, 1);
    let waited = resident
        .client
        .wait(&resident.session, cursor, std::time::Duration::from_secs(2))
        .await
        .unwrap();
    assert!(waited.changed);
    let (pulled, after, _) = resident.pull_all(cursor).await;
    assert_eq!((pulled.len(), after), (1, waited.cursor));
}

#[tokio::test]
async fn an_alert_anyone_could_have_issued_still_goes_through() {
    // The content check must not refuse what honest devices write: every kind, several changes,
    // and a meeting alert with its place.
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    for kind in DocKind::ALL.into_iter().filter(|k| *k != DocKind::Report) {
        let response = coord.push_valid(kind, 3).await;
        assert!(
            response.rejected.is_empty(),
            "{kind}: {:?}",
            response.rejected
        );
    }
    let mut meeting = new_alert("Community meeting");
    meeting.category = porchlight_model::AlertCategory::Meeting;
    meeting.meeting = Some(porchlight_model::Meeting {
        starts_at: Timestamp::now().plus_millis(86_400_000),
        place: "Library".into(),
    });
    let id = DocId::random();
    let (_, written) = porchlight_crdt::create_alert(id, coord.id, &meeting).unwrap();
    let response = coord.push(id, DocKind::Alert, vec![written.bytes]).await;
    assert_eq!((response.accepted, response.rejected.len()), (1, 0));
}

/// An edit of a document under test.
type Edit = Box<dyn FnOnce(&mut AutoCommit)>;

/// R5's content items (DESIGN §7: expiry before issue, empty or oversized text) through the
/// server: each refused with its reason, nothing stored, honest devices unaffected.
#[tokio::test]
async fn an_alert_expiring_before_it_is_issued_or_with_empty_or_oversized_text_is_rejected_not_stored()
 {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let cases: [(&str, Edit); 3] = [
        (
            "expires",
            Box::new(|d: &mut AutoCommit| {
                d.put(ROOT, "expires_at", ScalarValue::Timestamp(1_000))
                    .unwrap();
            }),
        ),
        (
            "title",
            Box::new(|d: &mut AutoCommit| d.put(ROOT, "title", "   ").unwrap()),
        ),
        (
            "title",
            Box::new(|d: &mut AutoCommit| d.put(ROOT, "title", "x".repeat(10_000)).unwrap()),
        ),
    ];
    for (why, edit) in cases {
        let (doc, good) = valid_changes(DocKind::Alert, volunteer.id, 1);
        let bad = edited(volunteer.id, &good, edit);
        let response = volunteer.push(doc, DocKind::Alert, bad).await;
        refused(&response, why);
        assert_eq!(
            server.change_count(coord.group()).await,
            0,
            "nothing stored"
        );
    }
    honest_devices_keep_syncing(&server, &coord, &resident).await;
}
