//! The records people create, as the app shows them, and the inputs that create them.
//!
//! `New*` types are what a user submits; their `validate` returns the cleaned value or the first
//! rule broken. The read types (`Alert`, `Patrol`, ...) are what the store returns.

use serde::{Deserialize, Serialize};

use crate::enums::{
    AlertCategory, AlertOutcome, AlertStatus, Category, LocationPrecision, Severity, TriageStatus,
};
use crate::error::ValidationError;
use crate::geometry::{Area, Point};
use crate::ids::{DeviceId, DocId};
use crate::person::PersonDescription;
use crate::role::Role;
use crate::text::{self, BODY_MAX, NAME_MAX, TITLE_MAX};
use crate::time::Timestamp;

/// Report times are rounded down to this step so they cannot single out the moment of sending.
pub const REPORT_TIME_STEP_MS: i64 = 15 * 60 * 1000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub device: DeviceId,
    pub name: String,
    pub role: Role,
    pub joined_at: Timestamp,
}

/// A named zone (beat) of the group's neighbourhood.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Zone {
    pub name: String,
    pub area: Area,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: DocId,
    pub name: String,
    pub members: Vec<Member>,
    pub zones: Vec<Zone>,
}

/// Validates a person's or group's display name.
pub fn validate_name(field: &'static str, name: &str) -> Result<String, ValidationError> {
    text::required(field, name, NAME_MAX)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NewAlert {
    pub title: String,
    pub body: String,
    pub category: AlertCategory,
    pub severity: Severity,
    pub area: Area,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// For community meetings: when and where.
    #[serde(default)]
    pub meeting: Option<Meeting>,
    /// When the alert describes a person: behaviour first. Such an alert is held until a second
    /// coordinator approves it.
    #[serde(default)]
    pub person: Option<PersonDescription>,
}

/// When and where a community meeting takes place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    pub starts_at: Timestamp,
    pub place: String,
}

/// Longest meeting place description.
pub const PLACE_MAX: usize = 200;

/// Most people one meeting can be recorded as having (a neighbourhood hall, not a stadium).
pub const ATTENDANCE_MAX: u32 = 10_000;

/// Who came to a past community meeting, as a coordinator recorded it: a head count and,
/// optionally, which members were among them (guests and residents without the app count too).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Attendance {
    pub count: u32,
    #[serde(default)]
    pub members: Vec<DeviceId>,
    pub recorded_at: Timestamp,
    #[serde(default)]
    pub recorded_by: Option<DeviceId>,
}

impl Attendance {
    /// A count within [`ATTENDANCE_MAX`], and named members no more than the count, each once.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.count > ATTENDANCE_MAX {
            return Err(ValidationError::Invalid {
                field: "attendance",
                reason: format!("{} is more than the {ATTENDANCE_MAX} allowed", self.count),
            });
        }
        if self.members.len() > self.count as usize {
            return Err(ValidationError::Invalid {
                field: "attendance",
                reason: format!(
                    "{} members named but only {} attending",
                    self.members.len(),
                    self.count
                ),
            });
        }
        let mut seen = std::collections::HashSet::new();
        if !self.members.iter().all(|m| seen.insert(*m)) {
            return Err(ValidationError::Invalid {
                field: "attendance",
                reason: "a member is named twice".into(),
            });
        }
        Ok(())
    }
}

