//! The hub: a coordinator's machine serving the group on the local network (an embedded
//! Porchlight server with its own database) and relaying its log to and from the community
//! server whenever it can reach it. See `docs/HUB.md`.
//!
//! Also here, because they need the server and the core together: the server driven in-process
//! through its router ([`InProcessServer`]) and a seeded simulated network ([`SimNet`]) that the
//! deterministic sync tests run devices, hubs and servers on.

mod announce;
mod blobs;
mod error;
mod hub;
mod inprocess;
mod joins;
mod local;
mod mirror;
mod net;
mod relay;
mod standalone;

pub use announce::{Announcement, SERVICE_TYPE};
pub use blobs::BlobRelay;
pub use error::HubError;
pub use hub::Hub;
pub use inprocess::{InProcessConnect, InProcessRemote, InProcessServer};
pub use joins::{Forwarded, JoinForwarder};
pub use local::{DEFAULT_HUB_PORT, LocalHub, phone_url};
pub use mirror::{Mirrored, mirror_members};
pub use net::{Rng, SEED_VAR, SimNet};
pub use relay::{Relay, RelayStep, RelayWait};
