//! The real server, in this process, with no socket: requests go straight into its axum router
//! (`tower::ServiceExt::oneshot`), so everything the server checks (sessions, roles, signatures,
//! membership, content) is checked exactly as over the network.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, header};
use porchlight_model::{DeviceId, DocKind};
use porchlight_server::{Clock, Settings, SqliteStorage, TlsMode};
use porchlight_sync::wire::{
    self, BlobStored, CBOR, Challenge, CreateInviteRequest, DropAccepted, DropPage, DropRequest,
    ErrorBody, GroupId, InviteCreated, IssueTokensRequest, IssuedTokens, JoinRequest,
    MAP_CHUNK_KIND, Member, MemberList, Membership, RevokeRequest, SessionResponse, SyncRequest,
    SyncResponse, TokenKeyInfo, WaitResponse,
};
use porchlight_sync::{
    Call, Connect, Enrolled, Error, InviteCode, Remote, ServerAddr, SignedInvite, SigningKey,
    create_group_request, join_request, session_request,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, watch};

use crate::HubError;

const OCTET_STREAM: &str = "application/octet-stream";
/// The largest answer read back (the HTTP client's own limit).
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// A server running inside this process, reached by its router.
#[derive(Debug)]
pub struct InProcessServer {
    url: String,
    router: Router,
    storage: SqliteStorage,
    /// Dropping it ends the server's pending long-polls.
    stopping: watch::Sender<bool>,
    dir: Option<tempfile::TempDir>,
}

impl InProcessServer {
    /// A server known as `url` with its own throwaway database, settings as for tests: anyone
    /// may create a group, TLS is irrelevant, and reply reads are not limited per address
    /// (every in-process caller shares one).
    pub fn start(url: &str) -> Result<Arc<Self>, HubError> {
        let dir = tempfile::tempdir().map_err(HubError::Io)?;
        let settings = Settings {
            open_group_creation: true,
            tls: TlsMode::Off,
            reply_reads_per_hour: u32::MAX,
            ..Settings::default()
        };
        let mut server = Self::open(url, &dir.path().join("server.db"), settings)?;
        server.dir = Some(dir);
        Ok(Arc::new(server))
    }

    /// A server known as `url` over the SQLite database at `path`.
    pub fn open(url: &str, path: &Path, settings: Settings) -> Result<Self, HubError> {
        Ok(Self::over(url, SqliteStorage::open(path)?, settings))
    }

    /// A second way into a server already serving `storage` (a hub's relay reaches its own
    /// server this way, without a socket); pushes through either wake the other's long-polls.
    pub fn over(url: &str, storage: SqliteStorage, settings: Settings) -> Self {
        let (stopping, stopped) = watch::channel(false);
        let router = porchlight_server::app(storage.clone(), settings, Clock::system(), stopped);
        Self {
            url: url.to_owned(),
            router,
            storage,
            stopping,
            dir: None,
        }
    }

    /// Ends the server's pending long-polls, as a server shutting down does.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// The address devices know this server by.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's storage, for a hub that mirrors the group's membership into it.
    pub fn storage(&self) -> &SqliteStorage {
        &self.storage
    }

    /// One request through the router. An error status becomes [`Error::Http`] with the
    /// server's own `{kind, message}`.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&'static str, Vec<u8>)>,
    ) -> Result<Vec<u8>, Error> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT, CBOR);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some((media_type, bytes)) => {
                request = request
                    .header(header::CONTENT_TYPE, media_type)
                    .header(header::CONTENT_LENGTH, bytes.len());
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).map_err(|e| Error::InvalidField {
            field: "request",
            reason: e.to_string(),
        })?;
        // The reply endpoint limits reads per peer address; in-process every caller is this one.
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 0))));
        let response = match tower::ServiceExt::oneshot(self.router.clone(), request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), MAX_RESPONSE)
            .await
            .map_err(|e| Error::InvalidField {
                field: "response",
                reason: e.to_string(),
            })?
            .to_vec();
        if status.is_success() {
            return Ok(bytes);
        }
        let (kind, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => (body.kind, body.message),
            Err(_) => (
                "server".to_owned(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ),
        };
        Err(Error::Http {
            status: status.as_u16(),
            kind,
            message,
        })
    }

    async fn cbor<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let body = body.map(wire::encode).transpose()?.map(|b| (CBOR, b));
        let bytes = self.send(method, path, token, body).await?;
        Ok(wire::decode(&bytes)?)
    }

    async fn challenge(&self) -> Result<Challenge, Error> {
        self.cbor(Method::POST, "/v1/auth/challenge", None, None::<&()>)
            .await
    }

    /// Creates a group with `key` as its first coordinator, as [`porchlight_sync::HttpClient`]
    /// does over the network.
    pub async fn create_group(
        &self,
        key: &SigningKey,
        name: &str,
        display_name: &str,
        creation_token: Option<&str>,
    ) -> Result<Membership, Error> {
        let challenge = self.challenge().await?;
        let request = create_group_request(key, name, display_name, &challenge, creation_token);
        self.cbor(Method::POST, "/v1/groups", None, Some(&request))
            .await
    }

    /// Joins the group of `code` with `key`.
    pub async fn join(
        &self,
        code: &InviteCode,
        key: &SigningKey,
        display_name: &str,
    ) -> Result<Membership, Error> {
        self.post_join(&join_request(code, key, display_name)).await
    }

    /// Posts a signed join request.
    pub async fn post_join(&self, request: &JoinRequest) -> Result<Membership, Error> {
        self.cbor(Method::POST, "/v1/join", None, Some(request))
            .await
    }
}

