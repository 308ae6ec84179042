//! Porchlight's domain model: ids, roles, record types, geometry and the rules they obey.
//!
//! Pure data: nothing here touches a file, a socket or a clock it was not given.

mod error;
mod ids;
mod role;

pub use error::ValidationError;
pub use ids::{DeviceId, DocId, hex, random_bytes, unhex};
pub use role::{DocKind, Role};
