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
//! - A group started on this computer has no community server: the same server runs alone
//!   ([`LocalHub::found`], [`LocalHub::serve_alone`]; see `crate::standalone`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use porchlight_core::{Core, CoreError, HttpConnect, ServerAddr, StandaloneServer};
use porchlight_model::{hex, random_bytes};
use porchlight_server::{Secret, Settings};
use porchlight_sync::Fingerprint;
use tokio::net::TcpListener;

use crate::standalone::{Alone, own_url, scheme};
use crate::{Announcement, Hub, HubError};

/// The port a hub listens on unless told otherwise (the community server's default is 8470).
pub const DEFAULT_HUB_PORT: u16 = 8471;

/// What runs: a hub relaying to the community server, or the group's only server.
#[derive(Debug)]
enum Serving {
    Relay(Hub),
    Alone(Alone),
}

/// A running hub with its announcement, until [`LocalHub::stop`].
#[derive(Debug)]
pub struct LocalHub {
    serving: Serving,
    announcement: Option<Announcement>,
    announce_error: Option<String>,
    url: String,
    fingerprint: Option<Fingerprint>,
    upstream: Option<String>,
}

/// The hub's listener, its certificate, and the address phones use.
struct Opened {
    settings: Settings,
    listener: TcpListener,
    local: SocketAddr,
    url: String,
    fingerprint: Option<Fingerprint>,
}

/// Makes or reads the certificate (kept in the data directory, so its fingerprint and the
/// invites that carry it survive restarts), listens, and works out the address phones use.
async fn open(
    core: &Core,
    mut settings: Settings,
    url: Option<String>,
) -> Result<Opened, HubError> {
    if settings.tls_dir.is_none() {
        settings.tls_dir = Some(core.data_dir().join("hub-tls"));
    }
    let fingerprint = porchlight_server::tls_fingerprint(&settings)?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(HubError::Io)?;
    let local = listener.local_addr().map_err(HubError::Io)?;
    let url = match url {
        Some(url) => {
            porchlight_core::check_server_url(&url).map_err(porchlight_sync::Error::from)?
        }
        None => phone_url(scheme(&settings), local)?,
    };
    Ok(Opened {
        settings,
        listener,
        local,
        url,
        fingerprint,
    })
}

/// Where a group's server on this computer now is: this device's own way to it (`own`), the
/// address phones use (`phones`, the group's hub) and the settings the app starts it with.
fn record_alone(
    core: &Core,
    own: &ServerAddr,
    phones: &ServerAddr,
    alone: &StandaloneServer,
) -> Result<(), CoreError> {
    core.relocate_server(own)?;
    core.set_group_hub(Some(phones))?;
    core.set_standalone_server(Some(alone))
}

impl LocalHub {
    /// Starts the hub for the group of `core` (a coordinator's device that joined a community
    /// server) on `settings.listen`. `url`, when given, is the address phones should use;
    /// otherwise it is made from the listening address (see [`phone_url`]). A group started on
    /// this computer has no community server to relay to: [`HubError::Standalone`].
    pub async fn start(
        core: Arc<Core>,
        settings: Settings,
        url: Option<String>,
    ) -> Result<Self, HubError> {
        if core.standalone_server()?.is_some() {
            return Err(HubError::Standalone);
        }
        let upstream = core.home_server()?;
        let o = open(&core, settings, url).await?;
        // Recorded only once the hub runs: a device that may not run one (not a coordinator)
        // or a port already taken leaves the invites as they were.
        let hub = Hub::start(
            core.clone(),
            o.settings,
            o.listener,
            &upstream,
            &HttpConnect,
        )
        .await?;
        let recorded = core.set_group_hub(Some(&ServerAddr {
            url: o.url.clone(),
            pin: o.fingerprint,
        }));
        if let Err(e) = recorded {
            let _ = hub.stop().await;
            return Err(e.into());
        }
        Ok(Self::announced(
            Serving::Relay(hub),
            o.local,
            o.url,
            o.fingerprint,
            Some(upstream.url),
        ))
    }

