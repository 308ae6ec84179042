use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use porchlight_model::{DocId, DocKind, Role};
use porchlight_protocol::ChangeProblem;
use porchlight_protocol::wire::ErrorBody;

/// Everything the server can refuse or fail at. Each request-level variant maps to one HTTP
/// status and a `{kind, message}` body whose message tells the client what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- the request itself ---
    #[error("the request body is larger than the {limit} bytes this server accepts")]
    TooLarge { limit: usize },
    #[error("the request body is not valid CBOR for this endpoint: {0}")]
    Malformed(String),
    #[error("document {doc}, change {index}: {problem}")]
    BadChange {
        doc: DocId,
        index: usize,
        problem: ChangeProblem,
    },
    #[error(
        "document {doc}, change {index}: its author (the change's actor) is not a current member of this group"
    )]
    UnknownAuthor { doc: DocId, index: usize },
    #[error(
        "document {doc}, change {index}: the signature is not its author's over this change, document and kind"
    )]
    UnsignedChange { doc: DocId, index: usize },
    #[error("{0}")]
    BadRequest(String),
    #[error("the body's BLAKE3 hash is {actual}, not the {expected} named in the address")]
    HashMismatch { expected: String, actual: String },
    #[error("too many requests from this network address; try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },

    // --- who is asking ---
    #[error("this request needs a bearer token (sign in first)")]
    TokenMissing,
    #[error("the session token is not valid; sign in again")]
    TokenInvalid,
    #[error("the session token has expired; sign in again")]
    TokenExpired,
    #[error("this device has been removed from the group")]
    Revoked,
    #[error("this device is not a member of the group")]
    NotMember,
    #[error("the challenge was already used or never issued; ask for a new one")]
    ChallengeUnknown,
    #[error("the challenge has expired; ask for a new one")]
    ChallengeExpired,
    #[error("the signature does not match the device's key and the signed message")]
    BadSignature,
    #[error("only a coordinator may {action}")]
    NotCoordinator { action: &'static str },
    #[error("a {role} may not write {kind} documents")]
    RoleCannotWrite { role: Role, kind: DocKind },
    #[error("a {role} may not read {kind} documents")]
    RoleCannotRead { role: Role, kind: DocKind },
    #[error(
        "creating a group on this server needs the operator's creation token, and this one is \
         missing or wrong (--creation-token or PORCHLIGHT_CREATION_TOKEN)"
    )]
    GroupCreationClosed,
    #[error(
        "this server does not create groups: its operator has set neither group_creation_token \
         nor open_group_creation = true"
    )]
    GroupCreationOff,
    #[error("this group's photos would take {needed} bytes, over its quota of {quota} bytes")]
    OverQuota { needed: u64, quota: u64 },
    #[error("the invite does not exist or its secret is wrong")]
    InviteInvalid,
    #[error("the invite has expired; ask a coordinator for a new one")]
    InviteExpired,
    #[error("the invite has been used as many times as it allows; ask a coordinator for a new one")]
    InviteUsedUp,
    #[error("{0}")]
    NotFound(String),
    #[error("this server has no group with that id")]
    UnknownGroup,
    #[error("{0}")]
    Conflict(String),
    #[error(
        "a drop must spend a drop token; members' apps get them when they sync, and people who \
         are not members get one on a coordinator's printed token sheet"
    )]
    DropTokenMissing,
    #[error("the drop token is not valid for this group: {0}")]
    DropTokenInvalid(String),
    #[error("this drop token was already spent; each token pays for one drop")]
    DropTokenSpent,
    #[error("this member has had all {per_day} drop tokens it may have today; try again tomorrow")]
    TokensUsedUp { per_day: u32 },

    // --- the server itself ---
    /// A backend's own error, boxed so nothing above the storage layer names a backend.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(
        "the database is at schema version {found}, newer than the {supported} this server knows; refusing to downgrade it"
    )]
    DatabaseTooNew { found: u32, supported: u32 },
    #[error("unsupported database URL {url:?}: {reason}")]
    DatabaseUrl { url: String, reason: String },
    #[error("configuration: {0}")]
    Config(String),
    #[error("TLS certificate {}: {reason}", path.display())]
    Certificate {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("could not encode the response: {0}")]
    Encode(#[source] porchlight_protocol::Error),
}

