//! The HTTP client for a Porchlight server. Thin: it builds the signed messages from
//! [`crate::crypto`], moves CBOR bodies, and turns failures into [`Error`] variants a caller can
//! act on (offline → retry later, 401 → new session, anything else → show the server's message).

use std::time::Duration;

use ed25519_dalek::SigningKey;
use porchlight_model::{DeviceId, DocKind, Role};
use reqwest::{Method, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::tls::{Fingerprint, certificate_failure, check_transport, configure};
use crate::wire::{
    self, BlobStored, CBOR, Challenge, CreateInviteRequest, DropPage, ErrorBody, GroupId, Health,
    InviteCreated, JoinRequest, Member, MemberList, Membership, RevokeRequest, SessionResponse,
    SyncRequest, SyncResponse, WaitResponse,
};
use porchlight_protocol::{InviteCode, SignedInvite};

/// Ordinary requests give up after this; a long-poll gets its own, longer budget.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The media type of raw blob and reply bodies.
pub(crate) const OCTET_STREAM: &str = "application/octet-stream";
/// Extra time past a long-poll's own timeout before the client stops waiting for the answer.
const WAIT_GRACE: Duration = Duration::from_secs(15);

/// An open session: a bearer token bound to one device in one group.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    token: String,
    /// Unix seconds (server clock) after which the token stops working.
    pub expires_at: i64,
    pub membership: Membership,
}

impl Session {
    pub fn group(&self) -> GroupId {
        self.membership.group
    }

    pub fn device(&self) -> DeviceId {
        self.membership.device
    }

    pub fn role(&self) -> Role {
        self.membership.role
    }

    /// The bearer token, for callers that must store or forward it.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("token", &"<hidden>")
            .field("expires_at", &self.expires_at)
            .field("membership", &self.membership)
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct HttpClient {
    http: reqwest::Client,
    base: String,
    pin: Option<Fingerprint>,
}

impl HttpClient {
    /// A client for the server at `base_url` (`https://`, or `http://` to this machine only; no
    /// path needed), checking its certificate against the bundled WebPKI roots.
    pub fn new(base_url: &str) -> Result<Self, Error> {
        Self::with_pin(base_url, None)
    }

    /// Like [`HttpClient::new`]; with `pin`, the server must show exactly the certificate with
    /// that SHA-256 fingerprint (see [`crate::tls`]). Refuses plain `http://` beyond loopback
    /// here, before anything is sent.
    pub fn with_pin(base_url: &str, pin: Option<&Fingerprint>) -> Result<Self, Error> {
        let target = check_transport(base_url, pin)?;
        let builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT);
        let http = configure(builder, &target, pin, true)?
            .build()
            .map_err(Error::Request)?;
        Ok(Self {
            http,
            base: target.base,
            pin: pin.copied(),
        })
    }

