//! The summary's pictures as plain shapes, drawn once and written out twice: as SVG into the
//! HTML page and as vector paths into the PDF. Coordinates are points (1/72 inch) with y going
//! down, as in SVG; the PDF writer flips them.
//!
//! The hotspot map and the heat map are built from `Hotspots::cells` and `Hotspots::week`,
//! which hold only what reached the k threshold: a cell under k has no shape to be drawn from.

use porchlight_model::Point;

use super::Summary;
use super::text::Words;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    pub fn unit(self) -> (f32, f32, f32) {
        let f = |c: u8| f32::from(c) / 255.0;
        (f(self.0), f(self.1), f(self.2))
    }
}

pub const INK: Color = Color(0x22, 0x22, 0x22);
pub const MUTED: Color = Color(0x77, 0x77, 0x77);
const GRID: Color = Color(0xdd, 0xdd, 0xdd);
const ZONE_FILL: Color = Color(0xf2, 0xf2, 0xee);
const BAR: Color = Color(0x2f, 0x6f, 0x9f);
const LINE: Color = Color(0xc0, 0x5a, 0x1e);
const WHITE: Color = Color(0xff, 0xff, 0xff);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// What a shape stands for, so the HTML and PDF can mark it (and tests can find it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Plain,
    /// A hotspot grid cell shown on the map.
    Cell,
    /// An hour of the week on the heat map.
    Hour,
}

/// Font size of the count written in a cell of `w` × `h` points.
pub fn count_size(w: f64, h: f64) -> f64 {
    (w.min(h) * 0.5).clamp(5.0, 10.0)
}

#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Color,
        stroke: Option<Color>,
        role: Role,
        /// The count a cell or hour stands for, written in its middle.
        count: Option<u32>,
    },
    Path {
        points: Vec<(f64, f64)>,
        closed: bool,
        fill: Option<Color>,
        stroke: Color,
        width: f64,
    },
    Text {
        x: f64,
        y: f64,
        size: f64,
        text: String,
        anchor: Anchor,
        color: Color,
        bold: bool,
    },
}

/// A picture of `width` × `height` points and its description for screen readers.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub width: f64,
    pub height: f64,
    pub title: String,
    pub shapes: Vec<Shape>,
}

impl Figure {
    fn new(width: f64, height: f64, title: String) -> Self {
        Figure {
            width,
            height,
            title,
            shapes: Vec::new(),
        }
    }

    fn text(&mut self, x: f64, y: f64, size: f64, text: impl Into<String>, anchor: Anchor) {
        self.shapes.push(Shape::Text {
            x,
            y,
            size,
            text: text.into(),
            anchor,
            color: INK,
            bold: false,
        });
    }

    fn line(&mut self, points: Vec<(f64, f64)>, stroke: Color, width: f64) {
        self.shapes.push(Shape::Path {
            points,
            closed: false,
            fill: None,
            stroke,
            width,
        });
    }
}

/// Colour of a count from pale (k) to deep (the largest count), so a busier place reads darker.
fn heat(count: u32, k: u32, max: u32) -> Color {
    let span = f64::from(max.saturating_sub(k).max(1));
    let t = (f64::from(count.saturating_sub(k)) / span).clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| {
        let v = f64::from(a) + (f64::from(b) - f64::from(a)) * t;
        // In 0..=255 by construction.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = v.round() as u8;
        v
    };
    Color(mix(0xf6, 0xb3), mix(0xc4, 0x1f), mix(0x8a, 0x1f))
}

/// Flat metres east and north of a reference point (equirectangular: the neighbourhood is small).
struct Flat {
    lat0: f64,
    lon0: f64,
    cos: f64,
}

impl Flat {
    const M_PER_DEG: f64 = 111_320.0;

    fn xy(&self, p: Point) -> (f64, f64) {
        (
            (p.lon - self.lon0) * Self::M_PER_DEG * self.cos,
            (p.lat - self.lat0) * Self::M_PER_DEG,
        )
    }
}

