//! Storage-level checks of the SQLite backend (migrations, idempotent log, paging).

use porchlight_model::{DeviceId, DocId, DocKind};
use porchlight_protocol::wire::GroupId;

use super::*;
use crate::storage::PushChange;

fn member(n: u8) -> NewMember {
    NewMember {
        device: DeviceId::from_bytes([n; 16]),
        public_key: [n; 32],
        display_name: format!("device {n}"),
        joined_at: 100,
    }
}

async fn storage_with_group() -> (tempfile::TempDir, SqliteStorage, GroupId) {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path().join("server.db")).unwrap();
    let group = GroupId::random();
    storage
        .create_group(group, "Elm Street".into(), member(1))
        .await
        .unwrap();
    (dir, storage, group)
}

fn doc(kind: DocKind, changes: &[&[u8]]) -> PushDoc {
    PushDoc {
        doc: DocId::random(),
        kind,
        changes: changes
            .iter()
            .map(|c| PushChange {
                hash: *blake3::hash(c).as_bytes(),
                bytes: c.to_vec(),
                signature: [7; 64],
            })
            .collect(),
    }
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    drop(SqliteStorage::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute("INSERT INTO schema_version VALUES (99)", [])
        .unwrap();
    assert!(matches!(
        SqliteStorage::open(&path),
        Err(Error::DatabaseTooNew { found: 99, supported })
            if supported as usize == super::MIGRATIONS.len()
    ));
}

#[tokio::test]
async fn reopening_keeps_the_data_and_does_not_rerun_migrations() {
    let (dir, storage, group) = storage_with_group().await;
    storage
        .push(group, member(1).device, vec![doc(DocKind::Alert, &[b"a"])])
        .await
        .unwrap();
    drop(storage);
    let again = SqliteStorage::open(dir.path().join("server.db")).unwrap();
    assert_eq!(again.change_count(group).await.unwrap(), 1);
}

#[tokio::test]
async fn the_log_is_idempotent_and_kinds_are_fixed() {
    let (_dir, s, group) = storage_with_group().await;
    let d = doc(DocKind::Alert, &[b"a", b"b"]);
    let device = member(1).device;
    assert_eq!(
        s.push(group, device, vec![d.clone()]).await.unwrap(),
        [PushOutcome::Stored { new: 2 }]
    );
    assert_eq!(
        s.push(group, device, vec![d.clone()]).await.unwrap(),
        [PushOutcome::Stored { new: 0 }]
    );
    assert_eq!(s.latest_seq(group).await.unwrap(), 2);

    let mut other_kind = d;
    other_kind.kind = DocKind::Report;
    assert_eq!(
        s.push(group, device, vec![other_kind]).await.unwrap(),
        [PushOutcome::KindConflict {
            existing: DocKind::Alert
        }]
    );
    assert_eq!(s.change_count(group).await.unwrap(), 2);
}

#[tokio::test]
async fn pull_pages_by_count_and_bytes_and_skips_unreadable_kinds() {
    let (_dir, s, group) = storage_with_group().await;
    let device = member(1).device;
    let big = vec![7u8; 100];
    s.push(group, device, vec![doc(DocKind::Report, &[b"secret"])])
        .await
        .unwrap();
    s.push(
        group,
        device,
        vec![doc(DocKind::Alert, &[b"1", b"2", &big, &big[1..], b"3"])],
    )
    .await
    .unwrap();

    let limits = PageLimits {
        max_changes: 2,
        max_bytes: 150,
    };
    let page = s
        .pull(group, 0, vec![DocKind::Alert], limits)
        .await
        .unwrap();
    assert_eq!(
        page.changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(page.more);
    // The two ~100-byte changes do not fit under 150 bytes together.
    let page = s
        .pull(group, page.cursor, vec![DocKind::Alert], limits)
        .await
        .unwrap();
    assert_eq!(page.changes.iter().map(|c| c.seq).collect::<Vec<_>>(), [4]);
    assert!(page.more);
    let page = s
        .pull(group, page.cursor, vec![DocKind::Alert], limits)
        .await
        .unwrap();
    assert_eq!(
        page.changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [5, 6]
    );
    assert_eq!((page.cursor, page.more), (6, false));

    // A role that reads nothing, or only reports, gets a cursor that moves only with what it
    // may read.
    let none = s.pull(group, 0, vec![], limits).await.unwrap();
    assert_eq!((none.changes.len(), none.cursor, none.more), (0, 0, false));
    let reports = s
        .pull(group, 1, vec![DocKind::Report], limits)
        .await
        .unwrap();
    assert_eq!((reports.changes.len(), reports.cursor), (0, 1));
    assert_eq!(
        s.latest_seq_of(group, vec![DocKind::Report]).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn the_last_coordinator_cannot_be_revoked() {
    let (_dir, s, group) = storage_with_group().await;
    let r = s.revoke(group, member(1).device, 200).await;
    assert!(matches!(r, Err(Error::Conflict(_))));
    let unknown = s.revoke(group, member(9).device, 200).await;
    assert!(matches!(unknown, Err(Error::NotFound(_))));
}

fn keep(today: i64, days: i64) -> Retention {
    Retention {
        today,
        keep_from: today - days,
    }
}

#[tokio::test]
async fn drops_number_per_group_page_and_expire() {
    let (_dir, s, group) = storage_with_group().await;
    for n in 1..=5u8 {
        assert_eq!(
            s.add_drop(group, vec![n], vec![n; 10 * usize::from(n)], keep(100, 90))
                .await
                .unwrap(),
            u64::from(n)
        );
    }
    let limits = PageLimits {
        max_changes: 2,
        max_bytes: 1000,
    };
    let page = s.drops(group, 0, limits).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!((page.cursor, page.more), (2, true));
    // Byte-limited: 30 + 40 bytes do not fit under 60, but one drop always does.
    let tight = PageLimits {
        max_changes: 10,
        max_bytes: 60,
    };
    let page = s.drops(group, 2, tight).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [3]);
    assert!(page.more);
    let page = s.drops(group, 4, tight).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [5]);
    assert_eq!((page.cursor, page.more), (5, false));

    // 91 days on, every earlier drop is gone and numbering carries on.
    assert_eq!(
        s.add_drop(group, vec![9], vec![9], keep(191, 90))
            .await
            .unwrap(),
        6
    );
    assert_eq!(s.drop_count(group).await.unwrap(), 1);
    let page = s.drops(group, 0, limits).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [6]);
}

#[tokio::test]
async fn a_drop_to_an_unknown_group_changes_nothing() {
    let (_dir, s, group) = storage_with_group().await;
    s.add_drop(group, vec![1], vec![1], keep(100, 90))
        .await
        .unwrap();
    let r = s
        .add_drop(GroupId::random(), vec![2], vec![2], keep(500, 90))
        .await;
    assert!(matches!(r, Err(Error::UnknownGroup)));
    // Not even the retention sweep of that attempt happened.
    assert_eq!(s.drop_count(group).await.unwrap(), 1);
}

#[tokio::test]
async fn a_spent_token_is_refused_and_stores_nothing() {
    let (_dir, s, group) = storage_with_group().await;
    s.add_drop(group, vec![1; 32], vec![1], keep(100, 90))
        .await
        .unwrap();
    let again = s.add_drop(group, vec![1; 32], vec![2], keep(100, 90)).await;
    assert!(matches!(again, Err(Error::DropTokenSpent)));
    assert_eq!(s.drop_count(group).await.unwrap(), 1);
    // Spent lists are per group: the same message in another group is its own token.
    let other = GroupId::random();
    s.create_group(other, "Oak Lane".into(), member(2))
        .await
        .unwrap();
    s.add_drop(other, vec![1; 32], vec![3], keep(100, 90))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_first_token_key_stored_wins_and_allowances_count_per_member_and_day() {
    let (_dir, s, group) = storage_with_group().await;
    assert_eq!(s.token_key(group).await.unwrap(), None);
    let first = TokenKeyRecord {
        secret_der: vec![1],
        public_der: vec![2],
    };
    let second = TokenKeyRecord {
        secret_der: vec![3],
        public_der: vec![4],
    };
    assert_eq!(s.put_token_key(group, first.clone()).await.unwrap(), first);
    assert_eq!(s.put_token_key(group, second).await.unwrap(), first);
    assert!(matches!(
        s.put_token_key(GroupId::random(), first.clone()).await,
        Err(Error::UnknownGroup)
    ));
    let (a, b) = (DeviceId::from_bytes([1; 16]), DeviceId::from_bytes([2; 16]));
    assert_eq!(
        s.take_token_allowance(group, a, 10, 4, 5).await.unwrap(),
        (4, 1)
    );
    assert_eq!(
        s.take_token_allowance(group, a, 10, 4, 5).await.unwrap(),
        (1, 0)
    );
    assert_eq!(
        s.take_token_allowance(group, a, 10, 4, 5).await.unwrap(),
        (0, 0)
    );
    assert_eq!(
        s.take_token_allowance(group, b, 10, 0, 5).await.unwrap(),
        (0, 5)
    );
    assert_eq!(
        s.take_token_allowance(group, a, 11, 2, 5).await.unwrap(),
        (2, 3)
    );
}

#[tokio::test]
async fn blobs_are_stored_once_with_a_fixed_kind() {
    let (_dir, s, group) = storage_with_group().await;
    let hash = *blake3::hash(b"photo").as_bytes();
    let keeping = BlobKeeping {
        retention: keep(100, 90),
        quota: 1 << 20,
    };
    let put = |kind| s.put_blob(group, hash, kind, b"photo".to_vec(), keeping);
    assert_eq!(
        put(DocKind::Patrol).await.unwrap(),
        BlobOutcome::Stored { new: true }
    );
    assert_eq!(
        put(DocKind::Patrol).await.unwrap(),
        BlobOutcome::Stored { new: false }
    );
    assert_eq!(
        put(DocKind::Alert).await.unwrap(),
        BlobOutcome::KindConflict {
            existing: DocKind::Patrol
        }
    );
    let blob = s.blob(group, hash).await.unwrap().unwrap();
    assert_eq!(
        (blob.kind, blob.bytes.as_slice()),
        (DocKind::Patrol, &b"photo"[..])
    );
    assert_eq!(s.blob_count(group).await.unwrap(), 1);
    assert_eq!(s.blob(GroupId::random(), hash).await.unwrap(), None);
}

#[tokio::test]
async fn replies_are_replaced_within_their_group_and_expire() {
    let (_dir, s, group) = storage_with_group().await;
    let other = GroupId::random();
    s.create_group(other, "Oak Lane".into(), member(2))
        .await
        .unwrap();
    let id = [7u8; 16];
    s.put_reply(id, group, b"one".to_vec(), keep(100, 90))
        .await
        .unwrap();
    s.put_reply(id, group, b"two".to_vec(), keep(100, 90))
        .await
        .unwrap();
    assert_eq!(
        s.reply(group, id).await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    // Another group's reply under the same id is its own: it neither fails nor overwrites.
    s.put_reply(id, other, b"mine".to_vec(), keep(100, 90))
        .await
        .unwrap();
    assert_eq!(
        s.reply(group, id).await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert_eq!(
        s.reply(other, id).await.unwrap().as_deref(),
        Some(&b"mine"[..])
    );
    let unknown = s
        .put_reply([8; 16], GroupId::random(), b"x".to_vec(), keep(100, 90))
        .await;
    assert!(matches!(unknown, Err(Error::UnknownGroup)));
    assert_eq!(s.reply(group, [8; 16]).await.unwrap(), None);

    s.put_reply([9; 16], group, b"later".to_vec(), keep(191, 90))
        .await
        .unwrap();
    assert_eq!(s.reply(group, id).await.unwrap(), None);
}
