//! The crate's integration tests, one module per story, linked into one binary: every
//! test binary links the whole dependency graph, so one binary per file cost CI minutes
//! and gigabytes of disk.

mod blur;
mod cases;
mod core;
mod faces;
mod hotspots;
mod maps;
mod matching;
mod measures;
mod partners;
mod summary;
