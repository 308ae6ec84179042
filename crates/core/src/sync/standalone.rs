//! A group whose only server runs on the coordinator's own computer ("start a group on this
//! computer", docs/HUB.md): the embedded server of `porchlight-hub` with no community server
//! behind it. What the device keeps about it, and how its address works:
//!
//! - The coordinator's device syncs with it over loopback (`https://127.0.0.1:PORT`, the
//!   certificate pinned), so a new address on the Wi-Fi never cuts the coordinator off.
//! - Members reach it at the computer's address on the local network, recorded as the group's
//!   hub (same certificate). Invites carry that address as the group's server *and* as its hub,
//!   so a phone pins the fingerprint both ways and can find the server again by its mDNS
//!   announcement when the address changes (`sync_with_rediscovered_hub` then moves the
//!   device's server itself: the same certificate is the same server and the same log).
//! - The settings persist in the store, so the app starts the server again when it opens,
//!   until the coordinator stops it.

use porchlight_store::set_state_in;
use porchlight_sync::{ServerAddr, format_fingerprint};
use serde::Serialize;

use super::{STATE_SERVER, STATE_SERVER_PIN};
use crate::{Core, Result};

/// Where the server listens (present exactly when the group is served from this computer).
const STATE_LISTEN: &str = "standalone.listen";
/// The address phones use, when the coordinator gave one (else the LAN address at each start).
const STATE_URL: &str = "standalone.url";
/// "1" while the server should run whenever the app is open.
const STATE_RUNNING: &str = "standalone.running";

/// How this computer serves its group, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StandaloneServer {
    /// The address it listens on, with the port it got on its first start (`0.0.0.0:8471`).
    pub listen: String,
    /// The address phones use, when the coordinator chose one.
    pub url: Option<String>,
    /// Whether it starts with the app: true until the coordinator stops it.
    pub running: bool,
}

impl Core {
    /// How this computer serves its group, when the group was started here; `None` for a
    /// group on a community server (or no group).
    pub fn standalone_server(&self) -> Result<Option<StandaloneServer>> {
        let store = self.store();
        let Some(listen) = store.state(STATE_LISTEN)? else {
            return Ok(None);
        };
        Ok(Some(StandaloneServer {
            listen,
            url: store.state(STATE_URL)?,
            running: store.state(STATE_RUNNING)?.as_deref() == Some("1"),
        }))
    }

    /// Records how this computer serves its group (`porchlight-hub` does, when it starts one);
    /// `None` forgets it (a group that could not be started here after all).
    pub fn set_standalone_server(&self, server: Option<&StandaloneServer>) -> Result<()> {
        self.store().with_transaction(|tx| {
            set_state_in(tx, STATE_LISTEN, server.map(|s| s.listen.as_str()))?;
            set_state_in(tx, STATE_URL, server.and_then(|s| s.url.as_deref()))?;
            set_state_in(
                tx,
                STATE_RUNNING,
                server.and_then(|s| s.running.then_some("1")),
            )
        })?;
        Ok(())
    }

    /// Whether this device's group is served from this computer.
    pub(crate) fn serves_group(&self) -> Result<bool> {
        Ok(self.store().state(STATE_LISTEN)?.is_some())
    }

    /// The same server at a new address (a new port, a new lease on the Wi-Fi): unlike
    /// [`Core::switch_server`], the cursors stay, since its log is the one the device followed.
    /// Callers make sure it is the same server: the same pinned certificate.
    pub fn relocate_server(&self, server: &ServerAddr) -> Result<()> {
        let pin = server.pin.as_ref().map(format_fingerprint);
        self.store().with_transaction(|tx| {
            set_state_in(tx, STATE_SERVER, Some(&server.url))?;
            set_state_in(tx, STATE_SERVER_PIN, pin.as_deref())
        })?;
        *self
            .remote
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        *self
            .home
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.changed_locally();
        Ok(())
    }
}
