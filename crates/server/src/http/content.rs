//! What pushed documents say, not only who wrote their changes: a document every reader's device
//! would have to set aside is refused here, before it is stored.
//!
//! Each pushed document is rebuilt from the changes the server already holds for it plus the
//! pushed ones and judged with the same typed readers and model rules devices project with
//! ([`porchlight_crdt::validate_document`]). Report documents are refused outright: reports reach
//! coordinators sealed through the drop box, and one pushed in the clear could name anyone as its
//! author.

use porchlight_crdt::{Doc, validate_document};
use porchlight_model::DocKind;
use porchlight_protocol::wire::{GroupId, Rejected};

use crate::Error;
use crate::storage::{PushDoc, Storage, StoredDoc};

/// Why a report document pushed to `/v1/sync` is refused.
pub(crate) const REPORTS_USE_THE_DROP_BOX: &str = "report documents are not accepted on \
    /v1/sync: a report travels sealed to the coordinators through the drop box (POST /v1/drop)";

/// Splits `docs` into those whose content is valid and the refusals of the others (every change
/// of a refused document, nothing of it stored).
pub(crate) async fn check<S: Storage>(
    storage: &S,
    group: GroupId,
    docs: Vec<PushDoc>,
) -> Result<(Vec<PushDoc>, Vec<Rejected>), Error> {
    let mut valid = Vec::with_capacity(docs.len());
    let mut rejected = Vec::new();
    for doc in docs {
        if doc.kind == DocKind::Report {
            super::sync::reject_all(&doc, REPORTS_USE_THE_DROP_BOX, &mut rejected);
            continue;
        }
        let stored = match storage.doc_changes(group, doc.doc).await? {
            // Another kind: storage refuses it as a kind conflict, with its own reason.
            Some(stored) if stored.kind != doc.kind => {
                valid.push(doc);
                continue;
            }
            Some(stored) => Some(stored),
            None => None,
        };
        // Merging is CPU work on untrusted bytes: off the async workers.
        let (doc, verdict) = tokio::task::spawn_blocking(move || {
            let verdict = judge(&doc, stored);
            (doc, verdict)
        })
        .await?;
        match verdict {
            Ok(()) => valid.push(doc),
            Err(reason) => super::sync::reject_all(&doc, &reason, &mut rejected),
        }
    }
    Ok((valid, rejected))
}

/// Merges the stored and pushed changes and validates the result. `Doc::apply_remote` checks
/// every change again and runs Automerge under `catch_unwind`. A folded document starts from its
/// snapshot, which the server made itself from changes it had checked.
fn judge(pushed: &PushDoc, stored: Option<StoredDoc>) -> Result<(), String> {
    let invalid = |e| format!("the {} document would be invalid: {e}", pushed.kind);
    let (snapshot, mut changes) = match stored {
        Some(stored) => (stored.snapshot.unwrap_or_default(), stored.changes),
        None => (Vec::new(), Vec::new()),
    };
    changes.extend(pushed.changes.iter().map(|c| c.bytes.clone()));
    let mut doc = if snapshot.is_empty() {
        Doc::empty(pushed.doc, pushed.kind, &[0; 16])
    } else {
        Doc::load(pushed.doc, pushed.kind, &[0; 16], &snapshot, &[]).map_err(invalid)?
    };
    doc.apply_remote(&changes)
        .and_then(|_| validate_document(&mut doc))
        .map(|_| ())
        .map_err(invalid)
}
