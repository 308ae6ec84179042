//! Case handling for coordinators (see docs/CASES.md): assignee, priority, overdue times, the
//! outcome a case ends with, its history from the triage document's own changes, suggested
//! duplicates and merging them into one case.
//!
//! Everything is written into the report's triage document, which only coordinators may write:
//! the server refuses anyone else's changes to it, and every device refuses them again on
//! arrival (the role table, `Role::can_write`).

use porchlight_crdt::{
    Doc, case_history, new_triage, set_assignee, set_due_hours, set_duplicate, set_merged_into,
    set_priority, triage_id,
};
use porchlight_model::{
    CaseEvent, Category, DeviceId, DocId, DocKind, DueHours, Priority, Role, Timestamp,
    TriageStatus, ends_case,
};
use porchlight_store::{PageCursor, ReportEntry, ReportPage, ReportPoint, ReportQuery, Store};
use serde::{Deserialize, Serialize};

use crate::{Core, CoreError, Result};

/// Two open reports are suggested as duplicates when they have the same category, lie at most
/// this far apart (as stored, after the reporter's chosen coarsening) ...
pub const DUPLICATE_RADIUS_M: f64 = 200.0;
/// ... and happened at most this long apart.
pub const DUPLICATE_WINDOW_MS: i64 = 2 * 3_600_000;

/// Which cases to list.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct CaseFilter {
    pub status: Option<TriageStatus>,
    pub assignee: Option<DeviceId>,
    pub priority: Option<Priority>,
    /// Only open cases past their due time.
    pub overdue_only: bool,
    /// Also list reports merged into another case (left out otherwise).
    pub include_merged: bool,
    /// Only reports of the period `[from, to)`.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only reports located in this named zone of the group.
    pub zone: Option<String>,
    pub category: Option<Category>,
    /// The next page: the cursor the previous page ended with.
    pub after: Option<PageCursor>,
    /// Rows per page (every row when `None`).
    pub limit: Option<u32>,
}

/// One entry of a case's history, with its author's name from the group's roster.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CaseHistoryEntry {
    #[serde(flatten)]
    pub event: CaseEvent,
    /// `None` for a device no longer in the group.
    pub by_name: Option<String>,
}

/// Two open reports that look like the same incident.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DuplicatePair {
    /// The earlier report.
    pub first: DocId,
    /// The later report.
    pub second: DocId,
    pub category: Category,
    pub distance_m: f64,
    pub minutes_apart: i64,
}

impl Core {
    /// The group's overdue times per priority (the defaults without a group).
    pub fn due_hours(&self) -> Result<DueHours> {
        due_hours_of(&self.reader())
    }

    /// Sets how long an open case of `priority` may wait before it is overdue (coordinators).
    pub fn set_due_hours(&self, priority: Priority, hours: u32) -> Result<DueHours> {
        self.require(|r| r == Role::Coordinator, "set overdue times")?;
        let mut store = self.store();
        let group = store.group()?.ok_or(CoreError::NotJoined)?;
        store.update(
            group.id,
            DocKind::Group,
            |doc| set_due_hours(doc, priority, hours, Timestamp::now()),
            |_, _| Ok(()),
        )?;
        drop(store);
        self.changed_locally();
        self.due_hours()
    }

    /// Reports as cases, filtered for the inbox; newest first.
    pub fn cases(&self, f: &CaseFilter) -> Result<Vec<ReportEntry>> {
        Ok(self.cases_page(f)?.rows)
    }

