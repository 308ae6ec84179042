//! One storage conformance suite, run against every backend: each story below runs once on a
//! fresh SQLite file and once on a fresh PostgreSQL database (of this process's throwaway
//! cluster, see `common/pg.rs`). A backend passes when it tells every story the same way.

use crate::common;

use std::time::Duration;

use porchlight_model::{DeviceId, DocId, DocKind, Role};
use porchlight_protocol::SignedInvite;
use porchlight_server::{
    BlobKeeping, BlobOutcome, Error, NewInvite, NewMember, PageLimits, PgStorage, PushChange,
    PushDoc, PushOutcome, Retention, SqliteStorage, Storage, TokenKeyRecord,
};
use porchlight_sync::wire::GroupId;

/// Runs `story` on a fresh database of each backend, as two tests.
macro_rules! on_every_backend {
    ($($story:ident),* $(,)?) => {$(
        mod $story {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let s = super::SqliteStorage::open(dir.path().join("server.db")).unwrap();
                super::$story(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let url = super::common::pg::fresh_database().await;
                let s = super::PgStorage::connect(&url).await.unwrap();
                super::$story(s).await;
            }
        }
    )*};
}
pub(crate) use on_every_backend;

on_every_backend!(
    the_log_is_idempotent_and_kinds_are_fixed,
    pull_pages_by_count_and_bytes_and_skips_unreadable_kinds,
    paging_edges,
    a_push_wakes_the_groups_waiters_only,
    members_invites_and_sessions,
    challenges_are_single_use,
    the_last_coordinator_cannot_be_revoked,
    drops_number_per_group_page_and_expire,
    a_drop_to_an_unknown_group_changes_nothing,
    a_spent_token_is_refused_and_stores_nothing,
    token_keys_and_allowances,
    blobs_are_stored_once_with_a_fixed_kind_within_the_quota,
    blobs_expire_unless_uploaded_again,
    replies_are_replaced_within_their_group_and_expire,
    the_backend_answers_its_health_check,
);

pub(crate) fn member(n: u8) -> NewMember {
    NewMember {
        device: DeviceId::from_bytes([n; 16]),
        public_key: [n; 32],
        display_name: format!("device {n}"),
        joined_at: 100,
    }
}

pub(crate) async fn with_group<S: Storage>(s: &S) -> GroupId {
    let group = GroupId::random();
    s.create_group(group, "Elm Street".into(), member(1))
        .await
        .unwrap();
    group
}

