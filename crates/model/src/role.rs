//! Roles and what each may read and write, per document kind. The server enforces this table;
//! devices use it to hide what a role cannot do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// The kinds of synced document (one Automerge document per record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Group,
    Alert,
    Patrol,
    Report,
    Triage,
    /// A resident's acknowledgement of an alert: one small document per (alert, device), so
    /// residents never need write access to the alert itself.
    Ack,
}

impl DocKind {
    pub const ALL: [DocKind; 6] = [
        DocKind::Group,
        DocKind::Alert,
        DocKind::Patrol,
        DocKind::Report,
        DocKind::Triage,
        DocKind::Ack,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DocKind::Group => "group",
            DocKind::Alert => "alert",
            DocKind::Patrol => "patrol",
            DocKind::Report => "report",
            DocKind::Triage => "triage",
            DocKind::Ack => "ack",
        }
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocKind {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ValidationError::Invalid {
                field: "kind",
                reason: format!("unknown document kind {s:?}"),
            })
    }
}

/// A member's role in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Volunteer,
    Coordinator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Resident, Role::Volunteer, Role::Coordinator];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Volunteer => "volunteer",
            Role::Coordinator => "coordinator",
        }
    }

    /// May this role receive documents of `kind`?
    pub const fn can_read(self, kind: DocKind) -> bool {
        match kind {
            DocKind::Group | DocKind::Alert => true,
            // Those who issue alerts see who acknowledged them.
            DocKind::Patrol | DocKind::Ack => matches!(self, Role::Volunteer | Role::Coordinator),
            // Reports are readable by coordinators only; everyone else holds ciphertext at most.
            DocKind::Report | DocKind::Triage => matches!(self, Role::Coordinator),
        }
    }

    /// May this role push changes to documents of `kind`?
    ///
    /// Reports are write-only for residents and volunteers: anyone may file a named report, only
    /// coordinators read them. Anonymous reports do not use this path at all (they go through the
    /// drop box without a token).
    pub const fn can_write(self, kind: DocKind) -> bool {
        match kind {
            DocKind::Group | DocKind::Triage => matches!(self, Role::Coordinator),
            DocKind::Alert | DocKind::Patrol => matches!(self, Role::Volunteer | Role::Coordinator),
            DocKind::Report | DocKind::Ack => true,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ValidationError::Invalid {
                field: "role",
                reason: format!("{s:?} is not a role (resident, volunteer or coordinator)"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_matrix_is_exactly_the_documented_one() {
        // (role, kind, read, write)
        let expected = [
            (Role::Resident, DocKind::Group, true, false),
            (Role::Resident, DocKind::Alert, true, false),
            (Role::Resident, DocKind::Patrol, false, false),
            (Role::Resident, DocKind::Report, false, true),
            (Role::Resident, DocKind::Triage, false, false),
            (Role::Resident, DocKind::Ack, false, true),
            (Role::Volunteer, DocKind::Group, true, false),
            (Role::Volunteer, DocKind::Alert, true, true),
            (Role::Volunteer, DocKind::Patrol, true, true),
            (Role::Volunteer, DocKind::Report, false, true),
            (Role::Volunteer, DocKind::Triage, false, false),
            (Role::Volunteer, DocKind::Ack, true, true),
            (Role::Coordinator, DocKind::Group, true, true),
            (Role::Coordinator, DocKind::Alert, true, true),
            (Role::Coordinator, DocKind::Patrol, true, true),
            (Role::Coordinator, DocKind::Report, true, true),
            (Role::Coordinator, DocKind::Triage, true, true),
            (Role::Coordinator, DocKind::Ack, true, true),
        ];
        assert_eq!(expected.len(), Role::ALL.len() * DocKind::ALL.len());
        for (role, kind, read, write) in expected {
            assert_eq!(role.can_read(kind), read, "{role} read {kind}");
            assert_eq!(role.can_write(kind), write, "{role} write {kind}");
        }
    }

    #[test]
    fn names_round_trip() {
        for k in DocKind::ALL {
            assert_eq!(k.as_str().parse::<DocKind>().unwrap(), k);
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("admin".parse::<Role>().is_err());
        assert!("note".parse::<DocKind>().is_err());
    }
}
