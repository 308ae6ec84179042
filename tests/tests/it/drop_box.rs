//! The drop box against spam and against what sizes tell, end to end through a real server on
//! loopback: junk without tokens is refused while members keep filing, envelopes are the same
//! size whatever roster the sender had, a refused reply does not hold up the others, and a person
//! who is not a member files with a printed token code.

use crate::common;

use common::{Device, Server, device_with, join_as};
use porchlight_core::{Config, Core, CoreError};
use porchlight_model::{Category, LocationPrecision, NewReport, Role, Timestamp, TriageStatus};
use porchlight_sync::AnonymousClient;
use porchlight_sync::wire::{DROP_SIZE_CLASSES, DropRequest};

fn quick() -> Config {
    Config {
        drop_delay_max_secs: 0,
        ..Config::default()
    }
}

fn report(text: &str) -> NewReport {
    NewReport {
        category: Category::Theft,
        description: text.into(),
        occurred_at: Timestamp::now(),
        location: None,
        precision: LocationPrecision::Exact,
        photos: vec![],
        person: None,
    }
}

async fn send_all(core: &Core) -> usize {
    let mut sent = 0;
    while core.send_due_drops().await.unwrap() > 0 {
        sent += 1;
    }
    sent
}

/// A group with Carmen coordinating and Rita, a resident who has synced once (so she holds
/// drop tokens and knows the coordinators' sealing keys).
async fn group(server: &Server) -> (Device, Device) {
    let carmen = device_with("Carmen", quick());
    carmen
        .core
        .create_group_on(
            &server.url,
            "Elm Street Watch",
            Some(common::CREATION_TOKEN),
        )
        .await
        .unwrap();
    let rita = join_as(
        &server.url,
        &carmen.core,
        Role::Resident,
        device_with("Rita", quick()),
    )
    .await;
    carmen.core.sync_once().await.unwrap();
    rita.core.sync_once().await.unwrap();
    (carmen, rita)
}

