//! Every role × every document kind × read and write: exactly the cells of the model's role
//! table succeed.

use crate::common;

use common::{TestServer, coordinator, member, valid_changes};
use porchlight_model::{DocKind, Role};

#[tokio::test]
async fn the_role_matrix_is_enforced_for_push_and_pull() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let resident = member(&server, &coord, Role::Resident).await;
    let devices = [
        (Role::Coordinator, &coord),
        (Role::Volunteer, &volunteer),
        (Role::Resident, &resident),
    ];

    // Write: each role pushes one change to a fresh document of each kind.
    let mut stored = 0;
    for (role, device) in devices {
        for kind in DocKind::ALL {
            let response = device.push_valid(kind, 1).await;
            // Reports never travel through the change log, whatever the role table says.
            if role.can_write(kind) && kind != DocKind::Report {
                assert_eq!(
                    (response.accepted, response.rejected.len()),
                    (1, 0),
                    "{role} write {kind}"
                );
                stored += 1;
            } else {
                assert_eq!(
                    (response.accepted, response.rejected.len()),
                    (0, 1),
                    "{role} write {kind}"
                );
                let reason = &response.rejected[0].reason;
                assert!(
                    kind == DocKind::Report
                        || (reason.contains(role.as_str()) && reason.contains(kind.as_str())),
                    "{reason}"
                );
            }
        }
    }
    assert_eq!(
        server.change_count(coord.group()).await,
        stored,
        "refused pushes store nothing"
    );

    // Read: the coordinator writes one document of each kind; each role pulls everything.
    let mut by_kind = Vec::new();
    for kind in DocKind::ALL.into_iter().filter(|k| *k != DocKind::Report) {
        let (doc, changes) = valid_changes(kind, coord.id, 1);
        coord.push(doc, kind, changes).await;
        by_kind.push((kind, doc));
    }
    for (role, device) in devices {
        let (pulled, _, _) = device.pull_all(0).await;
        for (kind, doc) in &by_kind {
            let seen = pulled.iter().any(|d| d.doc == *doc);
            assert_eq!(seen, role.can_read(*kind), "{role} read {kind}");
        }
        assert!(
            pulled.iter().all(|d| role.can_read(d.kind)),
            "{role} got a kind it may not read"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_document_keeps_its_first_kind() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let (doc, all) = valid_changes(DocKind::Alert, coord.id, 2);
    coord.push(doc, DocKind::Alert, vec![all[0].clone()]).await;
    // Relabelling a document could otherwise move it into a kind other roles may read.
    let response = coord.push(doc, DocKind::Group, vec![all[1].clone()]).await;
    assert_eq!(response.accepted, 0);
    assert!(
        response.rejected[0].reason.contains("alert document"),
        "{:?}",
        response.rejected
    );
    assert_eq!(server.change_count(coord.group()).await, 1);
}
