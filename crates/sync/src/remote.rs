//! The seam between a device and "a server": everything a device asks of one, as a trait object.
//!
//! Core's sync talks only to [`Remote`] and makes its remotes through a [`Connect`]. Production
//! uses [`crate::HttpTransport`] and [`HttpConnect`]; tests drive the real server in-process
//! (the `porchlight-hub` crate) and wrap either in a simulated network. The methods return boxed
//! futures so the trait stays object-safe: one `Arc<dyn Remote>` per device, whatever is behind it.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use porchlight_model::{DeviceId, DocKind};
use porchlight_protocol::tokens::TokenKey;
use serde_bytes::ByteBuf;

use crate::Error;
use crate::tls::Fingerprint;
use crate::wire::{
    BlobStored, DropAccepted, DropPage, DropRequest, DropToken, GroupId, InviteCreated,
    IssueTokensRequest, IssuedTokens, JoinRequest, MAX_TOKEN_BATCH, Member, Membership,
    SyncRequest, SyncResponse, TokenKeyInfo, WaitResponse,
};
use crate::{HttpClient, HttpTransport, InviteCode, SignedInvite};

/// What every [`Remote`] call returns: a future that may be sent across threads.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// One device's connection to one server, for one group. Authenticated calls open (and renew)
/// their session by themselves; [`Remote::post_drop`] and [`Remote::get_reply`] are the two
/// anonymous ones and must not be tied to the device by whatever carries them.
pub trait Remote: Send + Sync + Debug {
    /// Pushes and pulls in one exchange (see [`SyncRequest`]).
    fn sync<'a>(&'a self, request: &'a SyncRequest) -> Call<'a, SyncResponse>;

    /// Waits until something newer than `cursor` exists, or `timeout` passes.
    fn wait(&self, cursor: u64, timeout: Duration) -> Call<'_, WaitResponse>;

    /// Every device that ever joined the group (coordinators only).
    fn members(&self) -> Call<'_, Vec<Member>>;

    /// Removes a device from the group (coordinators only).
    fn revoke(&self, device: DeviceId) -> Call<'_, Member>;

    /// Registers an invite this (coordinator's) device signed.
    fn create_invite(&self, invite: SignedInvite) -> Call<'_, InviteCreated>;

    /// Uploads a photo of documents of `kind` under its BLAKE3 hash.
    fn put_blob<'a>(&'a self, hash: &'a str, kind: DocKind, bytes: Vec<u8>)
    -> Call<'a, BlobStored>;

    /// Uploads one chunk of the group's offline map (coordinators only).
    fn put_map_chunk<'a>(&'a self, hash: &'a str, bytes: Vec<u8>) -> Call<'a, BlobStored>;

    /// Downloads a blob or map chunk; `None` when the group has none with this hash.
    fn get_blob<'a>(&'a self, hash: &'a str) -> Call<'a, Option<Vec<u8>>>;

    /// Whether the server holds a blob or map chunk this device may read, without its bytes (a
    /// `HEAD`): how a hub's relay finds what one server lacks.
    fn has_blob<'a>(&'a self, hash: &'a str) -> Call<'a, bool>;

    /// The group's anonymous drops after `after`, oldest first (coordinators only).
    fn drops(&self, after: u64, limit: u32) -> Call<'_, DropPage>;

    /// Posts one sealed envelope to the drop box, anonymously (no session, nothing shared with
    /// the device's other requests).
    fn post_drop<'a>(&'a self, request: &'a DropRequest) -> Call<'a, DropAccepted>;

    /// Publishes an encrypted reply under `id` (coordinators only).
    fn put_reply<'a>(&'a self, id: &'a str, bytes: Vec<u8>) -> Call<'a, ()>;

    /// Reads the reply published in `group` under `id`, anonymously; `None` when there is none.
    fn get_reply<'a>(&'a self, group: GroupId, id: &'a str) -> Call<'a, Option<Vec<u8>>>;

    /// The group's drop-token issuing key and this member's allowance left today.
    fn token_key(&self) -> Call<'_, TokenKeyInfo>;

