//! The daily digest: a resident may take non-urgent alert news as one notification a day, at an
//! hour they choose, instead of one notification per alert. Urgent alerts, and the end of urgent
//! ones, still come at once. The choice and the held news stay on the device.
//!
//! When is a digest due? Its moment is the chosen hour, local time, today — or yesterday while
//! today's is still to come. Everything held up to the latest moment is due; what arrived after
//! it waits for the next one. The app need not run at the hour: the first look after it (the
//! app's start, or its minute timer) finds the news due. Quiet hours win: a digest is never
//! urgent, so one that falls due in them waits until they end.

use porchlight_model::{AlertCategory, DocId, Severity, Timestamp, ValidationError};
use porchlight_store::{HeldKind, HeldNews};
use serde::{Deserialize, Serialize};

use crate::config::in_window;
use crate::{Core, CoreError, Result};

/// Local state key: the digest hour (0–23); absent means a notification for each alert.
const STATE_DIGEST_HOUR: &str = "alerts.digest_hour";
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How this device delivers non-urgent alert news.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DigestSetting {
    /// `None`: a notification for each alert as it arrives. `Some(h)`: one digest a day at
    /// h:00 local time (0–23).
    pub hour: Option<u8>,
}

/// How many new alerts of one category a digest counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CategoryCount {
    pub category: AlertCategory,
    pub count: u32,
}

/// Held alert news, counted for one notification (the UI words it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Digest {
    /// New alerts in all.
    pub alerts: u32,
    /// New alerts per category, the most first.
    pub categories: Vec<CategoryCount>,
    /// Alerts that ended (cancelled or closed).
    pub ended: u32,
    /// When the oldest news it counts arrived (older than a day after the app was closed long).
    pub since: Timestamp,
}

/// A digest that is due, and the held news it accounts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub digest: Digest,
    pub released: Vec<(DocId, HeldKind)>,
}

/// Whether news of an alert of `severity` waits for the digest rather than notifying at once.
pub fn held_for_digest(severity: Severity, setting: DigestSetting) -> bool {
    setting.hour.is_some() && severity != Severity::Urgent
}

/// The digest due at `now` from the `held` news, if any. `quiet` is the quiet-hours window in
/// minutes after local midnight, `utc_offset_min` the local time's offset from UTC. With the
/// digest turned off (`hour: None`), whatever it still held is due at once (outside quiet hours).
pub fn due_digest(
    held: &[HeldNews],
    setting: DigestSetting,
    quiet: Option<(u32, u32)>,
    now: Timestamp,
    utc_offset_min: i32,
) -> Option<Due> {
    let offset = i64::from(utc_offset_min) * MINUTE_MS;
    let local = now.millis().saturating_add(offset);
    let minute = u32::try_from(local.rem_euclid(DAY_MS) / MINUTE_MS).unwrap_or(0);
    if quiet.is_some_and(|w| in_window(w, minute)) {
        return None;
    }
    let cutoff = match setting.hour {
        None => now.millis(),
        Some(hour) => {
            let mut moment = local - local.rem_euclid(DAY_MS) + i64::from(hour.min(23)) * HOUR_MS;
            if moment > local {
                moment -= DAY_MS;
            }
            moment - offset
        }
    };
    let due: Vec<&HeldNews> = held.iter().filter(|h| h.at.millis() <= cutoff).collect();
    let since = due.iter().map(|h| h.at).min()?;
    let mut categories: Vec<CategoryCount> = Vec::new();
    let mut ended = 0;
    for h in &due {
        match h.kind {
            HeldKind::Ended => ended += 1,
            HeldKind::New => match categories.iter_mut().find(|c| c.category == h.category) {
                Some(c) => c.count += 1,
                None => categories.push(CategoryCount {
                    category: h.category,
                    count: 1,
                }),
            },
        }
    }
    categories.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
    Some(Due {
        digest: Digest {
            alerts: categories.iter().map(|c| c.count).sum(),
            categories,
            ended,
            since,
        },
        released: due.iter().map(|h| (h.alert, h.kind)).collect(),
    })
}

/// The local time's offset from UTC at `now`, in minutes (this device's time zone).
fn local_offset_min(now: Timestamp) -> i32 {
    use chrono::Offset;
    chrono::DateTime::from_timestamp_millis(now.millis()).map_or(0, |t| {
        t.with_timezone(&chrono::Local)
            .offset()
            .fix()
            .local_minus_utc()
            / 60
    })
}

impl Core {
    /// Each alert at once, or one digest a day (this device only).
    pub fn digest_setting(&self) -> Result<DigestSetting> {
        let hour = self
            .reader()
            .state(STATE_DIGEST_HOUR)?
            .and_then(|s| s.parse::<u8>().ok())
            .filter(|h| *h < 24);
        Ok(DigestSetting { hour })
    }

    /// Chooses how non-urgent news arrives. Turning the digest off delivers what it held at the
    /// next [`Core::take_digest`].
    pub fn set_digest_setting(&self, setting: DigestSetting) -> Result<DigestSetting> {
        if let Some(hour) = setting.hour.filter(|h| *h >= 24) {
            return Err(CoreError::Invalid(ValidationError::Invalid {
                field: "digest hour",
                reason: format!("an hour of the day is 0 to 23, not {hour}"),
            }));
        }
        let value = setting.hour.map(|h| h.to_string());
        self.store()
            .set_state(STATE_DIGEST_HOUR, value.as_deref())?;
        Ok(setting)
    }

    /// The digest due now in this device's time zone, if any; the news it counts is let go, so
    /// it is given once.
    pub fn take_digest(&self, now: Timestamp) -> Result<Option<Digest>> {
        self.take_digest_in(now, local_offset_min(now))
    }

    /// Like [`Core::take_digest`] in the time zone `utc_offset_min` minutes from UTC.
    pub fn take_digest_in(&self, now: Timestamp, utc_offset_min: i32) -> Result<Option<Digest>> {
        let setting = self.digest_setting()?;
        // Read and let go under the writer, so matching cannot slip news in between.
        let mut store = self.store();
        let held = store.held_news()?;
        let Some(due) = due_digest(
            &held,
            setting,
            self.config().quiet_window(),
            now,
            utc_offset_min,
        ) else {
            return Ok(None);
        };
        store.release_news(&due.released)?;
        Ok(Some(due.digest))
    }
}

#[cfg(test)]
#[path = "digest_tests.rs"]
mod tests;
