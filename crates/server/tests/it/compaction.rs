//! Compaction (DECISIONS 30) on every backend: folded changes come back exactly as they were
//! logged, at every cursor and page size, for every role; nothing is logged twice; documents that
//! cannot be folded stay as they are; one pass runs at a time.

use crate::common;
use crate::conformance::{limits, member, on_every_backend, with_group};

use porchlight_model::{DeviceId, DocKind};
use porchlight_server::{
    CompactionPolicy, FoldInput, LogRow, PageLimits, PgStorage, PulledChange, PushChange, PushDoc,
    PushOutcome, SqliteStorage, Storage, Unfoldable, compact_once, fold,
};
use porchlight_sync::wire::GroupId;

on_every_backend!(
    folded_changes_are_served_as_they_were_logged,
    a_change_pushed_again_after_folding_is_not_logged_twice,
    a_second_fold_keeps_the_first,
    documents_that_cannot_be_folded_are_left_as_they_are,
    one_compaction_pass_at_a_time,
);

/// `n` real Automerge changes of a new document of `kind`, each with a signature of its own.
fn real_doc(kind: DocKind, n: usize) -> PushDoc {
    let (doc, changes) = common::valid_changes(kind, DeviceId::from_bytes([1; 16]), n);
    PushDoc {
        doc,
        kind,
        changes: changes
            .into_iter()
            .enumerate()
            .map(|(i, bytes)| PushChange {
                hash: automerge::Change::from_bytes(bytes.clone())
                    .unwrap()
                    .hash()
                    .0,
                bytes,
                signature: [u8::try_from(i % 250).unwrap() + 1; 64],
            })
            .collect(),
    }
}

/// The same document with only the changes in `range`.
fn part(doc: &PushDoc, range: std::ops::Range<usize>) -> PushDoc {
    PushDoc {
        changes: doc.changes[range].to_vec(),
        ..doc.clone()
    }
}

fn policy(keep_changes: u64, min_changes: u64) -> CompactionPolicy {
    CompactionPolicy {
        keep_changes,
        min_changes,
        docs_per_pass: 100,
    }
}

/// Everything after `cursor` of `kinds`, page by page.
async fn walk<S: Storage>(
    s: &S,
    group: GroupId,
    mut cursor: u64,
    kinds: &[DocKind],
    page: PageLimits,
) -> Vec<PulledChange> {
    let mut all = Vec::new();
    loop {
        let got = s.pull(group, cursor, kinds.to_vec(), page).await.unwrap();
        assert!(got.cursor >= cursor, "a cursor never goes back");
        all.extend(got.changes);
        cursor = got.cursor;
        if !got.more {
            return all;
        }
    }
}

async fn push<S: Storage>(s: &S, group: GroupId, docs: Vec<PushDoc>) -> Vec<PushOutcome> {
    s.push(group, member(1).device, docs).await.unwrap()
}

async fn folded_changes_are_served_as_they_were_logged<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let alert = real_doc(DocKind::Alert, 40);
    let zones = real_doc(DocKind::Group, 34);
    let recent = real_doc(DocKind::Alert, 3);
    // Interleaved, so each document's changes are spread over the log.
    push(&s, group, vec![part(&alert, 0..20), part(&zones, 0..17)]).await;
    push(&s, group, vec![part(&alert, 20..40), part(&zones, 17..34)]).await;
    push(&s, group, vec![recent.clone()]).await;
    let everything = [DocKind::Alert, DocKind::Group];
    let all = limits(1000, 1 << 22);
    let before = walk(&s, group, 0, &everything, all).await;
    let before_alerts = walk(&s, group, 0, &[DocKind::Alert], all).await;
    let latest_of = |kinds: Vec<DocKind>| s.latest_seq_of(group, kinds);
    let latest_before = (
        latest_of(vec![DocKind::Alert]).await.unwrap(),
        latest_of(vec![DocKind::Group]).await.unwrap(),
        s.latest_seq(group).await.unwrap(),
    );
    assert_eq!(before.len(), 77);

    // The newest 5 stay rows (the 3 recent ones and the zones' last 2): 40 + 32 are folded.
    let done = compact_once(&s, policy(5, 8)).await.unwrap().unwrap();
    assert_eq!((done.docs, done.changes, done.skipped), (2, 72, 0));
    assert_eq!(s.change_count(group).await.unwrap(), 77);
    let stored = s.doc_changes(group, alert.doc).await.unwrap().unwrap();
    assert!(stored.snapshot.is_some() && stored.changes.is_empty());
    let stored = s.doc_changes(group, zones.doc).await.unwrap().unwrap();
    assert_eq!(stored.changes.len(), 2);

    // Every change comes back with its number, bytes and signature, whatever the page size and
    // wherever the cursor stands.
    for page in [
        all,
        limits(1, 1 << 22),
        limits(7, 1 << 22),
        limits(1000, 300),
    ] {
        assert_eq!(walk(&s, group, 0, &everything, page).await, before);
    }
    for cursor in [1, 10, 39, 40, 60, 74, 77] {
        let expected: Vec<_> = before.iter().filter(|c| c.seq > cursor).cloned().collect();
        assert_eq!(
            walk(&s, group, cursor, &everything, limits(9, 1 << 22)).await,
            expected,
            "from cursor {cursor}"
        );
    }
    // A role that reads only alerts still gets only alerts, and its cursor still ignores the
    // kinds it cannot read.
    assert_eq!(
        walk(&s, group, 0, &[DocKind::Alert], limits(5, 1 << 22)).await,
        before_alerts
    );
    assert_eq!(walk(&s, group, 0, &[DocKind::Patrol], all).await, []);
    let latest_after = (
        latest_of(vec![DocKind::Alert]).await.unwrap(),
        latest_of(vec![DocKind::Group]).await.unwrap(),
        s.latest_seq(group).await.unwrap(),
    );
    assert_eq!(latest_after, latest_before);
    // A pass with nothing left to fold does nothing.
    let again = compact_once(&s, policy(5, 8)).await.unwrap().unwrap();
    assert_eq!((again.docs, again.changes), (0, 0));
}

