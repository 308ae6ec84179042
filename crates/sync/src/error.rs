use thiserror::Error;

/// Everything that can go wrong in the sync crate: talking to a server, encoding the wire format,
/// or reading an invite code a person pasted.
#[derive(Debug, Error)]
pub enum Error {
    /// The server could not be reached at all (no network, refused, timed out). Callers treat
    /// this as "try again later", never as a failure of the data.
    #[error("the sync server is unreachable: {0}")]
    Offline(#[source] reqwest::Error),

    /// The link to the server is cut (a simulated network partition in tests).
    #[error("this device is cut off from the server")]
    Disconnected,

    /// The server answered with an error status and its `{kind, message}` body.
    #[error("the server refused the request ({status} {kind}): {message}")]
    Http {
        status: u16,
        kind: String,
        message: String,
    },

    /// A request failed inside reqwest for a reason other than connectivity.
    #[error("HTTP request failed: {0}")]
    Request(#[source] reqwest::Error),

    #[error("could not encode the message as CBOR: {0}")]
    Encode(#[source] ciborium::ser::Error<std::io::Error>),

    #[error("could not decode the CBOR message: {0}")]
    Decode(#[source] ciborium::de::Error<std::io::Error>),

    #[error("{count} unexpected bytes after the CBOR message")]
    TrailingBytes { count: usize },

    #[error("invalid server address {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// Plain `http://` to anything but this machine; nothing was sent.
    #[error(
        "refusing plain http:// to {url}: only this machine (127.0.0.1, ::1, localhost) may be reached without TLS; use https://"
    )]
    PlainHttpRefused { url: String },

    /// The server showed a certificate other than the pinned one: someone may be in the middle,
    /// or the server's certificate was replaced. Nothing was sent.
    #[error(
        "the server's TLS certificate does not match the pinned fingerprint (expected {expected}, got {found}); ask your coordinator for a new invite if the server's certificate really changed"
    )]
    CertificateMismatch { expected: String, found: String },

    /// Without a pin, the server's certificate did not pass the usual CA checks.
    #[error("the server's TLS certificate was refused: {reason}")]
    CertificateRejected { reason: String },

    #[error("could not set up TLS: {0}")]
    Tls(#[source] rustls::Error),

    #[error("invalid invite code: {reason}")]
    InvalidInvite { reason: String },

    #[error("invalid {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
}

impl Error {
    /// True when the failure is about reaching the server rather than about the request, so a
    /// background sync loop should back off and retry instead of surfacing an error.
    pub fn is_offline(&self) -> bool {
        matches!(self, Error::Offline(_) | Error::Disconnected)
            || matches!(self, Error::Http { status, .. } if *status == 502 || *status == 503 || *status == 504)
    }

    /// True when this server cannot be used right now, whatever the reason on the way: offline,
    /// or the connection broke before an answer came (a link that drops mid-request). A device
    /// with another server to try (a hub) tries it.
    pub fn is_unreachable(&self) -> bool {
        self.is_offline() || matches!(self, Error::Request(_))
    }

    /// True when the server's TLS certificate was not the pinned one or failed the CA checks:
    /// not "try later" but "this is not the server you think" (or a pin is missing).
    pub fn is_certificate(&self) -> bool {
        matches!(
            self,
            Error::CertificateMismatch { .. } | Error::CertificateRejected { .. }
        )
    }

    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the session token is no longer accepted (expired or the device was revoked) and
    /// a new session is needed.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }
}

/// The protocol crate's errors keep their meaning (and their variant) on this side.
impl From<porchlight_protocol::Error> for Error {
    fn from(e: porchlight_protocol::Error) -> Self {
        use porchlight_protocol::Error as P;
        match e {
            P::Encode(e) => Error::Encode(e),
            P::Decode(e) => Error::Decode(e),
            P::TrailingBytes { count } => Error::TrailingBytes { count },
            P::InvalidUrl { url, reason } => Error::InvalidUrl { url, reason },
            P::InvalidInvite { reason } => Error::InvalidInvite { reason },
            P::InvalidField { field, reason } => Error::InvalidField { field, reason },
        }
    }
}