/// The hotspot map: the group's zones (or the chosen zone) as outlines, the cells that reached
/// k as squares shaded by count with the count written in, and a scale bar.
pub fn hotspot_map(summary: &Summary, words: &Words, width: f64, height: f64) -> Figure {
    let mut fig = Figure::new(width, height, words.get("mapLegend"));
    let spots = &summary.hotspots;
    let mut points: Vec<Point> = summary
        .outlines
        .iter()
        .flat_map(|(_, r)| r.clone())
        .collect();
    for c in &spots.cells {
        points.extend([c.south_west, c.north_east]);
    }
    fig.shapes.push(Shape::Rect {
        x: 0.0,
        y: 0.0,
        w: width,
        h: height,
        fill: WHITE,
        stroke: Some(GRID),
        role: Role::Plain,
        count: None,
    });
    if points.is_empty() {
        fig.text(
            width / 2.0,
            height / 2.0,
            10.0,
            words.fill("noHotspots", &[("k", &spots.k.to_string())]),
            Anchor::Middle,
        );
        return fig;
    }
    let (mut lat_min, mut lat_max, mut lon_min, mut lon_max) = (90.0, -90.0, 180.0, -180.0_f64);
    for p in &points {
        lat_min = p.lat.min(lat_min);
        lat_max = p.lat.max(lat_max);
        lon_min = p.lon.min(lon_min);
        lon_max = p.lon.max(lon_max);
    }
    let lat0 = f64::midpoint(lat_min, lat_max);
    let flat = Flat {
        lat0,
        lon0: f64::midpoint(lon_min, lon_max),
        cos: lat0.to_radians().cos().max(0.01),
    };
    let (x0, y0) = flat.xy(Point::new(lat_min, lon_min));
    let (x1, y1) = flat.xy(Point::new(lat_max, lon_max));
    let margin = 16.0;
    let scale = ((width - 2.0 * margin) / (x1 - x0).max(1.0))
        .min((height - 2.0 * margin) / (y1 - y0).max(1.0));
    // Centred, north up.
    let ox = (width - (x1 - x0) * scale) / 2.0;
    let oy = (height - (y1 - y0) * scale) / 2.0;
    let to_page = |p: Point| {
        let (east, north) = flat.xy(p);
        (
            ox + (east - x0) * scale,
            height - (oy + (north - y0) * scale),
        )
    };
    for (_, ring) in &summary.outlines {
        fig.shapes.push(Shape::Path {
            points: ring.iter().map(|p| to_page(*p)).collect(),
            closed: true,
            fill: Some(ZONE_FILL),
            stroke: MUTED,
            width: 1.0,
        });
    }
    let max = spots.cells.iter().map(|c| c.count).max().unwrap_or(spots.k);
    for c in &spots.cells {
        let (ax, ay) = to_page(Point::new(c.north_east.lat, c.south_west.lon));
        let (bx, by) = to_page(Point::new(c.south_west.lat, c.north_east.lon));
        let (cw, ch) = (bx - ax, by - ay);
        fig.shapes.push(Shape::Rect {
            x: ax,
            y: ay,
            w: cw,
            h: ch,
            fill: heat(c.count, spots.k, max),
            stroke: Some(INK),
            role: Role::Cell,
            count: Some(c.count),
        });
    }
    // Names last, in the middle of each zone, so no fill covers them.
    #[allow(clippy::cast_precision_loss)]
    for (name, ring) in &summary.outlines {
        let count = ring.len().max(1) as f64;
        let (mid_x, mid_y) = ring
            .iter()
            .map(|p| to_page(*p))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0 / count, a.1 + b.1 / count));
        fig.shapes.push(Shape::Text {
            x: mid_x,
            y: mid_y,
            size: 8.0,
            text: name.clone(),
            anchor: Anchor::Middle,
            color: MUTED,
            bold: false,
        });
    }
    scale_bar(&mut fig, scale, width, height);
    fig
}

/// A bar of a round length (50 m … 5 km) near a fifth of the map's width, bottom left.
fn scale_bar(fig: &mut Figure, points_per_m: f64, width: f64, height: f64) {
    let want = width / 5.0 / points_per_m;
    let Some(metres) = [
        10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0,
    ]
    .into_iter()
    .rev()
    .find(|m| *m <= want) else {
        return;
    };
    let len = metres * points_per_m;
    let (x, y) = (10.0, height - 10.0);
    fig.line(
        vec![(x, y - 4.0), (x, y), (x + len, y), (x + len, y - 4.0)],
        INK,
        1.0,
    );
    let label = if metres >= 1000.0 {
        format!("{} km", metres / 1000.0)
    } else {
        format!("{metres} m")
    };
    fig.text(x + len + 4.0, y, 8.0, label, Anchor::Start);
    fig.text(width - 12.0, 16.0, 10.0, "N", Anchor::End);
}

