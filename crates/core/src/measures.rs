//! Measures of success for a period, computed on the coordinator's device from what it holds:
//! patrol hours and distance (per volunteer and per ISO week), active volunteers, zone coverage,
//! report → first triage and report → closed, alert → first acknowledgement (median and 90th
//! percentile, nearest rank), meeting attendance, and the same totals per week or month with
//! the previous period of the same length beside them. Method and definitions: docs/MEASURES.md.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, FixedOffset, Months, NaiveDate, TimeZone};
use porchlight_crdt::read_track;
use porchlight_model::{
    Area, Attendance, DeviceId, DocId, DocKind, Point, Timestamp, TriageStatus, ValidationError,
};
use porchlight_store::AlertQuery;
use serde::{Deserialize, Serialize};

use crate::coverage::{ZoneCoverage, coverage};
use crate::{Core, CoreError, Result};
use porchlight_model::planar::{track_enters, zone_contains};

const HOUR_MS: f64 = 3_600_000.0;
/// Longest period asked for (ten years): enough for any report to the community.
const MAX_PERIOD_MS: i64 = 10 * 366 * 86_400_000;

/// The steps of the trend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TrendStep {
    /// ISO weeks, Monday to Sunday.
    #[default]
    Week,
    Month,
}

/// What to measure.
#[derive(Clone, Debug)]
pub struct MeasuresQuery {
    pub from: Timestamp,
    /// Exclusive.
    pub to: Timestamp,
    /// Only what happened in this named zone of the group (and only its coverage).
    pub zone: Option<String>,
    pub step: TrendStep,
    /// Minutes east of UTC: where weeks and months begin (the viewer's time zone).
    pub utc_offset_minutes: i32,
}

/// How long something took: how many, and the median and 90th percentile (nearest rank).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Spread {
    pub count: u32,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub median_ms: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub p90_ms: Option<i64>,
}

/// The totals of one period (or one step of the trend).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Ended patrols that started in the period.
    pub patrols: u32,
    pub patrol_hours: f64,
    pub patrol_distance_m: f64,
    /// People who took part in at least one of those patrols.
    pub active_volunteers: u32,
    pub reports: u32,
    /// From a report's time to a coordinator's first triage.
    pub first_triage: Spread,
    /// From a report's time to its closing, for reports now closed.
    pub to_closed: Spread,
    pub alerts: u32,
    /// From an alert's issue to its first acknowledgement.
    pub first_ack: Spread,
    /// Meetings that took place in the period.
    pub meetings: u32,
    /// Of those, how many have their attendance recorded, and the people counted in all.
    pub meetings_recorded: u32,
    pub attendance: u32,
}

/// One ISO week of one volunteer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VolunteerWeek {
    /// Like `2026-W23`.
    pub week: String,
    pub hours: f64,
    pub distance_m: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VolunteerMeasures {
    pub device: DeviceId,
    pub name: String,
    pub patrols: u32,
    pub hours: f64,
    pub distance_m: f64,
    pub weeks: Vec<VolunteerWeek>,
}

/// One step of the trend.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    /// `2026-W23` or `2026-06`.
    pub label: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub totals: Totals,
}

/// A meeting of the period and who came, if recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MeetingAttendance {
    pub alert: DocId,
    pub title: String,
    pub starts_at: Timestamp,
    pub place: String,
    pub attendance: Option<Attendance>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Measures {
    pub from: Timestamp,
    pub to: Timestamp,
    pub zone: Option<String>,
    pub totals: Totals,
    /// The period of the same length just before, for the change.
    pub previous_from: Timestamp,
    pub previous: Totals,
    /// Busiest first.
    pub volunteers: Vec<VolunteerMeasures>,
    pub coverage: Vec<ZoneCoverage>,
    pub step: TrendStep,
    pub trend: Vec<TrendPoint>,
    pub meetings: Vec<MeetingAttendance>,
}

/// The nearest-rank `p`th percentile of sorted values: the smallest value with at least p % of
/// the values at or below it (the median is `p = 50`, always one of the values).
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1);
    sorted.get(usize::try_from(rank).ok()? - 1).copied()
}

