use thiserror::Error;

/// Everything that can go wrong running a hub or its in-process server.
#[derive(Debug, Error)]
pub enum HubError {
    /// The embedded server's storage refused or failed.
    #[error("the hub's server: {0}")]
    Server(#[from] porchlight_server::Error),

    /// A call to the hub's server or to the community server failed.
    #[error("sync: {0}")]
    Sync(#[from] porchlight_sync::Error),

    /// The coordinator's device the hub runs on refused (not a coordinator, not joined...).
    #[error("the coordinator's device: {0}")]
    Core(#[from] porchlight_core::CoreError),

    /// The roster has no founder to create the group with on the hub's server.
    #[error("the group's roster does not list its founder")]
    NoFounder,

    /// A hub keeps its own log in SQLite; a PostgreSQL URL is for community servers.
    #[error("a hub's database must be sqlite://PATH")]
    NotSqlite,

    /// Announcing the hub on the local network (mDNS) failed.
    #[error("could not announce the hub on the local network: {0}")]
    Announce(#[source] mdns_sd::Error),

    /// Listening on every interface, but no address on a local network to put in invites.
    #[error(
        "cannot tell this computer's address on the local network ({0}); give the address phones should use"
    )]
    NoLanAddress(String),

    /// `porchlight hub` (relaying) for a group started on this computer: it has no community
    /// server to relay to.
    #[error(
        "this group's server is this computer: there is no community server to relay to (serve it with `porchlight hub --standalone`)"
    )]
    Standalone,

    /// Serving alone a group that lives on a community server (the URL): a hub relays to it.
    #[error(
        "this group lives on the server {0}, not on this computer: run the hub without --standalone to relay to it"
    )]
    NotStandalone(String),

    /// Serving alone with no group to serve.
    #[error(
        "this device has no group yet: start one on this computer with `porchlight hub --standalone --group NAME`"
    )]
    NoGroup,

    #[error("file system: {0}")]
    Io(#[source] std::io::Error),
}
