//! Plain-text renderings for people at a terminal.

use std::fmt::Write;

use porchlight_core::{
    AckSummary, AlarmKind, AlertNews, CheckInState, DemoSummary, Member, PatrolAlarm, PatrolDetail,
    PatrolSummary, Receipt, ReportEntry, SyncReceipt, SyncReport, SyncStatus, WhoAmI,
};
use porchlight_model::{Alert, Area, DocId, DocKind, Patrol, Timestamp, WatchArea};

fn km(m: f64) -> String {
    if m >= 1000.0 {
        format!("{:.2} km", m / 1000.0)
    } else {
        format!("{m:.0} m")
    }
}

fn area(a: &Area) -> String {
    match a {
        Area::Circle { center, radius_m } => {
            format!("{:.5},{:.5} r={}", center.lat, center.lon, km(*radius_m))
        }
        Area::Polygon { ring } => format!("polygon of {} vertices", ring.len().saturating_sub(1)),
    }
}

pub fn whoami(w: &WhoAmI) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "name:       {}",
        w.name
            .as_deref()
            .unwrap_or("(not set: porchlight init --name N)")
    );
    let _ = writeln!(s, "device id:  {}", w.device_id);
    let _ = writeln!(s, "public key: {}", w.public_key);
    let _ = writeln!(s, "actor id:   {}", w.actor_id);
    let _ = write!(s, "role:       {}", w.role);
    if let Some(g) = &w.group {
        let _ = write!(s, "\ngroup:      {} ({})", g.name, g.id);
    }
    s
}

pub fn alert_issued(a: &Alert) -> String {
    format!("issued alert {} ({}, {})", a.id, a.severity, area(&a.area))
}

pub fn summary(w: &porchlight_core::SummaryWritten) -> String {
    let what = match w.pages {
        Some(pages) => format!("PDF, {pages} page{}", if pages == 1 { "" } else { "s" }),
        None => "HTML".into(),
    };
    format!(
        "wrote the meeting summary to {} ({what}, {} bytes); {} hotspot cell(s) with at least {} reports shown",
        w.path, w.bytes, w.cells_shown, w.k
    )
}

pub fn hotspots(h: &porchlight_core::Hotspots) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut s = format!(
        "{} reports; cells of {} m with at least {} reports (k):\n",
        h.total, h.cell_m, h.k
    );
    if h.cells.is_empty() {
        s.push_str("  none\n");
    }
    for c in &h.cells {
        let _ = writeln!(
            s,
            "  {:4}  around {:.5},{:.5}",
            c.count, c.center.lat, c.center.lon
        );
    }
    let _ = writeln!(
        s,
        "{} located reports are in cells under k (not shown)",
        h.in_hidden_cells
    );
    s.push_str("busiest hours of the week (UTC):");
    for w in &h.week {
        let _ = write!(
            s,
            "\n  {} {:02}h  {}",
            DAYS[usize::from(w.weekday % 7)],
            w.hour,
            w.count
        );
    }
    s
}

pub fn check_in(s: &CheckInState) -> String {
    let mut out = match (s.every_secs, s.due) {
        (Some(every), Some(due)) => {
            format!("check in every {} min; next due {due}", every / 60)
        }
        _ => "no check-in timer".to_owned(),
    };
    if s.sos {
        out.push_str("\nSOS called: coordinators see it at their next sync");
    }
    out
}

pub fn alarms(alarms: &[PatrolAlarm]) -> String {
    if alarms.is_empty() {
        return "no alarms".into();
    }
    let mut s = String::new();
    for a in alarms {
        let who: Vec<&str> = a.participants.iter().map(|p| p.name.as_str()).collect();
        let what = match a.kind {
            AlarmKind::Sos => "SOS",
            AlarmKind::MissedCheckIn => "missed check-in",
        };
        let at = a.position.map_or_else(
            || "position unknown".to_owned(),
            |p| format!("{:.5},{:.5}", p.lat, p.lon),
        );
        let _ = writeln!(
            s,
            "{what:16} {}  {} ({})  since {}  at {at}",
            a.patrol,
            a.title,
            who.join(", "),
            a.since
        );
    }
    s.trim_end().to_owned()
}

pub fn alert_approval(a: &Alert) -> String {
    if a.awaiting_approval {
        format!(
            "approved alert {}; it waits for a second coordinator's approval",
            a.id
        )
    } else {
        format!(
            "approved alert {}; confirmed by {} coordinators, residents see it now",
            a.id,
            a.approved_by.len()
        )
    }
}

pub fn alerts(alerts: &[Alert], now: Timestamp) -> String {
    if alerts.is_empty() {
        return "no alerts".into();
    }
    let mut s = String::new();
    for a in alerts {
        let state = if a.awaiting_approval {
            "held"
        } else if a.is_live(now) {
            a.severity.as_str()
        } else if a.status.as_str() == "cancelled" {
            "cancelled"
        } else {
            "expired"
        };
        let _ = writeln!(
            s,
            "{}  {:9} {:20} {}  [{}]",
            a.id,
            state,
            a.category.as_str(),
            a.title,
            a.issued_at
        );
    }
    s.trim_end().to_owned()
}