async fn a_change_pushed_again_after_folding_is_not_logged_twice<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let alert = real_doc(DocKind::Alert, 12);
    push(&s, group, vec![alert.clone()]).await;
    compact_once(&s, policy(0, 2)).await.unwrap().unwrap();
    assert!(
        s.doc_changes(group, alert.doc)
            .await
            .unwrap()
            .unwrap()
            .snapshot
            .is_some()
    );
    // A device (or a hub relaying) pushes the same changes again.
    assert_eq!(
        push(&s, group, vec![alert.clone()]).await,
        [PushOutcome::Stored { new: 0 }]
    );
    assert_eq!(s.change_count(group).await.unwrap(), 12);
    assert_eq!(s.latest_seq(group).await.unwrap(), 12);
}

async fn a_second_fold_keeps_the_first<S: Storage>(s: S) {
    let group = with_group(&s).await;
    let alert = real_doc(DocKind::Alert, 30);
    push(&s, group, vec![part(&alert, 0..18)]).await;
    let first = compact_once(&s, policy(0, 4)).await.unwrap().unwrap();
    assert_eq!(first.changes, 18);
    push(&s, group, vec![part(&alert, 18..30)]).await;
    let second = compact_once(&s, policy(0, 4)).await.unwrap().unwrap();
    assert_eq!((second.docs, second.changes), (1, 12));
    let pulled = walk(&s, group, 0, &[DocKind::Alert], limits(4, 1 << 22)).await;
    assert_eq!(pulled.len(), 30);
    for (i, (got, pushed)) in pulled.iter().zip(&alert.changes).enumerate() {
        assert_eq!(got.seq, i as u64 + 1);
        assert_eq!(got.bytes, pushed.bytes);
        assert_eq!(got.signature, pushed.signature);
    }
    let stored = s.doc_changes(group, alert.doc).await.unwrap().unwrap();
    assert!(stored.changes.is_empty());
}

async fn documents_that_cannot_be_folded_are_left_as_they_are<S: Storage>(s: S) {
    let group = with_group(&s).await;
    // The first change never reached this server: the others wait for it.
    let waiting = real_doc(DocKind::Alert, 10);
    push(&s, group, vec![part(&waiting, 1..10)]).await;
    // Bytes that are not Automerge changes at all (a backend stores what it is given).
    let junk = crate::conformance::doc(DocKind::Alert, &[b"a", b"b", b"c", b"d"]);
    push(&s, group, vec![junk.clone()]).await;
    let before = walk(&s, group, 0, &[DocKind::Alert], limits(1000, 1 << 22)).await;

    let done = compact_once(&s, policy(0, 2)).await.unwrap().unwrap();
    assert_eq!((done.docs, done.skipped), (0, 2));
    assert_eq!(
        walk(&s, group, 0, &[DocKind::Alert], limits(1000, 1 << 22)).await,
        before
    );
    for doc in [waiting.doc, junk.doc] {
        assert_eq!(
            s.doc_changes(group, doc).await.unwrap().unwrap().snapshot,
            None
        );
    }
    // Why, as `fold` says it.
    let rows = |d: &PushDoc| FoldInput {
        kind: d.kind,
        previous: None,
        rows: d
            .changes
            .iter()
            .enumerate()
            .map(|(i, c)| LogRow {
                seq: i as u64 + 1,
                hash: c.hash,
                bytes: c.bytes.clone(),
                signature: c.signature,
            })
            .collect(),
    };
    assert_eq!(
        fold(waiting.doc, &rows(&part(&waiting, 1..10))),
        Err(Unfoldable::MissingDependencies)
    );
    assert_eq!(fold(junk.doc, &rows(&junk)), Err(Unfoldable::NotAChange));
    // A row whose stored hash is not its change's hash is not folded either.
    let mut lying = rows(&waiting);
    lying.rows[3].hash = [0; 32];
    assert_eq!(fold(waiting.doc, &lying), Err(Unfoldable::NotAChange));
}

async fn one_compaction_pass_at_a_time<S: Storage>(s: S) {
    let held = s.compaction_lock().await.unwrap();
    assert!(held.is_some());
    assert!(s.compaction_lock().await.unwrap().is_none());
    assert_eq!(compact_once(&s, policy(0, 2)).await.unwrap(), None);
    held.unwrap().release().await;
    let again = s.compaction_lock().await.unwrap();
    assert!(again.is_some());
}
