//! A simulated network for deterministic sync tests: in-process servers known by their URL, and
//! links from named nodes (devices, a hub's relay) to servers that a seeded schedule cuts and
//! heals. While a link is cut every call over it fails with [`Error::Disconnected`] (which the
//! core treats like being offline); with `lose_answers`, a call may also reach the server and
//! have its answer lost on the way back, so retries are exercised too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use porchlight_model::{DeviceId, DocKind};
use porchlight_sync::wire::{
    BlobStored, DropAccepted, DropPage, DropRequest, GroupId, InviteCreated, IssueTokensRequest,
    IssuedTokens, JoinRequest, Member, Membership, SyncRequest, SyncResponse, TokenKeyInfo,
    WaitResponse,
};
use porchlight_sync::{
    Call, Connect, Enrolled, Error, InviteCode, Remote, ServerAddr, SignedInvite, SigningKey,
};

use crate::inprocess::{InProcessRemote, InProcessServer};

/// The environment variable that fixes a simulation's seed, to replay a failing run.
pub const SEED_VAR: &str = "PORCHLIGHT_SIM_SEED";

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

#[derive(Debug)]
struct State {
    rng: Rng,
    servers: BTreeMap<String, Arc<InProcessServer>>,
    cut: BTreeSet<(String, String)>,
    /// Percent of calls whose answer is lost after the server handled them.
    lose_answers: u64,
}

/// The network. Cloning shares it.
#[derive(Clone, Debug)]
pub struct SimNet {
    seed: u64,
    state: Arc<Mutex<State>>,
}

impl SimNet {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            state: Arc::new(Mutex::new(State {
                rng: Rng::new(seed),
                servers: BTreeMap::new(),
                cut: BTreeSet::new(),
                lose_answers: 0,
            })),
        }
    }

    /// A network seeded from [`SEED_VAR`] when it is set, else from `fallback`.
    pub fn from_env(fallback: u64) -> Self {
        let seed = std::env::var(SEED_VAR)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(fallback);
        Self::new(seed)
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the real failure behind a poison error.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Draws from the network's seeded generator (for schedules and workloads alike, so one
    /// seed replays a whole run).
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut Rng) -> T) -> T {
        f(&mut self.lock().rng)
    }

    /// Starts an in-process server reachable as `url`.
    pub fn add_server(&self, url: &str) -> Result<Arc<InProcessServer>, crate::HubError> {
        let server = InProcessServer::start(url)?;
        self.lock().servers.insert(url.to_owned(), server.clone());
        Ok(server)
    }

    pub fn cut(&self, node: &str, server: &str) {
        self.lock().cut.insert((node.to_owned(), server.to_owned()));
    }

    pub fn heal(&self, node: &str, server: &str) {
        self.lock()
            .cut
            .remove(&(node.to_owned(), server.to_owned()));
    }

    pub fn heal_all(&self) {
        let mut state = self.lock();
        state.cut.clear();
        state.lose_answers = 0;
    }

    pub fn is_cut(&self, node: &str, server: &str) -> bool {
        self.lock()
            .cut
            .contains(&(node.to_owned(), server.to_owned()))
    }

    /// From now on `percent` of calls lose their answer.
    pub fn lose_answers(&self, percent: u64) {
        self.lock().lose_answers = percent.min(100);
    }

    /// Cuts each of `links` with probability `percent`, heals the others.
    pub fn shuffle(&self, links: &[(&str, &str)], percent: u64) {
        let mut state = self.lock();
        for (node, server) in links {
            let key = ((*node).to_owned(), (*server).to_owned());
            if state.rng.chance(percent) {
                state.cut.insert(key);
            } else {
                state.cut.remove(&key);
            }
        }
    }

    /// How `node` reaches servers: give it to a core ([`porchlight_core::Core::open_with_connect`]).
    pub fn connect(&self, node: &str) -> Arc<dyn Connect> {
        Arc::new(SimConnect {
            net: self.clone(),
            node: node.to_owned(),
        })
    }

    fn server(&self, url: &str) -> Result<Arc<InProcessServer>, Error> {
        self.lock()
            .servers
            .get(url)
            .cloned()
            .ok_or_else(|| Error::InvalidUrl {
                url: url.to_owned(),
                reason: "no such server in the simulated network".into(),
            })
    }

    /// Runs `call` over the link from `node` to `server`: refused while the link is cut, and
    /// its answer sometimes lost.
    async fn over<T>(
        &self,
        node: &str,
        server: &str,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        if self.is_cut(node, server) {
            return Err(Error::Disconnected);
        }
        let answer = call.await;
        let lost = {
            let mut state = self.lock();
            let percent = state.lose_answers;
            percent > 0 && state.rng.chance(percent)
        };
        if lost || self.is_cut(node, server) {
            return Err(Error::Disconnected);
        }
        answer
    }
}

