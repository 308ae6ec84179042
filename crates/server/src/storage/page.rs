//! The one pager every backend's pulls go through: rows are fetched in bounded chunks and cut at
//! the page's change count or byte budget, whichever comes first.

use std::future::Future;

use porchlight_model::DocKind;
use porchlight_protocol::wire::GroupId;

use super::{Page, PageLimits, Storage, compact};
use crate::Error;

/// Rows asked of the backend at a time. Bounded so a page of large changes never has more than
/// this many rows in memory beyond the page itself, and large enough that a page of small
/// changes takes few round trips.
const CHUNK: usize = 128;

/// Something with a log position and a size that counts against the byte budget.
pub(super) trait Paged {
    fn seq(&self) -> u64;
    fn size(&self) -> usize;
}

/// Fills one page with the rows after `after`, asking `fetch(after, n)` for at most `n` rows in
/// log order at a time. A page always holds at least one row when any is waiting (a single row
/// larger than the byte budget still goes, alone), so a reader can never be stuck. Returns the
/// rows and whether more are waiting.
pub(super) async fn fill<T, F, Fut>(
    after: u64,
    limits: PageLimits,
    mut fetch: F,
) -> Result<(Vec<T>, bool), Error>
where
    T: Paged,
    F: FnMut(u64, usize) -> Fut,
    Fut: Future<Output = Result<Vec<T>, Error>>,
{
    let max_rows = limits.max_changes.max(1);
    let mut rows: Vec<T> = Vec::new();
    let mut bytes = 0usize;
    let mut from = after;
    loop {
        // One row beyond the page tells whether more are waiting.
        let want = (max_rows + 1 - rows.len()).min(CHUNK);
        let chunk = fetch(from, want).await?;
        let got = chunk.len();
        for row in chunk {
            let full = rows.len() >= max_rows
                || (!rows.is_empty() && bytes.saturating_add(row.size()) > limits.max_bytes);
            if full {
                return Ok((rows, true));
            }
            bytes = bytes.saturating_add(row.size());
            from = row.seq();
            rows.push(row);
        }
        if got < want {
            return Ok((rows, false));
        }
    }
}

/// [`Storage::pull`] once `latest`, the newest number of `kinds`, was read (from the database or a
/// cache of it); every change up to `latest` must be committed.
pub(crate) async fn pull_after<S: Storage>(
    storage: &S,
    group: GroupId,
    cursor: u64,
    kinds: Vec<DocKind>,
    limits: PageLimits,
    latest: u64,
) -> Result<Page, Error> {
    // An up-to-date device (most polls) gets its answer without reading rows or snapshots;
    // anything committed since `latest` shows at its next poll.
    if kinds.is_empty() || cursor >= latest {
        return Ok(Page {
            changes: Vec::new(),
            cursor: latest,
            more: false,
        });
    }
    let log = compact::LogReader::new(storage.clone(), group, kinds);
    let (changes, more) = fill(cursor, limits, |after, n| {
        let log = log.clone();
        async move { log.after(after, n).await }
    })
    .await?;
    let cursor = match (more, changes.last()) {
        (true, Some(last)) => last.seq,
        (false, Some(last)) => last.seq.max(latest),
        (_, None) => latest,
    };
    Ok(Page {
        changes,
        cursor,
        more,
    })
}
