//! The crate's integration tests, one module per story, linked into one binary: every
//! test binary links the whole dependency graph, so one binary per file cost CI minutes
//! and gigabytes of disk.

mod announce;
mod hall_blobs;
mod hall_joins;
mod lan;
mod rediscover;
mod simnet;
mod standalone;
