//! Time as milliseconds since the Unix epoch, UTC, shown and parsed as RFC 3339.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

/// A point in time, to the millisecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    /// Parses RFC 3339 (any offset; stored as UTC). `field` names the input in the error.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, ValidationError> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Self(t.timestamp_millis()))
            .map_err(|_| ValidationError::Time {
                field,
                value: s.to_owned(),
            })
    }

    pub fn to_rfc3339(self) -> String {
        match Utc.timestamp_millis_opt(self.0).single() {
            Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            // Out of chrono's range: still say something readable rather than panic.
            None => format!("@{}ms", self.0),
        }
    }

    #[must_use]
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Rounds down to a multiple of `step_ms` (used to coarsen report times).
    #[must_use]
    pub const fn floor_to(self, step_ms: i64) -> Self {
        Self(self.0 - self.0.rem_euclid(step_ms))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("time", s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_and_offsets_become_utc() {
        let t = Timestamp::parse("at", "2026-05-01T20:30:00+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-05-01T18:30:00Z");
        assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
    }

    #[test]
    fn bad_times_name_the_field() {
        let err = Timestamp::parse("expires_at", "tomorrow").unwrap_err();
        assert!(matches!(
            err,
            ValidationError::Time {
                field: "expires_at",
                ..
            }
        ));
    }

    #[test]
    fn floor_rounds_down() {
        let t = Timestamp::parse("t", "2026-05-01T18:37:12.5Z").unwrap();
        assert_eq!(
            t.floor_to(15 * 60 * 1000).to_rfc3339(),
            "2026-05-01T18:30:00Z"
        );
    }
}
