use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Core(#[from] porchlight_core::CoreError),
    #[error(transparent)]
    Store(#[from] porchlight_store::StoreError),
    #[error(transparent)]
    Sync(#[from] porchlight_sync::Error),
    #[error(transparent)]
    Automerge(#[from] automerge::AutomergeError),
    #[error(transparent)]
    Rows(#[from] porchlight_benchkit::BenchError),
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("the server at {bin} did not start: {reason}")]
    ServerStart { bin: PathBuf, reason: &'static str },
    #[error("the joining device's process failed ({status}); its error output is above")]
    Child { status: std::process::ExitStatus },
    #[error("the joining device's process printed no result: {source}")]
    ChildOutput { source: serde_json::Error },
    #[error("the device holds {found} records after syncing, not {expected}")]
    Incomplete { expected: u64, found: u64 },
}

pub type Result<T, E = BenchError> = std::result::Result<T, E>;

/// `?` for I/O, naming what was being done.
pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> BenchError {
    move |source| BenchError::Io { what, source }
}
