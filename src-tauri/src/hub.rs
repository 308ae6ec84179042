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
    /// The community server it relays to (`None` when this computer is the group's server).
    pub upstream: Option<String>,
    /// Whether the group was started on this computer: its server is this computer, whether it
    /// runs now or not (then phones cannot sync).
    pub standalone: bool,
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
pub use running::{Running, found, resume, shutdown, start, status, stop};

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

    fn describe(core: &Core, hub: Option<&LocalHub>) -> HubStatus {
        let standalone = core.standalone_server().ok().flatten().is_some();
        hub.map_or_else(
            || HubStatus {
                standalone,
                ..HubStatus::default()
            },
            |hub| HubStatus {
                running: true,
                url: Some(hub.url().to_owned()),
                fingerprint: hub.fingerprint().map(format_fingerprint),
                upstream: hub.upstream().map(ToOwned::to_owned),
                standalone,
                announce_error: hub.announce_error().map(ToOwned::to_owned),
            },
        )
    }

    pub async fn status(core: &Core, running: &Running) -> HubStatus {
        describe(core, running.0.lock().await.as_ref())
    }

    /// The server's settings: its database and certificate stay in the app's data directory,
    /// so its fingerprint (and the invites that carry it) survive restarts. `listen` empty
    /// means `default`.
    fn settings(
        core: &Core,
        listen: Option<&str>,
        default: &str,
    ) -> Result<porchlight_server::Settings, Error> {
        let text = match listen.map(str::trim) {
            None | Some("") => default,
            Some(text) => text,
        };
        let listen: SocketAddr = text.parse().map_err(|_| Error {
            kind: "invalid".into(),
            message: format!("{text:?} is not an address like 0.0.0.0:{DEFAULT_HUB_PORT}"),
        })?;
        Ok(porchlight_server::Settings {
            database: format!("sqlite://{}", core.data_dir().join("hub.db").display()),
            listen,
            ..porchlight_server::Settings::default()
        })
    }

    fn every_interface() -> String {
        format!("0.0.0.0:{DEFAULT_HUB_PORT}")
    }

    /// Starts the hub unless it runs already: relaying to the community server, or, for a
    /// group started on this computer, as its only server (where it listened last time,
    /// unless the coordinator gives another address).
    pub async fn start(
        core: Arc<Core>,
        running: &Running,
        options: HubOptions,
    ) -> Result<HubStatus, Error> {
        let mut slot = running.0.lock().await;
        if slot.is_none() {
            let url = options.url.filter(|u| !u.trim().is_empty());
            let hub = if let Some(alone) = core.standalone_server()? {
                let settings = settings(&core, options.listen.as_deref(), &alone.listen)?;
                LocalHub::serve_alone(core.clone(), settings, url.or(alone.url)).await
            } else {
                let default = every_interface();
                let settings = settings(&core, options.listen.as_deref(), &default)?;
                LocalHub::start(core.clone(), settings, url).await
            };
            *slot = Some(hub.map_err(hub_error)?);
        }
        Ok(describe(&core, slot.as_ref()))
    }

    /// Starts a new group on this computer, this device its coordinator, and serves it.
    pub async fn found(
        core: Arc<Core>,
        running: &Running,
        group: &str,
        options: HubOptions,
    ) -> Result<HubStatus, Error> {
        let mut slot = running.0.lock().await;
        let settings = settings(&core, options.listen.as_deref(), &every_interface())?;
        let url = options.url.filter(|u| !u.trim().is_empty());
        let hub = LocalHub::found(core.clone(), settings, url, group)
            .await
            .map_err(hub_error)?;
        *slot = Some(hub);
        Ok(describe(&core, slot.as_ref()))
    }

    /// On opening the app: the server of a group started here starts again, unless the
    /// coordinator stopped it. A failure (the port taken) shows on the hub card.
    pub async fn resume(core: Arc<Core>, running: &Running) -> Result<(), Error> {
        if core.standalone_server()?.is_some_and(|s| s.running) {
            start(core, running, HubOptions::default()).await?;
        }
        Ok(())
    }

    /// Stops the hub if it runs. Phones of a hub go back to the community server by
    /// themselves; a group started here has no other server, so its server stays stopped (also
    /// when the app opens again) until the coordinator starts it.
    pub async fn stop(core: &Core, running: &Running) -> Result<HubStatus, Error> {
        shutdown(running).await?;
        if let Some(alone) = core.standalone_server()?.filter(|s| s.running) {
            core.set_standalone_server(Some(&porchlight_core::StandaloneServer {
                running: false,
                ..alone
            }))?;
        }
        Ok(describe(core, None))
    }

    /// Stops the hub if it runs, as closing the app does: a group started here starts again
    /// when the app next opens.
    pub async fn shutdown(running: &Running) -> Result<(), Error> {
        let hub = running.0.lock().await.take();
        if let Some(hub) = hub {
            hub.stop().await.map_err(hub_error)?;
        }
        Ok(())
    }
}
