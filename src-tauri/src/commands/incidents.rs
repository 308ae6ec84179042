//! The coordinator's incident map: filtered reports, alerts and patrol tracks, clustered by the
//! core at the zoom the map shows.

use std::sync::Arc;

use porchlight_core::{Core, IncidentMap, IncidentQuery};
use tauri::State;

use super::blocking;
use crate::error::Result;

#[tauri::command]
pub async fn incident_map(core: State<'_, Arc<Core>>, query: IncidentQuery) -> Result<IncidentMap> {
    blocking(&core, move |core| Ok(core.incident_map(&query)?)).await
}
