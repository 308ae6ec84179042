//! The commands the UI calls, each a few lines over [`porchlight_core::Core`].
//!
//! Every command is async and runs its core call on the blocking pool ([`blocking`]): none
//! runs on the main thread, so the window keeps painting while photos are decoded or a sync
//! holds the store's writer.
//!
//! Tauri hands commands their arguments (and `State`) by value, so passing by value is the
//! signature the macro needs, not a choice.
#![allow(clippy::needless_pass_by_value)]

pub mod alerts;
pub mod cases;
pub mod identity;
pub mod incidents;
pub mod insight;
pub mod maps;
pub mod overview;
pub mod partners;
pub mod patrols;
pub mod photos;
pub mod reports;
pub mod safety;
pub mod sync;

use std::sync::Arc;

use porchlight_core::Core;
use tauri::State;

use crate::error::{Error, Result};

/// Runs `f` with the core on Tauri's blocking pool and waits for it without blocking a thread.
pub(crate) async fn blocking<T, F>(core: &State<'_, Arc<Core>>, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Core) -> Result<T> + Send + 'static,
{
    let core = Arc::clone(core.inner());
    tauri::async_runtime::spawn_blocking(move || f(&core))
        .await
        .map_err(|e| Error {
            kind: "internal".into(),
            message: format!("the command stopped before it finished: {e}"),
        })?
}
