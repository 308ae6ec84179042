//! The error every command returns: a stable `kind` the UI can branch on and a sentence a person
//! can read.

use porchlight_core::CoreError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "CommandError"))]
pub struct Error {
    /// One of `CoreError::kind()`'s names (`invalid`, `not_found`, `not_allowed`, ...).
    pub kind: String,
    pub message: String,
}

impl From<CoreError> for Error {
    fn from(e: CoreError) -> Self {
        Self {
            kind: e.kind().to_owned(),
            message: e.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A file the app could not read or write, named so the person can look for it.
    pub fn io(path: &std::path::Path, e: &std::io::Error) -> Self {
        Self {
            kind: "io".into(),
            message: format!("{}: {e}", path.display()),
        }
    }
}