fn spread(mut delays: Vec<i64>) -> Spread {
    delays.sort_unstable();
    Spread {
        count: u32::try_from(delays.len()).unwrap_or(u32::MAX),
        median_ms: nearest_rank(&delays, 50),
        p90_ms: nearest_rank(&delays, 90),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

struct PatrolRow {
    started: i64,
    hours: f64,
    distance_m: f64,
    people: Vec<(DeviceId, String)>,
}

struct ReportRow {
    at: i64,
    first_triage: Option<i64>,
    closed: Option<i64>,
}

struct AlertRow {
    at: i64,
    first_ack: Option<i64>,
}

/// Everything from `previous_from` to `to`, filtered by zone, ready to total over any range.
struct Rows {
    patrols: Vec<PatrolRow>,
    reports: Vec<ReportRow>,
    alerts: Vec<AlertRow>,
    meetings: Vec<(i64, Option<u32>)>,
}

impl Rows {
    fn totals(&self, from: i64, to: i64) -> Totals {
        let within = |t: i64| t >= from && t < to;
        let patrols: Vec<&PatrolRow> = self.patrols.iter().filter(|p| within(p.started)).collect();
        let mut people: Vec<DeviceId> = patrols
            .iter()
            .flat_map(|p| p.people.iter().map(|(d, _)| *d))
            .collect();
        people.sort_unstable();
        people.dedup();
        let reports: Vec<&ReportRow> = self.reports.iter().filter(|r| within(r.at)).collect();
        let alerts: Vec<&AlertRow> = self.alerts.iter().filter(|a| within(a.at)).collect();
        let meetings: Vec<Option<u32>> = self
            .meetings
            .iter()
            .filter(|(at, _)| within(*at))
            .map(|(_, n)| *n)
            .collect();
        Totals {
            patrols: count(patrols.len()),
            patrol_hours: patrols.iter().map(|p| p.hours).sum(),
            patrol_distance_m: patrols.iter().map(|p| p.distance_m).sum(),
            active_volunteers: count(people.len()),
            reports: count(reports.len()),
            first_triage: spread(reports.iter().filter_map(|r| r.first_triage).collect()),
            to_closed: spread(reports.iter().filter_map(|r| r.closed).collect()),
            alerts: count(alerts.len()),
            first_ack: spread(alerts.iter().filter_map(|a| a.first_ack).collect()),
            meetings: count(meetings.len()),
            meetings_recorded: count(meetings.iter().flatten().count()),
            attendance: meetings.iter().flatten().sum(),
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> CoreError {
    CoreError::Invalid(ValidationError::Invalid {
        field,
        reason: reason.into(),
    })
}

/// The steps of `[from, to)`: whole weeks or months in the viewer's time zone, the first and
/// last cut to the period.
fn steps(
    from: Timestamp,
    to: Timestamp,
    step: TrendStep,
    offset: FixedOffset,
) -> Result<Vec<(String, Timestamp, Timestamp)>> {
    let date_of = |t: Timestamp| {
        offset
            .timestamp_millis_opt(t.millis())
            .single()
            .map(|d| d.date_naive())
            .ok_or_else(|| invalid("from", "outside the calendar"))
    };
    let start_of = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| offset.from_local_datetime(&t).single())
            .map(|t| Timestamp::from_millis(t.timestamp_millis()))
            .ok_or_else(|| invalid("from", "outside the calendar"))
    };
    let first = date_of(from)?;
    let mut day = match step {
        TrendStep::Week => first - Days::new(u64::from(first.weekday().num_days_from_monday())),
        TrendStep::Month => first.with_day(1).unwrap_or(first),
    };
    let mut out = Vec::new();
    loop {
        let start = start_of(day)?;
        if start >= to {
            break;
        }
        let (label, next) = match step {
            TrendStep::Week => {
                let w = day.iso_week();
                (format!("{}-W{:02}", w.year(), w.week()), day + Days::new(7))
            }
            TrendStep::Month => (
                format!("{}-{:02}", day.year(), day.month()),
                day + Months::new(1),
            ),
        };
        let end = start_of(next)?;
        out.push((label, start.max(from), end.min(to)));
        day = next;
    }
    Ok(out)
}

fn week_label(t: Timestamp, offset: FixedOffset) -> String {
    offset
        .timestamp_millis_opt(t.millis())
        .single()
        .map(|d| {
            let w = d.date_naive().iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        })
        .unwrap_or_default()
}

impl Core {
    /// The measures of success of `[from, to)` (see the module documentation).
    pub fn measures(&self, q: &MeasuresQuery) -> Result<Measures> {
        let length = q.to.millis() - q.from.millis();
        if length <= 0 {
            return Err(CoreError::Invalid(ValidationError::NotAfter {
                field: "to",
                after: "from",
            }));
        }
        if length > MAX_PERIOD_MS {
            return Err(invalid("to", "a period of at most ten years"));
        }
        let offset = FixedOffset::east_opt(q.utc_offset_minutes.saturating_mul(60))
            .ok_or_else(|| invalid("utc_offset", "more than a day from UTC"))?;
        let group = self.group()?.ok_or(CoreError::NotJoined)?;
        let zones: Vec<(String, Area)> = match &q.zone {
            Some(name) => {
                let z = crate::filters::zone_named(&group, name)?;
                vec![(z.name.clone(), z.area.clone())]
            }
            None => group
                .zones
                .iter()
                .map(|z| (z.name.clone(), z.area.clone()))
                .collect(),
        };
        let only: Option<&Area> = q.zone.as_ref().map(|_| &zones[0].1);
        let previous_from = q.from.plus_millis(-length);
        let in_zone =
            |p: Option<Point>| only.is_none_or(|z| p.is_some_and(|p| zone_contains(z, p)));

        // Patrols, with the tracks of those that need one: the period's (coverage) and, for a
        // zone, all (a patrol counts in a zone when its track enters it).
        let store = self.reader();
        let mut patrols = Vec::new();
        let mut tracks = Vec::new();
        for p in store.patrols_started(previous_from, q.to)? {
            let current = p.started_at >= q.from;
            let track: Vec<Point> = if current || only.is_some() {
                read_track(&store.load_kind(p.id, DocKind::Patrol)?)?
                    .into_iter()
                    .map(|f| f.point)
                    .collect()
            } else {
                Vec::new()
            };
            if only.is_some_and(|z| !track_enters(z, &track)) {
                continue;
            }
            if let Some(end) = p.ended_at {
                patrols.push(PatrolRow {
                    started: p.started_at.millis(),
                    hours: (end.millis() - p.started_at.millis()).max(0) as f64 / HOUR_MS,
                    distance_m: p.distance_m,
                    people: p
                        .participants
                        .iter()
                        .map(|who| (who.device, who.name.clone()))
                        .collect(),
                });
            }
            if current {
                tracks.push(track);
            }
        }
        drop(store);

        let reports = self
            .reports(None)?
            .into_iter()
            .filter(|r| r.report.occurred_at >= previous_from && r.report.occurred_at < q.to)
            .filter(|r| in_zone(r.report.location))
            .map(|r| {
                let at = r.report.occurred_at.millis();
                ReportRow {
                    at,
                    first_triage: r.first_triaged_at.map(|t| (t.millis() - at).max(0)),
                    closed: (r.report.status == TriageStatus::Closed)
                        .then_some(r.triaged_at)
                        .flatten()
                        .map(|t| (t.millis() - at).max(0)),
                }
            })
            .collect();

        let first_acks: HashMap<DocId, Timestamp> =
            self.reader().first_acks()?.into_iter().collect();
        let all_alerts = self.alerts(&AlertQuery::default())?;
        let touches = |a: &Area| only.is_none_or(|z| z.intersects(a));
        let alerts = all_alerts
            .iter()
            .filter(|a| a.issued_at >= previous_from && a.issued_at < q.to && touches(&a.area))
            .map(|a| AlertRow {
                at: a.issued_at.millis(),
                first_ack: first_acks
                    .get(&a.id)
                    .map(|t| (t.millis() - a.issued_at.millis()).max(0)),
            })
            .collect();
        let mut meetings: Vec<MeetingAttendance> = all_alerts
            .iter()
            .filter(|a| touches(&a.area))
            .filter_map(|a| {
                let m = a.meeting.as_ref()?;
                Some(MeetingAttendance {
                    alert: a.id,
                    title: a.title.clone(),
                    starts_at: m.starts_at,
                    place: m.place.clone(),
                    attendance: a.attendance.clone(),
                })
            })
            .filter(|m| m.starts_at >= previous_from && m.starts_at < q.to)
            .collect();
        meetings.sort_by_key(|m| m.starts_at);
        let rows = Rows {
            patrols,
            reports,
            alerts,
            meetings: meetings
                .iter()
                .map(|m| (m.starts_at.millis(), m.attendance.as_ref().map(|a| a.count)))
                .collect(),
        };
        meetings.retain(|m| m.starts_at >= q.from);

        let trend = steps(q.from, q.to, q.step, offset)?
            .into_iter()
            .map(|(label, from, to)| TrendPoint {
                totals: rows.totals(from.millis(), to.millis()),
                label,
                from,
                to,
            })
            .collect();
        Ok(Measures {
            from: q.from,
            to: q.to,
            zone: q.zone.clone(),
            totals: rows.totals(q.from.millis(), q.to.millis()),
            previous_from,
            previous: rows.totals(previous_from.millis(), q.from.millis()),
            volunteers: volunteers(&rows.patrols, q.from, offset),
            coverage: zones
                .iter()
                .map(|(name, area)| coverage(name, area, &tracks))
                .collect(),
            step: q.step,
            trend,
            meetings,
        })
    }
}

/// Hours and distance of each person, in all and per ISO week, for patrols from `from` on
/// (every participant is credited with the whole patrol: they walked it together).
fn volunteers(
    patrols: &[PatrolRow],
    from: Timestamp,
    offset: FixedOffset,
) -> Vec<VolunteerMeasures> {
    // Per person: the totals, and (hours, metres) per ISO week label.
    type Weeks = BTreeMap<String, (f64, f64)>;
    let mut by: BTreeMap<DeviceId, (VolunteerMeasures, Weeks)> = BTreeMap::new();
    for p in patrols.iter().filter(|p| p.started >= from.millis()) {
        let week = week_label(Timestamp::from_millis(p.started), offset);
        for (device, name) in &p.people {
            let (v, weeks) = by.entry(*device).or_insert_with(|| {
                (
                    VolunteerMeasures {
                        device: *device,
                        name: name.clone(),
                        patrols: 0,
                        hours: 0.0,
                        distance_m: 0.0,
                        weeks: Vec::new(),
                    },
                    BTreeMap::new(),
                )
            });
            v.patrols += 1;
            v.hours += p.hours;
            v.distance_m += p.distance_m;
            let w = weeks.entry(week.clone()).or_default();
            w.0 += p.hours;
            w.1 += p.distance_m;
        }
    }
    let mut out: Vec<VolunteerMeasures> = by
        .into_values()
        .map(|(mut v, weeks)| {
            v.weeks = weeks
                .into_iter()
                .map(|(week, (hours, distance_m))| VolunteerWeek {
                    week,
                    hours,
                    distance_m,
                })
                .collect();
            v
        })
        .collect();
    out.sort_by(|a, b| b.hours.total_cmp(&a.hours).then(a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_are_values_of_the_set() {
        // n = 4: median rank ⌈0.5·4⌉ = 2, 90th ⌈0.9·4⌉ = 4.
        assert_eq!(nearest_rank(&[5, 10, 20, 40], 50), Some(10));
        assert_eq!(nearest_rank(&[5, 10, 20, 40], 90), Some(40));
        // n = 10: 90th rank 9.
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn months_and_iso_weeks_cut_at_the_viewers_midnight() {
        let t = |s| Timestamp::parse("t", s).unwrap();
        let utc = FixedOffset::east_opt(0).unwrap();
        // 2026-06-01 is a Monday; 2027-01-01 is in ISO week 2026-W53.
        let weeks = steps(
            t("2026-06-03T00:00:00Z"),
            t("2026-06-15T00:00:00Z"),
            TrendStep::Week,
            utc,
        )
        .unwrap();
        let labels: Vec<&str> = weeks.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(labels, ["2026-W23", "2026-W24"]);
        assert_eq!(weeks[0].1, t("2026-06-03T00:00:00Z"));
        assert_eq!(weeks[1].1, t("2026-06-08T00:00:00Z"));
        assert_eq!(week_label(t("2027-01-01T12:00:00Z"), utc), "2026-W53");
        let madrid = FixedOffset::east_opt(7_200).unwrap();
        let months = steps(
            t("2026-05-31T22:00:00Z"),
            t("2026-07-10T00:00:00Z"),
            TrendStep::Month,
            madrid,
        )
        .unwrap();
        let labels: Vec<&str> = months.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(labels, ["2026-06", "2026-07"]);
        assert_eq!(months[1].1, t("2026-06-30T22:00:00Z"));
    }
}
