//! Alerts meet watch areas on the device, never anywhere else: after every sync, newly received
//! or changed alerts are matched against this device's private areas, and each alert that newly
//! touches one is announced once (recorded, so not even a restart repeats it). Cancellations are
//! announced to those who heard of the alert. Also: acknowledgements and community meetings.

use std::collections::BTreeSet;

use porchlight_crdt::create_ack;
use porchlight_model::{
    Alert, AlertCategory, AlertStatus, DocId, DocKind, Severity, Timestamp, WatchArea,
};
use porchlight_store::{AlertQuery, HeldKind, HeldNews};
use serde::Serialize;

use crate::digest::held_for_digest;
use crate::{Core, Event, Result};

/// An alert that touches some of this device's watch areas.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MatchedAlert {
    pub alert: Alert,
    /// The names of the watch areas it touches.
    pub areas: Vec<String>,
    /// False during quiet hours for anything but urgent alerts, and for non-urgent alerts held
    /// for the daily digest: show it in the inbox, but do not make a sound.
    pub notify: bool,
}

/// What to tell the user after a sync: new matching alerts (urgent first) and cancellations of
/// alerts they were told about.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AlertNews {
    pub matched: Vec<MatchedAlert>,
    pub cancelled: Vec<Alert>,
}

impl AlertNews {
    pub fn is_empty(&self) -> bool {
        self.matched.is_empty() && self.cancelled.is_empty()
    }
}

/// How alerts and acknowledgements look to the one who issued them.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AckSummary {
    pub alert: DocId,
    pub count: u64,
    pub first_at: Option<Timestamp>,
    /// Minutes from issue to the first acknowledgement.
    pub minutes_to_first: Option<f64>,
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Urgent => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

impl Core {
    /// Matches the given alerts (just received or changed) against the watch areas, records
    /// what gets announced, and publishes the news as an event.
    pub fn match_alerts(&self, changed: &[DocId], now: Timestamp) -> Result<AlertNews> {
        let me = self.device();
        let quiet = self.config().in_quiet_hours(now);
        let wanted: BTreeSet<DocId> = changed.iter().copied().collect();
        let store = self.store();
        let areas = store.watch_areas()?;
        let mut news = AlertNews::default();
        // Candidates through the R*Tree, one query per area, kept only if just changed.
        let mut touching: Vec<(Alert, Vec<String>)> = Vec::new();
        for area in &areas {
            let query = AlertQuery {
                touching: Some(area.area.clone()),
                live_at: Some(now),
                limit: None,
            };
            for alert in store.alerts(&query)? {
                if !wanted.contains(&alert.id) || alert.issued_by == Some(me) {
                    continue;
                }
                match touching.iter_mut().find(|(a, _)| a.id == alert.id) {
                    Some((_, names)) => names.push(area.name.clone()),
                    None => touching.push((alert, vec![area.name.clone()])),
                }
            }
        }
        // A person alert is announced once two coordinators have approved it, never before.
        drop(store);
        let confirmed: BTreeSet<DocId> = self
            .judge_approvals(touching.iter().map(|(a, _)| a.clone()).collect(), false)?
            .into_iter()
            .map(|a| a.id)
            .collect();
        // Only categories this device follows (urgent ones always).
        let followed = self.followed_categories()?;
        touching
            .retain(|(a, _)| confirmed.contains(&a.id) && crate::following::follows(a, &followed));
        // With the daily digest on, non-urgent news waits for it (in the inbox meanwhile).
        let digest = self.digest_setting()?;
        let mut held = Vec::new();
        let mut ended_quietly = Vec::new();
        let mut store = self.store();
        for (alert, names) in touching {
            if store.notice(alert.id)?.is_none() {
                let hold = held_for_digest(alert.severity, digest);
                if hold {
                    held.push(HeldNews {
                        alert: alert.id,
                        kind: HeldKind::New,
                        category: alert.category,
                        at: now,
                    });
                }
                let notify = !hold && (!quiet || alert.severity == Severity::Urgent);
                news.matched.push(MatchedAlert {
                    alert,
                    areas: names,
                    notify,
                });
            }
        }
        for id in &wanted {
            if let Some((_, None)) = store.notice(*id)?
                && let Ok(alert) = store.alert(*id)
                && matches!(alert.status, AlertStatus::Cancelled | AlertStatus::Closed)
            {
                if held_for_digest(alert.severity, digest) {
                    held.push(HeldNews {
                        alert: alert.id,
                        kind: HeldKind::Ended,
                        category: alert.category,
                        at: now,
                    });
                    ended_quietly.push(alert.id);
                } else {
                    news.cancelled.push(alert);
                }
            }
        }
        news.matched.sort_by(|a, b| {
            severity_rank(a.alert.severity)
                .cmp(&severity_rank(b.alert.severity))
                .then(b.alert.issued_at.cmp(&a.alert.issued_at))
        });
        let notified: Vec<DocId> = news.matched.iter().map(|m| m.alert.id).collect();
        let mut cancelled: Vec<DocId> = news.cancelled.iter().map(|a| a.id).collect();
        cancelled.extend(ended_quietly);
        store.record_notices(&notified, &cancelled, &held, now)?;
        drop(store);
        if !news.is_empty() {
            let _ = self.events.send(Event::Alerts(news.clone()));
        }
        Ok(news)
    }

