//! What the end-to-end tests share: a real server on a loopback port, devices in temp dirs, and
//! helpers to join them and sync them until they settle.

#![allow(dead_code)] // each test file uses its own subset

pub mod faults;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use porchlight_core::{Config, Core};
use porchlight_model::{AlertCategory, Area, NewAlert, Point, Role, Severity, Timestamp};

/// The group creation token of every test server (servers refuse to create groups without one).
pub const CREATION_TOKEN: &str = "test-creation-token";

/// A server on an ephemeral loopback port with its own database; stopped when dropped.
pub struct Server {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pub dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}", dir.path().join("server.db").display());
        Self::launch(dir, database).await
    }

    /// An instance over the database at `database` (a shared PostgreSQL, say): several
    /// instances can serve one database, as behind a load balancer.
    pub async fn on_database(database: &str) -> Self {
        Self::launch(tempfile::tempdir().unwrap(), database.to_owned()).await
    }

    async fn launch(dir: tempfile::TempDir, database: String) -> Self {
        let settings = porchlight_server::Settings {
            database,
            group_creation_token: Some(porchlight_server::Secret::new(CREATION_TOKEN)),
            // Plain HTTP on loopback; the server's own tests cover TLS.
            tls: porchlight_server::TlsMode::Off,
            // Several stories write the server's database behind its back (`append_to_log`,
            // injected changes, as a hostile operator could); the server's in-memory caches
            // (DECISIONS 63) would hide such writes from polls for up to 2 s. The caches are
            // tested in crates/server (tests/it/caches.rs) and the hub's tests.
            cache_secs: 0,
            ..porchlight_server::Settings::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            porchlight_server::launch_with_listener(settings, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            url: format!("http://{addr}"),
            stop: Some(stop),
            task: Some(task),
            dir,
        }
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }
}

pub struct Device {
    pub core: Arc<Core>,
    pub dir: tempfile::TempDir,
}

pub fn device(name: &str) -> Device {
    device_with(name, Config::default())
}

/// A device with its own settings.
pub fn device_with(name: &str, config: Config) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open_with(dir.path(), config).unwrap();
    core.init(name).unwrap();
    Device {
        core: Arc::new(core),
        dir,
    }
}

pub fn alert(title: &str, lat: f64) -> NewAlert {
    NewAlert {
        title: title.into(),
        body: String::new(),
        category: AlertCategory::Crime,
        severity: Severity::Warning,
        area: Area::circle(Point::new(lat, -3.0), 300.0),
        issued_at: Timestamp::now(),
        expires_at: None,
        meeting: None,
        person: None,
    }
}

pub async fn join(server: &Server, coordinator: &Core, role: Role, name: &str) -> Device {
    join_as(&server.url, coordinator, role, device(name)).await
}

/// Joins an already opened device to the coordinator's group, whose server is at `url`.
pub async fn join_as(url: &str, coordinator: &Core, role: Role, d: Device) -> Device {
    let code = coordinator
        .invite(role, 1, Duration::from_secs(3600))
        .await
        .unwrap();
    let name = d.core.display_name().unwrap();
    let me = d.core.join(&code.to_string(), &name).await.unwrap();
    assert_eq!(me.role, role);
    assert_eq!(d.core.sync_status().unwrap().server.as_deref(), Some(url));
    d
}