pub(crate) fn doc(kind: DocKind, changes: &[&[u8]]) -> PushDoc {
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

fn seqs(page: &porchlight_server::Page) -> Vec<u64> {
    page.changes.iter().map(|c| c.seq).collect()
}

fn keep(today: i64, days: i64) -> Retention {
    Retention {
        today,
        keep_from: today - days,
    }
}

async fn the_log_is_idempotent_and_kinds_are_fixed<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let d = doc(DocKind::Alert, &[b"a", b"b"]);
    let device = member(1).device;
    assert_eq!(s.latest_seq(group).await.unwrap(), 0);
    assert_eq!(
        s.push(group, device, vec![d.clone()]).await.unwrap(),
        [PushOutcome::Stored { new: 2 }]
    );
    assert_eq!(
        s.push(group, device, vec![d.clone()]).await.unwrap(),
        [PushOutcome::Stored { new: 0 }]
    );
    assert_eq!(s.latest_seq(group).await.unwrap(), 2);

    let mut other_kind = d.clone();
    other_kind.kind = DocKind::Report;
    assert_eq!(
        s.push(group, device, vec![other_kind]).await.unwrap(),
        [PushOutcome::KindConflict {
            existing: DocKind::Alert
        }]
    );
    assert_eq!(s.change_count(group).await.unwrap(), 2);
    let stored = s.doc_changes(group, d.doc).await.unwrap().unwrap();
    assert_eq!(stored.kind, DocKind::Alert);
    assert_eq!(stored.changes, [b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(stored.snapshot, None);
    assert_eq!(s.doc_changes(group, DocId::random()).await.unwrap(), None);
    // Pulled changes carry their signatures.
    let page = s
        .pull(group, 0, vec![DocKind::Alert], limits(10, 1000))
        .await
        .unwrap();
    assert!(page.changes.iter().all(|c| c.signature == [7; 64]));
    // Another group's log is its own, numbered from 1.
    let other = GroupId::random();
    s.create_group(other, "Oak Lane".into(), member(2))
        .await
        .unwrap();
    s.push(other, member(2).device, vec![doc(DocKind::Alert, &[b"c"])])
        .await
        .unwrap();
    assert_eq!(s.latest_seq(other).await.unwrap(), 1);
    assert_eq!(s.change_count(group).await.unwrap(), 2);
    // A push to a group that does not exist stores nothing.
    assert!(
        s.push(
            GroupId::random(),
            device,
            vec![doc(DocKind::Alert, &[b"d"])]
        )
        .await
        .is_err()
    );
}

pub(crate) fn limits(max_changes: usize, max_bytes: usize) -> PageLimits {
    PageLimits {
        max_changes,
        max_bytes,
    }
}

async fn pull_pages_by_count_and_bytes_and_skips_unreadable_kinds<S: Storage>(s: S) {
    let group = with_group(&s).await;
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

    let limits = limits(2, 150);
    let page = s
        .pull(group, 0, vec![DocKind::Alert], limits)
        .await
        .unwrap();
    assert_eq!(seqs(&page), [2, 3]);
    assert!(page.more);
    // The two ~100-byte changes do not fit under 150 bytes together.
    let page = s
        .pull(group, page.cursor, vec![DocKind::Alert], limits)
        .await
        .unwrap();
    assert_eq!(seqs(&page), [4]);
    assert!(page.more);
    let page = s
        .pull(group, page.cursor, vec![DocKind::Alert], limits)
        .await
        .unwrap();
    assert_eq!(seqs(&page), [5, 6]);
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
    assert_eq!(s.latest_seq_of(group, vec![]).await.unwrap(), 0);
    assert_eq!(
        s.latest_seq_of(group, vec![DocKind::Report, DocKind::Alert])
            .await
            .unwrap(),
        6
    );
}

async fn paging_edges<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let device = member(1).device;
    // An empty log: nothing, cursor 0, no more.
    let empty = s
        .pull(group, 0, vec![DocKind::Alert], limits(10, 1000))
        .await
        .unwrap();
    assert_eq!(
        (empty.changes.len(), empty.cursor, empty.more),
        (0, 0, false)
    );

    // 300 one-byte changes: more than one fetch chunk of the pager.
    let many: Vec<Vec<u8>> = (0..300u16).map(|n| n.to_be_bytes().to_vec()).collect();
    let refs: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
    s.push(group, device, vec![doc(DocKind::Alert, &refs)])
        .await
        .unwrap();
    // Exactly as many as the page holds: all of them, and no more waiting.
    let exact = s
        .pull(group, 0, vec![DocKind::Alert], limits(300, 1 << 20))
        .await
        .unwrap();
    assert_eq!(exact.changes.len(), 300);
    assert_eq!((exact.cursor, exact.more), (300, false));
    // One fewer: the page is full and says more are waiting.
    let short = s
        .pull(group, 0, vec![DocKind::Alert], limits(299, 1 << 20))
        .await
        .unwrap();
    assert_eq!(
        (short.changes.len(), short.cursor, short.more),
        (299, 299, true)
    );
    // Walking in pages of 7 sees every change exactly once, in order.
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let page = s
            .pull(group, cursor, vec![DocKind::Alert], limits(7, 1 << 20))
            .await
            .unwrap();
        seen.extend(seqs(&page));
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(seen, (1..=300).collect::<Vec<u64>>());

    // A change larger than the byte budget still goes, alone, so no reader is ever stuck.
    let huge = vec![1u8; 5000];
    s.push(group, device, vec![doc(DocKind::Alert, &[&huge, b"after"])])
        .await
        .unwrap();
    let page = s
        .pull(group, 300, vec![DocKind::Alert], limits(10, 100))
        .await
        .unwrap();
    assert_eq!((seqs(&page), page.more), (vec![301], true));
    let page = s
        .pull(group, 301, vec![DocKind::Alert], limits(10, 100))
        .await
        .unwrap();
    assert_eq!(
        (seqs(&page), page.cursor, page.more),
        (vec![302], 302, false)
    );

    // A cursor ahead of the log (a server whose log was reset) learns the real one.
    let ahead = s
        .pull(group, 10_000, vec![DocKind::Alert], limits(10, 100))
        .await
        .unwrap();
    assert_eq!((ahead.changes.len(), ahead.cursor), (0, 302));

    // Changes of kinds the role cannot read are skipped, and the cursor at the end of a walk
    // is the newest readable change, not the newest change.
    s.push(group, device, vec![doc(DocKind::Patrol, &[b"p"])])
        .await
        .unwrap();
    s.push(group, device, vec![doc(DocKind::Alert, &[b"a"])])
        .await
        .unwrap();
    s.push(group, device, vec![doc(DocKind::Patrol, &[b"q"])])
        .await
        .unwrap();
    let page = s
        .pull(group, 302, vec![DocKind::Alert], limits(10, 1000))
        .await
        .unwrap();
    assert_eq!((seqs(&page), page.cursor), (vec![304], 304));
    let page = s
        .pull(group, 304, vec![DocKind::Alert], limits(10, 1000))
        .await
        .unwrap();
    assert_eq!((page.changes.len(), page.cursor), (0, 304));
}

async fn a_push_wakes_the_groups_waiters_only<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let other = GroupId::random();
    s.create_group(other, "Oak Lane".into(), member(2))
        .await
        .unwrap();
    let mine = s.wakeup(group);
    let theirs = s.wakeup(other);
    let woken = mine.notified();
    let not_woken = theirs.notified();
    tokio::pin!(woken, not_woken);
    woken.as_mut().enable();
    not_woken.as_mut().enable();
    s.push(group, member(1).device, vec![doc(DocKind::Alert, &[b"a"])])
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), woken)
        .await
        .expect("a push wakes its group's waiters");
    // The other group's waiter is still waiting; a push that stores nothing new wakes nobody.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), &mut not_woken)
            .await
            .is_err()
    );
}