pub fn areas(areas: &[WatchArea]) -> String {
    if areas.is_empty() {
        return "no watch areas".into();
    }
    areas
        .iter()
        .map(|a| format!("{}  {}", a.name, area(&a.area)))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn patrol_ended(p: &Patrol) -> String {
    format!(
        "ended patrol {}: {} fixes, {}, {} observations",
        p.id,
        p.fix_count,
        km(p.distance_m),
        p.observations.len()
    )
}

pub fn patrols(ps: &[PatrolSummary]) -> String {
    if ps.is_empty() {
        return "no patrols".into();
    }
    let mut s = String::new();
    for p in ps {
        let state = if p.ended_at.is_some() {
            "ended"
        } else {
            "running"
        };
        let _ = writeln!(
            s,
            "{}  {:7} {:9} {:3} obs  {}  [{}]",
            p.id,
            state,
            km(p.distance_m),
            p.observations,
            p.title,
            p.started_at
        );
    }
    s.trim_end().to_owned()
}

pub fn patrol(d: &PatrolDetail) -> String {
    let p = &d.patrol;
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})", p.title, p.id);
    let _ = writeln!(
        s,
        "started {}{}",
        p.started_at,
        p.ended_at
            .map(|e| format!(", ended {e}"))
            .unwrap_or_default()
    );
    let names: Vec<&str> = p.participants.iter().map(|x| x.name.as_str()).collect();
    let _ = writeln!(s, "with {}", names.join(", "));
    let _ = write!(s, "{} fixes, {} walked", p.fix_count, km(p.distance_m));
    for o in &p.observations {
        let _ = write!(s, "\n  {}  {:18} {}", o.at, o.category.as_str(), o.note);
    }
    s
}

pub fn filed(r: &Receipt) -> String {
    let how = if r.anonymous {
        "anonymously; it leaves after a short random delay on a later sync"
    } else {
        "under your name; it leaves on next sync"
    };
    format!(
        "filed report {} {how}\nsealed for the coordinators only; see it with `porchlight report receipts`",
        r.report
    )
}

pub fn receipts(rs: &[Receipt]) -> String {
    if rs.is_empty() {
        return "you have not filed any reports".into();
    }
    let mut s = String::new();
    for r in rs {
        let who = if r.anonymous { "anonymous" } else { "named" };
        let status = r.status.as_deref().unwrap_or("no status published yet");
        let _ = writeln!(
            s,
            "{}  {:9} {:12} {}  [{}]\n    status: {status}",
            r.report,
            who,
            r.category.as_str(),
            r.description,
            r.filed_at
        );
        if let Some(note) = &r.status_note {
            let _ = writeln!(s, "    note from the coordinators: {note}");
        }
    }
    s.trim_end().to_owned()
}

pub fn report(e: &ReportEntry, saved: &[std::path::PathBuf]) -> String {
    let r = &e.report;
    let mut s = String::new();
    let _ = writeln!(s, "report {}  ({})", r.id, r.status.as_str());
    let _ = writeln!(s, "category:  {}", r.category.as_str());
    let _ = writeln!(
        s,
        "when:      {} (rounded down to 15 minutes)",
        r.occurred_at
    );
    match r.location {
        Some(p) => {
            let _ = writeln!(
                s,
                "where:     {:.5},{:.5} ({})",
                p.lat,
                p.lon,
                r.precision.as_str()
            );
        }
        None => {
            let _ = writeln!(s, "where:     not given");
        }
    }
    let by = r.filed_by.map_or_else(
        || "anonymous".to_owned(),
        |d| format!("device {d} (signed)"),
    );
    let _ = writeln!(s, "filed by:  {by}");
    let _ = writeln!(s, "\n{}", r.description);
    for f in &r.followups {
        let _ = writeln!(s, "\nfollow-up [{}]: {}", f.at, f.text);
    }
    for n in &e.notes {
        let _ = writeln!(s, "\ntriage note [{}]: {}", n.at, n.text);
    }
    let _ = writeln!(s, "\nphotos:    {}", r.photos.len());
    for p in saved {
        let _ = writeln!(s, "saved {}", p.display());
    }
    s.trim_end().to_owned()
}

