//! Reports and their triage.

use std::sync::Arc;

use porchlight_core::model::{CaseOutcome, DocId, NewReport, Triage, TriageStatus};
use porchlight_core::{Core, Forgotten, Receipt, ReportEntry};
use tauri::State;

use super::blocking;
use crate::error::Result;

/// Files a report, sealed for the coordinators; anonymous unless the reporter chose otherwise.
#[tauri::command]
pub async fn file_report(
    core: State<'_, Arc<Core>>,
    report: NewReport,
    anonymous: bool,
) -> Result<Receipt> {
    blocking(&core, move |core| Ok(core.file_report(&report, anonymous)?)).await
}

/// Files one anonymous report with a code from a printed token sheet, for a person who is not a
/// member: it goes straight to the group's drop box (there is no group on this device to queue
/// it in), so it needs a connection now; on failure the form keeps what was typed.
#[tauri::command]
pub async fn file_with_token_code(code: String, report: NewReport) -> Result<DocId> {
    Ok(Core::file_with_token_code(&code, &report).await?)
}

#[tauri::command]
pub async fn list_reports(
    core: State<'_, Arc<Core>>,
    status: Option<TriageStatus>,
) -> Result<Vec<ReportEntry>> {
    blocking(&core, move |core| Ok(core.reports(status)?)).await
}

/// Sets a report's status; closing or dismissing needs an `outcome`.
#[tauri::command]
pub async fn triage(
    core: State<'_, Arc<Core>>,
    report: DocId,
    status: TriageStatus,
    outcome: Option<CaseOutcome>,
    note: Option<String>,
    publish: bool,
) -> Result<Triage> {
    let note = note.filter(|n| !n.trim().is_empty());
    blocking(&core, move |core| {
        Ok(core.triage_with_outcome(report, status, outcome, note.as_deref(), publish)?)
    })
    .await
}

/// One report with its triage, follow-ups and photo hashes (coordinators).
#[tauri::command]
pub async fn show_report(core: State<'_, Arc<Core>>, id: DocId) -> Result<ReportEntry> {
    blocking(&core, move |core| Ok(core.report(id)?)).await
}

/// The reports this device filed, as last seen.
#[tauri::command]
pub async fn my_receipts(core: State<'_, Arc<Core>>) -> Result<Vec<Receipt>> {
    blocking(&core, |core| Ok(core.receipts()?)).await
}

/// Deletes every receipt and its photos from this device; `include_unsent` also drops reports
/// that have not left yet (otherwise they make it refuse).
#[tauri::command]
pub async fn forget_my_reports(
    core: State<'_, Arc<Core>>,
    include_unsent: bool,
) -> Result<Forgotten> {
    blocking(&core, move |core| {
        Ok(core.forget_my_reports(include_unsent)?)
    })
    .await
}

/// Asks the server, anonymously, for statuses published back; then the receipts.
#[tauri::command]
pub async fn refresh_receipts(core: State<'_, Arc<Core>>) -> Result<Vec<Receipt>> {
    core.refresh_receipts().await?;
    blocking(&core, |core| Ok(core.receipts()?)).await
}

/// Adds a note to a report this device filed, as the same (possibly anonymous) author.
#[tauri::command]
pub async fn follow_up(core: State<'_, Arc<Core>>, report: DocId, text: String) -> Result<Receipt> {
    blocking(&core, move |core| Ok(core.follow_up(report, &text)?)).await
}

/// A printable sheet of report codes, saved beside the exports.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TokenSheet {
    /// The HTML page to print.
    pub path: String,
    /// The codes on it (fewer than asked when today's allowance ran out).
    pub codes: Vec<String>,
}

/// Fetches `count` single-use report codes (coordinators) and writes the printable sheet into
/// the export folder.
#[tauri::command]
pub async fn print_token_sheet(
    core: State<'_, Arc<Core>>,
    dir: State<'_, super::overview::ExportDir>,
    count: usize,
) -> Result<TokenSheet> {
    let codes = core.token_sheet(count).await?;
    let html = porchlight_core::token_sheet_html(&codes)?;
    let path = super::overview::export_path(&dir.0, "report-codes", "html")?;
    std::fs::write(&path, html).map_err(|e| crate::Error::io(&path, &e))?;
    Ok(TokenSheet {
        path: path.display().to_string(),
        codes,
    })
}
