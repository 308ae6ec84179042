//! Filters the coordinator's lists and map share: a period, a named zone of the group, a status.

use porchlight_model::{Group, Timestamp, ValidationError, Zone};
use porchlight_store::PageCursor;
use serde::Deserialize;

use crate::{CoreError, Result};

/// Which patrols to list.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct PatrolFilter {
    /// Only patrols that started in the period `[from, to)`.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only patrols whose track passes through this named zone of the group.
    pub zone: Option<String>,
    /// `true`: only running patrols; `false`: only ended ones.
    pub running: Option<bool>,
    /// The next page: the cursor the previous page ended with.
    pub after: Option<PageCursor>,
    /// Rows per page (every row when `None`).
    pub limit: Option<u32>,
}

/// The group's zone called `name`, or a clear error naming it.
pub(crate) fn zone_named<'g>(group: &'g Group, name: &str) -> Result<&'g Zone> {
    group.zones.iter().find(|z| z.name == name).ok_or_else(|| {
        CoreError::Invalid(ValidationError::Invalid {
            field: "zone",
            reason: format!("the group has no zone called {name:?}"),
        })
    })
}

/// Checks a list's period and zone before it is queried.
pub(crate) fn check(
    group: Option<&Group>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    zone: Option<&str>,
) -> Result<()> {
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        return Err(CoreError::Invalid(ValidationError::Invalid {
            field: "to",
            reason: "the end of the period must come after its start".into(),
        }));
    }
    if let Some(name) = zone {
        let group = group.ok_or(CoreError::NotJoined)?;
        zone_named(group, name)?;
    }
    Ok(())
}
