//! A hub as a coordinator runs it: `porchlight hub` and the desktop app's "serve the group on this
//! network" both start one here, so they keep the same database, certificate and address rules.
//!
//! - The hub's database and its self-signed certificate live in the coordinator's data directory
//!   (`hub.db`, `hub-tls/`), so the certificate and its fingerprint survive restarts and the
//!   invites made earlier keep working.
//! - The address phones use is recorded as the group's hub, so every invite from then on carries
//!   it (a `plj3-` code). Listening on every interface (`0.0.0.0`) records this machine's address
//!   on the local network.
//! - The hub is announced over mDNS where the network allows multicast; without it, the address
//!   in the invites still works.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use porchlight_core::{Core, HttpConnect, ServerAddr};
use porchlight_server::{Settings, TlsMode};
use porchlight_sync::Fingerprint;

use crate::{Announcement, Hub, HubError};

/// The port a hub listens on unless told otherwise (the community server's default is 8470).
pub const DEFAULT_HUB_PORT: u16 = 8471;

/// A running hub with its announcement, until [`LocalHub::stop`].
#[derive(Debug)]
pub struct LocalHub {
    hub: Hub,
    announcement: Option<Announcement>,
    announce_error: Option<String>,
    url: String,
    fingerprint: Option<Fingerprint>,
    upstream: String,
}

impl LocalHub {
    /// Starts the hub for the group of `core` (a coordinator's device that joined a community
    /// server) on `settings.listen`. `url`, when given, is the address phones should use;
    /// otherwise it is made from the listening address (see [`phone_url`]).
    pub async fn start(
        core: Arc<Core>,
        mut settings: Settings,
        url: Option<String>,
    ) -> Result<Self, HubError> {
        if settings.tls_dir.is_none() {
            settings.tls_dir = Some(core.data_dir().join("hub-tls"));
        }
        let fingerprint = porchlight_server::tls_fingerprint(&settings)?;
        let upstream = core.home_server()?;
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(HubError::Io)?;
        let local = listener.local_addr().map_err(HubError::Io)?;
        let scheme = if matches!(settings.tls, TlsMode::Off) {
            "http"
        } else {
            "https"
        };
        let url = match url {
            Some(url) => {
                porchlight_core::check_server_url(&url).map_err(porchlight_sync::Error::from)?
            }
            None => phone_url(scheme, local)?,
        };
        // Recorded only once the hub runs: a device that may not run one (not a coordinator)
        // or a port already taken leaves the invites as they were.
        let hub = Hub::start(core.clone(), settings, listener, &upstream, &HttpConnect).await?;
        let recorded = core.set_group_hub(Some(&ServerAddr {
            url: url.clone(),
            pin: fingerprint,
        }));
        if let Err(e) = recorded {
            let _ = hub.stop().await;
            return Err(e.into());
        }
        let (announcement, announce_error) =
            match Announcement::start(local.port(), fingerprint.as_ref()) {
                Ok(a) => (Some(a), None),
                Err(e) => (None, Some(e.to_string())),
            };
        Ok(Self {
            hub,
            announcement,
            announce_error,
            url,
            fingerprint,
            upstream: upstream.url,
        })
    }

    /// The address phones on the local network use (what the invites carry).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The fingerprint of the hub's certificate (`None` with TLS off).
    pub fn fingerprint(&self) -> Option<&Fingerprint> {
        self.fingerprint.as_ref()
    }

    /// The community server the hub relays to.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// Why the hub is not announced on the network, if it is not (no multicast, say).
    pub fn announce_error(&self) -> Option<&str> {
        self.announce_error.as_deref()
    }

    /// The running hub (relay now, local address).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Withdraws the announcement, then stops the relay and the server.
    pub async fn stop(self) -> Result<(), HubError> {
        if let Some(a) = self.announcement {
            a.stop();
        }
        self.hub.stop().await
    }
}

/// The address phones reach a hub listening on `local` at: that address itself, unless it
/// listens on every interface, in which case this machine's address on the network that its
/// default route leaves through (no packet is sent to find it).
pub fn phone_url(scheme: &str, local: SocketAddr) -> Result<String, HubError> {
    let ip = if local.ip().is_unspecified() {
        lan_ip()?
    } else {
        local.ip()
    };
    Ok(format!("{scheme}://{}", SocketAddr::new(ip, local.port())))
}

/// This machine's address on its local network: connecting a UDP socket only picks the route
/// and the source address, it sends nothing.
fn lan_ip() -> Result<IpAddr, HubError> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").map_err(HubError::Io)?;
    // A documentation-only address (TEST-NET-1): routed like any other, never answered.
    socket
        .connect("192.0.2.1:9")
        .map_err(|e| HubError::NoLanAddress(e.to_string()))?;
    let ip = socket.local_addr().map_err(HubError::Io)?.ip();
    if ip.is_unspecified() || ip.is_loopback() {
        return Err(HubError::NoLanAddress(
            "this computer has no address on a local network".into(),
        ));
    }
    Ok(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hub_on_one_address_is_reached_at_that_address() {
        let local: SocketAddr = "127.0.0.1:8471".parse().unwrap();
        assert_eq!(phone_url("https", local).unwrap(), "https://127.0.0.1:8471");
    }

    #[test]
    fn a_hub_on_every_interface_is_reached_at_a_real_address_or_says_why_not() {
        let local: SocketAddr = "0.0.0.0:8471".parse().unwrap();
        match phone_url("https", local) {
            Ok(url) => {
                assert!(url.starts_with("https://"), "{url}");
                assert!(
                    !url.contains("0.0.0.0") && !url.contains("127.0.0.1"),
                    "{url}"
                );
                assert!(url.ends_with(":8471"), "{url}");
            }
            // A machine with no route off itself (a sandbox) cannot name a LAN address.
            Err(e) => assert!(matches!(e, HubError::NoLanAddress(_)), "{e}"),
        }
    }
}
