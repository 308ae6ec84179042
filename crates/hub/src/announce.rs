//! Announcing a hub on the local network with DNS-SD over mDNS, so the app can find it without
//! typing an address.
//!
//! The announcement says as little as it can, because everyone on the network hears it: the
//! service type, the port, and the fingerprint of the hub's TLS certificate, which a member's
//! device already has from its invite code and compares. No group id, no group name, no
//! coordinator's name.

use mdns_sd::{ServiceDaemon, ServiceInfo};
use porchlight_sync::Fingerprint;

use crate::HubError;

/// The DNS-SD service type of a Porchlight hub (devices browse for it: `porchlight-core`).
pub const SERVICE_TYPE: &str = porchlight_core::HUB_SERVICE_TYPE;

/// A running announcement; [`Announcement::stop`] (or dropping it) withdraws it.
pub struct Announcement {
    daemon: Option<ServiceDaemon>,
    fullname: String,
}

impl Announcement {
    /// Announces a hub listening on `port` of this machine's addresses.
    pub fn start(port: u16, fingerprint: Option<&Fingerprint>) -> Result<Self, HubError> {
        let daemon = ServiceDaemon::new().map_err(mdns)?;
        let fp = fingerprint.map(porchlight_sync::format_fingerprint);
        let properties: Vec<(&str, &str)> = fp.as_deref().map(|f| ("fp", f)).into_iter().collect();
        let host = format!("porchlight-hub-{port}.local.");
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            "Porchlight hub",
            &host,
            "",
            port,
            &properties[..],
        )
        .map_err(mdns)?
        .enable_addr_auto();
        let fullname = info.get_fullname().to_owned();
        daemon.register(info).map_err(mdns)?;
        Ok(Self {
            daemon: Some(daemon),
            fullname,
        })
    }

    /// The announced instance's full DNS-SD name.
    pub fn fullname(&self) -> &str {
        &self.fullname
    }

    /// Withdraws the announcement.
    pub fn stop(mut self) {
        self.withdraw();
    }

    fn withdraw(&mut self) {
        if let Some(daemon) = self.daemon.take() {
            let _ = daemon.unregister(&self.fullname);
            let _ = daemon.shutdown();
        }
    }
}

impl std::fmt::Debug for Announcement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcement")
            .field("fullname", &self.fullname)
            .field("running", &self.daemon.is_some())
            .finish()
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        self.withdraw();
    }
}

fn mdns(e: mdns_sd::Error) -> HubError {
    HubError::Announce(e)
}