/// One node's way into a [`SimNet`].
#[derive(Debug)]
struct SimConnect {
    net: SimNet,
    node: String,
}

impl Connect for SimConnect {
    fn remote(
        &self,
        server: &ServerAddr,
        group: GroupId,
        key: &SigningKey,
    ) -> Result<Arc<dyn Remote>, Error> {
        let target = self.net.server(&server.url)?;
        Ok(Arc::new(Linked {
            net: self.net.clone(),
            node: self.node.clone(),
            server: server.url.clone(),
            inner: InProcessRemote::new(target, group, key.clone()),
        }))
    }

    fn create_group<'a>(
        &'a self,
        server: &'a ServerAddr,
        key: &'a SigningKey,
        name: &'a str,
        display_name: &'a str,
        creation_token: Option<&'a str>,
    ) -> Call<'a, Enrolled> {
        Box::pin(async move {
            let target = self.net.server(&server.url)?;
            let call = target.create_group(key, name, display_name, creation_token);
            let membership = self.net.over(&self.node, &server.url, call).await?;
            Ok(Enrolled {
                membership,
                server: server.clone(),
            })
        })
    }

    fn join<'a>(
        &'a self,
        code: &'a InviteCode,
        key: &'a SigningKey,
        display_name: &'a str,
    ) -> Call<'a, Enrolled> {
        Box::pin(async move {
            let target = self.net.server(&code.server)?;
            let call = target.join(code, key, display_name);
            let membership = self.net.over(&self.node, &code.server, call).await?;
            Ok(Enrolled {
                membership,
                server: ServerAddr {
                    url: code.server.clone(),
                    pin: code.tls_fingerprint,
                },
            })
        })
    }
}

/// A remote behind a simulated link.
#[derive(Debug)]
struct Linked {
    net: SimNet,
    node: String,
    server: String,
    inner: InProcessRemote,
}

impl Linked {
    fn gate<'a, T: Send + 'a>(&'a self, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(self.net.over(&self.node, &self.server, call))
    }
}

impl Remote for Linked {
    fn sync<'a>(&'a self, request: &'a SyncRequest) -> Call<'a, SyncResponse> {
        self.gate(self.inner.sync(request))
    }

    fn wait(&self, cursor: u64, timeout: Duration) -> Call<'_, WaitResponse> {
        self.gate(self.inner.wait(cursor, timeout))
    }

    fn members(&self) -> Call<'_, Vec<Member>> {
        self.gate(self.inner.members())
    }

    fn revoke(&self, device: DeviceId) -> Call<'_, Member> {
        self.gate(self.inner.revoke(device))
    }

    fn create_invite(&self, invite: SignedInvite) -> Call<'_, InviteCreated> {
        self.gate(self.inner.create_invite(invite))
    }

    fn put_blob<'a>(
        &'a self,
        hash: &'a str,
        kind: DocKind,
        bytes: Vec<u8>,
    ) -> Call<'a, BlobStored> {
        self.gate(self.inner.put_blob(hash, kind, bytes))
    }

    fn put_map_chunk<'a>(&'a self, hash: &'a str, bytes: Vec<u8>) -> Call<'a, BlobStored> {
        self.gate(self.inner.put_map_chunk(hash, bytes))
    }

    fn get_blob<'a>(&'a self, hash: &'a str) -> Call<'a, Option<Vec<u8>>> {
        self.gate(self.inner.get_blob(hash))
    }

    fn has_blob<'a>(&'a self, hash: &'a str) -> Call<'a, bool> {
        self.gate(self.inner.has_blob(hash))
    }

    fn drops(&self, after: u64, limit: u32) -> Call<'_, DropPage> {
        self.gate(self.inner.drops(after, limit))
    }

    fn post_drop<'a>(&'a self, request: &'a DropRequest) -> Call<'a, DropAccepted> {
        self.gate(self.inner.post_drop(request))
    }

    fn put_reply<'a>(&'a self, id: &'a str, bytes: Vec<u8>) -> Call<'a, ()> {
        self.gate(self.inner.put_reply(id, bytes))
    }

    fn get_reply<'a>(&'a self, group: GroupId, id: &'a str) -> Call<'a, Option<Vec<u8>>> {
        self.gate(self.inner.get_reply(group, id))
    }

    fn token_key(&self) -> Call<'_, TokenKeyInfo> {
        self.gate(self.inner.token_key())
    }

    fn issue_tokens<'a>(&'a self, request: &'a IssueTokensRequest) -> Call<'a, IssuedTokens> {
        self.gate(self.inner.issue_tokens(request))
    }

    fn forward_join<'a>(&'a self, request: &'a JoinRequest) -> Call<'a, Membership> {
        self.gate(self.inner.forward_join(request))
    }
}
