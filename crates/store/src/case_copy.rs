//! A report's case copied onto the report's row (migration 015) and its status onto the zone
//! index (migration 014), so the coordinator's pages of cases read one row per case.
//!
//! `p_triage` stays the projection of each triage document: a triage can arrive before its
//! report, and then only `p_triage` holds it until the report is projected and takes a copy.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::sql::exec;

/// The case columns of one report, as `p_triage` holds them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CaseCopy {
    pub(crate) status: String,
    pub(crate) updated_at: Option<i64>,
    pub(crate) first_at: Option<i64>,
    /// JSON.
    pub(crate) notes: String,
    pub(crate) assignee: Option<Vec<u8>>,
    pub(crate) priority: String,
    pub(crate) outcome: Option<String>,
    pub(crate) merged_into: Option<Vec<u8>>,
}

/// The projected case of `report`, if a triage document for it has been projected.
pub(crate) fn case_of(conn: &Connection, report: &[u8]) -> Result<Option<CaseCopy>> {
    Ok(conn
        .prepare_cached(
            "SELECT status, updated_at, first_at, notes, assignee, priority, outcome, merged_into
             FROM p_triage WHERE report = ?1",
        )?
        .query_row([report], |r| {
            Ok(CaseCopy {
                status: r.get(0)?,
                updated_at: r.get(1)?,
                first_at: r.get(2)?,
                notes: r.get(3)?,
                assignee: r.get(4)?,
                priority: r.get(5)?,
                outcome: r.get(6)?,
                merged_into: r.get(7)?,
            })
        })
        .optional()?)
}

/// Records the case projected from triage document `doc` in `p_triage`, and copies it to its
/// report's row and zone rows (nothing to copy to while the report itself has not arrived: its
/// projection takes the copy then).
pub(crate) fn store_case(
    conn: &Connection,
    report: &[u8],
    doc: &[u8],
    case: &CaseCopy,
) -> Result<()> {
    // ?1 the report, ?2 the triage document (p_triage only), ?3.. the case, in the same order
    // in both tables.
    let values = params![
        report,
        doc,
        case.status,
        case.updated_at,
        case.first_at,
        case.notes,
        case.assignee,
        case.priority,
        case.outcome,
        case.merged_into,
    ];
    exec(
        conn,
        "INSERT OR REPLACE INTO p_triage (report, doc, status, updated_at, first_at, notes,
             assignee, priority, outcome, merged_into)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        values,
    )?;
    let rid: Option<i64> = conn
        .prepare_cached(
            "UPDATE p_reports SET triage_status = ?3, case_updated_at = ?4, case_first_at = ?5,
                 case_notes = ?6, case_assignee = ?7, case_priority = ?8, case_outcome = ?9,
                 case_merged_into = ?10
             WHERE id = ?1 RETURNING rid",
        )?
        .query_row(values, |r| r.get(0))
        .optional()?;
    if let Some(rid) = rid {
        exec(
            conn,
            "UPDATE p_zone_reports SET status = ?2 WHERE rid = ?1",
            params![rid, case.status],
        )?;
    }
    Ok(())
}
