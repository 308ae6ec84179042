use thiserror::Error;

/// What can be wrong with protocol bytes or with a code a person pasted. No I/O happens in this
/// crate, so nothing here is about reaching a server.
#[derive(Debug, Error)]
pub enum Error {
    #[error("could not encode the message as CBOR: {0}")]
    Encode(#[source] ciborium::ser::Error<std::io::Error>),

    #[error("could not decode the CBOR message: {0}")]
    Decode(#[source] ciborium::de::Error<std::io::Error>),

    #[error("{count} unexpected bytes after the CBOR message")]
    TrailingBytes { count: usize },

    #[error("invalid server address {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("invalid invite code: {reason}")]
    InvalidInvite { reason: String },

    #[error("invalid {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
}
