//! A real server on loopback (ephemeral port, SQLite file in a temp dir) and helpers to act as
//! devices against it.
#![allow(dead_code)] // each test binary uses a different subset

pub mod pg;

use std::path::PathBuf;
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use porchlight_model::{DeviceId, DocId, DocKind, Role, random_bytes};
use porchlight_server::{Clock, Settings, SqliteStorage, Storage, launch_with_clock};
use porchlight_sync::wire::{ErrorBody, GroupId};
use porchlight_sync::{
    DocChanges, HttpClient, InviteCode, Session, SignedChange, SignedInvite, SigningKey,
    SyncRequest, device_id_of, generate_signing_key,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The group creation token test servers start with (servers refuse groups without one).
pub const CREATION_TOKEN: &str = "test-creation-token";

pub struct TestServer {
    pub url: String,
    pub addr: std::net::SocketAddr,
    pub clock: Clock,
    pub db: PathBuf,
    pub settings: Settings,
    /// The certificate fingerprint clients pin, when the test turned TLS on.
    pub pin: Option<[u8; 32]>,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), porchlight_server::Error>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.db");
        let mut settings = Settings {
            database: format!("sqlite://{}", db.display()),
            group_creation_token: Some(porchlight_server::Secret::new(CREATION_TOKEN)),
            // Plain HTTP on loopback; tests/tls.rs covers the TLS modes.
            tls: porchlight_server::TlsMode::Off,
            ..Settings::default()
        };
        configure(&mut settings);
        let pin = porchlight_server::tls_fingerprint(&settings).unwrap();
        let scheme = if pin.is_some() { "https" } else { "http" };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clock = Clock::system();
        let (stop, stopped) = oneshot::channel::<()>();
        // The listener is bound already, so requests made from here on queue until the server
        // accepts them: no readiness polling needed.
        let task = tokio::spawn(launch_with_clock(
            settings.clone(),
            listener,
            clock.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        TestServer {
            url: format!("{scheme}://{addr}"),
            addr,
            clock,
            db,
            settings,
            pin,
            _dir: dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn client(&self) -> HttpClient {
        HttpClient::with_pin(&self.url, self.pin.as_ref()).unwrap()
    }

    /// A second handle on the server's database, to count what it stored.
    pub fn storage(&self) -> SqliteStorage {
        SqliteStorage::open(&self.db).unwrap()
    }

    pub async fn change_count(&self, group: GroupId) -> u64 {
        self.storage().change_count(group).await.unwrap()
    }

    pub async fn drop_count(&self, group: GroupId) -> u64 {
        self.storage().drop_count(group).await.unwrap()
    }

    pub async fn blob_count(&self, group: GroupId) -> u64 {
        self.storage().blob_count(group).await.unwrap()
    }

    pub async fn assert_healthy(&self) {
        let health = self.client().health().await.unwrap();
        assert_eq!(health.status, "ok");
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// A device with its key and an open session.
pub struct Device {
    pub key: SigningKey,
    pub id: DeviceId,
    pub session: Session,
    pub client: HttpClient,
}

impl Device {
    pub fn group(&self) -> GroupId {
        self.session.group()
    }

    pub async fn push(
        &self,
        doc: DocId,
        kind: DocKind,
        changes: Vec<Vec<u8>>,
    ) -> porchlight_sync::SyncResponse {
        let request = SyncRequest {
            cursor: 0,
            push: vec![self.signed(doc, kind, changes)],
        };
        self.client.sync(&self.session, &request).await.unwrap()
    }

    /// `changes` of `doc`, each signed by this device as its author would.
    pub fn signed(&self, doc: DocId, kind: DocKind, changes: Vec<Vec<u8>>) -> DocChanges {
        DocChanges::new(
            doc,
            kind,
            changes
                .into_iter()
                .map(|bytes| sign_change(&self.key, self.group(), doc, kind, bytes)),
        )
    }

    /// Pushes `n` changes of a fresh valid document of `kind` written by this device.
    pub async fn push_valid(&self, kind: DocKind, n: usize) -> porchlight_sync::SyncResponse {
        let (doc, changes) = valid_changes(kind, self.id, n);
        self.push(doc, kind, changes).await
    }

    /// Pages from `cursor` until `more` is false: (every pulled doc/changes, final cursor, pages).
    pub async fn pull_all(&self, mut cursor: u64) -> (Vec<DocChanges>, u64, usize) {
        let mut all = Vec::new();
        let mut pages = 0;
        loop {
            let r = self
                .client
                .sync(
                    &self.session,
                    &SyncRequest {
                        cursor,
                        push: vec![],
                    },
                )
                .await
                .unwrap();
            pages += 1;
            all.extend(r.pull);
            cursor = r.cursor;
            if !r.more {
                return (all, cursor, pages);
            }
        }
    }
}

/// Creates a group; the returned device is its coordinator, signed in.
pub async fn coordinator(server: &TestServer) -> Device {
    let client = server.client();
    let key = generate_signing_key();
    let membership = client
        .create_group(
            &key,
            "Elm Street Watch",
            "Coordinator",
            Some(CREATION_TOKEN),
        )
        .await
        .unwrap();
    assert_eq!(membership.role, Role::Coordinator);
    let session = client.authenticate(membership.group, &key).await.unwrap();
    Device {
        id: device_id_of(&key),
        key,
        session,
        client,
    }
}

/// `bytes` signed by `key` as a change of `doc` (bytes that do not parse are signed over a zero
/// hash: the server refuses them before it looks at a signature).
pub fn sign_change(
    key: &SigningKey,
    group: GroupId,
    doc: DocId,
    kind: DocKind,
    bytes: Vec<u8>,
) -> SignedChange {
    let hash = porchlight_sync::check_change(&bytes, None, usize::MAX).map_or([0; 32], |c| c.hash);
    SignedChange::sign(key, &group, doc, kind, &hash, bytes)
}

/// A one-use invite for `role`, made and signed by the coordinator's device as the app does.
pub async fn invite_code(server: &TestServer, coordinator: &Device, role: Role) -> InviteCode {
    invite_with(server, coordinator, role, 1, 3600)
        .await
        .unwrap()
}

/// An invite for `role` with `uses` and a lifetime of `valid_for` seconds, as the server answers.
pub async fn invite_with(
    server: &TestServer,
    coordinator: &Device,
    role: Role,
    uses: u32,
    valid_for: i64,
) -> Result<InviteCode, porchlight_sync::Error> {
    let (invite, secret) = (random_bytes::<16>(), random_bytes::<16>());
    let signed = SignedInvite::issue(
        &coordinator.key,
        coordinator.group(),
        invite,
        &secret,
        role,
        uses,
        server.clock.now() + valid_for,
    );
    coordinator
        .client
        .create_invite(&coordinator.session, signed)
        .await?;
    Ok(InviteCode {
        server: server.url.clone(),
        group: coordinator.group(),
        root: coordinator.key.verifying_key().to_bytes(),
        invite,
        secret,
        role,
        tls_fingerprint: server.pin,
        hub: None,
    })
}

/// Invites a new device with `role` into the coordinator's group and signs it in.
pub async fn member(server: &TestServer, coordinator: &Device, role: Role) -> Device {
    let code = invite_code(server, coordinator, role).await;
    let client = server.client();
    let key = generate_signing_key();
    let membership = client
        .join(&code, &key, &format!("a {role}"))
        .await
        .unwrap();
    assert_eq!(membership.role, role);
    let session = client.authenticate(membership.group, &key).await.unwrap();
    Device {
        id: device_id_of(&key),
        key,
        session,
        client,
    }
}

/// `n` real Automerge changes written by `actor` (one fresh document, one commit each). Each call
/// makes different changes, as two real documents would.
pub fn changes(actor: DeviceId, n: usize) -> Vec<Vec<u8>> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor.as_bytes().as_slice()));
    doc.put(
        ROOT,
        "salt",
        porchlight_model::hex(&porchlight_model::random_bytes::<8>()),
    )
    .unwrap();
    for i in 0..n {
        doc.put(ROOT, "n", i as i64).unwrap();
        doc.commit();
    }
    doc.get_changes(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// A valid alert as a volunteer or coordinator would issue it.
pub fn new_alert(title: &str) -> porchlight_model::NewAlert {
    use porchlight_model::{AlertCategory, Area, NewAlert, Point, Severity, Timestamp};
    NewAlert {
        title: title.into(),
        body: "Seen near the park".into(),
        category: AlertCategory::SuspiciousActivity,
        severity: Severity::Warning,
        area: Area::circle(Point::new(40.0, -3.0), 300.0),
        issued_at: Timestamp::now(),
        expires_at: None,
        meeting: None,
        person: None,
    }
}

/// `n` changes (n ≥ 1) of one fresh, valid document of `kind` written by `actor`: what an
/// honest device pushes. Acknowledgements and reports have one change whatever `n` is.
pub fn valid_changes(kind: DocKind, actor: DeviceId, n: usize) -> (DocId, Vec<Vec<u8>>) {
    use porchlight_crdt as crdt;
    use porchlight_model::{AlertStatus, Timestamp, TriageStatus};
    let at = Timestamp::now();
    let id = DocId::random();
    let (mut doc, first) = match kind {
        DocKind::Alert => crdt::create_alert(id, actor, &new_alert("Prowler")).unwrap(),
        DocKind::Patrol => crdt::start_patrol(id, actor, "Vic", "Evening round", at).unwrap(),
        DocKind::Group => crdt::create_group(id, "Elm", actor, "Carmen", None, at).unwrap(),
        DocKind::Ack => crdt::create_ack(DocId::random(), actor, at).unwrap(),
        DocKind::Triage => {
            let mut doc = crdt::new_triage(DocId::random(), actor).unwrap();
            let w = crdt::set_triage(&mut doc, actor, TriageStatus::InReview, None, at).unwrap();
            (doc, w)
        }
        DocKind::Report => {
            let report = porchlight_model::NewReport {
                category: porchlight_model::Category::Noise,
                description: "Loud party".into(),
                occurred_at: at,
                location: None,
                precision: porchlight_model::LocationPrecision::Within1km,
                photos: vec![],
                person: None,
            };
            let keys = crdt::ReplyKeys::from_secret(&[7; 32]);
            crdt::create_report(id, actor.as_bytes(), Some(actor), &report, &keys).unwrap()
        }
    };
    let mut out = vec![first.bytes];
    for i in 1..n {
        let later = at.plus_millis(i as i64);
        let written = match kind {
            DocKind::Alert => {
                let status = if i % 2 == 1 {
                    AlertStatus::Cancelled
                } else {
                    AlertStatus::Active
                };
                crdt::set_alert_status(&mut doc, status, later).unwrap()
            }
            DocKind::Patrol => crdt::end_patrol(&mut doc, later).unwrap(),
            DocKind::Group => {
                let zone = porchlight_model::Zone {
                    name: format!("zone {i}"),
                    area: porchlight_model::Area::circle(
                        porchlight_model::Point::new(40.0, -3.0),
                        200.0,
                    ),
                };
                crdt::set_zone(&mut doc, &zone, later).unwrap()
            }
            DocKind::Triage => crdt::set_triage(
                &mut doc,
                actor,
                TriageStatus::InReview,
                Some(&format!("note {i}")),
                later,
            )
            .unwrap(),
            DocKind::Ack | DocKind::Report => break,
        };
        out.push(written.bytes);
    }
    (doc.id(), out)
}

/// A document with some text in it, for building bad inputs from.
pub fn doc_by(actor: DeviceId, text: &str) -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor.as_bytes().as_slice()));
    doc.put(ROOT, "note", text).unwrap();
    doc.commit();
    doc
}

/// Posts raw bytes and returns the status with the parsed `{kind, message}` body.
pub async fn post_raw(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Option<ErrorBody>) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .header("content-type", "application/cbor")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (status, serde_json::from_slice(&bytes).ok())
}