/// A coordinator's device with a new group on `server`.
pub async fn coordinator(server: &Server) -> Device {
    let d = device("Carmen");
    d.core
        .create_group_on(&server.url, "Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    d
}

/// Two devices' receipts agree on every kind both may read.
pub fn assert_same_where_shared(
    a: &porchlight_core::SyncReceipt,
    b: &porchlight_core::SyncReceipt,
) {
    for (kind, (x, y)) in a.common(b) {
        assert_eq!(x, y, "{kind} differs");
    }
}

/// Syncs every device until a full round changes nothing anywhere.
pub async fn settle(devices: &[&Core]) {
    for _ in 0..6 {
        let mut moved = 0;
        for d in devices {
            let r = d.sync_once().await.unwrap();
            moved += r.pulled + r.pushed;
        }
        if moved == 0 {
            return;
        }
    }
    panic!("devices did not settle");
}

/// Everything that crossed one TCP connection through a [`Tap`], both directions in order.
pub type Wire = Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

/// A TCP relay on a loopback port in front of a server that records every connection's bytes,
/// as someone watching the network would see them (without TLS, which changes who can read them,
/// not what is sent).
pub struct Tap {
    pub url: String,
    pub connections: Wire,
    task: tokio::task::JoinHandle<()>,
}

impl Tap {
    pub async fn start(server_url: &str) -> Self {
        let upstream: SocketAddr = server_url.trim_start_matches("http://").parse().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections: Wire = Arc::default();
        let record = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let index = {
                        let mut all = record.lock().unwrap();
                        all.push(Vec::new());
                        all.len() - 1
                    };
                    relay(client, server, record, index).await;
                });
            }
        });
        Self {
            url,
            connections,
            task,
        }
    }

    pub fn connections(&self) -> Vec<Vec<u8>> {
        self.connections.lock().unwrap().clone()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    record: Wire,
    index: usize,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up_record = record.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 || server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            up_record.lock().unwrap()[index].extend_from_slice(&buf[..n]);
        }
        let _ = server_write.shutdown().await;
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = server_read.read(&mut buf).await {
            if n == 0 || client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            record.lock().unwrap()[index].extend_from_slice(&buf[..n]);
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The id of the group a device syncs with on its server.
pub fn group_of(core: &Core) -> porchlight_sync::GroupId {
    core.sync_status()
        .unwrap()
        .group
        .expect("the device has joined a group on a server")
        .parse()
        .unwrap()
}

/// The device key a core keeps in its data directory (tests play that member as an attacker).
pub fn device_key(d: &Device) -> porchlight_sync::SigningKey {
    let secret: [u8; 32] = std::fs::read(d.dir.path().join("device.key"))
        .unwrap()
        .try_into()
        .unwrap();
    porchlight_sync::SigningKey::from_bytes(&secret)
}

/// A connection to the server's own database, as its operator has one.
pub fn server_db(server: &Server) -> rusqlite::Connection {
    rusqlite::Connection::open(server.dir.path().join("server.db")).unwrap()
}

/// Appends `change` of `doc` to the group's log straight in the server's database, as its
/// operator could, bypassing every check the HTTP API makes; `device` is recorded as uploader.
pub fn append_to_log(
    server: &Server,
    group: porchlight_sync::GroupId,
    doc: porchlight_model::DocId,
    kind: porchlight_model::DocKind,
    device: porchlight_model::DeviceId,
    hash: &[u8; 32],
    change: &porchlight_sync::SignedChange,
) {
    let db = server_db(server);
    let g = &group.as_bytes()[..];
    let next: i64 = db
        .query_row("SELECT next_seq FROM groups WHERE id = ?1", [g], |r| {
            r.get(0)
        })
        .unwrap();
    db.execute(
        "INSERT INTO changes (group_id, seq, doc, hash, kind, bytes, device, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            g,
            next,
            &doc.as_bytes()[..],
            &hash[..],
            kind.as_str(),
            change.bytes(),
            &device.as_bytes()[..],
            &change.signature()[..],
        ],
    )
    .unwrap();
    db.execute(
        "UPDATE groups SET next_seq = ?2 WHERE id = ?1",
        rusqlite::params![g, next + 1],
    )
    .unwrap();
}

/// A small PNG, as a phone's camera roll might hand over.
pub fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, 120, y as u8 * 8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Carmen's new group on the server at `url`, with `members` joined (each with their role) and
/// every device settled.
pub async fn founded_at(url: &str, members: &[(Role, &str)]) -> (Device, Vec<Device>) {
    let carmen = device("Carmen");
    carmen
        .core
        .create_group_on(url, "Elm Street Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    let mut joined = Vec::new();
    for (role, name) in members {
        joined.push(join_as(url, &carmen.core, *role, device(name)).await);
    }
    let mut all: Vec<&Core> = vec![&carmen.core];
    all.extend(joined.iter().map(|d| &*d.core));
    settle(&all).await;
    (carmen, joined)
}

/// Every change of `kinds` in the group's server log, page by page, after checking that its
/// numbers run 1..=N with no gap (N = every change the log holds, of every kind).
pub async fn whole_log(
    storage: &impl porchlight_server::Storage,
    group: porchlight_sync::GroupId,
    kinds: &[porchlight_model::DocKind],
) -> Vec<porchlight_server::PulledChange> {
    let total = storage.change_count(group).await.unwrap();
    assert_eq!(storage.latest_seq(group).await.unwrap(), total, "no gap");
    let mut changes = Vec::new();
    let mut cursor = 0;
    loop {
        let page = storage
            .pull(
                group,
                cursor,
                kinds.to_vec(),
                porchlight_server::PageLimits {
                    max_changes: 1000,
                    max_bytes: 1 << 22,
                },
            )
            .await
            .unwrap();
        changes.extend(page.changes);
        cursor = page.cursor;
        if !page.more {
            return changes;
        }
    }
}

/// The seed of the reliability tests (TARGETS.md R2-R4): `PORCHLIGHT_SIM_SEED` when set, else a fixed one, so CI runs are comparable.
pub fn seed() -> u64 {
    let seed = std::env::var("PORCHLIGHT_SIM_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0x5eed_0003);
    eprintln!("reliability seed {seed} (set PORCHLIGHT_SIM_SEED to replay)");
    seed
}

/// Every live alert title a device holds.
pub fn titles(core: &Core) -> std::collections::BTreeSet<String> {
    core.alerts(&porchlight_core::AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect()
}