pub fn search(hits: &[(DocId, DocKind, String)]) -> String {
    if hits.is_empty() {
        return "nothing found".into();
    }
    hits.iter()
        .map(|(id, kind, title)| format!("{id}  {kind:7} {title}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn stats(s: &porchlight_core::Stats) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "alerts:        {} live of {}",
        s.alerts_live, s.alerts_total
    );
    let _ = writeln!(
        out,
        "patrols:       {} ({} running), {} over {:.1} h",
        s.patrols_total,
        s.patrols_open,
        km(s.patrol_distance_m),
        s.patrol_hours
    );
    let _ = writeln!(out, "observations:  {}", s.observations);
    let by: Vec<String> = s
        .reports_by_status
        .iter()
        .map(|(st, n)| format!("{n} {st}"))
        .collect();
    let _ = writeln!(
        out,
        "reports:       {} ({})",
        s.reports_total,
        by.join(", ")
    );
    if let Some(m) = s.median_response_minutes {
        let _ = writeln!(out, "response time: median {m:.0} min to first triage");
    }
    let _ = writeln!(out, "watch areas:   {}", s.watch_areas);
    let _ = write!(out, "not yet synced: {} changes", s.pending_changes);
    out
}

pub fn map_status(m: &porchlight_core::MapStatus) -> String {
    let [west, south, east, north] = m.bounds;
    let state = if m.ready {
        "on this device".to_owned()
    } else {
        format!("downloading: {} of {} parts", m.chunks_held, m.chunks_total)
    };
    format!(
        "map {:?} ({:.1} MB, zoom {}-{}, {west:.4},{south:.4} to {east:.4},{north:.4}): {state}",
        m.name,
        m.size as f64 / (1024.0 * 1024.0),
        m.min_zoom,
        m.max_zoom,
    )
}

pub fn demo(d: &DemoSummary) -> String {
    format!(
        "demo neighbourhood ready: {} members, {} alerts, {} patrols ({} fixes, {} observations), {} reports",
        d.members, d.alerts, d.patrols, d.fixes, d.observations, d.reports
    )
}

pub fn members(ms: &[Member]) -> String {
    if ms.is_empty() {
        return "no members".into();
    }
    ms.iter()
        .map(|m| {
            let state = if m.revoked_at.is_some() {
                "revoked"
            } else {
                m.role.as_str()
            };
            format!("{}  {:11} {}", m.device, state, m.display_name)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn sync_report(r: &SyncReport) -> String {
    let mut s = format!(
        "synced: pushed {}, pulled {}, {} round trip(s), cursor {}",
        r.pushed, r.pulled, r.round_trips, r.cursor
    );
    for why in &r.rejected {
        let _ = write!(s, "\nrefused: {why}");
    }
    s
}

pub fn sync_status_line(s: &SyncStatus) -> String {
    match &s.last_error {
        Some(e) => format!("offline or failing ({e}); {} change(s) waiting", s.pending),
        None => format!(
            "in sync at cursor {}; {} change(s) waiting",
            s.cursor, s.pending
        ),
    }
}

pub fn sync_status(s: &SyncStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "server:        {}",
        s.server
            .as_deref()
            .unwrap_or("(none: not in a group on a server)")
    );
    if let Some(g) = &s.group {
        let _ = writeln!(out, "group:         {g}");
    }
    let _ = writeln!(out, "cursor:        {}", s.cursor);
    let _ = writeln!(out, "pending:       {} change(s)", s.pending);
    if s.held_changes > 0 {
        let _ = writeln!(
            out,
            "held:          {} pulled change(s) whose author no coordinator has certified yet",
            s.held_changes
        );
    }
    let last = s
        .last_success
        .map_or_else(|| "never".to_owned(), |t| t.to_string());
    let _ = write!(out, "last success:  {last}");
    if let Some(e) = &s.last_error {
        let _ = write!(out, "\nlast error:    {e}");
    }
    if !s.quarantined.is_empty() {
        let _ = write!(
            out,
            "\nquarantined:   {} document(s) received that cannot be shown:",
            s.quarantined.len()
        );
        for q in &s.quarantined {
            let _ = write!(out, "\n  {} {}: {}", q.kind, q.doc, q.reason);
        }
    }
    out
}

pub fn receipt(r: &SyncReceipt) -> String {
    let mut out = format!("receipt over {} document(s):", r.documents);
    for (kind, digest) in &r.kinds {
        let _ = write!(out, "\n  {kind:8} {digest}");
    }
    if r.conflicts.is_empty() {
        out.push_str("\nno conflicting edits");
    } else {
        let _ = write!(out, "\nconcurrent edits resolved ({}):", r.conflicts.len());
        for c in &r.conflicts {
            let _ = write!(out, "\n  {c}");
        }
    }
    out
}

pub fn acks(a: &AckSummary) -> String {
    match a.minutes_to_first {
        Some(m) => format!(
            "{} acknowledgement(s); the first {m:.0} min after the alert was issued",
            a.count
        ),
        None => "no acknowledgements yet".into(),
    }
}

pub fn meetings(ms: &[Alert]) -> String {
    if ms.is_empty() {
        return "no upcoming meetings".into();
    }
    ms.iter()
        .filter_map(|a| {
            let m = a.meeting.as_ref()?;
            Some(format!(
                "{}  {}  at {}  ({})",
                m.starts_at, a.title, m.place, a.id
            ))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn alert_news(n: &AlertNews) -> String {
    let mut lines = Vec::new();
    for m in &n.matched {
        lines.push(format!(
            "{}{}: {} (touches {})",
            if m.notify { "" } else { "(quiet) " },
            m.alert.severity.as_str().to_uppercase(),
            m.alert.title,
            m.areas.join(", ")
        ));
    }
    for a in &n.cancelled {
        lines.push(format!("CANCELLED: {}", a.title));
    }
    lines.join("\n")
}