impl Error {
    pub fn status(&self) -> StatusCode {
        use Error as E;
        match self {
            E::TooLarge { .. } | E::OverQuota { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            E::Malformed(_) | E::BadChange { .. } | E::BadRequest(_) | E::HashMismatch { .. } => {
                StatusCode::BAD_REQUEST
            }
            E::RateLimited { .. } | E::TokensUsedUp { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::TokenMissing
            | E::TokenInvalid
            | E::TokenExpired
            | E::ChallengeUnknown
            | E::ChallengeExpired
            | E::BadSignature => StatusCode::UNAUTHORIZED,
            E::UnknownAuthor { .. }
            | E::UnsignedChange { .. }
            | E::Revoked
            | E::NotMember
            | E::NotCoordinator { .. }
            | E::RoleCannotWrite { .. }
            | E::RoleCannotRead { .. }
            | E::GroupCreationClosed
            | E::GroupCreationOff
            | E::InviteInvalid
            | E::InviteExpired
            | E::InviteUsedUp
            | E::DropTokenMissing
            | E::DropTokenInvalid(_) => StatusCode::FORBIDDEN,
            E::NotFound(_) | E::UnknownGroup => StatusCode::NOT_FOUND,
            E::Conflict(_) | E::DropTokenSpent => StatusCode::CONFLICT,
            E::Database(_)
            | E::DatabaseTooNew { .. }
            | E::DatabaseUrl { .. }
            | E::Config(_)
            | E::Certificate { .. }
            | E::Tls(_)
            | E::Io(_)
            | E::Task(_)
            | E::Encode(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable word clients match on.
    pub fn kind(&self) -> &'static str {
        use Error as E;
        match self {
            E::TooLarge { .. } => "too_large",
            E::Malformed(_) => "malformed",
            E::BadChange { .. } => "bad_change",
            E::UnknownAuthor { .. } => "unknown_author",
            E::UnsignedChange { .. } => "unsigned_change",
            E::BadRequest(_) => "bad_request",
            E::HashMismatch { .. } => "hash_mismatch",
            E::RateLimited { .. } => "rate_limited",
            E::TokenMissing | E::TokenInvalid => "unauthorized",
            E::TokenExpired => "token_expired",
            E::Revoked => "revoked",
            E::NotMember => "not_member",
            E::ChallengeUnknown | E::ChallengeExpired => "challenge",
            E::BadSignature => "bad_signature",
            E::NotCoordinator { .. }
            | E::RoleCannotWrite { .. }
            | E::RoleCannotRead { .. }
            | E::GroupCreationClosed
            | E::GroupCreationOff => "forbidden",
            E::OverQuota { .. } => "over_quota",
            E::InviteInvalid => "invite_invalid",
            E::InviteExpired => "invite_expired",
            E::InviteUsedUp => "invite_used_up",
            E::NotFound(_) => "not_found",
            E::UnknownGroup => "unknown_group",
            E::Conflict(_) => "conflict",
            E::DropTokenMissing => "drop_token_missing",
            E::DropTokenInvalid(_) => "drop_token_invalid",
            E::DropTokenSpent => "drop_token_spent",
            E::TokensUsedUp { .. } => "tokens_used_up",
            _ => "internal",
        }
    }
}

impl Error {
    fn respond(self, log: bool) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            // The details stay in the server's log; the client learns only that it was not its
            // fault. Never log request metadata here (no addresses: DESIGN's anonymity rules).
            if log {
                tracing::error!(error = %self, "request failed");
            }
            "the server failed to handle the request; try again later".to_owned()
        } else {
            self.to_string()
        };
        let retry_after = match self {
            Error::RateLimited { retry_after } => Some(retry_after),
            _ => None,
        };
        let body = ErrorBody {
            kind: self.kind().to_owned(),
            message,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.respond(true)
    }
}

/// An error answered without a word in the server's log, for the anonymous endpoints: even a
/// failed drop must leave no trace of when it was attempted.
#[derive(Debug)]
pub(crate) struct Unlogged(pub Error);

impl From<Error> for Unlogged {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for Unlogged {
    fn into_response(self) -> Response {
        self.0.respond(false)
    }
}
