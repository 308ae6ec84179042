//! The summary as a list of blocks (headings, paragraphs, tables, pictures), made once from the
//! data and written out by both the HTML and the PDF writer, so the two always say the same.

use crate::{Spread, Totals};

use super::Summary;
use super::figure::{self, Figure};
use super::text::Words;

/// Width of the content in points: an A4 page (595 pt) less two margins of 50 pt.
pub const CONTENT_W: f64 = 495.0;

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Title(String),
    Heading(String),
    Para(String),
    /// Smaller, grey text: how a number is counted.
    Note(String),
    /// The first column is a label, the others are values.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Figure(Figure),
}

fn spread_rows(
    w: &Words,
    rows: &mut Vec<Vec<String>>,
    keys: (&str, &str),
    now: &Spread,
    before: &Spread,
) {
    #[allow(clippy::cast_precision_loss)]
    let pick = |s: &Spread, p90: bool| if p90 { s.p90_ms } else { s.median_ms };
    for (key, p90) in [(keys.0, false), (keys.1, true)] {
        let (a, b) = (pick(now, p90), pick(before, p90));
        let show = |v: Option<i64>| v.map_or_else(|| w.get("none"), |ms| w.duration(ms));
        #[allow(clippy::cast_precision_loss)]
        let change = match (a, b) {
            (Some(a), Some(b)) => w.change(a as f64, b as f64),
            _ => w.get("none"),
        };
        rows.push(vec![w.get(key), show(a), show(b), change]);
    }
}

fn key_numbers(w: &Words, t: &Totals, p: &Totals) -> Vec<Vec<String>> {
    let f = f64::from;
    let count = |key: &str, a: u32, b: u32| {
        vec![
            w.get(key),
            a.to_string(),
            b.to_string(),
            w.change(f(a), f(b)),
        ]
    };
    let mut rows = vec![
        count("patrols", t.patrols, p.patrols),
        vec![
            w.get("patrolHours"),
            w.hours(t.patrol_hours),
            w.hours(p.patrol_hours),
            w.change(t.patrol_hours, p.patrol_hours),
        ],
        vec![
            w.get("distance"),
            w.distance(t.patrol_distance_m),
            w.distance(p.patrol_distance_m),
            w.change(t.patrol_distance_m, p.patrol_distance_m),
        ],
        count("volunteers", t.active_volunteers, p.active_volunteers),
        count("reports", t.reports, p.reports),
    ];
    spread_rows(
        w,
        &mut rows,
        ("firstTriageMedian", "firstTriageP90"),
        &t.first_triage,
        &p.first_triage,
    );
    spread_rows(
        w,
        &mut rows,
        ("closedMedian", "closedP90"),
        &t.to_closed,
        &p.to_closed,
    );
    rows.push(count("alerts", t.alerts, p.alerts));
    spread_rows(
        w,
        &mut rows,
        ("ackMedian", "ackP90"),
        &t.first_ack,
        &p.first_ack,
    );
    rows.push(count("meetings", t.meetings, p.meetings));
    rows.push(count("attendance", t.attendance, p.attendance));
    rows
}

fn trend(s: &Summary, w: &Words, out: &mut Vec<Block>) {
    let m = &s.measures;
    let step = w.get(match m.step {
        crate::TrendStep::Week => "week",
        crate::TrendStep::Month => "month",
    });
    let labels: Vec<String> = m.trend.iter().map(|p| p.label.clone()).collect();
    let hours: Vec<f64> = m.trend.iter().map(|p| p.totals.patrol_hours).collect();
    let reports: Vec<f64> = m
        .trend
        .iter()
        .map(|p| f64::from(p.totals.reports))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let triage: Vec<Option<f64>> = m
        .trend
        .iter()
        .map(|p| {
            p.totals
                .first_triage
                .median_ms
                .map(|ms| ms as f64 / 3_600_000.0)
        })
        .collect();
    out.push(Block::Heading(w.get("trend")));
    out.push(Block::Figure(figure::bar_chart(
        w.fill("trendHours", &[("step", &step)]),
        &labels,
        &hours,
        &|h| w.hours(h),
        CONTENT_W,
        120.0,
    )));
    out.push(Block::Figure(figure::bar_chart(
        w.fill("trendReports", &[("step", &step)]),
        &labels,
        &reports,
        &|n| format!("{n:.0}"),
        CONTENT_W,
        110.0,
    )));
    out.push(Block::Figure(figure::line_chart(
        w.fill("trendTriage", &[("step", &step)]),
        &labels,
        &triage,
        &|h| w.number(h, 1),
        CONTENT_W,
        110.0,
    )));
}

