//! The summary's words, from one catalog per language (`en.json`, `es.json` beside this file).
//! These catalogs are the only place the summary's labels are written: the CLI and the app both
//! call the core to make the summary and only pass the language (docs/DECISIONS.md).
//!
//! Numbers, dates and durations are formatted here too, in human units ("2 h 30 min", never
//! "150 min"), with the language's decimal separator.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{Datelike, FixedOffset, TimeZone};
use porchlight_model::{Timestamp, ValidationError};
use serde::{Deserialize, Serialize};

const EN: &str = include_str!("en.json");
const ES: &str = include_str!("es.json");

/// A language the summary can be written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SummaryLang {
    #[default]
    En,
    Es,
}

impl SummaryLang {
    pub fn code(self) -> &'static str {
        match self {
            SummaryLang::En => "en",
            SummaryLang::Es => "es",
        }
    }
}

impl FromStr for SummaryLang {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(SummaryLang::En),
            "es" => Ok(SummaryLang::Es),
            other => Err(ValidationError::Invalid {
                field: "lang",
                reason: format!("the summary is written in en or es, not {other:?}"),
            }),
        }
    }
}

/// One language's catalog, with English under it for a key the language lacks.
pub struct Words {
    chosen: BTreeMap<String, String>,
    english: BTreeMap<String, String>,
    offset: FixedOffset,
}

fn parse(json: &str) -> BTreeMap<String, String> {
    // The catalogs are part of the program; a unit test parses both, so this never falls back.
    serde_json::from_str(json).unwrap_or_default()
}

impl Words {
    pub fn new(lang: SummaryLang, offset: FixedOffset) -> Self {
        let english = parse(EN);
        let words = match lang {
            SummaryLang::En => english.clone(),
            SummaryLang::Es => parse(ES),
        };
        Words {
            chosen: words,
            english,
            offset,
        }
    }

    /// The text for `key` (the key itself if no catalog has it, which a test rules out).
    pub fn get(&self, key: &str) -> String {
        self.chosen
            .get(key)
            .or_else(|| self.english.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// The text for `key` with `{name}` placeholders filled.
    pub fn fill(&self, key: &str, params: &[(&str, &str)]) -> String {
        let mut text = self.get(key);
        for (name, value) in params {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// `x` with `digits` decimals and the language's decimal separator.
    pub fn number(&self, x: f64, digits: usize) -> String {
        let s = format!("{x:.digits$}");
        s.replace('.', &self.get("decimal"))
    }

    pub fn percent(&self, share: f64) -> String {
        format!("{} %", self.number(share * 100.0, 1))
    }

    /// "1.20 km" or "350 m".
    pub fn distance(&self, m: f64) -> String {
        if m >= 1000.0 {
            format!("{} km", self.number(m / 1000.0, 2))
        } else {
            format!("{m:.0} m")
        }
    }

    /// The two largest units, rounded to the smaller: "3 days", "1 day 2 h", "2 h 30 min",
    /// "45 min".
    pub fn duration(&self, ms: i64) -> String {
        let minutes = (ms.max(0) + 30_000) / 60_000;
        let (hr, min) = (self.get("hr"), self.get("min"));
        if minutes >= 24 * 60 {
            let hours = (minutes + 30) / 60;
            let (d, h) = (hours / 24, hours % 24);
            let days = format!("{d} {}", self.get(if d == 1 { "day" } else { "days" }));
            return if h == 0 {
                days
            } else {
                format!("{days} {h} {hr}")
            };
        }
        match (minutes / 60, minutes % 60) {
            (0, m) => format!("{m} {min}"),
            (h, 0) => format!("{h} {hr}"),
            (h, m) => format!("{h} {hr} {m} {min}"),
        }
    }

    /// A duration given in hours (patrol time).
    #[allow(clippy::cast_possible_truncation)]
    pub fn hours(&self, hours: f64) -> String {
        self.duration((hours * 3_600_000.0).round() as i64)
    }

    /// "+25 %", "-10 %", "new" or "no change".
    pub fn change(&self, now: f64, before: f64) -> String {
        if before.abs() < f64::EPSILON {
            return self.get(if now.abs() < f64::EPSILON {
                "same"
            } else {
                "new"
            });
        }
        let pct = (now - before) / before * 100.0;
        if pct.abs() < 0.5 {
            self.get("same")
        } else {
            format!("{pct:+.0} %")
        }
    }

    /// "1 June 2026" / "1 de junio de 2026", in the viewer's time zone.
    pub fn date(&self, t: Timestamp) -> String {
        let Some(d) = self.offset.timestamp_millis_opt(t.millis()).single() else {
            return t.to_rfc3339();
        };
        self.fill(
            "date",
            &[
                ("day", &d.day().to_string()),
                ("month", &self.get(&format!("month{}", d.month()))),
                ("year", &d.year().to_string()),
            ],
        )
    }

    /// The weekday's short name, Monday = 0.
    pub fn weekday(&self, day: u8) -> String {
        let key = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        self.get(key.get(usize::from(day)).copied().unwrap_or("mon"))
    }

    /// "+02:00" for the heat map's caption.
    pub fn offset(&self) -> String {
        let minutes = self.offset.local_minus_utc() / 60;
        let sign = if minutes < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_parse_and_have_the_same_keys() {
        let en: BTreeMap<String, String> = serde_json::from_str(EN).unwrap();
        let es: BTreeMap<String, String> = serde_json::from_str(ES).unwrap();
        assert!(en.len() > 50);
        assert_eq!(en.keys().collect::<Vec<_>>(), es.keys().collect::<Vec<_>>());
    }

    #[test]
    fn durations_dates_and_numbers_read_in_the_language() {
        const MIN: i64 = 60_000;
        let utc = FixedOffset::east_opt(0).unwrap();
        let en = Words::new(SummaryLang::En, utc);
        let es = Words::new(SummaryLang::Es, utc);
        assert_eq!(en.duration(1_518 * MIN), "1 day 1 h");
        assert_eq!(es.duration(1_518 * MIN), "1 día 1 h");
        assert_eq!(es.duration(72 * 60 * MIN), "3 días");
        assert_eq!(en.duration(150 * MIN), "2 h 30 min");
        assert_eq!(en.hours(4.75), "4 h 45 min");
        assert_eq!(en.duration(45 * MIN), "45 min");
        assert_eq!(en.distance(1_200.0), "1.20 km");
        assert_eq!(es.distance(1_200.0), "1,20 km");
        let t = Timestamp::parse("t", "2026-06-01T10:00:00Z").unwrap();
        assert_eq!(en.date(t), "1 June 2026");
        assert_eq!(es.date(t), "1 de junio de 2026");
        assert_eq!(en.change(5.0, 4.0), "+25 %");
        assert_eq!(es.change(2.0, 0.0), "nuevo");
        assert_eq!("fr".parse::<SummaryLang>().unwrap_err().field(), "lang");
    }
}
