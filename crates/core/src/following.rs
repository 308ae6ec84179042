//! Which alert categories a resident follows, on this device only (never shared: what someone
//! cares about says something about them). Alerts of other categories are neither announced nor
//! listed among "touching my areas" — except urgent ones, which always come through.

use porchlight_model::{Alert, AlertCategory, Severity};

use crate::{Core, CoreError, Result};

/// Local state key: JSON list of followed categories; absent means all.
const STATE_FOLLOWING: &str = "alerts.following";

impl Core {
    /// The categories this device follows (every category when none was chosen).
    pub fn followed_categories(&self) -> Result<Vec<AlertCategory>> {
        Ok(self
            .reader()
            .state(STATE_FOLLOWING)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_else(|| AlertCategory::ALL.to_vec()))
    }

    /// Chooses the categories to follow; an empty list is refused (that is what quiet hours and
    /// leaving the group are for), and urgent alerts come through regardless.
    pub fn set_followed_categories(
        &self,
        categories: &[AlertCategory],
    ) -> Result<Vec<AlertCategory>> {
        if categories.is_empty() {
            return Err(CoreError::Invalid(
                porchlight_model::ValidationError::Invalid {
                    field: "categories",
                    reason: "follow at least one category (urgent alerts always come through)"
                        .into(),
                },
            ));
        }
        let mut chosen = categories.to_vec();
        chosen.sort();
        chosen.dedup();
        let json = serde_json::to_string(&chosen).map_err(|e| CoreError::Export(e.to_string()))?;
        self.store().set_state(STATE_FOLLOWING, Some(&json))?;
        Ok(chosen)
    }
}

/// Whether `alert` is one a device following `followed` hears of.
pub(crate) fn follows(alert: &Alert, followed: &[AlertCategory]) -> bool {
    alert.severity == Severity::Urgent || followed.contains(&alert.category)
}