    /// Adds or replaces a watch area; live alerts that already touch it count as news.
    pub fn set_watch_area(&self, area: WatchArea) -> Result<WatchArea> {
        let area = self.store().set_watch_area(area)?;
        let now = Timestamp::now();
        let live: Vec<DocId> = self
            .alerts(&AlertQuery {
                touching: Some(area.area.clone()),
                live_at: Some(now),
                limit: None,
            })?
            .into_iter()
            .map(|a| a.id)
            .collect();
        self.match_alerts(&live, now)?;
        Ok(area)
    }

    /// Acknowledges an alert ("seen it"). Acknowledging twice changes nothing.
    pub fn ack_alert(&self, id: DocId) -> Result<()> {
        self.require(|r| r.can_write(DocKind::Ack), "acknowledge alerts")?;
        let me = self.device();
        let mut store = self.store();
        store.alert(id)?;
        if store.load(porchlight_crdt::ack_id(id, me))?.is_none() {
            store.create(|_| create_ack(id, me, Timestamp::now()), |_, _| Ok(()))?;
            drop(store);
            self.changed_locally();
        }
        Ok(())
    }

    /// Which of `alerts` this device has acknowledged: the inbox's "acknowledged" marks, from
    /// the acknowledgement documents themselves (no second record of them anywhere).
    pub fn acknowledged(&self, alerts: &[DocId]) -> Result<Vec<DocId>> {
        let me = self.device();
        let store = self.reader();
        let mut out = Vec::new();
        for &id in alerts {
            if !store.heads(porchlight_crdt::ack_id(id, me))?.is_empty() {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Acknowledgement counts of an alert (volunteers and coordinators).
    pub fn alert_acks(&self, id: DocId) -> Result<AckSummary> {
        self.require(|r| r.can_read(DocKind::Ack), "see acknowledgements")?;
        Self::ack_summary(&self.reader(), id)
    }

    /// The acknowledgements of several alerts in one call (a list shows them side by side; one
    /// call each was a round trip per row).
    pub fn alerts_acks(&self, ids: &[DocId]) -> Result<Vec<AckSummary>> {
        self.require(|r| r.can_read(DocKind::Ack), "see acknowledgements")?;
        let store = self.reader();
        ids.iter()
            .map(|id| Self::ack_summary(&store, *id))
            .collect()
    }

    fn ack_summary(store: &porchlight_store::Store, id: DocId) -> Result<AckSummary> {
        let alert = store.alert(id)?;
        let (count, first_at) = store.acks(id)?;
        Ok(AckSummary {
            alert: id,
            count,
            first_at,
            minutes_to_first: first_at
                .map(|t| (t.millis() - alert.issued_at.millis()) as f64 / 60_000.0),
        })
    }

    /// Community meetings that have not ended yet (started less than three hours ago), soonest
    /// first.
    pub fn upcoming_meetings(&self, now: Timestamp) -> Result<Vec<Alert>> {
        let mut meetings: Vec<Alert> = self
            .alerts(&AlertQuery::default())?
            .into_iter()
            .filter(|a| a.category == AlertCategory::Meeting && a.status == AlertStatus::Active)
            .filter(|a| {
                a.meeting
                    .as_ref()
                    .is_some_and(|m| m.starts_at.millis() + 3 * 3_600_000 > now.millis())
            })
            .collect();
        meetings.sort_by_key(|a| a.meeting.as_ref().map(|m| m.starts_at));
        Ok(meetings)
    }

    /// The upcoming meetings as an iCalendar file, for any calendar app.
    pub fn meetings_ics(&self, now: Timestamp) -> Result<String> {
        Ok(ics(&self.upcoming_meetings(now)?, now))
    }
}

/// iCalendar (RFC 5545): one VEVENT a meeting, two hours long unless it says otherwise. The
/// `icalendar` crate escapes the text and folds long lines (75 octets), which calendar apps need
/// for a long description or a place name with accents.
fn ics(meetings: &[Alert], now: Timestamp) -> String {
    use icalendar::{Calendar, Component, Event, EventLike};
    let utc =
        |t: Timestamp| chrono::DateTime::from_timestamp_millis(t.millis()).unwrap_or_default();
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//Porchlight//Neighbourhood watch//EN"))
        .append_property(("CALSCALE", "GREGORIAN"));
    for a in meetings {
        let Some(m) = &a.meeting else { continue };
        calendar.push(
            Event::new()
                .uid(&format!("{}@porchlight", a.id))
                .timestamp(utc(now))
                .starts(utc(m.starts_at))
                .ends(utc(m.starts_at.plus_millis(2 * 3_600_000)))
                .summary(&a.title)
                .location(&m.place)
                .description(&a.body)
                .done(),
        );
    }
    calendar.to_string()
}
