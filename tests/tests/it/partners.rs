//! Only coordinators change the group's partner directory: it lives in the group document, a
//! kind only coordinators may write. A volunteer who writes a partner into it by hand, as his
//! own device and with his own key, is refused by the server; when the server's operator
//! stores the change anyway, the coordinator's device and another member's device refuse it
//! again on arrival, and nobody's directory shows it.

use crate::common;

use common::{Server, append_to_log, coordinator, device_key, group_of, join, settle};
use porchlight_crdt::{Doc, new_partner_id, set_partner};
use porchlight_model::{
    ChannelKind, ContactChannel, DocKind, NewPartner, PartnerKind, Role, Timestamp,
};
use porchlight_sync::{Connect, HttpConnect, ServerAddr, SignedChange, SyncRequest, wire};

fn fake_liaison() -> NewPartner {
    NewPartner {
        kind: PartnerKind::PoliceLiaison,
        name: "Police liaison (new number)".into(),
        organisation: String::new(),
        channels: vec![ContactChannel {
            kind: ChannelKind::Phone,
            value: "+1 555 0199".into(),
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_writing_a_partner_is_rejected_not_panicking() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let vic = join(&server, &carmen.core, Role::Volunteer, "Vic").await;
    let rita = join(&server, &carmen.core, Role::Resident, "Rita").await;
    let school = carmen
        .core
        .add_partner(&NewPartner {
            kind: PartnerKind::School,
            name: "Lincoln Elementary".into(),
            organisation: String::new(),
            channels: vec![],
        })
        .unwrap();
    settle(&[&carmen.core, &vic.core, &rita.core]).await;
    // Every member's device holds the directory.
    assert_eq!(vic.core.partners().unwrap(), vec![school.clone()]);
    assert_eq!(rita.core.partners().unwrap(), vec![school.clone()]);

    // Vic's own app refuses at once.
    assert!(matches!(
        vic.core.add_partner(&fake_liaison()),
        Err(porchlight_core::CoreError::NotAllowed {
            role: Role::Volunteer,
            ..
        })
    ));

    // So Vic writes the group document by hand, as his own device: a "police liaison" whose
    // number is his, which coordinators might then forward reports to.
    let group_doc = vic.core.group().unwrap().unwrap().id;
    let me = vic.core.device();
    let held: Vec<Vec<u8>> = vic
        .core
        .all_changes()
        .unwrap()
        .into_iter()
        .find(|d| d.doc == group_doc)
        .unwrap()
        .changes;
    let mut doc = Doc::empty(group_doc, DocKind::Group, me.as_bytes());
    doc.apply_remote(&held).unwrap();
    set_partner(
        &mut doc,
        &new_partner_id(),
        &fake_liaison(),
        Timestamp::now(),
    )
    .unwrap();
    let group = group_of(&carmen.core);
    let key = device_key(&vic);
    let signed: Vec<(SignedChange, [u8; 32])> = doc
        .all_changes()
        .into_iter()
        .filter(|c| !held.contains(c))
        .map(|bytes| {
            let hash = porchlight_crdt::parse_change(&bytes).unwrap().hash().0;
            (
                SignedChange::sign(&key, &group, group_doc, DocKind::Group, &hash, bytes),
                hash,
            )
        })
        .collect();
    assert_eq!(signed.len(), 1, "one change: the partner");

    // Through the real server: refused, nothing stored.
    let remote = HttpConnect
        .remote(
            &ServerAddr {
                url: server.url.clone(),
                pin: None,
            },
            group,
            &key,
        )
        .unwrap();
    let response = remote
        .sync(&SyncRequest {
            cursor: 0,
            push: vec![wire::DocChanges::new(
                group_doc,
                DocKind::Group,
                signed.iter().map(|(c, _)| c.clone()),
            )],
        })
        .await
        .unwrap();
    assert_eq!(response.accepted, 0);
    assert_eq!(response.rejected.len(), 1);
    assert!(
        response.rejected[0].reason.contains("volunteer")
            && response.rejected[0].reason.contains("group"),
        "{:?}",
        response.rejected
    );

    // The operator stores Vic's genuine, signed change anyway. Carmen's and Rita's devices
    // refuse it.
    for (change, hash) in &signed {
        append_to_log(&server, group, group_doc, DocKind::Group, me, hash, change);
    }
    for who in [&carmen, &rita] {
        let sync = who.core.sync_once().await.unwrap();
        assert_eq!(
            sync.rejected
                .iter()
                .filter(|r| r.contains("volunteer") && r.contains("group"))
                .count(),
            1,
            "{:?}",
            sync.rejected
        );
        assert_eq!(
            who.core.partners().unwrap(),
            vec![school.clone()],
            "the directory is as Carmen left it"
        );
    }
    server.stop().await;
}
