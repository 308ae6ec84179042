//! Moves the change log between a hub's server and the community server, both ways.
//!
//! The relay is a coordinator's device talking to both servers (a coordinator reads every kind
//! that travels through the log). Each step pushes to one side what it pulled from the other,
//! with the authors' signatures as they came: both servers check authorship from those
//! signatures, so the relay cannot write in anyone's name, and neither can a hub that lies.
//! Reports never travel through the log, so the relay never holds one.
//!
//! Anonymous drops go one way, from the hub's drop box up to the community server's, sealed
//! bytes unchanged (the relay cannot open them: only coordinators' keys can, and the relay never
//! tries). Each forwarded drop spends a drop token of the relay's coordinator on the community
//! server, so it is paid for like any drop; the community server learns that the drop came
//! through the hub, and nothing about who dropped it.
//!
//! What was pulled but not yet delivered waits in memory, and a cursor only moves once the call
//! that returned its page succeeded, so a failure at any moment loses nothing: the next step
//! pulls again or re-sends (servers keep changes by hash, so a repeat is harmless). A change a
//! server refuses as a bad request (an author it does not know yet, say, before the hub's
//! membership caught up) waits for a later step instead of holding up the rest.

use std::collections::HashSet;
use std::sync::Arc;

use porchlight_sync::tokens::TokenKey;
use porchlight_sync::wire::{
    DocChanges, DropRequest, DropToken, GroupId, SyncRequest, SyncResponse,
};
use porchlight_sync::{Error, Remote, fetch_tokens};

use porchlight_core::Core;

use crate::HubError;
use crate::blobs::BlobRelay;
use crate::joins::{Forwarded, JoinForwarder};

/// The most steps [`Relay::settle`] takes (each moves at least one page).
const MAX_STEPS: usize = 10_000;
/// Drops read from the hub per request.
const DROP_PAGE: u32 = 50;
/// Drop tokens fetched from the community server at a time.
const TOKEN_BATCH: usize = 20;

/// What one step moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayStep {
    /// Changes pulled from the hub's server (on their way up).
    pub up: usize,
    /// Changes pulled from the community server (on their way down).
    pub down: usize,
    /// Changes a server refused for now, waiting for a later step.
    pub waiting: usize,
    /// Drops forwarded from the hub's drop box to the community server's.
    pub drops: usize,
    /// A server said it has more pages.
    pub more: bool,
}

impl RelayStep {
    /// True when the step moved nothing and nothing more is waiting to be pulled.
    pub fn is_quiet(&self) -> bool {
        self.up == 0 && self.down == 0 && self.drops == 0 && !self.more
    }
}

/// The relay between a hub's server and the community server.
#[derive(Debug)]
pub struct Relay {
    group: GroupId,
    hub: Arc<dyn Remote>,
    upstream: Arc<dyn Remote>,
    hub_cursor: u64,
    upstream_cursor: u64,
    to_hub: Vec<DocChanges>,
    to_upstream: Vec<DocChanges>,
    drop_cursor: u64,
    tokens: Vec<DropToken>,
    joins: JoinForwarder,
    blobs: BlobRelay,
    came_from_upstream: Echoes,
    came_from_hub: Echoes,
}

impl Relay {
    /// A relay for `group` acting through `hub` and `upstream`: remotes of the same
    /// coordinator's device.
    pub fn new(group: GroupId, hub: Arc<dyn Remote>, upstream: Arc<dyn Remote>) -> Self {
        Self {
            group,
            hub,
            upstream,
            joins: JoinForwarder::default(),
            blobs: BlobRelay::default(),
            came_from_upstream: Echoes::default(),
            came_from_hub: Echoes::default(),
            hub_cursor: 0,
            upstream_cursor: 0,
            to_hub: Vec::new(),
            to_upstream: Vec::new(),
            drop_cursor: 0,
            tokens: Vec::new(),
        }
    }

