//! Porchlight's domain model: ids, roles, record types, geometry and the rules they obey.
//!
//! Pure data: nothing here touches a file, a socket or the network.

#[macro_use]
mod enums;
mod case;
mod env;
mod error;
mod geometry;
mod ids;
mod partner;
mod person;
pub mod planar;
mod records;
mod role;
mod text;
mod time;

pub use case::{
    CaseChange, CaseEvent, CaseOutcome, DUE_HOURS_MAX, DUE_HOURS_MIN, DueHours, Priority, ends_case,
};
pub use enums::{
    AlertCategory, AlertOutcome, AlertStatus, Category, LocationPrecision, Severity, TriageStatus,
};
pub use env::{ENV_PREFIX, settings_from_env};
pub use error::ValidationError;
pub use geometry::{
    Area, BBox, MAX_POLYGON_VERTICES, MAX_RADIUS_M, MIN_POLYGON_VERTICES, MIN_RADIUS_M, Point,
};
pub use ids::{
    DeviceId, DocId, IdBytesVisitor, base58_decode, base58_encode, hex, random_bytes, unhex,
};
pub use partner::{
    CHANNEL_MAX, ChannelKind, ContactChannel, MAX_CHANNELS, MAX_PARTNERS, NewPartner,
    ORGANISATION_MAX, PARTNER_ID_LEN, Partner, PartnerKind, is_partner_id,
};
pub use person::{
    BEHAVIOUR_MAX, DETAIL_MAX, DetailKind, MAX_DETAILS, MIN_DISTINGUISHING, PersonDescription,
    PersonDetail, distinguishes,
};
pub use records::{
    ATTENDANCE_MAX, Alert, Attendance, BlurRegion, Fix, FollowUp, Group, Meeting, Member, NewAlert,
    NewObservation, NewReport, Observation, PLACE_MAX, Participant, Patrol, REPORT_TIME_STEP_MS,
    Report, Triage, TriageNote, WatchArea, Zone, coarsen, validate_name, validate_note,
    validate_title,
};
pub use role::{DocKind, Role};
pub use text::{BODY_MAX, NAME_MAX, TITLE_MAX};
pub use time::Timestamp;