fn invite(group: GroupId, id: u8, role: Role, uses: u32, expires_at: i64) -> NewInvite {
    NewInvite {
        signed: SignedInvite {
            group,
            invite: [id; 16],
            role,
            uses,
            expires_at,
            invite_key: [id; 32],
            issuer: [1; 32],
            signature: [3; 64],
        },
        created_by: member(1).device,
        created_at: 100,
    }
}

async fn members_invites_and_sessions<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let founder = s.member(group, member(1).device).await.unwrap().unwrap();
    assert_eq!(founder.role, Role::Coordinator);
    assert_eq!(founder.public_key, [1; 32]);
    assert_eq!(founder.evidence, None);
    assert_eq!(s.member(group, member(2).device).await.unwrap(), None);

    let inv = invite(group, 5, Role::Resident, 1, 1000);
    s.create_invite(inv.clone()).await.unwrap();
    assert!(matches!(
        s.create_invite(inv.clone()).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(s.invite([5; 16]).await.unwrap(), Some(inv.signed.clone()));
    assert_eq!(s.invite([6; 16]).await.unwrap(), None);

    let (g, joined) = s
        .redeem_invite([5; 16], 200, member(2), vec![1, 2, 3])
        .await
        .unwrap();
    assert_eq!(
        (g, joined.role, joined.device),
        (group, Role::Resident, member(2).device)
    );
    // A retried join gives the membership back without using the invite up again...
    let (_, again) = s
        .redeem_invite([5; 16], 200, member(2), vec![1, 2, 3])
        .await
        .unwrap();
    assert_eq!(again.device, member(2).device);
    // ...and the invite's one use is gone for anyone else.
    assert!(matches!(
        s.redeem_invite([5; 16], 200, member(3), vec![]).await,
        Err(Error::InviteUsedUp)
    ));
    assert!(matches!(
        s.redeem_invite([6; 16], 200, member(3), vec![]).await,
        Err(Error::InviteInvalid)
    ));
    s.create_invite(invite(group, 7, Role::Volunteer, 5, 300))
        .await
        .unwrap();
    assert!(matches!(
        s.redeem_invite([7; 16], 300, member(3), vec![]).await,
        Err(Error::InviteExpired)
    ));
    let members = s.members(group).await.unwrap();
    assert_eq!(members.len(), 2);

    // Sessions: found by their hash with the member, expired ones swept on the next create.
    s.create_session([1; 32], group, member(2).device, 200, 250)
        .await
        .unwrap();
    let session = s.session([1; 32]).await.unwrap().unwrap();
    assert_eq!((session.group, session.expires_at), (group, 250));
    assert_eq!(session.member.device, member(2).device);
    assert!(s.session([2; 32]).await.unwrap().is_none());
    s.create_session([2; 32], group, member(1).device, 300, 400)
        .await
        .unwrap();
    assert!(s.session([1; 32]).await.unwrap().is_none());

    // Revoking ends the member's sessions and keeps it out of later joins.
    s.create_session([3; 32], group, member(2).device, 300, 400)
        .await
        .unwrap();
    let revoked = s.revoke(group, member(2).device, 350).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(350));
    assert!(s.session([3; 32]).await.unwrap().is_none());
    assert!(matches!(
        s.redeem_invite([5; 16], 360, member(2), vec![]).await,
        Err(Error::Revoked)
    ));
    // Revoking twice is harmless and keeps the first time.
    let twice = s.revoke(group, member(2).device, 400).await.unwrap();
    assert_eq!(twice.revoked_at, Some(350));
}

