//! The seam between a device's sync loop and the network. Core's sync logic talks to a
//! [`Transport`]; production uses [`HttpTransport`], tests use [`crate::MemoryTransport`].

use std::future::Future;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use porchlight_model::DocKind;
use tokio::sync::Mutex;

use crate::Error;
use crate::client::{HttpClient, Session};
use crate::wire::{BlobStored, DropPage, GroupId, SyncRequest, SyncResponse, WaitResponse};

/// One device's connection to a change log.
pub trait Transport: Send + Sync {
    /// Pushes and pulls in one exchange (see [`SyncRequest`]).
    fn sync(
        &self,
        request: &SyncRequest,
    ) -> impl Future<Output = Result<SyncResponse, Error>> + Send;

    /// Waits until something newer than `cursor` exists, or `timeout` passes.
    fn wait(
        &self,
        cursor: u64,
        timeout: Duration,
    ) -> impl Future<Output = Result<WaitResponse, Error>> + Send;
}

/// A [`Transport`] over HTTP that opens sessions by itself: it signs a challenge on first use and
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

impl Transport for HttpTransport {
    async fn sync(&self, request: &SyncRequest) -> Result<SyncResponse, Error> {
        self.with_session(|s| async move { self.client.sync(&s, request).await })
            .await
    }

    async fn wait(&self, cursor: u64, timeout: Duration) -> Result<WaitResponse, Error> {
        self.with_session(|s| async move { self.client.wait(&s, cursor, timeout).await })
            .await
    }
}
