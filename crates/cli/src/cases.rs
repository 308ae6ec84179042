//! `report list|assign|priority|close|history|duplicates|merge|unmerge|due`: case handling.

use std::fmt::Write as _;

use porchlight_core::{CaseFilter, CaseHistoryEntry, Core, ReportEntry};
use porchlight_model::{CaseChange, DeviceId, Member, TriageStatus, ValidationError};

use crate::args::ReportCmd;
use crate::run::{Failure, Out, id, render};

/// The group's members, to name assignees and pick them by name.
fn members(core: &Core) -> Result<Vec<Member>, Failure> {
    Ok(core.group()?.map(|g| g.members).unwrap_or_default())
}

/// A member by device id, or by name (ignoring case), which must be unambiguous.
fn member(core: &Core, who: &str) -> Result<DeviceId, Failure> {
    if let Ok(d) = DeviceId::from_hex(who) {
        return Ok(d);
    }
    let all = members(core)?;
    let mut found = all
        .iter()
        .filter(|m| m.name.eq_ignore_ascii_case(who.trim()));
    match (found.next(), found.next()) {
        (Some(m), None) => Ok(m.device),
        (None, _) if core.display_name()?.eq_ignore_ascii_case(who.trim()) => Ok(core.device()),
        (first, _) => Err(ValidationError::Invalid {
            field: "member",
            reason: if first.is_some() {
                format!("more than one member is called {who:?}; give the device id")
            } else {
                format!("no member of the group is called {who:?}")
            },
        }
        .into()),
    }
}

fn name_of(members: &[Member], d: Option<DeviceId>) -> String {
    match d {
        None => "nobody".into(),
        Some(d) => members.iter().find(|m| m.device == d).map_or_else(
            || format!("device {}", &d.to_hex()[..8]),
            |m| m.name.clone(),
        ),
    }
}

#[allow(clippy::fn_params_excessive_bools)] // the command line's own switches
pub fn list(
    core: &Core,
    json: bool,
    status: Option<&str>,
    assignee: Option<&str>,
    priority: Option<&str>,
    overdue_only: bool,
    include_merged: bool,
) -> Out {
    let filter = CaseFilter {
        status: status.map(str::parse).transpose()?,
        assignee: assignee.map(|a| member(core, a)).transpose()?,
        priority: priority.map(str::parse).transpose()?,
        overdue_only,
        include_merged,
        ..CaseFilter::default()
    };
    let cases = core.cases(&filter)?;
    let names = members(core)?;
    render(json, &cases, |cs| cases_text(cs, &names))
}

fn cases_text(cases: &[ReportEntry], names: &[Member]) -> String {
    if cases.is_empty() {
        return "no reports".into();
    }
    let mut s = String::new();
    for e in cases {
        let r = &e.report;
        let mark = if e.overdue { " OVERDUE" } else { "" };
        let merged = e
            .merged_into
            .map(|m| format!(" (merged into {m})"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{}  {:10} {:7} {:20} {}  [{}]  → {}{mark}{merged}",
            r.id,
            r.status.as_str(),
            e.priority.as_str(),
            r.category.as_str(),
            r.description,
            r.occurred_at,
            name_of(names, e.assignee),
        );
    }
    s.trim_end().to_owned()
}

fn change_text(c: &CaseChange, names: &[Member]) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "none".into());
    match c {
        CaseChange::Status { from, to } => {
            format!("status {} → {to}", opt(from.map(|f| f.as_str().to_owned())))
        }
        CaseChange::Priority { from, to } => format!(
            "priority {} → {to}",
            opt(from.map(|f| f.as_str().to_owned()))
        ),
        CaseChange::Assignee { from, to } => format!(
            "assigned {} → {}",
            name_of(names, *from),
            name_of(names, *to)
        ),
        CaseChange::Outcome { from, to } => format!(
            "outcome {} → {}",
            opt(from.map(|f| f.as_str().to_owned())),
            opt(to.map(|f| f.as_str().to_owned()))
        ),
        CaseChange::Note { text } => format!("note: {text}"),
        CaseChange::MergedInto { into: Some(c) } => format!("merged into case {c}"),
        CaseChange::MergedInto { into: None } => "taken out of its case".into(),
        CaseChange::Duplicate {
            report,
            merged: true,
        } => format!("report {report} merged in"),
        CaseChange::Duplicate {
            report,
            merged: false,
        } => format!("report {report} taken out"),
        CaseChange::Forwarded { name, .. } => format!("forwarded to {name}"),
    }
}

