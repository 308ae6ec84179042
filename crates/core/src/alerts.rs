//! Issuing, listing and cancelling alerts.

use porchlight_crdt::{create_alert, read_alert, set_alert_status};
use porchlight_model::{
    Alert, AlertStatus, DocId, DocKind, NewAlert, Role, Timestamp, ValidationError,
};
use porchlight_store::AlertQuery;

use crate::{Core, Result};

impl Core {
    /// Issues an alert. Without an expiry it lasts the configured default.
    pub fn issue_alert(&self, mut alert: NewAlert) -> Result<Alert> {
        self.require(|r| r.can_write(DocKind::Alert), "issue alerts")?;
        if alert.expires_at.is_none() {
            let hours = i64::from(self.config().default_alert_hours);
            alert.expires_at = Some(alert.issued_at.plus_millis(hours * 3_600_000));
        }
        let alert = alert.validate()?;
        let device = self.device();
        let doc = self.store().create(
            |_| create_alert(DocId::random(), device, &alert),
            |_, _| Ok(()),
        )?;
        self.changed_locally();
        Ok(read_alert(&doc)?)
    }

    pub fn cancel_alert(&self, id: DocId) -> Result<Alert> {
        let role = self.require(|r| r.can_write(DocKind::Alert), "cancel alerts")?;
        let mut store = self.store();
        let current = store.alert(id)?;
        // Volunteers may cancel their own alerts; coordinators any.
        if role != Role::Coordinator && current.issued_by != Some(self.device()) {
            return Err(crate::CoreError::NotAllowed {
                role,
                action: "cancel someone else's alert",
            });
        }
        let doc = store.update(
            id,
            DocKind::Alert,
            |doc| set_alert_status(doc, AlertStatus::Cancelled, Timestamp::now()),
            |_, _| Ok(()),
        )?;
        drop(store);
        self.changed_locally();
        Ok(read_alert(&doc)?)
    }

    pub fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>> {
        Ok(self.reader().alerts(query)?)
    }

    pub fn alert(&self, id: DocId) -> Result<Alert> {
        Ok(self.reader().alert(id)?)
    }

    /// Live alerts whose area touches any of this device's watch areas, newest first.
    pub fn alerts_for_my_areas(&self, now: Timestamp) -> Result<Vec<Alert>> {
        let store = self.reader();
        let mut out: Vec<Alert> = Vec::new();
        for area in store.watch_areas()? {
            for alert in store.alerts(&AlertQuery {
                touching: Some(area.area),
                live_at: Some(now),
                limit: None,
            })? {
                if !out.iter().any(|a| a.id == alert.id) {
                    out.push(alert);
                }
            }
        }
        out.sort_by_key(|a| std::cmp::Reverse(a.issued_at));
        Ok(out)
    }
}

/// Parses an expiry given as a duration from `now` (`90m`, `2h`, `3d`, `1w`) or an RFC 3339 time.
pub fn parse_expiry(text: &str, now: Timestamp) -> Result<Timestamp, ValidationError> {
    let t = text.trim();
    let unit_ms = match t.chars().last() {
        Some('m') => Some(60_000),
        Some('h') => Some(3_600_000),
        Some('d') => Some(86_400_000),
        Some('w') => Some(7 * 86_400_000),
        _ => None,
    };
    if let Some(unit) = unit_ms
        && let Ok(n) = t[..t.len() - 1].parse::<u32>()
    {
        return Ok(now.plus_millis(i64::from(n) * unit));
    }
    Timestamp::parse("expires", t).map_err(|_| ValidationError::Invalid {
        field: "expires",
        reason: format!("{text:?} is neither a duration (like 90m, 2h, 3d) nor an RFC 3339 time"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_durations_and_times() {
        let now = Timestamp::from_millis(0);
        assert_eq!(parse_expiry("2h", now).unwrap().millis(), 7_200_000);
        assert_eq!(parse_expiry("90m", now).unwrap().millis(), 5_400_000);
        assert_eq!(
            parse_expiry("1970-01-02T00:00:00Z", now).unwrap().millis(),
            86_400_000
        );
        assert!(parse_expiry("soon", now).is_err());
        assert!(parse_expiry("-2h", now).is_err());
    }
}
