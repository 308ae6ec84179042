//! Which patrol alarms raise a notification on this device, each once. A coordinator's device
//! hears of every alarm; a volunteer's of the patrols it walks on (a patrol partner), never of
//! its own SOS. Residents never see patrols, so never their alarms. What was notified is kept in
//! the store, so neither a refresh nor a restart repeats it; a new SOS or a newly missed
//! deadline is a new alarm. Quiet hours do not apply: someone may need help.

use std::collections::BTreeSet;

use porchlight_model::{DeviceId, DocKind, Role, Timestamp};

use crate::patrol_safety::{AlarmKind, PatrolAlarm};
use crate::{Core, Result};

/// Notified alarms that stopped standing are forgotten after this long (a clock that steps back
/// for a moment must not make a standing alarm look new).
const FORGET_AFTER_MS: i64 = 7 * 24 * 3_600_000;

/// The name an alarm is remembered by: its patrol, kind, caller and time. A check-in moved on
/// or an SOS called again makes a new one.
pub fn alarm_key(alarm: &PatrolAlarm) -> String {
    let kind = match alarm.kind {
        AlarmKind::Sos => "sos",
        AlarmKind::MissedCheckIn => "missed",
    };
    let by = alarm.by.map(|d| d.to_hex()).unwrap_or_default();
    format!("{}:{kind}:{by}:{}", alarm.patrol, alarm.since.millis())
}

/// Whether `alarm` raises a notification on the device `me` with `role`.
pub fn concerns(alarm: &PatrolAlarm, me: DeviceId, role: Role) -> bool {
    if alarm.by == Some(me) {
        return false;
    }
    match role {
        Role::Coordinator => true,
        Role::Volunteer => alarm.participants.iter().any(|p| p.device == me),
        Role::Resident => false,
    }
}

/// The alarms of `current` that concern this device and were not notified before.
pub fn new_alarms(
    current: &[PatrolAlarm],
    notified: &BTreeSet<String>,
    me: DeviceId,
    role: Role,
) -> Vec<PatrolAlarm> {
    current
        .iter()
        .filter(|a| concerns(a, me, role) && !notified.contains(&alarm_key(a)))
        .cloned()
        .collect()
}

impl Core {
    /// The patrol alarms standing at `now` that this device has not raised a notification for,
    /// recorded as raised: the app notifies exactly these.
    pub fn take_new_alarms(&self, now: Timestamp) -> Result<Vec<PatrolAlarm>> {
        let role = self.role()?;
        if !role.can_read(DocKind::Patrol) {
            return Ok(Vec::new());
        }
        let current = self.patrol_alarms(now)?;
        let keys: BTreeSet<String> = current.iter().map(alarm_key).collect();
        // Read what was notified under the writer, so two callers cannot both take an alarm.
        let mut store = self.store();
        let fresh = new_alarms(&current, &store.alarm_notices()?, self.device(), role);
        let notified: Vec<String> = fresh.iter().map(alarm_key).collect();
        store.record_alarm_notices(&notified, &keys, now, now.plus_millis(-FORGET_AFTER_MS))?;
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use porchlight_model::{DocId, Participant, Point};

    use super::*;

    fn alarm(kind: AlarmKind, walker: DeviceId, by: Option<DeviceId>, since: i64) -> PatrolAlarm {
        PatrolAlarm {
            patrol: DocId::from_bytes([7; 16]),
            title: "Night round".into(),
            participants: vec![Participant {
                device: walker,
                name: "Tomás".into(),
            }],
            kind,
            since: Timestamp::from_millis(since),
            by,
            position: Some(Point::new(45.5, -122.6)),
        }
    }

    #[test]
    fn coordinators_hear_of_every_alarm_partners_of_their_patrols_nobody_of_their_own_sos() {
        let (walker, partner, coord, other) = (
            DeviceId::from_bytes([1; 16]),
            DeviceId::from_bytes([2; 16]),
            DeviceId::from_bytes([3; 16]),
            DeviceId::from_bytes([4; 16]),
        );
        let mut missed = alarm(AlarmKind::MissedCheckIn, walker, None, 1_000);
        missed.participants.push(Participant {
            device: partner,
            name: "Ana".into(),
        });
        let sos = PatrolAlarm {
            kind: AlarmKind::Sos,
            by: Some(walker),
            ..missed.clone()
        };
        assert!(concerns(&missed, coord, Role::Coordinator));
        assert!(concerns(&sos, coord, Role::Coordinator));
        assert!(concerns(&missed, partner, Role::Volunteer));
        assert!(concerns(&sos, partner, Role::Volunteer));
        // The walker's own phone reminds them of the missed check-in, not of their own SOS.
        assert!(concerns(&missed, walker, Role::Volunteer));
        assert!(!concerns(&sos, walker, Role::Volunteer));
        // A volunteer not on the patrol sees it in the list only; residents never.
        assert!(!concerns(&missed, other, Role::Volunteer));
        assert!(!concerns(&missed, other, Role::Resident));
    }

    #[test]
    fn an_alarm_is_new_once_and_a_new_deadline_or_call_is_a_new_alarm() {
        let (walker, coord) = (DeviceId::from_bytes([1; 16]), DeviceId::from_bytes([3; 16]));
        let first = alarm(AlarmKind::MissedCheckIn, walker, None, 1_000);
        let mut notified = BTreeSet::new();
        let fresh = new_alarms(
            std::slice::from_ref(&first),
            &notified,
            coord,
            Role::Coordinator,
        );
        assert_eq!(fresh, vec![first.clone()]);
        notified.insert(alarm_key(&first));
        assert!(
            new_alarms(
                std::slice::from_ref(&first),
                &notified,
                coord,
                Role::Coordinator
            )
            .is_empty()
        );
        // Checked in late, then missed again: a new deadline, a new alarm. The same for an SOS
        // withdrawn and called again, and an SOS beside a missed check-in.
        let again = alarm(AlarmKind::MissedCheckIn, walker, None, 2_000);
        let sos = alarm(AlarmKind::Sos, walker, Some(walker), 1_000);
        let fresh = new_alarms(
            &[first.clone(), again.clone(), sos.clone()],
            &notified,
            coord,
            Role::Coordinator,
        );
        assert_eq!(fresh, vec![again, sos]);
        assert_ne!(
            alarm_key(&first),
            alarm_key(&alarm(AlarmKind::Sos, walker, None, 1_000))
        );
    }
}
