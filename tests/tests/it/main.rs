//! The crate's integration tests, one module per story, linked into one binary: every
//! test binary links the whole dependency graph, so one binary per file cost CI minutes
//! and gigabytes of disk.

mod alarm_notices;
mod alert_outcome;
mod anonymity;
mod cases;
mod common;
mod compaction;
mod crash;
mod digest;
mod drop_box;
mod forget;
mod instances;
mod load;
mod lossy_link;
mod maps;
mod membership;
mod partners;
mod patrol_safety;
mod person_alerts;
mod privacy_zones;
mod quarantine;
mod server_crash;
mod sync;
mod tls;
mod upgrade;
