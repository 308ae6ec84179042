//! Reports and their triage.

use std::sync::Arc;

use porchlight_core::model::{DocId, NewReport, Report, Triage, TriageStatus};
use porchlight_core::{Core, ReportEntry};
use tauri::State;

use crate::error::Result;

/// Files a report under this device's name. Anonymous sending arrives with the drop box.
#[tauri::command]
pub fn file_report(core: State<'_, Arc<Core>>, report: NewReport) -> Result<Report> {
    Ok(core.file_report(&report)?)
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
) -> Result<Triage> {
    let note = note.filter(|n| !n.trim().is_empty());
    Ok(core.triage(report, status, note.as_deref())?)
}