/// Seven rows (Monday first) of 24 hours; only the hours that reached k are filled.
pub fn heat_map(summary: &Summary, words: &Words, width: f64) -> Figure {
    let label_w = 30.0;
    let cell = (width - label_w) / 24.0;
    let height = 7.0 * cell + 14.0;
    let mut fig = Figure::new(width, height, words.get("heat"));
    let spots = &summary.hotspots;
    let max = spots.week.iter().map(|c| c.count).max().unwrap_or(spots.k);
    for day in 0..7u8 {
        let top = f64::from(day) * cell;
        fig.text(
            0.0,
            top + cell * 0.7,
            7.0,
            words.weekday(day),
            Anchor::Start,
        );
        for hour in 0..24u8 {
            let left = label_w + f64::from(hour) * cell;
            let shown = spots
                .week
                .iter()
                .find(|c| c.weekday == day && c.hour == hour);
            fig.shapes.push(match shown {
                Some(c) => Shape::Rect {
                    x: left,
                    y: top,
                    w: cell,
                    h: cell,
                    fill: heat(c.count, spots.k, max),
                    stroke: Some(WHITE),
                    role: Role::Hour,
                    count: Some(c.count),
                },
                None => Shape::Rect {
                    x: left,
                    y: top,
                    w: cell,
                    h: cell,
                    fill: Color(0xf4, 0xf4, 0xf4),
                    stroke: Some(WHITE),
                    role: Role::Plain,
                    count: None,
                },
            });
        }
    }
    for hour in (0..24u8).step_by(3) {
        fig.text(
            label_w + f64::from(hour) * cell,
            7.0 * cell + 10.0,
            7.0,
            format!("{hour:02}"),
            Anchor::Start,
        );
    }
    fig
}

/// Bars of `values` over `labels`, each bar with its value written above it.
pub fn bar_chart(
    title: String,
    labels: &[String],
    values: &[f64],
    shown: &dyn Fn(f64) -> String,
    width: f64,
    height: f64,
) -> Figure {
    let mut fig = Figure::new(width, height, title);
    let (left, bottom, top) = (4.0, 16.0, 14.0);
    let plot_h = height - bottom - top;
    let max = values.iter().copied().fold(0.0, f64::max);
    let n = labels.len().max(1);
    #[allow(clippy::cast_precision_loss)]
    let slot = (width - left) / n as f64;
    fig.line(
        vec![(left, height - bottom), (width, height - bottom)],
        MUTED,
        0.5,
    );
    #[allow(clippy::cast_precision_loss)]
    for (i, (label, v)) in labels.iter().zip(values).enumerate() {
        let x = left + slot * i as f64;
        let bar_h = if max > 0.0 { v / max * plot_h } else { 0.0 };
        let bar_w = (slot * 0.6).min(40.0);
        let bx = x + (slot - bar_w) / 2.0;
        fig.shapes.push(Shape::Rect {
            x: bx,
            y: height - bottom - bar_h,
            w: bar_w,
            h: bar_h,
            fill: BAR,
            stroke: None,
            role: Role::Plain,
            count: None,
        });
        fig.text(
            x + slot / 2.0,
            height - bottom - bar_h - 3.0,
            7.0,
            shown(*v),
            Anchor::Middle,
        );
        fig.text(
            x + slot / 2.0,
            height - 4.0,
            7.0,
            label.clone(),
            Anchor::Middle,
        );
    }
    fig
}

/// A line through the steps that have a value (a step without one breaks the line).
pub fn line_chart(
    title: String,
    labels: &[String],
    values: &[Option<f64>],
    shown: &dyn Fn(f64) -> String,
    width: f64,
    height: f64,
) -> Figure {
    let mut fig = Figure::new(width, height, title);
    let (left, bottom, top) = (4.0, 16.0, 14.0);
    let plot_h = height - bottom - top;
    let max = values.iter().flatten().copied().fold(0.0, f64::max);
    let n = labels.len().max(1);
    #[allow(clippy::cast_precision_loss)]
    let slot = (width - left) / n as f64;
    fig.line(
        vec![(left, height - bottom), (width, height - bottom)],
        MUTED,
        0.5,
    );
    let mut run: Vec<(f64, f64)> = Vec::new();
    #[allow(clippy::cast_precision_loss)]
    for (i, (label, v)) in labels.iter().zip(values).enumerate() {
        let x = left + slot * i as f64 + slot / 2.0;
        fig.text(x, height - 4.0, 7.0, label.clone(), Anchor::Middle);
        if let Some(v) = v {
            let y = height - bottom - if max > 0.0 { v / max * plot_h } else { 0.0 };
            run.push((x, y));
            fig.shapes.push(Shape::Rect {
                x: x - 2.0,
                y: y - 2.0,
                w: 4.0,
                h: 4.0,
                fill: LINE,
                stroke: None,
                role: Role::Plain,
                count: None,
            });
            fig.text(x, y - 5.0, 7.0, shown(*v), Anchor::Middle);
        } else {
            if run.len() > 1 {
                fig.line(std::mem::take(&mut run), LINE, 1.5);
            }
            run.clear();
        }
    }
    if run.len() > 1 {
        fig.line(run, LINE, 1.5);
    }
    fig
}
