//! The commands the UI calls, each a few lines over [`porchlight_core::Core`].
//!
//! Tauri hands commands their arguments (and `State`) by value, so passing by value is the
//! signature the macro needs, not a choice.
#![allow(clippy::needless_pass_by_value)]

pub mod alerts;
pub mod identity;
pub mod insight;
pub mod maps;
pub mod overview;
pub mod patrols;
pub mod photos;
pub mod reports;
pub mod safety;
pub mod sync;
