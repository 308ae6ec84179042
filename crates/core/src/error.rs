use std::path::PathBuf;

use porchlight_crdt::CrdtError;
use porchlight_model::{Role, ValidationError};
use porchlight_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoreError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(StoreError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error(
        "device key {path} is damaged ({reason}); restore it from a backup or move it away to start as a new device"
    )]
    BadKey { path: PathBuf, reason: String },
    #[error("a {role} cannot {action}")]
    NotAllowed { role: Role, action: &'static str },
    #[error("no patrol is running; start one with `patrol start`")]
    NoPatrol,
    #[error("patrol {0} is still running; end it before starting another")]
    PatrolRunning(String),
    #[error("export: {0}")]
    Export(String),
    #[error(transparent)]
    Sync(porchlight_sync::Error),
    #[error("this device has not joined a group on a server yet (use `group create` or `join`)")]
    NotJoined,
    #[error("this device already belongs to a group on a server")]
    AlreadyJoined,
    #[error(
        "this device has no group root key pinned (it joined before membership certificates existed); join the group again with a new invite code"
    )]
    NoGroupRoot,
    /// Changes handed over without the server carry no author signatures, so a device whose
    /// group checks signatures cannot take them.
    #[error(
        "this device belongs to a group whose changes must carry their authors' signatures, and changes handed over directly carry none; sync through the group's server instead"
    )]
    UnsignedHandover,
    #[error(transparent)]
    Photo(#[from] porchlight_media::MediaError),
    #[error("sealing: {0}")]
    Seal(#[from] porchlight_sync::seal::SealError),
    #[error("refused a drop: {0}")]
    BadDrop(String),
    #[error(
        "no drop tokens left on this device: the report waits until the next sync with the \
         server fetches more"
    )]
    NoDropTokens,
    /// Reports filed here that have not left yet would be lost by deleting them.
    #[error(
        "{count} report(s) filed on this device have not been sent yet; send them first, or choose to delete them too (they will never reach the coordinators)"
    )]
    UnsentReports { count: u64 },
    #[error(
        "the server's drop-token key changed; refusing it, since a server could use per-member \
         keys to tell who files which report"
    )]
    TokenKeyChanged,
    /// The app-lock PIN given does not match.
    #[error("wrong PIN")]
    WrongPin,
    /// Too many wrong PINs in a row: the next try must wait.
    #[error("too many wrong PINs; try again in {retry_after_secs} s")]
    LockedOut { retry_after_secs: u64 },
    /// Closing or dismissing a case needs an outcome.
    #[error(
        "a case that is {status} needs an outcome (resolved, referred, no_further_action or not_an_incident)"
    )]
    OutcomeRequired {
        status: porchlight_model::TriageStatus,
    },
    /// Cases go to the group's coordinators and volunteers only.
    #[error(
        "{device} is not a coordinator or volunteer of this group, so cases cannot be assigned to it"
    )]
    NotAssignable { device: porchlight_model::DeviceId },
    /// A merge or unmerge that would leave the cases inconsistent.
    #[error("no partner {0:?} in the group's directory (see `partner list`)")]
    NoSuchPartner(String),
    #[error("cannot merge: {0}")]
    BadMerge(&'static str),
    /// A map package that cannot be used; nothing was stored.
    #[error("map package refused: {0}")]
    BadMap(crate::MapProblem),
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            // Bad input found deeper down is still bad input.
            StoreError::Invalid(v) | StoreError::Crdt(CrdtError::Invalid(v)) => {
                CoreError::Invalid(v)
            }
            other => CoreError::Store(other),
        }
    }
}

impl From<CrdtError> for CoreError {
    fn from(e: CrdtError) -> Self {
        match e {
            CrdtError::Invalid(v) => CoreError::Invalid(v),
            other => CoreError::Store(StoreError::Crdt(other)),
        }
    }
}

impl CoreError {
    /// A short stable name for the kind of error, for the UI and `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            CoreError::Invalid(ValidationError::PersonDetails { .. }) => "person_details",
            CoreError::Invalid(_) => "invalid",
            CoreError::Store(StoreError::NotFound { .. }) => "not_found",
            CoreError::Store(_) => "store",
            CoreError::Io { .. } => "io",
            CoreError::Config { .. } => "config",
            CoreError::BadKey { .. } => "bad_key",
            CoreError::NotAllowed { .. } => "not_allowed",
            CoreError::NoPatrol => "no_patrol",
            CoreError::WrongPin => "wrong_pin",
            CoreError::LockedOut { .. } => "locked_out",
            CoreError::PatrolRunning(_) => "patrol_running",
            CoreError::Export(_) => "export",
            CoreError::Sync(e) if e.is_offline() => "offline",
            CoreError::Sync(e) if e.is_certificate() => "certificate",
            CoreError::Sync(porchlight_sync::Error::PlainHttpRefused { .. }) => "plain_http",
            CoreError::Sync(_) => "sync",
            CoreError::NotJoined => "not_joined",
            CoreError::AlreadyJoined => "already_joined",
            CoreError::NoGroupRoot => "no_group_root",
            CoreError::UnsignedHandover => "unsigned_handover",
            CoreError::Photo(_) => "photo",
            CoreError::Seal(_) => "seal",
            CoreError::BadDrop(_) => "bad_drop",
            CoreError::NoDropTokens => "no_drop_tokens",
            CoreError::UnsentReports { .. } => "unsent_reports",
            CoreError::TokenKeyChanged => "token_key_changed",
            CoreError::BadMap(_) => "bad_map",
            CoreError::OutcomeRequired { .. } => "outcome_required",
            CoreError::NotAssignable { .. } => "not_assignable",
            CoreError::BadMerge(_) => "bad_merge",
            CoreError::NoSuchPartner(_) => "no_such_partner",
        }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