/// Sends any request with a raw body and returns the status, the headers and the raw answer.
pub async fn send_raw(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.url))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// The `{kind, message}` of an error answer.
pub fn error_body(bytes: &[u8]) -> ErrorBody {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "not an error body ({e}): {}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// Sends raw HTTP and returns whatever came back (status line first). The body is written while
/// the answer is read, so a server that answers early (413 before reading) is heard even if it
/// then closes the connection on the rest of the body.
pub async fn raw_http(server: &TestServer, head: &str, body: &[u8]) -> String {
    let exchange = async {
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let write = async {
            writer.write_all(head.as_bytes()).await.unwrap();
            // The server may answer and close before taking the body; that is the point.
            let _ = writer.write_all(body).await;
        };
        let read = async {
            let mut response = Vec::new();
            let _ = reader.read_to_end(&mut response).await;
            response
        };
        let ((), response) = tokio::join!(write, read);
        String::from_utf8_lossy(&response).into_owned()
    };
    // A guard, not synchronisation: a server that waited for the whole body would hang here.
    tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .expect("the server answered")
}

/// Stand-in sealed bytes: the server never opens an envelope, it only checks the length. The
/// pattern never contains the bytes 127, 0, 0, 1, so a search for a stored address cannot hit it
/// by chance.
pub fn sealed(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 7 + usize::from(seed)) % 251) as u8 + 2)
        .collect()
}