    /// One page of cases, filtered for the inbox or the map; newest first.
    pub fn cases_page(&self, f: &CaseFilter) -> Result<ReportPage> {
        // One snapshot for the role check, the overdue times and the page (see `in_snapshot`).
        self.reader().in_snapshot(|reader| {
            let (_, group) =
                self.require_in(reader, |r| r.can_read(DocKind::Report), "read reports")?;
            crate::filters::check(group.as_deref(), f.from, f.to, f.zone.as_deref())?;
            let q = ReportQuery {
                status: f.status,
                assignee: f.assignee,
                priority: f.priority,
                overdue_only: f.overdue_only,
                hide_merged: !f.include_merged,
                id: None,
                now: Some(Timestamp::now()),
                due: due_hours_of(reader)?,
                from: f.from,
                to: f.to,
                zone: f.zone.clone(),
                category: f.category,
                after: f.after,
                limit: f.limit,
            };
            Ok(reader.reports_page(&q)?)
        })
    }

    /// Assigns a report's case to a coordinator or volunteer of the group (`None`: nobody).
    pub fn assign(&self, report: DocId, assignee: Option<DeviceId>) -> Result<ReportEntry> {
        self.require(|r| r == Role::Coordinator, "assign cases")?;
        if let Some(device) = assignee {
            let member = self
                .group()?
                .and_then(|g| g.members.into_iter().find(|m| m.device == device));
            let solo = self.group()?.is_none() && device == self.device();
            if !solo && member.is_none_or(|m| m.role == Role::Resident) {
                return Err(CoreError::NotAssignable { device });
            }
        }
        self.write_case(report, |doc, now| set_assignee(doc, assignee, now))
    }

    /// Sets a report's priority.
    pub fn set_priority(&self, report: DocId, priority: Priority) -> Result<ReportEntry> {
        self.require(|r| r == Role::Coordinator, "set priorities")?;
        self.write_case(report, |doc, now| set_priority(doc, priority, now))
    }

    /// One change to a report's triage document, made if it does not exist yet; a change that
    /// changes nothing is not an error.
    fn write_case(
        &self,
        report: DocId,
        change: impl FnOnce(
            &mut Doc,
            Timestamp,
        )
            -> std::result::Result<porchlight_crdt::Written, porchlight_crdt::CrdtError>,
    ) -> Result<ReportEntry> {
        let mut store = self.store();
        store.load_kind(report, DocKind::Report)?;
        let mut doc = triage_doc(&store, report, self.device())?;
        match store.write(&mut doc, |d| change(d, Timestamp::now()), |_, _| Ok(())) {
            Ok(()) => {}
            Err(porchlight_store::StoreError::Crdt(porchlight_crdt::CrdtError::Unchanged)) => {
                return self.report(report);
            }
            Err(e) => return Err(e.into()),
        }
        drop(store);
        self.changed_locally();
        self.report(report)
    }

    /// Who changed what in a report's case and when, oldest first: read from the triage
    /// document's own changes, with each author's name from the group. Nothing about the
    /// reporter is in it: the report document's history is never read.
    pub fn case_history(&self, report: DocId) -> Result<Vec<CaseHistoryEntry>> {
        self.require(|r| r == Role::Coordinator, "read case histories")?;
        let reader = self.reader();
        reader.load_kind(report, DocKind::Report)?;
        let Some(mut doc) = reader.load(triage_id(report))? else {
            return Ok(Vec::new());
        };
        let members = reader.group()?.map(|g| g.members).unwrap_or_default();
        let me = self.device();
        let my_name = self.display_name()?;
        Ok(case_history(&mut doc)?
            .into_iter()
            .map(|event| {
                let by_name = members
                    .iter()
                    .find(|m| m.device == event.by)
                    .map(|m| m.name.clone())
                    .or_else(|| (event.by == me).then(|| my_name.clone()));
                CaseHistoryEntry { event, by_name }
            })
            .collect())
    }