fn server_rows(server: &Server, sql: &str) -> Vec<i64> {
    let db = rusqlite::Connection::open(server.dir.path().join("server.db")).unwrap();
    let mut stmt = db.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_drops_are_refused_while_honest_members_keep_filing() {
    let server = Server::start().await;
    let (carmen, rita) = group(&server).await;
    let group_id = common::group_of(&carmen.core);
    // An outsider who knows the group id floods the drop box with 64 KiB of junk per request.
    for seed in 0..70u8 {
        let junk = DropRequest {
            group: group_id,
            sealed: vec![seed; DROP_SIZE_CLASSES[2]],
            token: None,
        };
        let refused = AnonymousClient::drop(&server.url, &junk).await;
        assert!(
            matches!(&refused, Err(porchlight_sync::Error::Http { status: 403, kind, .. }) if kind == "drop_token_missing"),
            "{refused:?}"
        );
    }
    assert_eq!(
        server_rows(&server, "SELECT count(*) FROM drops"),
        [0],
        "nothing stored"
    );
    // From the same address, Rita's reports still go through, and Carmen reads them.
    for text in ["Bike taken from the rack", "Shed door forced"] {
        rita.core.file_report(&report(text), true).unwrap();
    }
    assert_eq!(send_all(&rita.core).await, 2);
    carmen.core.sync_once().await.unwrap();
    let mut seen: Vec<String> = carmen
        .core
        .reports(None)
        .unwrap()
        .into_iter()
        .map(|e| e.report.description)
        .collect();
    seen.sort();
    assert_eq!(seen, ["Bike taken from the rack", "Shed door forced"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envelopes_are_the_same_size_whatever_roster_the_sender_had() {
    let server = Server::start().await;
    let (carmen, rita) = group(&server).await;
    // Sealed while the group had one coordinator...
    let first = rita
        .core
        .file_report(&report("Sealed for one"), true)
        .unwrap();
    assert_eq!(send_all(&rita.core).await, 1);
    // ...and after two more joined and Rita learned their keys.
    let mut others = Vec::new();
    for name in ["Cora", "Cosme"] {
        let d = join_as(
            &server.url,
            &carmen.core,
            Role::Coordinator,
            device_with(name, quick()),
        )
        .await;
        d.core.sync_once().await.unwrap();
        others.push(d);
    }
    carmen.core.sync_once().await.unwrap();
    rita.core.sync_once().await.unwrap();
    let second = rita
        .core
        .file_report(&report("Sealed for three"), true)
        .unwrap();
    assert_eq!(send_all(&rita.core).await, 1);

    let sizes = server_rows(&server, "SELECT length(sealed) FROM drops ORDER BY seq");
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[0], sizes[1], "the size says nothing about the roster");
    // The rosters really differed: a new coordinator reads the second report only.
    let cora = &others[0];
    cora.core.sync_once().await.unwrap();
    assert!(cora.core.report(second.report).is_ok());
    assert!(cora.core.report(first.report).is_err());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_reply_is_skipped_and_the_rest_are_published() {
    let server = Server::start().await;
    let (carmen, rita) = group(&server).await;
    let receipt = rita.core.file_report(&report("Fence cut"), true).unwrap();
    assert_eq!(send_all(&rita.core).await, 1);
    carmen.core.sync_once().await.unwrap();
    // A reply that can never be published (over the size limit), queued ahead of the real one.
    let db = rusqlite::Connection::open(carmen.dir.path().join("porchlight.db")).unwrap();
    db.execute(
        "INSERT INTO reply_queue (reply_id, sealed) VALUES (?1, ?2)",
        rusqlite::params!["00000000000000000000000000000000", vec![0u8; 64 << 10]],
    )
    .unwrap();
    carmen
        .core
        .triage(receipt.report, TriageStatus::InReview, Some("On it"), true)
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    let left: i64 = db
        .query_row("SELECT count(*) FROM reply_queue", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        left, 0,
        "the refused reply was dropped, the real one published"
    );
    assert_eq!(rita.core.refresh_receipts().await.unwrap(), 1);
    assert_eq!(
        rita.core.receipts().unwrap()[0].status.as_deref(),
        Some("in_review")
    );
    // A second status goes under the next rotating id, and Rita finds it too.
    carmen
        .core
        .triage_with_outcome(
            receipt.report,
            TriageStatus::Closed,
            Some(porchlight_model::CaseOutcome::Resolved),
            None,
            true,
        )
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    assert!(rita.core.check_one_receipt().await.unwrap());
    assert_eq!(
        rita.core.receipts().unwrap()[0].status.as_deref(),
        Some("closed")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_member_files_once_with_a_printed_token_code() {
    let server = Server::start().await;
    let (carmen, rita) = group(&server).await;
    let codes = carmen.core.token_sheet(2).await.unwrap();
    assert_eq!(codes.len(), 2);
    // Residents cannot print sheets.
    assert!(matches!(
        rita.core.token_sheet(1).await,
        Err(CoreError::NotAllowed { .. })
    ));
    let id = Core::file_with_token_code(&codes[0], &report("Seen from the bus stop"))
        .await
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    let entry = carmen.core.report(id).unwrap();
    assert_eq!(entry.report.filed_by, None);
    assert_eq!(entry.report.description, "Seen from the bus stop");
    // Each code works once.
    let again = Core::file_with_token_code(&codes[0], &report("Again")).await;
    assert!(
        matches!(
            &again,
            Err(CoreError::Sync(porchlight_sync::Error::Http {
                status: 409,
                ..
            }))
        ),
        "{again:?}"
    );
    assert!(matches!(
        Core::file_with_token_code("not a code", &report("x")).await,
        Err(CoreError::Sync(porchlight_sync::Error::InvalidField { .. }))
    ));
    server.stop().await;
}