/// One device's [`Remote`] on an [`InProcessServer`]: it opens its session by signing a
/// challenge and opens a new one after a 401, like [`porchlight_sync::HttpTransport`].
#[derive(Debug)]
pub struct InProcessRemote {
    server: Arc<InProcessServer>,
    group: GroupId,
    key: SigningKey,
    token: Mutex<Option<String>>,
}

impl InProcessRemote {
    pub fn new(server: Arc<InProcessServer>, group: GroupId, key: SigningKey) -> Self {
        Self {
            server,
            group,
            key,
            token: Mutex::new(None),
        }
    }

    async fn token(&self) -> Result<String, Error> {
        let mut slot = self.token.lock().await;
        if let Some(token) = slot.as_ref() {
            return Ok(token.clone());
        }
        let challenge = self.server.challenge().await?;
        let request = session_request(&self.key, self.group, &challenge);
        let session: SessionResponse = self
            .server
            .cbor(Method::POST, "/v1/auth/session", None, Some(&request))
            .await?;
        *slot = Some(session.token.clone());
        Ok(session.token)
    }

    /// An authenticated request, retried once with a new session after a 401.
    async fn authed(
        &self,
        method: Method,
        path: &str,
        body: Option<(&'static str, Vec<u8>)>,
    ) -> Result<Vec<u8>, Error> {
        let token = self.token().await?;
        let first = self
            .server
            .send(method.clone(), path, Some(&token), body.clone())
            .await;
        match first {
            Err(e) if e.is_unauthorized() => {
                {
                    let mut slot = self.token.lock().await;
                    if slot.as_deref() == Some(token.as_str()) {
                        *slot = None;
                    }
                }
                let token = self.token().await?;
                self.server.send(method, path, Some(&token), body).await
            }
            other => other,
        }
    }

    async fn authed_cbor<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let body = body.map(wire::encode).transpose()?.map(|b| (CBOR, b));
        let bytes = self.authed(method, path, body).await?;
        Ok(wire::decode(&bytes)?)
    }

    async fn put_raw(&self, path: String, bytes: Vec<u8>) -> Result<BlobStored, Error> {
        let answer = self
            .authed(Method::PUT, &path, Some((OCTET_STREAM, bytes)))
            .await?;
        Ok(wire::decode(&answer)?)
    }
}