    /// One exchange with each side: deliver to the hub what came from upstream and pull the
    /// hub's news; deliver that upstream and pull upstream's news.
    pub async fn step(&mut self) -> Result<RelayStep, Error> {
        let (from_hub, kept) = deliver(self.hub.as_ref(), self.hub_cursor, &self.to_hub).await?;
        self.to_hub = kept;
        self.hub_cursor = from_hub.cursor;
        // What the relay itself delivered comes back in the hub's log: the community server
        // has it already, so it does not travel up again.
        let from_hub_pull = self.came_from_upstream.drop_echoes(from_hub.pull);
        let up = count(&from_hub_pull);
        self.came_from_hub.remember(&from_hub_pull);
        self.to_upstream.extend(from_hub_pull);

        let (from_up, kept) = deliver(
            self.upstream.as_ref(),
            self.upstream_cursor,
            &self.to_upstream,
        )
        .await?;
        self.to_upstream = kept;
        self.upstream_cursor = from_up.cursor;
        let from_up_pull = self.came_from_hub.drop_echoes(from_up.pull);
        let down = count(&from_up_pull);
        self.came_from_upstream.remember(&from_up_pull);
        self.to_hub.extend(from_up_pull);
        let (drops, more_drops) = self.forward_drops().await?;
        Ok(RelayStep {
            up,
            down,
            waiting: count(&self.to_hub) + count(&self.to_upstream),
            drops,
            more: from_hub.more || from_up.more || more_drops,
        })
    }

    /// Forwards one page of the hub's drops upstream, unchanged. The cursor moves past each
    /// drop once the community server kept it (or says its token was spent: an earlier attempt
    /// arrived and only the answer was lost).
    async fn forward_drops(&mut self) -> Result<(usize, bool), Error> {
        let page = self.hub.drops(self.drop_cursor, DROP_PAGE).await?;
        let mut sent = 0;
        for drop in page.drops {
            if self.tokens.is_empty() {
                let info = self.upstream.token_key().await?;
                let key = TokenKey::from_der(&info.key)?;
                self.tokens = fetch_tokens(self.upstream.as_ref(), &key, TOKEN_BATCH).await?;
            }
            // Out of tokens for today: the rest waits for tomorrow's allowance.
            let Some(token) = self.tokens.last().cloned() else {
                return Ok((sent, false));
            };
            let request = DropRequest {
                group: self.group,
                sealed: drop.sealed,
                token: Some(token),
            };
            match self.upstream.post_drop(&request).await {
                Ok(_) => {}
                Err(Error::Http { kind, .. }) if kind == "drop_token_spent" => {}
                Err(e) => return Err(e),
            }
            self.tokens.pop();
            self.drop_cursor = drop.seq;
            sent += 1;
        }
        Ok((sent, page.more))
    }

    /// Brings members who joined at the hub to the community server (see [`JoinForwarder`]):
    /// done before relaying, since the community server takes a newcomer's changes only once
    /// it knows them.
    pub async fn forward_joins(&mut self) -> Result<Forwarded, Error> {
        self.joins.forward(&*self.hub, &*self.upstream).await
    }

    /// Keeps the photos and map chunks `core` knows of on both servers (see [`BlobRelay`]);
    /// returns how many uploads that took.
    pub async fn carry_blobs(&mut self, core: &Core) -> Result<usize, HubError> {
        self.blobs.step(core, &*self.hub, &*self.upstream).await
    }

    /// Steps until a step moves nothing; returns the sum of what moved.
    pub async fn settle(&mut self) -> Result<RelayStep, Error> {
        let mut total = RelayStep::default();
        for _ in 0..MAX_STEPS {
            let step = self.step().await?;
            total.up += step.up;
            total.down += step.down;
            total.drops += step.drops;
            total.waiting = step.waiting;
            if step.is_quiet() {
                break;
            }
        }
        Ok(total)
    }

    /// What [`RelayWait::wait`] needs, taken out so the wait holds no lock on the relay.
    pub fn waiter(&self) -> RelayWait {
        RelayWait {
            hub: self.hub.clone(),
            upstream: self.upstream.clone(),
            hub_cursor: self.hub_cursor,
            upstream_cursor: self.upstream_cursor,
        }
    }

    /// Changes pulled but not delivered yet.
    pub fn waiting(&self) -> usize {
        count(&self.to_hub) + count(&self.to_upstream)
    }
}

/// Waits for news on either side of a relay (see [`Relay::waiter`]).
#[derive(Debug)]
pub struct RelayWait {
    hub: Arc<dyn Remote>,
    upstream: Arc<dyn Remote>,
    hub_cursor: u64,
    upstream_cursor: u64,
}

