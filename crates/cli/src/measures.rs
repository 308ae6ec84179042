//! The measures of success as text: durations in days, hours and minutes (never "1518 min"),
//! each total beside the previous period's with the change.

use std::fmt::Write;

use porchlight_core::{Measures, Spread, Totals};

/// "1 day 1 hr", "2 hr 30 min", "45 min": the two largest units, rounded to the smaller.
pub fn duration(ms: i64) -> String {
    let minutes = (ms.max(0) + 30_000) / 60_000;
    let plural = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if minutes >= 24 * 60 {
        let hours = (minutes + 30) / 60;
        let (d, h) = (hours / 24, hours % 24);
        let days = plural(d, "day", "days");
        return if h == 0 {
            days
        } else {
            format!("{days} {h} hr")
        };
    }
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} hr"),
        (h, m) => format!("{h} hr {m} min"),
    }
}

fn km(m: f64) -> String {
    if m >= 1000.0 {
        format!("{:.2} km", m / 1000.0)
    } else {
        format!("{m:.0} m")
    }
}

/// "+25 %", "−10 %", or "new" when there was nothing before.
fn change(now: f64, before: f64) -> String {
    if before.abs() < f64::EPSILON {
        return if now.abs() < f64::EPSILON {
            "same".into()
        } else {
            "new".into()
        };
    }
    let pct = (now - before) / before * 100.0;
    if pct.abs() < 0.5 {
        "same".into()
    } else {
        format!("{pct:+.0} %")
    }
}

fn spread(s: &Spread) -> String {
    match (s.median_ms, s.p90_ms) {
        (Some(m), Some(p)) => format!(
            "median {}, 90th percentile {} (of {})",
            duration(m),
            duration(p),
            s.count
        ),
        _ => "none yet".into(),
    }
}

fn line(out: &mut String, label: &str, now: &str, before: &str, change: &str) {
    let _ = writeln!(
        out,
        "  {label:<22} {now:<14} previous {before:<12} {change}"
    );
}

fn totals(out: &mut String, t: &Totals, p: &Totals) {
    let f = f64::from;
    line(
        out,
        "patrols",
        &t.patrols.to_string(),
        &p.patrols.to_string(),
        &change(f(t.patrols), f(p.patrols)),
    );
    line(
        out,
        "patrol hours",
        &format!("{:.1} h", t.patrol_hours),
        &format!("{:.1} h", p.patrol_hours),
        &change(t.patrol_hours, p.patrol_hours),
    );
    line(
        out,
        "distance",
        &km(t.patrol_distance_m),
        &km(p.patrol_distance_m),
        &change(t.patrol_distance_m, p.patrol_distance_m),
    );
    line(
        out,
        "active volunteers",
        &t.active_volunteers.to_string(),
        &p.active_volunteers.to_string(),
        &change(f(t.active_volunteers), f(p.active_volunteers)),
    );
    line(
        out,
        "reports",
        &t.reports.to_string(),
        &p.reports.to_string(),
        &change(f(t.reports), f(p.reports)),
    );
    line(
        out,
        "alerts",
        &t.alerts.to_string(),
        &p.alerts.to_string(),
        &change(f(t.alerts), f(p.alerts)),
    );
    line(
        out,
        "meeting attendance",
        &t.attendance.to_string(),
        &p.attendance.to_string(),
        &change(f(t.attendance), f(p.attendance)),
    );
    let _ = writeln!(out, "  report → first triage: {}", spread(&t.first_triage));
    let _ = writeln!(out, "  report → closed:       {}", spread(&t.to_closed));
    let _ = writeln!(out, "  alert → first ack:     {}", spread(&t.first_ack));
}

pub fn measures(m: &Measures) -> String {
    let mut out = String::new();
    let day = |t: porchlight_model::Timestamp| t.to_rfc3339().chars().take(10).collect::<String>();
    let _ = writeln!(
        out,
        "{} to {} (not included){}",
        day(m.from),
        day(m.to),
        m.zone
            .as_ref()
            .map(|z| format!(", zone {z}"))
            .unwrap_or_default()
    );
    totals(&mut out, &m.totals, &m.previous);
    if !m.volunteers.is_empty() {
        let _ = writeln!(out, "volunteers:");
        for v in &m.volunteers {
            let weeks: Vec<String> = v
                .weeks
                .iter()
                .map(|w| format!("{} {:.1} h", w.week, w.hours))
                .collect();
            let _ = writeln!(
                out,
                "  {:<20} {:>3} patrols {:>6.1} h {:>9}  ({})",
                v.name,
                v.patrols,
                v.hours,
                km(v.distance_m),
                weeks.join(", ")
            );
        }
    }
    if !m.coverage.is_empty() {
        let _ = writeln!(out, "zone coverage (within 50 m of a patrol track):");
        for c in &m.coverage {
            let _ = writeln!(
                out,
                "  {:<20} {:>5.1} % ± {:.1} % of {:.0} m²",
                c.zone,
                c.share * 100.0,
                c.error_bound * 100.0,
                c.area_m2
            );
        }
    }
    if !m.meetings.is_empty() {
        let _ = writeln!(out, "meetings:");
        for mt in &m.meetings {
            let came = mt
                .attendance
                .as_ref()
                .map_or("attendance not recorded".into(), |a| {
                    format!("{} came", a.count)
                });
            let _ = writeln!(out, "  {} {} — {came}", day(mt.starts_at), mt.title);
        }
    }
    let _ = writeln!(out, "trend:");
    for p in &m.trend {
        let t = &p.totals;
        let _ = writeln!(
            out,
            "  {:<9} {:>3} patrols {:>6.1} h {:>3} reports  first triage {}",
            p.label,
            t.patrols,
            t.patrol_hours,
            t.reports,
            t.first_triage.median_ms.map_or("—".into(), duration)
        );
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_days_hours_and_minutes() {
        const MIN: i64 = 60_000;
        assert_eq!(duration(1_518 * MIN), "1 day 1 hr");
        assert_eq!(duration(26 * 60 * MIN), "1 day 2 hr");
        assert_eq!(duration(72 * 60 * MIN), "3 days");
        assert_eq!(duration(150 * MIN), "2 hr 30 min");
        assert_eq!(duration(60 * MIN), "1 hr");
        assert_eq!(duration(45 * MIN), "45 min");
        assert_eq!(duration(-5), "0 min");
    }

    #[test]
    fn changes_say_new_same_or_a_signed_percentage() {
        assert_eq!(change(5.0, 4.0), "+25 %");
        assert_eq!(change(3.0, 4.0), "-25 %");
        assert_eq!(change(2.0, 0.0), "new");
        assert_eq!(change(0.0, 0.0), "same");
    }
}
