//! A running hub: the embedded server listening on the local network, and the task that keeps
//! its membership mirrored and its log relayed to and from the community server.

use std::sync::Arc;
use std::time::Duration;

use porchlight_core::Core;
use porchlight_server::{Clock, DatabaseUrl, Settings, SqliteStorage};
use porchlight_sync::{Connect, ServerAddr};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};

use crate::{HubError, InProcessConnect, InProcessServer, Relay, RelayStep, mirror_members};

/// How long the relay waits for news before it steps anyway.
const IDLE: Duration = Duration::from_secs(25);
/// How long stopping waits for open requests (long-polls) before closing them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// The longest pause after failures (upstream unreachable): a minute.
const MAX_BACKOFF_SECS: u64 = 60;

/// The hub, until [`Hub::stop`].
#[derive(Debug)]
pub struct Hub {
    local: std::net::SocketAddr,
    local_url: String,
    relay: Arc<Mutex<Relay>>,
    core: Arc<Core>,
    storage: SqliteStorage,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<Result<(), porchlight_server::Error>>,
    task: tokio::task::JoinHandle<()>,
}

impl Hub {
    /// Serves the group of `core` (a coordinator's device) on `listener` with the SQLite
    /// database `settings.database` names, and relays to `upstream` (the community server,
    /// reached through `connect`). The hub's server admits exactly the members of the core's
    /// roster (see `docs/HUB.md`).
    pub async fn start(
        core: Arc<Core>,
        settings: Settings,
        listener: TcpListener,
        upstream: &ServerAddr,
        connect: &dyn Connect,
    ) -> Result<Self, HubError> {
        let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(&settings.database)? else {
            return Err(HubError::NotSqlite);
        };
        let storage = tokio::task::spawn_blocking(move || SqliteStorage::open(path))
            .await
            .map_err(|e| HubError::Io(std::io::Error::other(e)))??;
        mirror_members(&storage, &core).await?;
        let local = listener.local_addr().map_err(HubError::Io)?;
        let scheme = if matches!(settings.tls, porchlight_server::TlsMode::Off) {
            "http"
        } else {
            "https"
        };
        let local_url = format!("{scheme}://{local}");
        // The relay reaches this hub's own server in-process, over the same storage.
        let own = Arc::new(InProcessServer::over(
            &local_url,
            storage.clone(),
            settings.clone(),
        ));
        let hub_side = core.remote_on(
            &ServerAddr {
                url: local_url.clone(),
                pin: None,
            },
            &InProcessConnect::new(own),
        )?;
        let relay = Arc::new(Mutex::new(Relay::new(
            core.hub_roster()?.group,
            hub_side,
            core.remote_on(upstream, connect)?,
        )));
        let (stop, stopped) = watch::channel(false);
        let mut server_stopped = stopped.clone();
        let server = tokio::spawn(porchlight_server::launch_with_storage(
            storage.clone(),
            settings,
            listener,
            Clock::system(),
            async move {
                let _ = server_stopped.wait_for(|s| *s).await;
            },
        ));
        let task = tokio::spawn(run(core.clone(), storage.clone(), relay.clone(), stopped));
        Ok(Self {
            local,
            local_url,
            relay,
            core,
            storage,
            stop,
            server,
            task,
        })
    }

    /// The address the hub's server listens on.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local
    }

    /// The hub's base URL at the address it listens on.
    pub fn local_url(&self) -> &str {
        &self.local_url
    }

    /// Mirrors the membership and relays until nothing moves, now (the background task does
    /// the same on its own; this is for "sync now" and for tests).
    pub async fn relay_now(&self) -> Result<RelayStep, HubError> {
        let mut relay = self.relay.lock().await;
        pass(&self.core, &self.storage, &mut relay).await
    }

    /// Stops the relay and the server, and waits for both.
    pub async fn stop(mut self) -> Result<(), HubError> {
        self.stop.send_replace(true);
        let _ = self.task.await;
        // A graceful shutdown waits for open requests, and devices keep a long-poll open for
        // up to half a minute: give them a moment, then close. A device whose wait is cut
        // simply syncs again (with the community server, or with the hub when it is back).
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut self.server).await {
            Ok(Ok(result)) => Ok(result?),
            Ok(Err(e)) => Err(HubError::Io(std::io::Error::other(e))),
            Err(_) => {
                self.server.abort();
                Ok(())
            }
        }
    }
}

/// One pass: the membership mirrored down and newcomers' joins forwarded up, then the change
/// log relayed until quiet, then the photos and map chunks carried across.
async fn pass(
    core: &Core,
    storage: &SqliteStorage,
    relay: &mut Relay,
) -> Result<RelayStep, HubError> {
    mirror_members(storage, core).await?;
    relay.forward_joins().await?;
    let step = relay.settle().await?;
    relay.carry_blobs(core).await?;
    Ok(step)
}

/// The relay task: mirror, relay until quiet, wait for news on either side; back off while
/// the community server cannot be reached.
async fn run(
    core: Arc<Core>,
    storage: SqliteStorage,
    relay: Arc<Mutex<Relay>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut failures: u32 = 0;
    loop {
        let outcome = pass(&core, &storage, &mut *relay.lock().await).await;
        let pause = if outcome.is_ok() {
            failures = 0;
            None
        } else {
            failures = failures.saturating_add(1);
            Some(Duration::from_secs(
                (1u64 << failures.min(6)).min(MAX_BACKOFF_SECS),
            ))
        };
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => break,
            () = async {
                if let Some(d) = pause {
                    tokio::time::sleep(d).await;
                } else {
                    let waiter = relay.lock().await.waiter();
                    waiter.wait(IDLE).await;
                }
            } => {}
        }
    }
}
