//! Case handling in the coordinator's inbox: filters, assignee, priority, history, duplicates,
//! merging, and the group's overdue times.

use std::sync::Arc;

use porchlight_core::model::{DeviceId, DocId, DueHours, Priority};
use porchlight_core::{CaseFilter, CaseHistoryEntry, Core, DuplicatePair, ReportEntry, ReportPage};
use tauri::State;

use super::blocking;
use crate::error::Result;

#[tauri::command]
pub async fn list_cases(core: State<'_, Arc<Core>>, filter: CaseFilter) -> Result<ReportPage> {
    blocking(&core, move |core| Ok(core.cases_page(&filter)?)).await
}

/// Assigns a case to a coordinator or volunteer (`None`: nobody).
#[tauri::command]
pub async fn assign_case(
    core: State<'_, Arc<Core>>,
    report: DocId,
    assignee: Option<DeviceId>,
) -> Result<ReportEntry> {
    blocking(&core, move |core| Ok(core.assign(report, assignee)?)).await
}

#[tauri::command]
pub async fn set_case_priority(
    core: State<'_, Arc<Core>>,
    report: DocId,
    priority: Priority,
) -> Result<ReportEntry> {
    blocking(&core, move |core| Ok(core.set_priority(report, priority)?)).await
}

/// Who changed what in a case and when, from the triage document's own changes.
#[tauri::command]
pub async fn case_history(
    core: State<'_, Arc<Core>>,
    report: DocId,
) -> Result<Vec<CaseHistoryEntry>> {
    blocking(&core, move |core| Ok(core.case_history(report)?)).await
}

/// Open reports that look like the same incident.
#[tauri::command]
pub async fn duplicate_suggestions(core: State<'_, Arc<Core>>) -> Result<Vec<DuplicatePair>> {
    blocking(&core, |core| Ok(core.duplicates()?)).await
}

/// Merges `duplicate` into the case of `into`; returns that case.
#[tauri::command]
pub async fn merge_case(
    core: State<'_, Arc<Core>>,
    duplicate: DocId,
    into: DocId,
) -> Result<ReportEntry> {
    blocking(&core, move |core| Ok(core.merge(duplicate, into)?)).await
}

#[tauri::command]
pub async fn unmerge_case(core: State<'_, Arc<Core>>, duplicate: DocId) -> Result<ReportEntry> {
    blocking(&core, move |core| Ok(core.unmerge(duplicate)?)).await
}

#[tauri::command]
pub async fn due_hours(core: State<'_, Arc<Core>>) -> Result<DueHours> {
    blocking(&core, |core| Ok(core.due_hours()?)).await
}

#[tauri::command]
pub async fn set_due_hours(
    core: State<'_, Arc<Core>>,
    priority: Priority,
    hours: u32,
) -> Result<DueHours> {
    blocking(&core, move |core| Ok(core.set_due_hours(priority, hours)?)).await
}
