//! The meeting summary: for a period (and optionally one named zone), the key numbers of the
//! measures of success beside the previous period's, trend charts, the hotspot map and the
//! day-of-week × hour heat map (both under the group's k threshold), written as a printable PDF
//! or a self-contained HTML page in English or Spanish. Everything is made on this device from
//! what it holds; nothing is sent anywhere. See docs/MEASURES.md, "Meeting summary".

mod blocks;
mod figure;
mod html;
mod pdf;
mod text;

use std::path::Path;

use chrono::{FixedOffset, Offset};
use porchlight_model::{Area, Point, Role, Timestamp, ValidationError};
use serde::{Deserialize, Serialize};

pub use blocks::{Block, blocks};
pub use figure::{Figure, Role as ShapeRole, Shape};
pub use text::SummaryLang;

use crate::{Core, CoreError, HotspotQuery, Hotspots, Measures, MeasuresQuery, Result, TrendStep};

/// Periods up to this long are charted per week, longer ones per month.
const WEEKLY_UP_TO_MS: i64 = 13 * 7 * 86_400_000;

/// What to summarise.
#[derive(Clone, Debug)]
pub struct SummaryQuery {
    pub from: Timestamp,
    /// Exclusive.
    pub to: Timestamp,
    pub zone: Option<String>,
    pub lang: SummaryLang,
    /// Minutes east of UTC: where days, weeks and the heat map's hours begin.
    pub utc_offset_minutes: i32,
}

/// Everything the summary shows, gathered once and written as PDF or HTML.
#[derive(Clone, Debug)]
pub struct Summary {
    pub lang: SummaryLang,
    pub group: String,
    pub measures: Measures,
    /// Under the group's k: cells and hours below it are not in here at all.
    pub hotspots: Hotspots,
    /// Zone outlines drawn on the map: the chosen zone, or all the group's zones.
    pub outlines: Vec<(String, Vec<Point>)>,
    pub utc_offset_minutes: i32,
    pub made_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SummaryFormat {
    Pdf,
    Html,
}

impl SummaryFormat {
    /// PDF or HTML by the file name's extension.
    pub fn of(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("pdf") => Ok(SummaryFormat::Pdf),
            Some("html" | "htm") => Ok(SummaryFormat::Html),
            _ => Err(CoreError::Invalid(ValidationError::Invalid {
                field: "out",
                reason: format!(
                    "{}: the summary is written as .pdf or .html",
                    path.display()
                ),
            })),
        }
    }
}

/// What was written, for `--json` and the app's confirmation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SummaryWritten {
    pub path: String,
    pub format: SummaryFormat,
    pub bytes: u64,
    /// PDF pages (`null` for HTML).
    pub pages: Option<u32>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub zone: Option<String>,
    pub lang: SummaryLang,
    pub k: u32,
    /// Hotspot cells shown (each with at least k reports).
    pub cells_shown: u32,
}

impl Summary {
    fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes.saturating_mul(60))
            .unwrap_or_else(|| chrono::Utc.fix())
    }

    /// The self-contained HTML page (inline styles and SVG pictures, nothing fetched).
    pub fn to_html(&self) -> String {
        html::render(self, &blocks(self))
    }

    /// The printable PDF (A4) and its number of pages.
    pub fn to_pdf(&self) -> (Vec<u8>, u32) {
        pdf::render(self, &blocks(self))
    }
}

impl Core {
    /// Gathers the meeting summary of `[from, to)` (coordinators: it counts reports).
    pub fn summary(&self, q: &SummaryQuery) -> Result<Summary> {
        self.require(|r| r == Role::Coordinator, "make the meeting summary")?;
        let length = q.to.millis() - q.from.millis();
        let step = if length <= WEEKLY_UP_TO_MS {
            TrendStep::Week
        } else {
            TrendStep::Month
        };
        // The measures check the period and the zone's name, with clear errors.
        let measures = self.measures(&MeasuresQuery {
            from: q.from,
            to: q.to,
            zone: q.zone.clone(),
            step,
            utc_offset_minutes: q.utc_offset_minutes,
        })?;
        let group = self.group()?.ok_or(CoreError::NotJoined)?;
        let zones: Vec<(String, Area)> = group
            .zones
            .iter()
            .filter(|z| q.zone.as_ref().is_none_or(|name| &z.name == name))
            .map(|z| (z.name.clone(), z.area.clone()))
            .collect();
        let hotspots = self.hotspots(&HotspotQuery {
            from: Some(q.from),
            to: Some(q.to),
            zone: q
                .zone
                .as_ref()
                .and_then(|_| zones.first().map(|z| z.1.clone())),
            utc_offset_minutes: q.utc_offset_minutes,
            ..HotspotQuery::default()
        })?;
        Ok(Summary {
            lang: q.lang,
            group: group.name,
            measures,
            hotspots,
            outlines: zones
                .iter()
                .map(|(name, area)| (name.clone(), area.outline(48)))
                .collect(),
            utc_offset_minutes: q.utc_offset_minutes,
            made_at: Timestamp::now(),
        })
    }

    /// Makes the summary and writes it to `path`, as PDF or HTML by its extension.
    pub fn write_summary(&self, q: &SummaryQuery, path: &Path) -> Result<SummaryWritten> {
        let format = SummaryFormat::of(path)?;
        let summary = self.summary(q)?;
        let (bytes, pages) = match format {
            SummaryFormat::Pdf => {
                let (bytes, pages) = summary.to_pdf();
                (bytes, Some(pages))
            }
            SummaryFormat::Html => (summary.to_html().into_bytes(), None),
        };
        std::fs::write(path, &bytes).map_err(|source| CoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(SummaryWritten {
            path: path.display().to_string(),
            format,
            bytes: bytes.len() as u64,
            pages,
            from: q.from,
            to: q.to,
            zone: q.zone.clone(),
            lang: q.lang,
            k: summary.hotspots.k,
            cells_shown: u32::try_from(summary.hotspots.cells.len()).unwrap_or(u32::MAX),
        })
    }
}