/// The raw body, or `None` for a 404.
fn raw_or_none(sent: Result<Vec<u8>, Error>) -> Result<Option<Vec<u8>>, Error> {
    match sent {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Remote for InProcessRemote {
    fn sync<'a>(&'a self, request: &'a SyncRequest) -> Call<'a, SyncResponse> {
        Box::pin(self.authed_cbor(Method::POST, "/v1/sync", Some(request)))
    }

    fn wait(&self, cursor: u64, timeout: Duration) -> Call<'_, WaitResponse> {
        Box::pin(async move {
            let path = format!("/v1/wait?cursor={cursor}&timeout={}", timeout.as_secs());
            self.authed_cbor(Method::GET, &path, None::<&()>).await
        })
    }

    fn members(&self) -> Call<'_, Vec<Member>> {
        Box::pin(async move {
            let list: MemberList = self
                .authed_cbor(Method::GET, "/v1/members", None::<&()>)
                .await?;
            Ok(list.members)
        })
    }

    fn revoke(&self, device: DeviceId) -> Call<'_, Member> {
        Box::pin(async move {
            let request = RevokeRequest { device };
            self.authed_cbor(Method::POST, "/v1/members/revoke", Some(&request))
                .await
        })
    }

    fn create_invite(&self, invite: SignedInvite) -> Call<'_, InviteCreated> {
        Box::pin(async move {
            let request = CreateInviteRequest { invite };
            self.authed_cbor(Method::POST, "/v1/invites", Some(&request))
                .await
        })
    }

    fn put_blob<'a>(
        &'a self,
        hash: &'a str,
        kind: DocKind,
        bytes: Vec<u8>,
    ) -> Call<'a, BlobStored> {
        Box::pin(self.put_raw(format!("/v1/blobs/{hash}?kind={}", kind.as_str()), bytes))
    }

    fn put_map_chunk<'a>(&'a self, hash: &'a str, bytes: Vec<u8>) -> Call<'a, BlobStored> {
        Box::pin(self.put_raw(format!("/v1/blobs/{hash}?kind={MAP_CHUNK_KIND}"), bytes))
    }

    fn get_blob<'a>(&'a self, hash: &'a str) -> Call<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            raw_or_none(
                self.authed(Method::GET, &format!("/v1/blobs/{hash}"), None)
                    .await,
            )
        })
    }

    fn has_blob<'a>(&'a self, hash: &'a str) -> Call<'a, bool> {
        Box::pin(async move {
            match self
                .authed(Method::HEAD, &format!("/v1/blobs/{hash}"), None)
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if e.status() == Some(404) => Ok(false),
                Err(e) => Err(e),
            }
        })
    }

    fn drops(&self, after: u64, limit: u32) -> Call<'_, DropPage> {
        Box::pin(async move {
            let path = format!("/v1/drops?after={after}&limit={limit}");
            self.authed_cbor(Method::GET, &path, None::<&()>).await
        })
    }

    fn post_drop<'a>(&'a self, request: &'a DropRequest) -> Call<'a, DropAccepted> {
        // No session: the drop box must not learn who drops.
        Box::pin(
            self.server
                .cbor(Method::POST, "/v1/drop", None, Some(request)),
        )
    }

    fn put_reply<'a>(&'a self, id: &'a str, bytes: Vec<u8>) -> Call<'a, ()> {
        Box::pin(async move {
            self.authed(
                Method::PUT,
                &format!("/v1/replies/{id}"),
                Some((OCTET_STREAM, bytes)),
            )
            .await?;
            Ok(())
        })
    }

    fn get_reply<'a>(&'a self, group: GroupId, id: &'a str) -> Call<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let path = format!("/v1/replies/{group}/{id}");
            raw_or_none(self.server.send(Method::GET, &path, None, None).await)
        })
    }

    fn token_key(&self) -> Call<'_, TokenKeyInfo> {
        Box::pin(self.authed_cbor(Method::GET, "/v1/tokens", None::<&()>))
    }

    fn issue_tokens<'a>(&'a self, request: &'a IssueTokensRequest) -> Call<'a, IssuedTokens> {
        Box::pin(self.authed_cbor(Method::POST, "/v1/tokens", Some(request)))
    }

    fn forward_join<'a>(&'a self, request: &'a JoinRequest) -> Call<'a, Membership> {
        Box::pin(self.server.post_join(request))
    }
}

/// Reaches one [`InProcessServer`] whatever address is asked for: a hub's relay uses it to talk
/// to its own server without a socket.
#[derive(Debug)]
pub struct InProcessConnect(Arc<InProcessServer>);

impl InProcessConnect {
    pub fn new(server: Arc<InProcessServer>) -> Self {
        Self(server)
    }
}

impl Connect for InProcessConnect {
    fn remote(
        &self,
        _server: &ServerAddr,
        group: GroupId,
        key: &SigningKey,
    ) -> Result<Arc<dyn Remote>, Error> {
        Ok(Arc::new(InProcessRemote::new(
            self.0.clone(),
            group,
            key.clone(),
        )))
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
            let membership = self
                .0
                .create_group(key, name, display_name, creation_token)
                .await?;
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
            let membership = self.0.join(code, key, display_name).await?;
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
