//! Reports and their triage.

use std::sync::Arc;

use porchlight_core::model::{DocId, NewReport, Triage, TriageStatus};
use porchlight_core::{Core, Receipt, ReportEntry};
use tauri::State;

use crate::error::Result;

/// Files a report, sealed for the coordinators; anonymous unless the reporter chose otherwise.
#[tauri::command]
pub fn file_report(
    core: State<'_, Arc<Core>>,
    report: NewReport,
    anonymous: bool,
) -> Result<Receipt> {
    Ok(core.file_report(&report, anonymous)?)
}

#[tauri::command]
pub fn list_reports(
    core: State<'_, Arc<Core>>,
    status: Option<TriageStatus>,
) -> Result<Vec<ReportEntry>> {
    Ok(core.reports(status)?)
}

#[tauri::command]
pub fn triage(
    core: State<'_, Arc<Core>>,
    report: DocId,
    status: TriageStatus,
    note: Option<String>,
    publish: bool,
) -> Result<Triage> {
    let note = note.filter(|n| !n.trim().is_empty());
    Ok(core.triage(report, status, note.as_deref(), publish)?)
}