async fn challenges_are_single_use<S: Storage>(s: S) {
    s.put_challenge([1; 32], 100, 160).await.unwrap();
    assert_eq!(s.take_challenge([1; 32]).await.unwrap(), Some((100, 160)));
    assert_eq!(s.take_challenge([1; 32]).await.unwrap(), None);
    // Expired challenges are swept when the next one is issued.
    s.put_challenge([2; 32], 100, 160).await.unwrap();
    s.put_challenge([3; 32], 200, 260).await.unwrap();
    assert_eq!(s.take_challenge([2; 32]).await.unwrap(), None);
    assert_eq!(s.take_challenge([3; 32]).await.unwrap(), Some((200, 260)));
}

async fn the_last_coordinator_cannot_be_revoked<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let r = s.revoke(group, member(1).device, 200).await;
    assert!(matches!(r, Err(Error::Conflict(_))));
    let unknown = s.revoke(group, member(9).device, 200).await;
    assert!(matches!(unknown, Err(Error::NotFound(_))));
    // With a second coordinator, one of them may go.
    s.create_invite(invite(group, 4, Role::Coordinator, 1, 1000))
        .await
        .unwrap();
    s.redeem_invite([4; 16], 150, member(2), vec![])
        .await
        .unwrap();
    s.revoke(group, member(1).device, 200).await.unwrap();
    assert!(matches!(
        s.revoke(group, member(2).device, 200).await,
        Err(Error::Conflict(_))
    ));
}

async fn drops_number_per_group_page_and_expire<S: Storage>(s: S) {
    let group = with_group(&s).await;
    for n in 1..=5u8 {
        assert_eq!(
            s.add_drop(group, vec![n], vec![n; 10 * usize::from(n)], keep(100, 90))
                .await
                .unwrap(),
            u64::from(n)
        );
    }
    let page = s.drops(group, 0, limits(2, 1000)).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!((page.cursor, page.more), (2, true));
    // Byte-limited: 30 + 40 bytes do not fit under 60, but one drop always does.
    let tight = limits(10, 60);
    let page = s.drops(group, 2, tight).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [3]);
    assert!(page.more);
    let page = s.drops(group, 4, tight).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [5]);
    assert_eq!((page.cursor, page.more), (5, false));
    let none = s.drops(group, 5, tight).await.unwrap();
    assert_eq!((none.drops.len(), none.cursor, none.more), (0, 5, false));

    // 91 days on, every earlier drop is gone and numbering carries on.
    assert_eq!(
        s.add_drop(group, vec![9], vec![9], keep(191, 90))
            .await
            .unwrap(),
        6
    );
    assert_eq!(s.drop_count(group).await.unwrap(), 1);
    let page = s.drops(group, 0, limits(2, 1000)).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [6]);
}