    /// Starts a new group named `group` on this computer, with this device (named, not in a
    /// group on a server yet) as its coordinator: the embedded server alone is the group's
    /// server from now on (see `crate::standalone`). `url` is as for [`LocalHub::start`].
    pub async fn found(
        core: Arc<Core>,
        settings: Settings,
        url: Option<String>,
        group: &str,
    ) -> Result<Self, HubError> {
        if core.sync_status()?.group.is_some() {
            return Err(CoreError::AlreadyJoined.into());
        }
        let mut o = open(&core, settings, url.clone()).await?;
        // Only this process knows the token, for this one group: nobody else on the network
        // can create groups on the coordinator's computer (and after a restart nobody at all).
        let token = hex(&random_bytes::<32>());
        o.settings.group_creation_token = Some(Secret::new(&token));
        o.settings.open_group_creation = false;
        let own = ServerAddr {
            url: own_url(scheme(&o.settings), o.local),
            pin: o.fingerprint,
        };
        let listen = SocketAddr::new(o.settings.listen.ip(), o.local.port());
        let alone = Alone::start(o.settings, o.listener).await?;
        // Recorded first, so the invites of the group's first sync already know their way.
        let founded = async {
            core.set_standalone_server(Some(&StandaloneServer {
                listen: listen.to_string(),
                url,
                running: true,
            }))?;
            core.create_group_on_pinned(&own.url, own.pin.as_ref(), group, Some(&token))
                .await?;
            core.set_group_hub(Some(&ServerAddr {
                url: o.url.clone(),
                pin: o.fingerprint,
            }))
        };
        if let Err(e) = founded.await {
            let _ = core.set_standalone_server(None);
            let _ = alone.stop().await;
            return Err(e.into());
        }
        Ok(Self::announced(
            Serving::Alone(alone),
            o.local,
            o.url,
            o.fingerprint,
            None,
        ))
    }

    /// Starts the server of a group started on this computer again (the app does whenever it
    /// opens, until the coordinator stops it). `settings.listen` and `url` may differ from
    /// last time: this device's server and the group's hub address follow them, and the
    /// certificate is the same. A group on a community server: [`HubError::NotStandalone`].
    pub async fn serve_alone(
        core: Arc<Core>,
        settings: Settings,
        url: Option<String>,
    ) -> Result<Self, HubError> {
        if core.standalone_server()?.is_none() {
            if core.sync_status()?.group.is_none() {
                return Err(HubError::NoGroup);
            }
            return Err(HubError::NotStandalone(core.home_server()?.url));
        }
        let o = open(&core, settings, url.clone()).await?;
        let listen = SocketAddr::new(o.settings.listen.ip(), o.local.port());
        let own = ServerAddr {
            url: own_url(scheme(&o.settings), o.local),
            pin: o.fingerprint,
        };
        let alone = Alone::start(o.settings, o.listener).await?;
        let recorded = record_alone(
            &core,
            &own,
            &ServerAddr {
                url: o.url.clone(),
                pin: o.fingerprint,
            },
            &StandaloneServer {
                listen: listen.to_string(),
                url,
                running: true,
            },
        );
        if let Err(e) = recorded {
            let _ = alone.stop().await;
            return Err(e.into());
        }
        Ok(Self::announced(
            Serving::Alone(alone),
            o.local,
            o.url,
            o.fingerprint,
            None,
        ))
    }

    /// Announces the running server on the local network (mDNS), where the network allows it.
    fn announced(
        serving: Serving,
        local: SocketAddr,
        url: String,
        fingerprint: Option<Fingerprint>,
        upstream: Option<String>,
    ) -> Self {
        let (announcement, announce_error) =
            match Announcement::start(local.port(), fingerprint.as_ref()) {
                Ok(a) => (Some(a), None),
                Err(e) => (None, Some(e.to_string())),
            };
        Self {
            serving,
            announcement,
            announce_error,
            url,
            fingerprint,
            upstream,
        }
    }

    /// The address phones on the local network use (what the invites carry).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The fingerprint of the hub's certificate (`None` with TLS off).
    pub fn fingerprint(&self) -> Option<&Fingerprint> {
        self.fingerprint.as_ref()
    }

    /// The community server the hub relays to; `None` when this computer is the group's only
    /// server.
    pub fn upstream(&self) -> Option<&str> {
        self.upstream.as_deref()
    }

    /// Why the hub is not announced on the network, if it is not (no multicast, say).
    pub fn announce_error(&self) -> Option<&str> {
        self.announce_error.as_deref()
    }

    /// The relaying hub (relay now, local address); `None` for a group's only server.
    pub fn relay(&self) -> Option<&Hub> {
        match &self.serving {
            Serving::Relay(hub) => Some(hub),
            Serving::Alone(_) => None,
        }
    }

    /// The server's base URL at the address it listens on.
    pub fn local_url(&self) -> &str {
        match &self.serving {
            Serving::Relay(hub) => hub.local_url(),
            Serving::Alone(alone) => alone.local_url(),
        }
    }

    /// Withdraws the announcement, then stops the relay and the server.
    pub async fn stop(self) -> Result<(), HubError> {
        if let Some(a) = self.announcement {
            a.stop();
        }
        match self.serving {
            Serving::Relay(hub) => hub.stop().await,
            Serving::Alone(alone) => alone.stop().await,
        }
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
