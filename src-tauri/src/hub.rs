//! Hub mode on the desktop: the coordinator's computer serves the group to phones on the same
//! network and relays to the community server whenever it can (`porchlight_hub::LocalHub`,
//! docs/HUB.md). Phones have no hub mode: they are what the hub serves.

use serde::{Deserialize, Serialize};

/// What the app shows about the hub.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HubStatus {
    pub running: bool,
    /// The address phones use (what new invites carry).
    pub url: Option<String>,
    /// The hub certificate's SHA-256, as hex.
    pub fingerprint: Option<String>,
    /// The community server it relays to.
    pub upstream: Option<String>,
    /// Why phones cannot find it by themselves (no multicast); the invite address still works.
    pub announce_error: Option<String>,
}

/// How to start the hub: where to listen (default every interface, port 8471) and, optionally,
/// the address phones should use.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HubOptions {
    pub listen: Option<String>,
    pub url: Option<String>,
}

#[cfg(desktop)]
pub use running::{Running, start, status, stop};

/// Phones are what a hub serves; they cannot be one.
#[cfg(mobile)]
pub fn desktop_only() -> crate::Error {
    crate::Error {
        kind: "not_allowed".into(),
        message: "a hub runs on a desktop computer".into(),
    }
}

#[cfg(desktop)]
mod running {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use porchlight_core::{Core, format_fingerprint};
    use porchlight_hub::{DEFAULT_HUB_PORT, LocalHub};
    use tokio::sync::Mutex;

    use super::{HubOptions, HubStatus};
    use crate::Error;

    /// The hub, while it runs.
    #[derive(Default)]
    pub struct Running(Mutex<Option<LocalHub>>);

    fn hub_error(e: porchlight_hub::HubError) -> Error {
        match e {
            porchlight_hub::HubError::Core(e) => e.into(),
            e => Error {
                kind: "hub".into(),
                message: e.to_string(),
            },
        }
    }

    fn describe(hub: Option<&LocalHub>) -> HubStatus {
        hub.map_or_else(HubStatus::default, |hub| HubStatus {
            running: true,
            url: Some(hub.url().to_owned()),
            fingerprint: hub.fingerprint().map(format_fingerprint),
            upstream: Some(hub.upstream().to_owned()),
            announce_error: hub.announce_error().map(ToOwned::to_owned),
        })
    }

    pub async fn status(running: &Running) -> HubStatus {
        describe(running.0.lock().await.as_ref())
    }

    /// Starts the hub unless it runs already. The hub's database and certificate stay in the
    /// app's data directory, so its fingerprint (and the invites that carry it) survive restarts.
    pub async fn start(
        core: Arc<Core>,
        running: &Running,
        options: HubOptions,
    ) -> Result<HubStatus, Error> {
        let mut slot = running.0.lock().await;
        if slot.is_none() {
            let listen: SocketAddr = match options.listen.as_deref().map(str::trim) {
                None | Some("") => SocketAddr::from(([0, 0, 0, 0], DEFAULT_HUB_PORT)),
                Some(text) => text.parse().map_err(|_| Error {
                    kind: "invalid".into(),
                    message: format!("{text:?} is not an address like 0.0.0.0:{DEFAULT_HUB_PORT}"),
                })?,
            };
            let settings = porchlight_server::Settings {
                database: format!("sqlite://{}", core.data_dir().join("hub.db").display()),
                listen,
                ..porchlight_server::Settings::default()
            };
            let url = options.url.filter(|u| !u.trim().is_empty());
            *slot = Some(
                LocalHub::start(core, settings, url)
                    .await
                    .map_err(hub_error)?,
            );
        }
        Ok(describe(slot.as_ref()))
    }

    /// Stops the hub if it runs. Phones go back to the community server by themselves.
    pub async fn stop(running: &Running) -> Result<HubStatus, Error> {
        let hub = running.0.lock().await.take();
        if let Some(hub) = hub {
            hub.stop().await.map_err(hub_error)?;
        }
        Ok(HubStatus::default())
    }
}
