//! The read pool on a real SQLite file: reads answer while the writer holds a long transaction.

use std::sync::mpsc;

use porchlight_crdt::{create_alert, create_group, set_due_hours, set_member};
use porchlight_model::{
    AlertCategory, Area, DeviceId, DocId, DocKind, NewAlert, Point, Priority, Role, Severity,
    Timestamp,
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

#[test]
fn a_reader_sees_a_members_new_role_at_once_though_it_keeps_the_group_between_reads() {
    // Every command checks the caller's role from the group; readers keep the parsed group
    // between calls. A coordinator who lowers a member's role must not have that member keep
    // the old role on any reader, however many times it was read before.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut writer = Store::open(&path).unwrap().with_actor(ME);
    let volunteer = DeviceId::from_bytes([8; 16]);
    let at = Timestamp::from_millis(1_780_000_000_000);
    let group = writer
        .create(
            |_| create_group(DocId::random(), "Elm", ME, "Ana", None, at),
            |_, _| Ok(()),
        )
        .unwrap()
        .id();
    let set_role = |writer: &mut Store, role: Role| {
        writer
            .update(
                group,
                DocKind::Group,
                |d| set_member(d, volunteer, "Bo", role, at),
                |_, _| Ok(()),
            )
            .unwrap();
    };
    let role_of = |readers: &Readers| -> Option<Role> {
        readers
            .get()
            .group()
            .unwrap()
            .and_then(|g| g.members.into_iter().find(|m| m.device == volunteer))
            .map(|m| m.role)
    };
    set_role(&mut writer, Role::Volunteer);
    let readers = Readers::open(&path, 1).unwrap();
    for _ in 0..3 {
        assert_eq!(role_of(&readers), Some(Role::Volunteer));
    }
    set_role(&mut writer, Role::Resident);
    assert_eq!(role_of(&readers), Some(Role::Resident));
    // An unrelated commit also makes the reader read the group again, which is still right.
    writer.set_state("patrol", Some("x")).unwrap();
    assert_eq!(role_of(&readers), Some(Role::Resident));
    assert_eq!(writer.group().unwrap(), readers.get().group().unwrap());

    // The overdue times are kept with the cached group: a change shows on the next read too.
    let before = readers.get().due_hours().unwrap();
    writer
        .update(
            group,
            DocKind::Group,
            |d| set_due_hours(d, Priority::Urgent, before.urgent + 5, at),
            |_, _| Ok(()),
        )
        .unwrap();
    let after = readers.get().due_hours().unwrap();
    assert_eq!(after.urgent, before.urgent + 5);
    assert_eq!(after, writer.due_hours().unwrap());
}

#[test]
fn a_snapshot_reads_one_state_though_the_writer_commits_in_between() {
    // A list call checks the caller's role and reads its page in one snapshot: a commit that
    // lands between the two must not be half-seen (a role from before, a page from after).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut writer = Store::open(&path).unwrap().with_actor(ME);
    writer.set_state("patrol", Some("before")).unwrap();
    let readers = Readers::open(&path, 1).unwrap();
    let reader = readers.get();
    let (first, second) = reader
        .in_snapshot(|r| {
            let first = r.state("patrol")?;
            writer.set_state("patrol", Some("after"))?;
            writer
                .create(
                    |_| create_alert(DocId::random(), ME, &alert("Mid-snapshot")),
                    |_, _| Ok(()),
                )
                .unwrap();
            let second = r.state("patrol")?;
            assert!(r.alerts(&AlertQuery::default())?.is_empty());
            Ok::<_, porchlight_store::StoreError>((first, second))
        })
        .unwrap();
    assert_eq!(first.as_deref(), Some("before"));
    assert_eq!(second.as_deref(), Some("before"));
    // Once the snapshot ends, the same reader sees the commits.
    assert_eq!(reader.state("patrol").unwrap().as_deref(), Some("after"));
    assert_eq!(reader.alerts(&AlertQuery::default()).unwrap().len(), 1);
}