    /// Open reports that look like the same incident: same category, at most
    /// [`DUPLICATE_RADIUS_M`] apart and [`DUPLICATE_WINDOW_MS`] apart in time. Reports without
    /// a location, closed or dismissed ones and ones already merged are left out.
    pub fn duplicates(&self) -> Result<Vec<DuplicatePair>> {
        self.require(|r| r.can_read(DocKind::Report), "read reports")?;
        // Place, time, category and status are all the comparison needs: the map's rows, not
        // every open case decoded whole with its notes (a 10,000-record inbox took most of the
        // reports view's opening time doing that).
        let mut open: Vec<ReportPoint> = self
            .reader()
            .report_points(&ReportQuery {
                hide_merged: true,
                ..ReportQuery::default()
            })?
            .into_iter()
            .filter(|p| !ends_case(p.status))
            .collect();
        open.sort_by_key(|p| (p.occurred_at, p.id));
        let mut out = Vec::new();
        for (i, a) in open.iter().enumerate() {
            for b in &open[i + 1..] {
                let apart = b.occurred_at.millis() - a.occurred_at.millis();
                if apart > DUPLICATE_WINDOW_MS {
                    break;
                }
                if a.category != b.category {
                    continue;
                }
                let (pa, pb) = (a.point, b.point);
                let distance_m = pa.distance_m(&pb);
                if distance_m <= DUPLICATE_RADIUS_M {
                    out.push(DuplicatePair {
                        first: a.id,
                        second: b.id,
                        category: a.category,
                        distance_m,
                        minutes_apart: apart / 60_000,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Merges `duplicate` into the case of `into`: it points there from now on, leaves the open
    /// lists, and both cases' histories show it. Both triage documents change in one
    /// transaction.
    pub fn merge(&self, duplicate: DocId, into: DocId) -> Result<ReportEntry> {
        self.require(|r| r == Role::Coordinator, "merge cases")?;
        if duplicate == into {
            return Err(CoreError::BadMerge("a case cannot be merged into itself"));
        }
        let dup = self.report(duplicate)?;
        let target = self.report(into)?;
        if dup.merged_into.is_some() {
            return Err(CoreError::BadMerge(
                "this report is already merged into a case; unmerge it first",
            ));
        }
        if target.merged_into.is_some() {
            return Err(CoreError::BadMerge(
                "the case to merge into is itself merged into another; merge into that one",
            ));
        }
        if !dup.merged.is_empty() {
            return Err(CoreError::BadMerge(
                "this report has duplicates merged into it; unmerge them first",
            ));
        }
        self.write_pair(duplicate, Some(into), into, true)?;
        self.report(into)
    }

    /// Takes a merged report out of its case again: it is its own open case as before.
    pub fn unmerge(&self, duplicate: DocId) -> Result<ReportEntry> {
        self.require(|r| r == Role::Coordinator, "merge cases")?;
        let Some(into) = self.report(duplicate)?.merged_into else {
            return Err(CoreError::BadMerge("this report is not merged into a case"));
        };
        self.write_pair(duplicate, None, into, false)?;
        self.report(duplicate)
    }

    fn write_pair(
        &self,
        duplicate: DocId,
        pointer: Option<DocId>,
        into: DocId,
        merged: bool,
    ) -> Result<()> {
        let me = self.device();
        let now = Timestamp::now();
        let mut store = self.store();
        let mut dup_doc = triage_doc(&store, duplicate, me)?;
        let mut case_doc = triage_doc(&store, into, me)?;
        store.write_both(
            &mut dup_doc,
            |d| set_merged_into(d, pointer, now),
            &mut case_doc,
            |d| set_duplicate(d, duplicate, merged, now),
        )?;
        drop(store);
        self.changed_locally();
        Ok(())
    }
}

/// The triage document of `report`, new (nothing committed yet) if nobody triaged it.
fn triage_doc(store: &Store, report: DocId, me: DeviceId) -> Result<Doc> {
    Ok(match store.load(triage_id(report))? {
        Some(doc) => doc,
        None => new_triage(report, me)?,
    })
}

pub(crate) fn due_hours_of(store: &Store) -> Result<DueHours> {
    // From the projection: loading the group's document for every page of cases cost more
    // than the page's query.
    Ok(store.due_hours()?)
}
