//! Issuing, approving, listing and cancelling alerts.
//!
//! An alert that describes a person is held until two coordinators have approved exactly its
//! content (the issuer's approval counts when the issuer is a coordinator). Each approval is
//! written by the approving device itself, in a change signed with its device key; a device
//! counts only approvals by coordinators it trusts (certified from the group's root key). Held
//! alerts are shown to coordinators, marked, and to nobody else; they are never announced.

use std::collections::BTreeSet;

use porchlight_crdt::{approve_alert, close_alert, create_alert, read_alert, set_alert_status};
use porchlight_model::{
    Alert, AlertOutcome, AlertStatus, DeviceId, DocId, DocKind, NewAlert, Role, Timestamp,
    ValidationError,
};
use porchlight_store::AlertQuery;

use crate::{Core, CoreError, Result};

/// Approvals a person alert needs before residents see it.
pub const APPROVALS_NEEDED: usize = 2;

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
        self.marked(read_alert(&doc)?)
    }

    /// Closes an alert with how it ended; residents who were told of it hear the outcome.
    pub fn close_alert(&self, id: DocId, outcome: AlertOutcome) -> Result<Alert> {
        self.end_alert(id, |doc| close_alert(doc, outcome, Timestamp::now()))
    }

    pub fn cancel_alert(&self, id: DocId) -> Result<Alert> {
        self.end_alert(id, |doc| {
            set_alert_status(doc, AlertStatus::Cancelled, Timestamp::now())
        })
    }

    /// Cancels or closes: volunteers may end their own alerts, coordinators any.
    fn end_alert(
        &self,
        id: DocId,
        change: impl FnOnce(
            &mut porchlight_crdt::Doc,
        )
            -> std::result::Result<porchlight_crdt::Written, porchlight_crdt::CrdtError>,
    ) -> Result<Alert> {
        let role = self.require(|r| r.can_write(DocKind::Alert), "end alerts")?;
        let mut store = self.store();
        let current = store.alert(id)?;
        // Volunteers may cancel their own alerts; coordinators any.
        if role != Role::Coordinator && current.issued_by != Some(self.device()) {
            return Err(crate::CoreError::NotAllowed {
                role,
                action: "end someone else's alert",
            });
        }
        let doc = store.update(id, DocKind::Alert, change, |_, _| Ok(()))?;
        drop(store);
        self.changed_locally();
        self.marked(read_alert(&doc)?)
    }

    /// `alert` with its approval state marked (never dropped: its writer is looking at it).
    fn marked(&self, alert: Alert) -> Result<Alert> {
        let id = alert.id;
        self.judge_approvals(vec![alert], true)?
            .pop()
            .ok_or(CoreError::Store(porchlight_store::StoreError::NotFound {
                kind: DocKind::Alert,
                id,
            }))
    }

    /// Approves an alert that describes a person, as this coordinator. The second coordinator's
    /// approval releases it to residents.
    pub fn approve_alert(&self, id: DocId) -> Result<Alert> {
        self.require(|r| r == Role::Coordinator, "approve alerts")?;
        let me = self.device();
        let mut store = self.store();
        let current = store.alert(id)?;
        if current.person.is_none() {
            return Err(CoreError::Invalid(ValidationError::Invalid {
                field: "alert",
                reason: "only alerts that describe a person need approval".into(),
            }));
        }
        if current.approved_by.contains(&me) {
            drop(store);
            return self.alert(id);
        }
        store.update(
            id,
            DocKind::Alert,
            |doc| approve_alert(doc, me, Timestamp::now()),
            |_, _| Ok(()),
        )?;
        drop(store);
        self.changed_locally();
        self.alert(id)
    }

    /// Alerts as this device may show them: person alerts awaiting approval are marked, and left
    /// out altogether unless this device is a coordinator.
    pub fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>> {
        let alerts = self.reader().alerts(query)?;
        self.judge_approvals(alerts, self.role()? == Role::Coordinator)
    }

    pub fn alert(&self, id: DocId) -> Result<Alert> {
        let alert = self.reader().alert(id)?;
        let coordinator = self.role()? == Role::Coordinator;
        self.judge_approvals(vec![alert], coordinator)?
            .pop()
            .ok_or(CoreError::Store(porchlight_store::StoreError::NotFound {
                kind: DocKind::Alert,
                id,
            }))
    }

    /// Marks person alerts without two trusted coordinators' approvals, and drops them unless
    /// `keep_held` (for coordinators, who approve them).
    pub(crate) fn judge_approvals(
        &self,
        alerts: Vec<Alert>,
        keep_held: bool,
    ) -> Result<Vec<Alert>> {
        if alerts.iter().all(|a| a.person.is_none()) {
            return Ok(alerts);
        }
        let coordinators = self.trusted_coordinators()?;
        Ok(alerts
            .into_iter()
            .filter_map(|mut a| {
                a.awaiting_approval = a.person.is_some()
                    && a.approved_by
                        .iter()
                        .filter(|d| coordinators.contains(d))
                        .count()
                        < APPROVALS_NEEDED;
                (keep_held || !a.awaiting_approval).then_some(a)
            })
            .collect())
    }

    /// The coordinators this device trusts: those certified from the group's root key when it
    /// syncs with a server; before that, those its own group document names.
    fn trusted_coordinators(&self) -> Result<BTreeSet<DeviceId>> {
        if let Some(roster) = self.roster()? {
            return Ok(roster
                .members()
                .filter(|(_, m)| m.role == Role::Coordinator)
                .map(|(d, _)| *d)
                .collect());
        }
        Ok(self
            .group()?
            .map(|g| {
                g.members
                    .into_iter()
                    .filter(|m| m.role == Role::Coordinator)
                    .map(|m| m.device)
                    .collect()
            })
            .unwrap_or_default())
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
        drop(store);
        let followed = self.followed_categories()?;
        out.retain(|a| crate::following::follows(a, &followed));
        out.sort_by_key(|a| std::cmp::Reverse(a.issued_at));
        self.judge_approvals(out, false)
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
