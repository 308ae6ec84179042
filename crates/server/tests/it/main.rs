//! The crate's integration tests, one module per story, linked into one binary: every
//! test binary links the whole dependency graph, so one binary per file cost CI minutes
//! and gigabytes of disk.

mod auth;
mod bad_input;
mod blobs;
mod caches;
mod common;
mod compaction;
mod conformance;
mod content;
mod drops;
mod instances;
mod limits;
mod map_chunks;
mod postgres;
mod replies;
mod roles;
mod sync;
mod tls;