impl RelayWait {
    /// Long-polls both servers until either has news for the relay, or `timeout` passes. An
    /// unreachable side simply never answers first.
    pub async fn wait(self, timeout: std::time::Duration) {
        let hub = async {
            if self.hub.wait(self.hub_cursor, timeout).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let upstream = async {
            if self
                .upstream
                .wait(self.upstream_cursor, timeout)
                .await
                .is_err()
            {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = hub => {}
            () = upstream => {}
            () = tokio::time::sleep(timeout) => {}
        }
    }
}

/// The changes the relay took from one side, by signature (unique per change), so that when
/// they come back in the other side's log they are not sent back where they came from. Always
/// safe: a change taken from a side is held by that side. Bounded: past `MAX_ECHOES` it starts
/// over, which costs only some repeats (servers keep changes by hash).
#[derive(Debug, Default)]
struct Echoes(HashSet<[u8; 64]>);

const MAX_ECHOES: usize = 200_000;

impl Echoes {
    fn remember(&mut self, docs: &[DocChanges]) {
        if self.0.len() > MAX_ECHOES {
            self.0.clear();
        }
        self.0.extend(
            docs.iter()
                .flat_map(|d| d.changes.iter().map(|c| *c.signature())),
        );
    }

    /// `docs` without the changes remembered here (each forgotten as it is seen).
    fn drop_echoes(&mut self, docs: Vec<DocChanges>) -> Vec<DocChanges> {
        if self.0.is_empty() {
            return docs;
        }
        docs.into_iter()
            .filter_map(|mut d| {
                d.changes.retain(|c| !self.0.remove(c.signature()));
                (!d.changes.is_empty()).then_some(d)
            })
            .collect()
    }
}

fn count(docs: &[DocChanges]) -> usize {
    docs.iter().map(|d| d.changes.len()).sum()
}

/// The server refused the request for what it holds (malformed, or signed by an author it does
/// not know or does not believe), not for who asks or how often.
fn refused(e: &Error) -> bool {
    e.status()
        .is_some_and(|s| (400..500).contains(&s) && !matches!(s, 401 | 408 | 429))
}

/// Pushes `docs` and pulls after `cursor`. When the server refuses the batch for its content,
/// each document is tried on its own and the refused ones are returned, to try again later.
async fn deliver(
    remote: &dyn Remote,
    cursor: u64,
    docs: &[DocChanges],
) -> Result<(SyncResponse, Vec<DocChanges>), Error> {
    let request = SyncRequest {
        cursor,
        push: docs.to_vec(),
    };
    match remote.sync(&request).await {
        // Changes listed in `rejected` are refused for good (a role that may not write them);
        // every honest device refuses them too, so they are not kept.
        Ok(response) => Ok((response, Vec::new())),
        Err(e) if refused(&e) && docs.len() > 1 => {
            let mut kept = Vec::new();
            for doc in docs {
                let one = SyncRequest {
                    cursor,
                    push: vec![doc.clone()],
                };
                match remote.sync(&one).await {
                    Ok(_) => {}
                    Err(e) if refused(&e) => kept.push(doc.clone()),
                    Err(e) => return Err(e),
                }
            }
            let response = remote
                .sync(&SyncRequest {
                    cursor,
                    push: vec![],
                })
                .await?;
            Ok((response, kept))
        }
        Err(e) if refused(&e) => {
            let response = remote
                .sync(&SyncRequest {
                    cursor,
                    push: vec![],
                })
                .await?;
            Ok((response, docs.to_vec()))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use porchlight_model::{DocId, DocKind};
    use porchlight_sync::wire::{DocChanges, SignedChange};

    use super::Echoes;

    fn change(n: u8) -> SignedChange {
        SignedChange::from_parts(vec![n; 8], [n; 64])
    }

    #[test]
    fn a_change_taken_from_one_side_is_not_sent_back_to_it_once() {
        let doc = DocId::from_bytes([1; 16]);
        let mut echoes = Echoes::default();
        echoes.remember(&[DocChanges::new(doc, DocKind::Alert, [change(1), change(2)])]);
        let back = vec![
            DocChanges::new(doc, DocKind::Alert, [change(1), change(3)]),
            DocChanges::new(DocId::from_bytes([2; 16]), DocKind::Alert, [change(2)]),
        ];
        let left = echoes.drop_echoes(back);
        assert_eq!(left.len(), 1, "a document left with nothing goes");
        assert_eq!(left[0].changes, vec![change(3)]);
        // Each echo is dropped once: the set is empty again.
        assert!(echoes.0.is_empty());
        let again = echoes.drop_echoes(vec![DocChanges::new(doc, DocKind::Alert, [change(1)])]);
        assert_eq!(again[0].changes, vec![change(1)]);
    }
}
