//! [`HttpTransport`]: the [`Remote`] a device uses in production, over HTTPS.

use std::future::Future;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use porchlight_model::{DeviceId, DocKind};
use tokio::sync::Mutex;

use crate::client::{HttpClient, Session};
use crate::remote::{Call, Remote};
use crate::wire::{
    BlobStored, DropAccepted, DropPage, DropRequest, GroupId, InviteCreated, IssueTokensRequest,
    IssuedTokens, JoinRequest, Member, Membership, SyncRequest, SyncResponse, TokenKeyInfo,
    WaitResponse,
};
use crate::{AnonymousClient, Error, SignedInvite};

/// A [`Remote`] over HTTP that opens sessions by itself: it signs a challenge on first use and
/// again whenever the server says the token is no longer good (expired, or the server restarted).
#[derive(Debug)]
pub struct HttpTransport {
    client: HttpClient,
    group: GroupId,
    key: SigningKey,
    session: Mutex<Option<Session>>,
}

impl HttpTransport {
    pub fn new(client: HttpClient, group: GroupId, key: SigningKey) -> Self {
        Self {
            client,
            group,
            key,
            session: Mutex::new(None),
        }
    }

    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    /// The current session, opening one if needed.
    pub async fn session(&self) -> Result<Session, Error> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref() {
            return Ok(session.clone());
        }
        let session = self.client.authenticate(self.group, &self.key).await?;
        *slot = Some(session.clone());
        Ok(session)
    }

    async fn forget(&self, stale: &Session) {
        let mut slot = self.session.lock().await;
        // Another task may already have replaced it with a fresh one.
        if slot.as_ref() == Some(stale) {
            *slot = None;
        }
    }

    /// Runs `call` with a session, retrying once with a new session after a 401. A second 401
    /// means the device itself is refused (revoked), which the caller must see.
    pub(crate) async fn with_session<T, F, Fut>(&self, call: F) -> Result<T, Error>
    where
        F: Fn(Session) -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, Error>> + Send,
        T: Send,
    {
        let session = self.session().await?;
        match call(session.clone()).await {
            Err(e) if e.is_unauthorized() => {
                self.forget(&session).await;
                call(self.session().await?).await
            }
            other => other,
        }
    }

    /// [`HttpClient::put_blob`] with this transport's session.
    pub async fn put_blob(
        &self,
        hash: &str,
        kind: DocKind,
        bytes: Vec<u8>,
    ) -> Result<BlobStored, Error> {
        // A retry after a refused token sends the bytes again, so each attempt gets its own copy.
        let bytes = &bytes;
        self.with_session(
            |s| async move { self.client.put_blob(&s, hash, kind, bytes.clone()).await },
        )
        .await
    }

    /// [`HttpClient::put_map_chunk`] with this transport's session.
    pub async fn put_map_chunk(&self, hash: &str, bytes: Vec<u8>) -> Result<BlobStored, Error> {
        let bytes = &bytes;
        self.with_session(
            |s| async move { self.client.put_map_chunk(&s, hash, bytes.clone()).await },
        )
        .await
    }

    /// [`HttpClient::get_blob`] with this transport's session.
    pub async fn get_blob(&self, hash: &str) -> Result<Option<Vec<u8>>, Error> {
        self.with_session(|s| async move { self.client.get_blob(&s, hash).await })
            .await
    }

    /// [`HttpClient::has_blob`] with this transport's session.
    pub async fn has_blob(&self, hash: &str) -> Result<bool, Error> {
        self.with_session(|s| async move { self.client.has_blob(&s, hash).await })
            .await
    }

    /// [`HttpClient::drops`] with this transport's session.
    pub async fn drops(&self, after: u64, limit: u32) -> Result<DropPage, Error> {
        self.with_session(|s| async move { self.client.drops(&s, after, limit).await })
            .await
    }

    /// [`HttpClient::put_reply`] with this transport's session.
    pub async fn put_reply(&self, id: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let bytes = &bytes;
        self.with_session(|s| async move { self.client.put_reply(&s, id, bytes.clone()).await })
            .await
    }
}

impl Remote for HttpTransport {
    fn sync<'a>(&'a self, request: &'a SyncRequest) -> Call<'a, SyncResponse> {
        Box::pin(self.with_session(move |s| async move { self.client.sync(&s, request).await }))
    }

    fn wait(&self, cursor: u64, timeout: Duration) -> Call<'_, WaitResponse> {
        Box::pin(
            self.with_session(move |s| async move { self.client.wait(&s, cursor, timeout).await }),
        )
    }

    fn members(&self) -> Call<'_, Vec<Member>> {
        Box::pin(self.with_session(move |s| async move { self.client.members(&s).await }))
    }

    fn revoke(&self, device: DeviceId) -> Call<'_, Member> {
        Box::pin(self.with_session(move |s| async move { self.client.revoke(&s, device).await }))
    }

    fn create_invite(&self, invite: SignedInvite) -> Call<'_, InviteCreated> {
        Box::pin(async move {
            let invite = &invite;
            self.with_session(
                |s| async move { self.client.create_invite(&s, invite.clone()).await },
            )
            .await
        })
    }

    fn put_blob<'a>(
        &'a self,
        hash: &'a str,
        kind: DocKind,
        bytes: Vec<u8>,
    ) -> Call<'a, BlobStored> {
        Box::pin(HttpTransport::put_blob(self, hash, kind, bytes))
    }

    fn put_map_chunk<'a>(&'a self, hash: &'a str, bytes: Vec<u8>) -> Call<'a, BlobStored> {
        Box::pin(HttpTransport::put_map_chunk(self, hash, bytes))
    }

    fn get_blob<'a>(&'a self, hash: &'a str) -> Call<'a, Option<Vec<u8>>> {
        Box::pin(HttpTransport::get_blob(self, hash))
    }

    fn has_blob<'a>(&'a self, hash: &'a str) -> Call<'a, bool> {
        Box::pin(HttpTransport::has_blob(self, hash))
    }

    fn drops(&self, after: u64, limit: u32) -> Call<'_, DropPage> {
        Box::pin(HttpTransport::drops(self, after, limit))
    }

    fn post_drop<'a>(&'a self, request: &'a DropRequest) -> Call<'a, DropAccepted> {
        // Through its own fresh connection with no session: see [`AnonymousClient`].
        Box::pin(AnonymousClient::drop_pinned(
            self.client.base_url(),
            self.client.pin(),
            request,
        ))
    }

    fn put_reply<'a>(&'a self, id: &'a str, bytes: Vec<u8>) -> Call<'a, ()> {
        Box::pin(HttpTransport::put_reply(self, id, bytes))
    }

    fn get_reply<'a>(&'a self, group: GroupId, id: &'a str) -> Call<'a, Option<Vec<u8>>> {
        Box::pin(AnonymousClient::reply_pinned(
            self.client.base_url(),
            self.client.pin(),
            group,
            id,
        ))
    }

    fn token_key(&self) -> Call<'_, TokenKeyInfo> {
        Box::pin(self.with_session(move |s| async move { self.client.token_key(&s).await }))
    }

    fn issue_tokens<'a>(&'a self, request: &'a IssueTokensRequest) -> Call<'a, IssuedTokens> {
        Box::pin(
            self.with_session(move |s| async move { self.client.issue_tokens(&s, request).await }),
        )
    }

    fn forward_join<'a>(&'a self, request: &'a JoinRequest) -> Call<'a, Membership> {
        Box::pin(self.client.post_join(request))
    }
}
