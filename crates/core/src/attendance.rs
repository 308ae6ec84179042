//! Recording who came to a past community meeting. The record lives in the meeting's alert
//! document, so it syncs to every coordinator and merges like any other field.

use porchlight_crdt::record_attendance;
use porchlight_model::{Alert, Attendance, DeviceId, DocId, DocKind, Role, Timestamp};

use crate::{Core, CoreError, Result};

fn invalid(reason: impl Into<String>) -> CoreError {
    CoreError::Invalid(porchlight_model::ValidationError::Invalid {
        field: "attendance",
        reason: reason.into(),
    })
}

impl Core {
    /// Records (or corrects) how many came to the meeting announced by `alert`, and optionally
    /// which members of the group were among them. Coordinators only, and only once the
    /// meeting has begun.
    pub fn record_attendance(
        &self,
        alert: DocId,
        count: u32,
        members: Vec<DeviceId>,
    ) -> Result<Alert> {
        self.require(|r| r == Role::Coordinator, "record meeting attendance")?;
        let now = Timestamp::now();
        let meeting = self
            .alert(alert)?
            .meeting
            .ok_or_else(|| invalid("this alert announces no meeting"))?;
        if meeting.starts_at > now {
            return Err(invalid("the meeting has not begun yet"));
        }
        let group = self.group()?.ok_or(CoreError::NotJoined)?;
        if let Some(stranger) = members
            .iter()
            .find(|d| !group.members.iter().any(|m| m.device == **d))
        {
            return Err(invalid(format!("{stranger} is not a member of the group")));
        }
        let attendance = Attendance {
            count,
            members,
            recorded_at: now,
            recorded_by: Some(self.device()),
        };
        attendance.validate()?;
        self.store().update(
            alert,
            DocKind::Alert,
            |doc| record_attendance(doc, &attendance, now),
            |_, _| Ok(()),
        )?;
        self.changed_locally();
        self.alert(alert)
    }
}
