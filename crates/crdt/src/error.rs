use porchlight_model::{DocKind, ValidationError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CrdtError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document lacks a field its kind requires, or holds the wrong type there. Documents come
    /// from other devices, so this is bad input, not a bug.
    #[error("{kind} document: field {field:?} is missing or has the wrong type")]
    Schema { kind: DocKind, field: &'static str },
    #[error("the document is a {found}, not a {expected}")]
    WrongKind { expected: DocKind, found: String },
    #[error("change rejected: {0}")]
    BadChange(String),
    #[error("change of {size} bytes is over the {max}-byte limit")]
    ChangeTooLarge { size: usize, max: usize },
    /// Automerge panicked on these bytes; the caller must drop the in-memory document.
    #[error("the document could not be processed and was set aside")]
    Quarantined,
    /// The write would not change the document (for example, setting the status it already has).
    #[error("nothing to change")]
    Unchanged,
    /// A document that claims to come from one device but was written by another.
    #[error("this {kind} document is refused: {why}")]
    Impersonation { kind: DocKind, why: &'static str },
    #[error("track data is corrupt: {0}")]
    Track(&'static str),
}
