//! The embedded server alone: a group started on the coordinator's computer, with no community
//! server behind it (docs/HUB.md, "A group on this computer"). It is the ordinary server with its
//! own SQLite database, so it checks sessions, roles, content and signatures like any other;
//! there is nothing to relay, no joins to forward and no blobs to carry. The coordinator's own
//! device syncs with it over loopback like any member's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use porchlight_server::{Clock, DatabaseUrl, Settings, SqliteStorage};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::HubError;

/// How long stopping waits for open requests (long-polls) before closing them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The server running alone, until [`Alone::stop`].
#[derive(Debug)]
pub(crate) struct Alone {
    local_url: String,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<Result<(), porchlight_server::Error>>,
}

impl Alone {
    /// Opens the database `settings.database` names (SQLite only: a desktop's server) and serves
    /// it on `listener`.
    pub(crate) async fn start(settings: Settings, listener: TcpListener) -> Result<Self, HubError> {
        let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(&settings.database)? else {
            return Err(HubError::NotSqlite);
        };
        // Opened here rather than inside the server's task, so that a database this build
        // cannot read (a newer one, say) is an error now, not a server that quietly is not there.
        let storage = tokio::task::spawn_blocking(move || SqliteStorage::open(path))
            .await
            .map_err(|e| HubError::Io(std::io::Error::other(e)))??;
        let local = listener.local_addr().map_err(HubError::Io)?;
        let local_url = format!("{}://{local}", scheme(&settings));
        let (stop, mut stopped) = watch::channel(false);
        let server = tokio::spawn(porchlight_server::launch_with_storage(
            storage,
            settings,
            listener,
            Clock::system(),
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
        ));
        Ok(Self {
            local_url,
            stop,
            server,
        })
    }

    /// The server's base URL at the address it listens on.
    pub(crate) fn local_url(&self) -> &str {
        &self.local_url
    }

    /// Stops the server: open requests get a moment (devices keep a long-poll open for up to
    /// half a minute), then are closed.
    pub(crate) async fn stop(mut self) -> Result<(), HubError> {
        self.stop.send_replace(true);
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

/// `https`, or `http` with TLS off (tests on loopback).
pub(crate) fn scheme(settings: &Settings) -> &'static str {
    if matches!(settings.tls, porchlight_server::TlsMode::Off) {
        "http"
    } else {
        "https"
    }
}

/// The address this computer's own device reaches a server listening on `local` at: loopback
/// when it listens on every interface (or on loopback), so a new address on the Wi-Fi never
/// cuts the coordinator off; the address itself when it listens on one interface only.
pub(crate) fn own_url(scheme: &str, local: SocketAddr) -> String {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, local.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coordinators_device_reaches_a_server_on_every_interface_over_loopback() {
        let every: SocketAddr = "0.0.0.0:8471".parse().unwrap();
        assert_eq!(own_url("https", every), "https://127.0.0.1:8471");
        let every6: SocketAddr = "[::]:8471".parse().unwrap();
        assert_eq!(own_url("https", every6), "https://[::1]:8471");
        let one: SocketAddr = "192.168.1.20:8471".parse().unwrap();
        assert_eq!(own_url("https", one), "https://192.168.1.20:8471");
    }
}
