//! Case handling on top of triage: a priority, an assignee, an outcome when the case ends, and
//! the time after which an open case counts as overdue.

use serde::{Deserialize, Serialize};

use crate::{DeviceId, DocId, Timestamp, TriageStatus, ValidationError};

string_enum!(
    /// How soon a coordinator means to deal with a report.
    Priority, "priority" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

// `string_enum!` writes the derives, so `#[default]` has no variant to sit on.
#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Priority::Normal
    }
}

string_enum!(
    /// How a case ended. Closing or dismissing a case without one is refused.
    CaseOutcome, "outcome" {
        Resolved => "resolved",
        Referred => "referred",
        NoFurtherAction => "no_further_action",
        NotAnIncident => "not_an_incident",
    }
);

/// Whether a status ends the case (and so needs an outcome, and can no longer be overdue).
pub fn ends_case(status: TriageStatus) -> bool {
    matches!(status, TriageStatus::Closed | TriageStatus::Dismissed)
}

const HOUR_MS: i64 = 3_600_000;
/// The shortest and longest overdue time a group may set, in hours (one hour to a year).
pub const DUE_HOURS_MIN: u32 = 1;
pub const DUE_HOURS_MAX: u32 = 24 * 365;

/// How long a case of each priority may stay open, from the report's time, before it is marked
/// overdue. A group setting; these are the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DueHours {
    pub low: u32,
    pub normal: u32,
    pub high: u32,
    pub urgent: u32,
}

impl Default for DueHours {
    fn default() -> Self {
        Self {
            low: 30 * 24,
            normal: 7 * 24,
            high: 3 * 24,
            urgent: 24,
        }
    }
}

impl DueHours {
    pub fn get(&self, p: Priority) -> u32 {
        match p {
            Priority::Low => self.low,
            Priority::Normal => self.normal,
            Priority::High => self.high,
            Priority::Urgent => self.urgent,
        }
    }

    pub fn set(&mut self, p: Priority, hours: u32) {
        match p {
            Priority::Low => self.low = hours,
            Priority::Normal => self.normal = hours,
            Priority::High => self.high = hours,
            Priority::Urgent => self.urgent = hours,
        }
    }

    /// The time allowed for `p`, in milliseconds.
    pub fn millis(&self, p: Priority) -> i64 {
        i64::from(self.get(p)) * HOUR_MS
    }

    /// When a case of priority `p` about a report of `reported_at` becomes overdue.
    pub fn due_at(&self, p: Priority, reported_at: Timestamp) -> Timestamp {
        Timestamp::from_millis(reported_at.millis().saturating_add(self.millis(p)))
    }

    /// Checks one setting.
    pub fn validate_hours(hours: u32) -> Result<u32, ValidationError> {
        if (DUE_HOURS_MIN..=DUE_HOURS_MAX).contains(&hours) {
            Ok(hours)
        } else {
            Err(ValidationError::Invalid {
                field: "hours",
                reason: format!(
                    "an overdue time is {DUE_HOURS_MIN} to {DUE_HOURS_MAX} hours, not {hours}"
                ),
            })
        }
    }
}

/// One thing a change to a triage document did, as its history shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "field", rename_all = "camelCase")]
pub enum CaseChange {
    Status {
        from: Option<TriageStatus>,
        to: TriageStatus,
    },
    Priority {
        from: Option<Priority>,
        to: Priority,
    },
    Assignee {
        from: Option<DeviceId>,
        to: Option<DeviceId>,
    },
    Outcome {
        from: Option<CaseOutcome>,
        to: Option<CaseOutcome>,
    },
    Note {
        text: String,
    },
    /// This case was merged into another (`into`), or taken out again (`None`).
    MergedInto {
        into: Option<DocId>,
    },
    /// Another report was merged into this case, or taken out again.
    Duplicate {
        report: DocId,
        merged: bool,
    },
    /// The case was forwarded to a partner of the group: its id and name as they were then
    /// (kept in the case, so the history still says who after the partner is removed).
    Forwarded {
        partner: String,
        name: String,
    },
}

/// One change to a case: who made it and when, as the Automerge change records them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CaseEvent {
    /// The change's own time (Automerge keeps seconds).
    pub at: Timestamp,
    /// The change's author: a coordinator's device.
    pub by: DeviceId,
    pub changes: Vec<CaseChange>,
}
