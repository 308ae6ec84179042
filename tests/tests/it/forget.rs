//! "Delete my reports from this device": someone who later holds the phone finds no trace of
//! what was reported — not in the app, and not in the bytes of its database files. Envelopes
//! that have not left yet are not thrown away without being asked.

use crate::common;

use std::path::Path;

use common::{Server, coordinator, device_with, join_as};
use porchlight_core::{Config, CoreError};
use porchlight_model::{Category, LocationPrecision, NewReport, Role, Timestamp};

const PHRASE: &str = "Blue cargo bike ZQX-4471 taken from the shed behind number 12";

fn quick() -> Config {
    Config {
        drop_delay_max_secs: 0,
        ..Config::default()
    }
}

/// Whether any file under `dir` (the database, its WAL, anything) contains `needle`.
fn anywhere_in(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        if path.is_dir() {
            return anywhere_in(&path, needle);
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_my_reports_leaves_no_trace_on_the_device() {
    let server = Server::start().await;
    let carmen = coordinator(&server).await;
    let rita = join_as(
        &server.url,
        &carmen.core,
        Role::Resident,
        device_with("Rita", quick()),
    )
    .await;
    carmen.core.sync_once().await.unwrap();
    rita.core.sync_once().await.unwrap();

    let photo = rita.core.add_photo(&common::png()).unwrap();
    let jpeg = rita.core.photo(&photo.hash).unwrap().unwrap();
    let filed = rita
        .core
        .file_report(
            &NewReport {
                category: Category::Theft,
                description: PHRASE.into(),
                occurred_at: Timestamp::now(),
                location: None,
                precision: LocationPrecision::Exact,
                photos: vec![photo.hash.clone()],
                person: None,
            },
            true,
        )
        .unwrap();

    // Not sent yet: deleting would lose the report, so the app asks first and changes nothing.
    let refused = rita.core.forget_my_reports(false);
    assert!(
        matches!(refused, Err(CoreError::UnsentReports { count }) if count > 0),
        "{refused:?}"
    );
    assert_eq!(rita.core.receipts().unwrap().len(), 1);

    while rita.core.send_due_drops().await.unwrap() > 0 {}
    rita.core.check_one_receipt().await.unwrap();
    // The control: the scan finds the words and the picture while the receipt is there.
    let dir = rita.dir.path();
    assert!(anywhere_in(dir, PHRASE.as_bytes()));
    let slice = &jpeg[jpeg.len() / 2..jpeg.len() / 2 + 48];
    assert!(anywhere_in(dir, slice));

    let gone = rita.core.forget_my_reports(false).unwrap();
    assert_eq!((gone.receipts, gone.photos, gone.unsent), (1, 1, 0));
    assert!(rita.core.receipts().unwrap().is_empty());
    assert_eq!(rita.core.photo(&photo.hash).unwrap(), None);
    assert!(
        !anywhere_in(dir, PHRASE.as_bytes()),
        "the words are still in a file"
    );
    assert!(!anywhere_in(dir, slice), "the picture is still in a file");

    // The report itself reached the coordinator and stays there.
    carmen.core.sync_once().await.unwrap();
    assert!(carmen.core.report(filed.report).is_ok());
    server.stop().await;
}
