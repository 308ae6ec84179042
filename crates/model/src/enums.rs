//! Small closed vocabularies (severity, categories, statuses). Each has one lower-case wire name used
//! in documents, SQLite, the CLI and JSON, so the same word means the same thing everywhere.

/// Declares a `Copy` enum with its wire names, `as_str`, `ALL`, `Display`, `FromStr` and serde.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
                $name::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    $crate::ValidationError::Invalid {
                        field: $field,
                        reason: format!(
                            "{s:?} is not one of: {}",
                            $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    }
                })
            }
        }
    };
}

string_enum!(
    /// How urgent an alert is; urgent ones are notified first.
    Severity, "severity" {
        Info => "info",
        Warning => "warning",
        Urgent => "urgent",
    }
);

string_enum!(
    /// What an alert is about. `Meeting` announces a community meeting.
    AlertCategory, "category" {
        SuspiciousActivity => "suspicious_activity",
        Crime => "crime",
        Safety => "safety",
        Traffic => "traffic",
        Weather => "weather",
        LostAndFound => "lost_and_found",
        Meeting => "meeting",
        Other => "other",
    }
);

string_enum!(
    /// An alert's lifecycle as its issuer sets it. Expiry is not a status: it follows from the clock.
    AlertStatus, "status" {
        Active => "active",
        Cancelled => "cancelled",
        Closed => "closed",
    }
);

string_enum!(
    /// How an alert ended, told to the residents who heard of it.
    AlertOutcome, "outcome" {
        AllClear => "all_clear",
        Resolved => "resolved",
        FalseAlarm => "false_alarm",
    }
);

string_enum!(
    /// What was seen: used by patrol observations and by reports.
    Category, "category" {
        SuspiciousPerson => "suspicious_person",
        SuspiciousVehicle => "suspicious_vehicle",
        SuspiciousActivity => "suspicious_activity",
        BreakIn => "break_in",
        Theft => "theft",
        Vandalism => "vandalism",
        Noise => "noise",
        Hazard => "hazard",
        Lighting => "lighting",
        AllClear => "all_clear",
        Other => "other",
    }
);

string_enum!(
    /// Where a coordinator has got to with a report.
    TriageStatus, "status" {
        New => "new",
        InReview => "in_review",
        Forwarded => "forwarded",
        Closed => "closed",
        Dismissed => "dismissed",
    }
);

string_enum!(
    /// How precisely a report's location is kept; the reporter chooses.
    LocationPrecision, "precision" {
        Exact => "exact",
        Within100m => "100m",
        Within1km => "1km",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_unknown_names_are_rejected() {
        for s in TriageStatus::ALL {
            assert_eq!(s.as_str().parse::<TriageStatus>().unwrap(), *s);
        }
        assert_eq!(
            "in-review".parse::<TriageStatus>().unwrap(),
            TriageStatus::InReview
        );
        assert_eq!("Urgent".parse::<Severity>().unwrap(), Severity::Urgent);
        let err = "loud".parse::<Severity>().unwrap_err();
        assert_eq!(err.field(), "severity");
        assert!(err.to_string().contains("info, warning, urgent"));
        assert_eq!(
            serde_json::to_string(&LocationPrecision::Within1km).unwrap(),
            "\"1km\""
        );
    }
}