/// Asserts an `Error::Http` with this status and kind, and returns its message.
pub fn expect_http(
    result: Result<impl std::fmt::Debug, porchlight_sync::Error>,
    status: u16,
    kind: &str,
) -> String {
    match result {
        Err(porchlight_sync::Error::Http {
            status: s,
            kind: k,
            message,
        }) => {
            assert_eq!((s, k.as_str()), (status, kind), "message: {message}");
            assert!(!message.is_empty());
            message
        }
        other => panic!("expected HTTP {status} {kind}, got {other:?}"),
    }
}

/// `n` drop tokens issued to `device` (blinded, signed by the server, unblinded here).
pub async fn drop_tokens(device: &Device, n: usize) -> Vec<porchlight_sync::wire::DropToken> {
    use porchlight_sync::tokens::TokenKey;
    use porchlight_sync::wire::IssueTokensRequest;
    let info = device.client.token_key(&device.session).await.unwrap();
    let key = TokenKey::from_der(&info.key).unwrap();
    let pending: Vec<_> = (0..n).map(|_| key.blind().unwrap()).collect();
    let request = IssueTokensRequest {
        blinded: pending
            .iter()
            .map(|p| serde_bytes::ByteBuf::from(p.blinded().to_vec()))
            .collect(),
    };
    let issued = device
        .client
        .issue_tokens(&device.session, &request)
        .await
        .unwrap();
    pending
        .iter()
        .zip(&issued.signatures)
        .map(|(p, s)| key.finish(p, s).unwrap())
        .collect()
}

/// A drop of stand-in sealed bytes to `device`'s group, paid with a token issued to `device`.
pub async fn paid_drop(device: &Device, seed: u8) -> porchlight_sync::wire::DropRequest {
    let token = drop_tokens(device, 1).await.pop().unwrap();
    porchlight_sync::wire::DropRequest {
        group: device.group(),
        sealed: sealed(seed, porchlight_sync::wire::DROP_SIZE_CLASSES[0]),
        token: Some(token),
    }
}
