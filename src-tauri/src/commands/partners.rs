//! The group's partner directory and forwarding a case to a partner.

use std::sync::Arc;

use porchlight_core::model::{DocId, NewPartner, Partner};
use porchlight_core::{Core, Forwarded};
use tauri::State;

use super::blocking;
use super::overview::ExportDir;
use crate::error::Result;

#[tauri::command]
pub async fn list_partners(core: State<'_, Arc<Core>>) -> Result<Vec<Partner>> {
    blocking(&core, |core| Ok(core.partners()?)).await
}

#[tauri::command]
pub async fn add_partner(core: State<'_, Arc<Core>>, partner: NewPartner) -> Result<Partner> {
    blocking(&core, move |core| Ok(core.add_partner(&partner)?)).await
}

#[tauri::command]
pub async fn edit_partner(
    core: State<'_, Arc<Core>>,
    id: String,
    partner: NewPartner,
) -> Result<Partner> {
    blocking(&core, move |core| Ok(core.edit_partner(&id, &partner)?)).await
}

#[tauri::command]
pub async fn remove_partner(core: State<'_, Arc<Core>>, id: String) -> Result<()> {
    blocking(&core, move |core| Ok(core.remove_partner(&id)?)).await
}

/// Writes the packet for `partner` (a printable page and a GeoJSON file) into the export
/// folder, where exports go, and records the forwarding in the case.
#[tauri::command]
pub async fn forward_report(
    core: State<'_, Arc<Core>>,
    dir: State<'_, ExportDir>,
    report: DocId,
    partner: String,
) -> Result<Forwarded> {
    let dir = dir.0.clone();
    blocking(&core, move |core| {
        Ok(core.forward_report(report, &partner, &dir)?)
    })
    .await
}