impl NewAlert {
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        self.title = text::required("title", &self.title, TITLE_MAX)?;
        self.body = text::at_most("body", &self.body, BODY_MAX)?;
        self.area.validate("area")?;
        if let Some(expires) = self.expires_at
            && expires <= self.issued_at
        {
            return Err(ValidationError::NotAfter {
                field: "expires_at",
                after: "issued_at",
            });
        }
        match (&mut self.meeting, self.category) {
            (Some(m), AlertCategory::Meeting) => {
                m.place = text::required("place", &m.place, PLACE_MAX)?;
            }
            (None, AlertCategory::Meeting) => {
                return Err(ValidationError::Invalid {
                    field: "starts",
                    reason: "a meeting needs a start time and a place".into(),
                });
            }
            (Some(_), _) => {
                return Err(ValidationError::Invalid {
                    field: "category",
                    reason: "only meeting alerts have a start time and place".into(),
                });
            }
            (None, _) => {}
        }
        self.person = self.person.map(PersonDescription::validate).transpose()?;
        Ok(self)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: DocId,
    pub title: String,
    pub body: String,
    pub category: AlertCategory,
    pub severity: Severity,
    pub area: Area,
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub status: AlertStatus,
    pub issued_by: Option<DeviceId>,
    #[serde(default)]
    pub meeting: Option<Meeting>,
    #[serde(default)]
    pub person: Option<PersonDescription>,
    /// Devices whose approval of exactly this content is in the document, written by
    /// themselves. Whether they are coordinators is for the reader to check.
    #[serde(default)]
    pub approved_by: Vec<DeviceId>,
    /// A person alert without the approval of two coordinators: residents never see it.
    #[serde(default)]
    pub awaiting_approval: bool,
    /// How it ended, once closed.
    #[serde(default)]
    pub outcome: Option<AlertOutcome>,
    /// For a past meeting: who came, once a coordinator recorded it.
    #[serde(default)]
    pub attendance: Option<Attendance>,
}

impl Alert {
    /// Active and not yet expired at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.status == AlertStatus::Active && self.expires_at.is_none_or(|e| e > now)
    }
}

/// One GPS fix of a patrol's track.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    pub at: Timestamp,
    pub point: Point,
    /// Horizontal accuracy in metres, when the receiver reports it.
    pub accuracy_m: Option<f32>,
}