    /// Has blinded messages signed.
    fn issue_tokens<'a>(&'a self, request: &'a IssueTokensRequest) -> Call<'a, IssuedTokens>;

    /// Posts a join request that another device signed, as that device would (no session): a
    /// hub's relay brings members who joined in the hall to the community server this way.
    fn forward_join<'a>(&'a self, request: &'a JoinRequest) -> Call<'a, Membership>;
}

/// Blinds `count` fresh messages for `key`, has them signed through `remote` and returns the
/// tokens. The caller checks `key` against the one it pinned first.
pub async fn fetch_tokens(
    remote: &dyn Remote,
    key: &TokenKey,
    count: usize,
) -> Result<Vec<DropToken>, Error> {
    let pending = (0..count.min(MAX_TOKEN_BATCH))
        .map(|_| key.blind())
        .collect::<Result<Vec<_>, _>>()?;
    let request = IssueTokensRequest {
        blinded: pending
            .iter()
            .map(|p| ByteBuf::from(p.blinded().to_vec()))
            .collect(),
    };
    let issued = remote.issue_tokens(&request).await?;
    if issued.signatures.len() > pending.len() {
        return Err(Error::InvalidField {
            field: "drop token",
            reason: "the server sent more signatures than asked for".into(),
        });
    }
    pending
        .iter()
        .zip(&issued.signatures)
        .map(|(p, sig)| key.finish(p, sig).map_err(Error::from))
        .collect()
}

/// A server as a device names it: its address (as the invite or the user gave it) and the
/// certificate pinned for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAddr {
    pub url: String,
    pub pin: Option<Fingerprint>,
}

/// What creating or joining a group gave back: the membership, and the server's address in the
/// form to store and put into invites.
#[derive(Clone, Debug)]
pub struct Enrolled {
    pub membership: Membership,
    pub server: ServerAddr,
}

/// Makes [`Remote`]s, and does the two things a device does before it has one: create a group,
/// or join one with an invite code.
pub trait Connect: Send + Sync + Debug {
    /// The remote for `server`, acting as `key` in `group`. Cheap: nothing is sent yet.
    fn remote(
        &self,
        server: &ServerAddr,
        group: GroupId,
        key: &SigningKey,
    ) -> Result<Arc<dyn Remote>, Error>;

    /// Registers a new group on `server` with `key` as its first coordinator.
    fn create_group<'a>(
        &'a self,
        server: &'a ServerAddr,
        key: &'a SigningKey,
        name: &'a str,
        display_name: &'a str,
        creation_token: Option<&'a str>,
    ) -> Call<'a, Enrolled>;

    /// Joins the group `code` names, on the server it names.
    fn join<'a>(
        &'a self,
        code: &'a InviteCode,
        key: &'a SigningKey,
        display_name: &'a str,
    ) -> Call<'a, Enrolled>;
}

/// The network: HTTPS (or plain HTTP to loopback) with [`HttpTransport`].
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpConnect;

impl Connect for HttpConnect {
    fn remote(
        &self,
        server: &ServerAddr,
        group: GroupId,
        key: &SigningKey,
    ) -> Result<Arc<dyn Remote>, Error> {
        let client = HttpClient::with_pin(&server.url, server.pin.as_ref())?;
        Ok(Arc::new(HttpTransport::new(client, group, key.clone())))
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
            let client = HttpClient::with_pin(&server.url, server.pin.as_ref())?;
            let membership = client
                .create_group(key, name, display_name, creation_token)
                .await?;
            Ok(enrolled(&client, membership))
        })
    }

    fn join<'a>(
        &'a self,
        code: &'a InviteCode,
        key: &'a SigningKey,
        display_name: &'a str,
    ) -> Call<'a, Enrolled> {
        Box::pin(async move {
            let client = HttpClient::for_invite(code)?;
            let membership = client.join(code, key, display_name).await?;
            Ok(enrolled(&client, membership))
        })
    }
}

fn enrolled(client: &HttpClient, membership: Membership) -> Enrolled {
    Enrolled {
        membership,
        server: ServerAddr {
            url: client.base_url().to_owned(),
            pin: client.pin().copied(),
        },
    }
}
