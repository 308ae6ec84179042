//! The Automerge schema of every Porchlight record kind.
//!
//! One document per record (see docs/ARCHITECTURE.md for why). Each write function commits exactly
//! one change and returns it as [`Written`], which the store persists and queues for sync. Reads
//! are typed and tolerate documents from other devices that lack fields: bad input is an error,
//! never a panic. No I/O happens here.

mod alert;
mod case;
mod change;
mod columns;
mod doc;
mod error;
mod fields;
#[cfg(any(test, feature = "forge"))]
pub mod forge;
mod group;
mod map;
mod partner;
mod patrol;
mod report;
mod safety;
pub mod track;
mod validate;

pub use alert::{
    Ack, ack_id, approval_digest, approve_alert, close_alert, create_ack, create_alert, read_ack,
    read_alert, read_attendance, record_attendance, set_alert_status,
};
pub use case::{case_history, set_assignee, set_duplicate, set_merged_into, set_priority};
pub use change::{CHUNK_MAGIC, ChangeProblem, CheckedChange, check_change, precheck};
pub use columns::{Bounds, Declared, MAX_OPS};
pub use doc::{Doc, MAX_CHANGE_BYTES, Merge, SCHEMA_VERSION, Written, parse_change};
pub use error::CrdtError;
pub use group::{
    DEFAULT_HOTSPOT_K, MIN_HOTSPOT_K, MembershipRecords, certify_member, create_group,
    read_due_hours, read_group, read_hotspot_k, read_membership, remove_member, set_due_hours,
    set_hotspot_k, set_member, set_zone,
};
pub use map::{MAP_CHUNK_SIZE, MAX_MAP_BYTES, MapManifest, read_map, set_map};
pub use partner::{new_partner_id, read_partners, record_forward, remove_partner, set_partner};
pub use patrol::{
    add_observation, append_track, end_patrol, join_patrol, read_patrol, read_patrol_and_track,
    read_track, start_patrol,
};
pub use report::{
    ReplyKeys, add_followup, create_report, first_triaged_at, new_triage, read_report, read_triage,
    report_actor, report_reply, set_case_status, set_triage, triage_id,
};
pub use safety::{
    Safety, SosCall, raise_sos, read_safety, set_check_in, stop_check_ins, withdraw_sos,
};
pub use validate::{Verdict, validate_document};