impl Fix {
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.point.validate("fix")?;
        if let Some(a) = self.accuracy_m
            && (!a.is_finite() || a < 0.0)
        {
            return Err(ValidationError::Invalid {
                field: "accuracy",
                reason: format!("{a} is not a distance in metres"),
            });
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NewObservation {
    pub at: Timestamp,
    pub point: Option<Point>,
    pub category: Category,
    pub note: String,
    /// BLAKE3 hashes (hex) of photos already taken in by the media pipeline.
    pub photos: Vec<String>,
}

impl NewObservation {
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        self.note = text::at_most("note", &self.note, BODY_MAX)?;
        if let Some(p) = &self.point {
            p.validate("at")?;
        }
        Ok(self)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// Unique within its patrol (random, so concurrent additions never clash).
    pub id: String,
    pub at: Timestamp,
    pub point: Option<Point>,
    pub category: Category,
    pub note: String,
    pub photos: Vec<String>,
    pub by: Option<DeviceId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub device: DeviceId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Patrol {
    pub id: DocId,
    pub title: String,
    pub participants: Vec<Participant>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub observations: Vec<Observation>,
    pub fix_count: usize,
    pub distance_m: f64,
}

/// Validates a patrol title.
pub fn validate_title(title: &str) -> Result<String, ValidationError> {
    text::required("title", title, TITLE_MAX)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NewReport {
    pub category: Category,
    pub description: String,
    pub occurred_at: Timestamp,
    pub location: Option<Point>,
    pub precision: LocationPrecision,
    pub photos: Vec<String>,
    /// When the report describes a person: behaviour first.
    #[serde(default)]
    pub person: Option<PersonDescription>,
}

impl NewReport {
    /// Validates, then keeps only what the reporter chose to reveal: the time rounded down to
    /// 15 minutes and the location snapped to the chosen precision.
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        self.description = text::required("description", &self.description, BODY_MAX)?;
        self.person = self.person.map(PersonDescription::validate).transpose()?;
        if let Some(p) = &self.location {
            p.validate("at")?;
        }
        self.occurred_at = self.occurred_at.floor_to(REPORT_TIME_STEP_MS);
        self.location = self.location.map(|p| coarsen(p, self.precision));
        Ok(self)
    }
}

/// Snaps a point to the centre of a grid cell of the chosen precision, so nearby reports from
/// the same doorstep all show the same point.
pub fn coarsen(p: Point, precision: LocationPrecision) -> Point {
    let step = match precision {
        LocationPrecision::Exact => return p,
        LocationPrecision::Within100m => 0.001,
        LocationPrecision::Within1km => 0.01,
    };
    let snap = |v: f64, limit: f64| ((v / step).floor() * step + step / 2.0).clamp(-limit, limit);
    Point::new(snap(p.lat, 90.0), snap(p.lon, 180.0))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub id: DocId,
    pub category: Category,
    pub description: String,
    pub occurred_at: Timestamp,
    pub location: Option<Point>,
    pub precision: LocationPrecision,
    pub photos: Vec<String>,
    /// `None` for anonymous reports.
    pub filed_by: Option<DeviceId>,
    pub status: TriageStatus,
    /// What the reporter added later through their receipt, oldest first.
    #[serde(default)]
    pub followups: Vec<FollowUp>,
    #[serde(default)]
    pub person: Option<PersonDescription>,
}

/// A note the reporter added to their own report later.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    /// Rounded down to 15 minutes, like the report's own time.
    pub at: Timestamp,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TriageNote {
    pub at: Timestamp,
    pub by: Option<DeviceId>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Triage {
    pub report: DocId,
    pub status: TriageStatus,
    pub updated_at: Option<Timestamp>,
    pub notes: Vec<TriageNote>,
    /// Case handling (coordinators): who deals with it, how urgent, how it ended.
    #[serde(default)]
    pub assignee: Option<DeviceId>,
    #[serde(default)]
    pub priority: crate::Priority,
    #[serde(default)]
    pub outcome: Option<crate::CaseOutcome>,
    /// The case this report was merged into as a duplicate.
    #[serde(default)]
    pub merged_into: Option<DocId>,
    /// Reports merged into this case.
    #[serde(default)]
    pub duplicates: Vec<DocId>,
}

/// Validates a triage note.
pub fn validate_note(note: &str) -> Result<String, ValidationError> {
    text::required("note", note, BODY_MAX)
}

/// A resident's private watch area. Never synced: it stays on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct WatchArea {
    pub name: String,
    pub area: Area,
}

impl WatchArea {
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        self.name = validate_name("name", &self.name)?;
        self.area.validate("area")?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> NewAlert {
        NewAlert {
            title: "Car break-ins on Elm St".into(),
            body: String::new(),
            category: AlertCategory::Crime,
            severity: Severity::Warning,
            area: Area::circle(Point::new(40.0, -3.0), 300.0),
            issued_at: Timestamp::from_millis(1_000_000),
            expires_at: Some(Timestamp::from_millis(2_000_000)),
            meeting: None,
            person: None,
        }
    }

    #[test]
    fn alerts_must_expire_after_they_are_issued() {
        assert!(alert().validate().is_ok());
        let mut a = alert();
        a.expires_at = Some(a.issued_at);
        assert!(matches!(
            a.validate(),
            Err(ValidationError::NotAfter {
                field: "expires_at",
                ..
            })
        ));
    }

    #[test]
    fn alert_text_limits() {
        let mut a = alert();
        a.title = "x".repeat(121);
        assert!(matches!(
            a.validate(),
            Err(ValidationError::TooLong { field: "title", .. })
        ));
        let mut a = alert();
        a.body = "x".repeat(4_001);
        assert!(matches!(
            a.validate(),
            Err(ValidationError::TooLong { field: "body", .. })
        ));
        let mut a = alert();
        a.title = String::new();
        assert!(matches!(
            a.validate(),
            Err(ValidationError::Empty { field: "title" })
        ));
    }

    #[test]
    fn reports_are_coarsened_to_the_chosen_precision() {
        let r = NewReport {
            category: Category::Theft,
            description: "Bike taken from the rack".into(),
            occurred_at: Timestamp::parse("t", "2026-05-01T18:44:59Z").unwrap(),
            location: Some(Point::new(40.416_83, -3.703_79)),
            precision: LocationPrecision::Within100m,
            photos: vec![],
            person: None,
        }
        .validate()
        .unwrap();
        assert_eq!(r.occurred_at.to_rfc3339(), "2026-05-01T18:30:00Z");
        let p = r.location.unwrap();
        assert!(
            (p.lat - 40.4165).abs() < 1e-9 && (p.lon - -3.7035).abs() < 1e-9,
            "{p:?}"
        );
        let exact = coarsen(Point::new(1.234_567, 2.0), LocationPrecision::Exact);
        assert!((exact.lat - 1.234_567).abs() < f64::EPSILON);
    }
}

/// A part of a photo to blur before it is taken in (a face, a number plate), as fractions (0–1)
/// of the upright photo's width and height from its top-left corner.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct BlurRegion {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}