fn places(s: &Summary, w: &Words, out: &mut Vec<Block>) {
    let h = &s.hotspots;
    let (k, cell) = (h.k.to_string(), format!("{:.0}", h.cell_m));
    out.push(Block::Heading(w.get("hotspots")));
    out.push(Block::Note(
        w.fill("hotspotsHint", &[("cell", &cell), ("k", &k)]),
    ));
    out.push(Block::Figure(figure::hotspot_map(s, w, CONTENT_W, 330.0)));
    if h.cells.is_empty() {
        out.push(Block::Para(w.fill("noHotspots", &[("k", &k)])));
    }
    if h.in_hidden_cells > 0 {
        out.push(Block::Para(w.fill(
            "hiddenCells",
            &[("k", &k), ("count", &h.in_hidden_cells.to_string())],
        )));
    }
    out.push(Block::Heading(w.get("heat")));
    out.push(Block::Note(
        w.fill("heatHint", &[("k", &k), ("offset", &w.offset())]),
    ));
    if h.week.is_empty() {
        out.push(Block::Para(w.fill("noHeat", &[("k", &k)])));
    } else {
        out.push(Block::Figure(figure::heat_map(s, w, CONTENT_W)));
    }
}

/// The summary's blocks in reading order.
pub fn blocks(s: &Summary) -> Vec<Block> {
    let w = Words::new(s.lang, s.offset());
    let m = &s.measures;
    let last_day = |t: porchlight_model::Timestamp| w.date(t.plus_millis(-1));
    let period = w.fill(
        "period",
        &[("from", &w.date(m.from)), ("to", &last_day(m.to))],
    );
    let place = m.zone.as_ref().map_or_else(
        || w.get("wholeNeighbourhood"),
        |z| w.fill("zone", &[("zone", z)]),
    );
    let mut out = vec![
        Block::Title(format!("{} · {}", w.get("title"), s.group)),
        Block::Para(format!("{period} · {place}")),
        Block::Note(w.fill("madeHere", &[("date", &w.date(s.made_at))])),
        Block::Heading(w.get("keyNumbers")),
        Block::Note(w.fill(
            "keyNumbersHint",
            &[
                ("from", &w.date(m.previous_from)),
                ("to", &last_day(m.from)),
            ],
        )),
        Block::Table {
            head: ["measure", "thisPeriod", "previousPeriod", "change"]
                .iter()
                .map(|k| w.get(k))
                .collect(),
            rows: key_numbers(&w, &m.totals, &m.previous),
        },
        Block::Note(w.get("percentileHint")),
        Block::Heading(w.get("coverage")),
    ];
    if m.coverage.is_empty() {
        out.push(Block::Para(w.get("noZones")));
    } else {
        out.push(Block::Note(w.get("coverageHint")));
        out.push(Block::Table {
            head: vec![String::new(), w.get("coverage")],
            rows: m
                .coverage
                .iter()
                .map(|c| {
                    vec![
                        c.zone.clone(),
                        format!("{} ± {}", w.percent(c.share), w.percent(c.error_bound)),
                    ]
                })
                .collect(),
        });
    }
    trend(s, &w, &mut out);
    places(s, &w, &mut out);
    out.push(Block::Heading(w.get("meetingList")));
    if m.meetings.is_empty() {
        out.push(Block::Para(w.get("noMeetings")));
    } else {
        out.push(Block::Table {
            head: vec![String::new(), String::new(), String::new()],
            rows: m
                .meetings
                .iter()
                .map(|mt| {
                    vec![
                        format!("{} ({})", mt.title, mt.place),
                        w.date(mt.starts_at),
                        mt.attendance.as_ref().map_or_else(
                            || w.get("notRecorded"),
                            |a| w.fill("came", &[("count", &a.count.to_string())]),
                        ),
                    ]
                })
                .collect(),
        });
    }
    out
}
