//! The crate's integration tests, one module per story, linked into one binary: every
//! test binary links the whole dependency graph, so one binary per file cost CI minutes
//! and gigabytes of disk.

mod cli;
mod netns;
mod network;
mod partners;
mod standalone;
mod summary;
