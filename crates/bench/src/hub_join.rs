//! P8 through a hub: the coordinator's machine starts a hub for the group the bench filled, its
//! relay brings the community server's log over, and a fresh device that cannot reach the
//! community server joins at the hub (through a counting proxy) and pulls everything from it.

use std::sync::Arc;
use std::time::Instant;

use porchlight_core::{Core, HttpConnect, ServerAddr};
use porchlight_hub::Hub;
use porchlight_model::Role;
use porchlight_server::{Settings, TlsMode};
use tokio::net::TcpListener;

use crate::error::{BenchError, Result, io};
use crate::proxy::{Proxy, Traffic};

/// What joining through the hub measured.
#[derive(Debug)]
pub struct HubJoin {
    pub records: usize,
    /// The hub's first relay pass: the community server's whole log copied to the hub.
    pub fill_secs: f64,
    pub joined: crate::join::Joined,
    pub wire: Traffic,
}

fn hub_error(e: porchlight_hub::HubError) -> BenchError {
    BenchError::Io {
        what: "running the hub",
        source: std::io::Error::other(e),
    }
}

/// Runs the hub in this process and the joining device in its own.
pub async fn run(
    coord: &Arc<Core>,
    community_url: &str,
    dir: &std::path::Path,
    records: usize,
) -> Result<HubJoin> {
    let settings = Settings {
        database: format!("sqlite://{}", dir.join("hub.db").display()),
        tls: TlsMode::Off,
        ..Settings::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(io("binding the hub's port"))?;
    let upstream = ServerAddr {
        url: community_url.to_owned(),
        pin: None,
    };
    let started = Instant::now();
    let hub = Hub::start(coord.clone(), settings, listener, &upstream, &HttpConnect)
        .await
        .map_err(hub_error)?;
    hub.relay_now().await.map_err(hub_error)?;
    let fill_secs = started.elapsed().as_secs_f64();
    let proxy = Proxy::start(hub.local_url()).await?;
    coord.set_group_hub(Some(&ServerAddr {
        url: proxy.url.clone(),
        pin: None,
    }))?;
    let mut code = coord
        .invite(Role::Volunteer, 1, std::time::Duration::from_secs(3600))
        .await?;
    // The hall has no internet: the code's community server is a port nobody listens on, so
    // the device joins at the hub, as it would there.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(io("finding a closed port"))?;
    code.server = format!(
        "http://{}",
        closed.local_addr().map_err(io("finding a closed port"))?
    );
    drop(closed);
    let half = (records / 2) as u64;
    let (code, child_dir) = (code.to_string(), dir.join("hall-newcomer"));
    let _ = proxy.take();
    let joined = tokio::task::spawn_blocking(move || {
        crate::join::join_in_child(&child_dir, &code, half, half)
    })
    .await
    .map_err(|e| BenchError::Io {
        what: "waiting for the joining device",
        source: std::io::Error::other(e),
    })??;
    let wire = proxy.take();
    coord.set_group_hub(None)?;
    hub.stop().await.map_err(hub_error)?;
    Ok(HubJoin {
        records,
        fill_secs,
        joined,
        wire,
    })
}
