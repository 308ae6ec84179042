//! The read pool on a real SQLite file: reads answer while the writer holds a long transaction.

use std::sync::mpsc;

use porchlight_crdt::create_alert;
use porchlight_model::{
    AlertCategory, Area, DeviceId, DocId, NewAlert, Point, Severity, Timestamp,
};
use porchlight_store::{AlertQuery, Readers, Store};

const ME: DeviceId = DeviceId::from_bytes([7; 16]);

fn alert(title: &str) -> NewAlert {
    NewAlert {
        title: title.into(),
        body: "details".into(),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: Area::circle(Point::new(40.0, -3.0), 200.0),
        issued_at: Timestamp::from_millis(1_780_000_000_000),
        expires_at: Some(Timestamp::from_millis(1_790_000_000_000)),
        meeting: None,
        person: None,
    }
}

#[test]
fn readers_answer_while_the_writer_holds_a_long_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut writer = Store::open(&path).unwrap().with_actor(ME);
    writer
        .create(
            |_| create_alert(DocId::random(), ME, &alert("Committed")),
            |_, _| Ok(()),
        )
        .unwrap();
    writer.set_state("patrol", Some("before")).unwrap();
    let readers = Readers::open(&path, 2).unwrap();

    let (inside_tx, inside) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let writing = std::thread::spawn(move || {
        writer
            .with_transaction(|tx| {
                porchlight_store::set_state_in(tx, "patrol", Some("during"))?;
                inside_tx.send(()).unwrap();
                // Holds the write transaction open until the reads below are done. Should a
                // read wait for this writer, the test never reaches `release` and hangs
                // (the harness then fails it), rather than passing.
                release.recv().unwrap();
                Ok(())
            })
            .unwrap();
        writer
    });
    inside.recv().unwrap();

    {
        let reader = readers.get();
        let alerts = reader.alerts(&AlertQuery::default()).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].title, "Committed");
        // The open transaction is invisible: a reader sees the last committed state.
        assert_eq!(reader.state("patrol").unwrap().as_deref(), Some("before"));
        // Both readers can be out at once.
        let second = readers.get();
        assert_eq!(second.state("patrol").unwrap().as_deref(), Some("before"));
    }

    release_tx.send(()).unwrap();
    let _writer = writing.join().unwrap();
    // Once committed, the next read sees it.
    assert_eq!(
        readers.get().state("patrol").unwrap().as_deref(),
        Some("during")
    );
}