fn history_text(h: &[CaseHistoryEntry], names: &[Member]) -> String {
    if h.is_empty() {
        return "nobody has changed this case yet".into();
    }
    let mut s = String::new();
    for e in h {
        let who = e
            .by_name
            .clone()
            .unwrap_or_else(|| "a former member".into());
        let what: Vec<String> = e
            .event
            .changes
            .iter()
            .map(|c| change_text(c, names))
            .collect();
        let _ = writeln!(s, "{}  {who}: {}", e.event.at, what.join("; "));
    }
    s.trim_end().to_owned()
}

pub fn run(core: &Core, json: bool, cmd: ReportCmd) -> Out {
    let names = members(core)?;
    let one = |e: &ReportEntry| {
        format!(
            "report {}: {}, priority {}, assigned to {}{}",
            e.report.id,
            e.report.status,
            e.priority,
            name_of(&names, e.assignee),
            if e.overdue { ", OVERDUE" } else { "" }
        )
    };
    match cmd {
        ReportCmd::Assign { id: r, to, .. } => {
            let who = to.map(|w| member(core, &w)).transpose()?;
            render(json, &core.assign(id(&r)?, who)?, |e| one(e))
        }
        ReportCmd::Priority { id: r, priority } => {
            render(json, &core.set_priority(id(&r)?, priority.parse()?)?, |e| {
                one(e)
            })
        }
        ReportCmd::Close {
            id: r,
            outcome,
            dismiss,
            note,
            publish,
        } => {
            let status = if dismiss {
                TriageStatus::Dismissed
            } else {
                TriageStatus::Closed
            };
            let outcome = outcome.map(|o| o.parse()).transpose()?;
            let t = core.triage_with_outcome(id(&r)?, status, outcome, note.as_deref(), publish)?;
            render(json, &t, |t| {
                format!(
                    "report {} is now {} ({})",
                    t.report,
                    t.status,
                    t.outcome.map_or("", |o| o.as_str())
                )
            })
        }
        ReportCmd::History { id: r } => {
            let h = core.case_history(id(&r)?)?;
            render(json, &h, |h| history_text(h, &names))
        }
        ReportCmd::Duplicates { id: r } => {
            let only = r.as_deref().map(id).transpose()?;
            let pairs: Vec<_> = core
                .duplicates()?
                .into_iter()
                .filter(|p| only.is_none_or(|o| p.first == o || p.second == o))
                .collect();
            render(json, &pairs, |ps| {
                if ps.is_empty() {
                    return "no suggested duplicates".into();
                }
                ps.iter()
                    .map(|p| {
                        format!(
                            "{} ~ {}  {}  {:.0} m, {} min apart",
                            p.first, p.second, p.category, p.distance_m, p.minutes_apart
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        ReportCmd::Merge { id: r, into } => {
            let case = core.merge(id(&r)?, id(&into)?)?;
            render(json, &case, |c| {
                format!(
                    "report {r} merged into case {}; it now holds {} duplicate(s)",
                    c.report.id,
                    c.merged.len()
                )
            })
        }
        ReportCmd::Unmerge { id: r } => render(json, &core.unmerge(id(&r)?)?, |e| {
            format!("report {} is its own case again", e.report.id)
        }),
        ReportCmd::Due { priority, hours } => {
            let due = match (priority, hours) {
                (Some(p), Some(h)) => core.set_due_hours(p.parse()?, h)?,
                _ => core.due_hours()?,
            };
            render(json, &due, |d| {
                format!(
                    "a case is overdue when still open after: urgent {} h, high {} h, normal {} h, low {} h",
                    d.urgent, d.high, d.normal, d.low
                )
            })
        }
        _ => Err(Failure {
            kind: "internal",
            message: "not a case command".into(),
        }),
    }
}
