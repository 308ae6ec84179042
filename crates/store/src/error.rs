use porchlight_crdt::CrdtError;
use porchlight_model::{DocId, DocKind, ValidationError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Crdt(#[from] CrdtError),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(
        "this data was written by a newer Porchlight (schema {found}, this version knows up to \
         {supported}); update the app instead of downgrading"
    )]
    Downgrade { found: i64, supported: i64 },
    #[error("migration {version} failed: {source}")]
    Migration {
        version: i64,
        source: rusqlite::Error,
    },
    #[error("no {kind} with id {id}")]
    NotFound { kind: DocKind, id: DocId },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