async fn a_drop_to_an_unknown_group_changes_nothing<S: Storage>(s: S) {
    let group = with_group(&s).await;
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

async fn a_spent_token_is_refused_and_stores_nothing<S: Storage>(s: S) {
    let group = with_group(&s).await;
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

async fn token_keys_and_allowances<S: Storage>(s: S) {
    let group = with_group(&s).await;
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
    assert_eq!(s.token_key(group).await.unwrap(), Some(first.clone()));
    assert!(matches!(
        s.put_token_key(GroupId::random(), first.clone()).await,
        Err(Error::UnknownGroup)
    ));
    let (a, b) = (DeviceId::from_bytes([1; 16]), DeviceId::from_bytes([2; 16]));
    let take = |d, day, want| s.take_token_allowance(group, d, day, want, 5);
    assert_eq!(take(a, 10, 4).await.unwrap(), (4, 1));
    assert_eq!(take(a, 10, 4).await.unwrap(), (1, 0));
    assert_eq!(take(a, 10, 4).await.unwrap(), (0, 0));
    assert_eq!(take(b, 10, 0).await.unwrap(), (0, 5));
    assert_eq!(take(a, 11, 2).await.unwrap(), (2, 3));
}

async fn blobs_are_stored_once_with_a_fixed_kind_within_the_quota<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let hash = *blake3::hash(b"photo").as_bytes();
    let keeping = BlobKeeping {
        retention: keep(100, 90),
        quota: 8,
    };
    let put = |hash, kind, bytes: &[u8]| s.put_blob(group, hash, kind, bytes.to_vec(), keeping);
    assert_eq!(
        put(hash, DocKind::Patrol, b"photo").await.unwrap(),
        BlobOutcome::Stored { new: true }
    );
    assert_eq!(
        put(hash, DocKind::Patrol, b"photo").await.unwrap(),
        BlobOutcome::Stored { new: false }
    );
    assert_eq!(
        put(hash, DocKind::Alert, b"photo").await.unwrap(),
        BlobOutcome::KindConflict {
            existing: DocKind::Patrol
        }
    );
    let blob = s.blob(group, hash).await.unwrap().unwrap();
    assert_eq!(
        (blob.kind, blob.bytes.as_slice()),
        (DocKind::Patrol, &b"photo"[..])
    );
    // 5 bytes held of 8: four more do not fit, three do.
    let four = *blake3::hash(b"four").as_bytes();
    assert_eq!(
        put(four, DocKind::Patrol, b"four").await.unwrap(),
        BlobOutcome::OverQuota { used: 5, quota: 8 }
    );
    let three = *blake3::hash(b"two").as_bytes();
    assert_eq!(
        put(three, DocKind::Patrol, b"two").await.unwrap(),
        BlobOutcome::Stored { new: true }
    );
    assert_eq!(s.blob_count(group).await.unwrap(), 2);
    assert_eq!(s.blob(group, four).await.unwrap(), None);
    assert_eq!(s.blob(GroupId::random(), hash).await.unwrap(), None);
}

async fn blobs_expire_unless_uploaded_again<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let (a, b) = (
        *blake3::hash(b"a").as_bytes(),
        *blake3::hash(b"b").as_bytes(),
    );
    let at = |today| BlobKeeping {
        retention: keep(today, 30),
        quota: 1 << 20,
    };
    s.put_blob(group, a, DocKind::Alert, b"a".to_vec(), at(100))
        .await
        .unwrap();
    s.put_blob(group, b, DocKind::Alert, b"b".to_vec(), at(100))
        .await
        .unwrap();
    // `a` is uploaded again on day 120, so it lives on past day 130; `b` does not.
    s.put_blob(group, a, DocKind::Alert, b"a".to_vec(), at(120))
        .await
        .unwrap();
    let c = *blake3::hash(b"c").as_bytes();
    s.put_blob(group, c, DocKind::Alert, b"c".to_vec(), at(140))
        .await
        .unwrap();
    assert!(s.blob(group, a).await.unwrap().is_some());
    assert_eq!(s.blob(group, b).await.unwrap(), None);
    assert_eq!(s.blob_count(group).await.unwrap(), 2);
}

async fn replies_are_replaced_within_their_group_and_expire<S: Storage>(s: S) {
    let group = with_group(&s).await;
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

async fn the_backend_answers_its_health_check<S: Storage>(s: S) {
    s.check().await.unwrap();
    assert!(["sqlite", "postgres"].contains(&s.backend()));
}