    /// A client for the server an invite code points at, pinned to the certificate it names.
    pub fn for_invite(code: &InviteCode) -> Result<Self, Error> {
        Self::with_pin(&code.server, code.tls_fingerprint.as_ref())
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The pinned certificate fingerprint, if any; it goes into the invites this client makes.
    pub fn pin(&self) -> Option<&Fingerprint> {
        self.pin.as_ref()
    }

    pub async fn health(&self) -> Result<Health, Error> {
        let response = self.send(self.http.get(self.url("/v1/health"))).await?;
        let bytes = response.bytes().await.map_err(Error::Request)?;
        serde_json::from_slice(&bytes).map_err(|e| Error::InvalidField {
            field: "health",
            reason: e.to_string(),
        })
    }

    /// Asks for a single-use nonce to sign.
    pub async fn challenge(&self) -> Result<Challenge, Error> {
        self.call(Method::POST, "/v1/auth/challenge", None, None::<&()>)
            .await
    }

    /// Creates a group with this device as its first coordinator.
    pub async fn create_group(
        &self,
        key: &SigningKey,
        name: &str,
        display_name: &str,
        creation_token: Option<&str>,
    ) -> Result<Membership, Error> {
        let challenge = self.challenge().await?;
        let request =
            crate::create_group_request(key, name, display_name, &challenge, creation_token);
        self.call(Method::POST, "/v1/groups", None, Some(&request))
            .await
    }

    /// Opens a session in `group` by signing a fresh server challenge.
    pub async fn authenticate(&self, group: GroupId, key: &SigningKey) -> Result<Session, Error> {
        let challenge = self.challenge().await?;
        let request = crate::session_request(key, group, &challenge);
        let response: SessionResponse = self
            .call(Method::POST, "/v1/auth/session", None, Some(&request))
            .await?;
        Ok(Session {
            token: response.token,
            expires_at: response.expires_at,
            membership: response.membership,
        })
    }

    /// Registers an invite this coordinator's device made and signed (see
    /// [`porchlight_protocol::SignedInvite`]); the secret stays on the device.
    pub async fn create_invite(
        &self,
        session: &Session,
        invite: SignedInvite,
    ) -> Result<InviteCreated, Error> {
        let request = CreateInviteRequest { invite };
        self.call(Method::POST, "/v1/invites", Some(session), Some(&request))
            .await
    }

    /// Joins the group of `code` with this device's key. Sent to this client's server, which
    /// should be the one in the code (see [`HttpClient::for_invite`]).
    pub async fn join(
        &self,
        code: &InviteCode,
        key: &SigningKey,
        display_name: &str,
    ) -> Result<Membership, Error> {
        self.post_join(&crate::join_request(code, key, display_name))
            .await
    }

    /// Posts a signed join request: this device's own, or one a hub forwards.
    pub async fn post_join(&self, request: &JoinRequest) -> Result<Membership, Error> {
        self.call(Method::POST, "/v1/join", None, Some(request))
            .await
    }

    pub async fn sync(
        &self,
        session: &Session,
        request: &SyncRequest,
    ) -> Result<SyncResponse, Error> {
        self.call(Method::POST, "/v1/sync", Some(session), Some(request))
            .await
    }

    /// Long-polls until the group has something newer than `cursor`, or `timeout` passes (the
    /// server caps it).
    pub async fn wait(
        &self,
        session: &Session,
        cursor: u64,
        timeout: Duration,
    ) -> Result<WaitResponse, Error> {
        let secs = timeout.as_secs();
        let builder = self
            .http
            .get(self.url(&format!("/v1/wait?cursor={cursor}&timeout={secs}")))
            .bearer_auth(&session.token)
            .timeout(timeout + WAIT_GRACE);
        self.decode_response(self.send(builder).await?).await
    }

    /// Every device that ever joined the group (coordinators only).
    pub async fn members(&self, session: &Session) -> Result<Vec<Member>, Error> {
        let list: MemberList = self
            .call(Method::GET, "/v1/members", Some(session), None::<&()>)
            .await?;
        Ok(list.members)
    }

    /// Removes a device from the group (coordinators only); its sessions stop working at once.
    pub async fn revoke(&self, session: &Session, device: DeviceId) -> Result<Member, Error> {
        let request = RevokeRequest { device };
        self.call(
            Method::POST,
            "/v1/members/revoke",
            Some(session),
            Some(&request),
        )
        .await
    }

    /// Uploads a photo of documents of `kind` under its BLAKE3 `hash` ([`wire::blob_hash`]).
    /// Uploading a blob the group already has is harmless (`new: false`).
    pub async fn put_blob(
        &self,
        session: &Session,
        hash: &str,
        kind: DocKind,
        bytes: Vec<u8>,
    ) -> Result<BlobStored, Error> {
        self.put_blob_as(session, hash, kind.as_str(), bytes).await
    }

    /// Uploads one chunk of the group's offline map package (coordinators only); read back with
    /// [`HttpClient::get_blob`] like any blob.
    pub async fn put_map_chunk(
        &self,
        session: &Session,
        hash: &str,
        bytes: Vec<u8>,
    ) -> Result<BlobStored, Error> {
        self.put_blob_as(session, hash, wire::MAP_CHUNK_KIND, bytes)
            .await
    }

    async fn put_blob_as(
        &self,
        session: &Session,
        hash: &str,
        kind: &str,
        bytes: Vec<u8>,
    ) -> Result<BlobStored, Error> {
        check_blob_hash(hash)?;
        let builder = self
            .http
            .put(self.url(&format!("/v1/blobs/{hash}?kind={kind}")))
            .bearer_auth(&session.token)
            .header(header::ACCEPT, CBOR)
            .header(header::CONTENT_TYPE, OCTET_STREAM)
            .body(bytes);
        self.decode_response(self.send(builder).await?).await
    }

    /// Downloads a blob; `None` when the group has none with this hash.
    pub async fn get_blob(&self, session: &Session, hash: &str) -> Result<Option<Vec<u8>>, Error> {
        check_blob_hash(hash)?;
        let builder = self
            .http
            .get(self.url(&format!("/v1/blobs/{hash}")))
            .bearer_auth(&session.token);
        raw_or_none(self.send(builder).await).await
    }

    /// Whether the server holds the blob (a `HEAD`: no bytes travel).
    pub async fn has_blob(&self, session: &Session, hash: &str) -> Result<bool, Error> {
        check_blob_hash(hash)?;
        let builder = self
            .http
            .head(self.url(&format!("/v1/blobs/{hash}")))
            .bearer_auth(&session.token);
        match self.send(builder).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The group's anonymous drops after `after`, oldest first (coordinators only).
    pub async fn drops(
        &self,
        session: &Session,
        after: u64,
        limit: u32,
    ) -> Result<DropPage, Error> {
        self.call(
            Method::GET,
            &format!("/v1/drops?after={after}&limit={limit}"),
            Some(session),
            None::<&()>,
        )
        .await
    }

    /// Publishes an (already encrypted) reply under `id` (coordinators only); the latest
    /// version replaces the one before.
    pub async fn put_reply(
        &self,
        session: &Session,
        id: &str,
        bytes: Vec<u8>,
    ) -> Result<(), Error> {
        check_reply_id(id)?;
        let builder = self
            .http
            .put(self.url(&format!("/v1/replies/{id}")))
            .bearer_auth(&session.token)
            .header(header::CONTENT_TYPE, OCTET_STREAM)
            .body(bytes);
        self.send(builder).await?;
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let mut builder = self
            .http
            .request(method, self.url(path))
            .header(header::ACCEPT, CBOR);
        if let Some(session) = session {
            builder = builder.bearer_auth(&session.token);
        }
        if let Some(body) = body {
            builder = builder
                .header(header::CONTENT_TYPE, CBOR)
                .body(wire::encode(body)?);
        }
        self.decode_response(self.send(builder).await?).await
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> Result<reqwest::Response, Error> {
        send(builder).await
    }

    async fn decode_response<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, Error> {
        decode_response(response).await
    }
}

/// Sends a request; an error status becomes [`Error::Http`].
pub(crate) async fn send(builder: reqwest::RequestBuilder) -> Result<reqwest::Response, Error> {
    let response = builder.send().await.map_err(classify)?;
    if response.status().is_success() {
        return Ok(response);
    }
    Err(error_from(response).await)
}

/// The most a CBOR answer may take once decompressed. A server's pages stop at a few MiB
/// (`page_bytes`); with gzip on, a small body must not be able to inflate without end.
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

pub(crate) async fn decode_response<T: DeserializeOwned>(
    mut response: reqwest::Response,
) -> Result<T, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > MAX_RESPONSE {
            return Err(Error::InvalidField {
                field: "response",
                reason: format!("the answer is larger than {MAX_RESPONSE} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(wire::decode(&body)?)
}

/// The raw body of a successful answer, or `None` for a 404.
pub(crate) async fn raw_or_none(
    sent: Result<reqwest::Response, Error>,
) -> Result<Option<Vec<u8>>, Error> {
    match sent {
        Ok(response) => Ok(Some(response.bytes().await.map_err(classify)?.to_vec())),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Refuses a malformed address before it is pasted into a URL path.
fn check_blob_hash(hash: &str) -> Result<(), Error> {
    if wire::is_blob_hash(hash) {
        Ok(())
    } else {
        Err(Error::InvalidField {
            field: "blob hash",
            reason: "expected 64 lowercase hex digits".into(),
        })
    }
}

pub(crate) fn check_reply_id(id: &str) -> Result<(), Error> {
    if wire::is_reply_id(id) {
        Ok(())
    } else {
        Err(Error::InvalidField {
            field: "reply id",
            reason: "expected 32 lowercase hex digits".into(),
        })
    }
}

fn classify(e: reqwest::Error) -> Error {
    // A refused certificate surfaces as a connect error too; it is not "offline".
    if let Some(refused) = certificate_failure(&e) {
        refused
    } else if e.is_connect() || e.is_timeout() {
        Error::Offline(e)
    } else {
        Error::Request(e)
    }
}

/// Builds [`Error::Http`] from an error response, keeping the server's own words when it sent a
/// `{kind, message}` body and a short excerpt of whatever it sent otherwise (a proxy's page).
async fn error_from(response: reqwest::Response) -> Error {
    let status = response.status();
    let bytes = response.bytes().await.unwrap_or_default();
    if let Ok(body) = serde_json::from_slice::<ErrorBody>(&bytes) {
        return Error::Http {
            status: status.as_u16(),
            kind: body.kind,
            message: body.message,
        };
    }
    let text = String::from_utf8_lossy(&bytes);
    let excerpt: String = text.chars().take(200).collect();
    Error::Http {
        status: status.as_u16(),
        kind: status_kind(status).to_owned(),
        message: if excerpt.trim().is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            excerpt
        },
    }
}

fn status_kind(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        413 => "too_large",
        429 => "rate_limited",
        400..=499 => "bad_request",
        _ => "server",
    }
}
