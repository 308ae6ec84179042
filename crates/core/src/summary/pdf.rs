//! The summary as a printable A4 PDF, written with `pdf-writer`.
//!
//! Text uses the PDF's built-in Helvetica with the WinAnsi encoding, which holds every letter
//! of English and Spanish (á é í ó ú ü ñ ¿ ¡) and the signs used here (± · – —), so no font file
//! is embedded and the file stays small. A character outside WinAnsi (a zone name in another
//! script) prints as "?"; the HTML page shows it as written (docs/DECISIONS.md).
//!
//! Hotspot cells and heat-map hours are wrapped in marked content (`/HotspotCell`,
//! `/HeatHour`) so a reader, and the tests, can find each one and the count written in it.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::Summary;
use super::blocks::Block;
use super::figure::{Anchor, Color, Figure, INK, MUTED, Role, Shape, count_size};
use super::text::Words;

const PAGE_W: f64 = 595.0;
const PAGE_H: f64 = 842.0;
const MARGIN: f64 = 50.0;
/// Lowest point text may reach (from the top), above the footer.
const BOTTOM: f64 = PAGE_H - 60.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// `s` in the WinAnsi encoding; a character it lacks becomes `?`.
pub fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' | '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '™' => 0x99,
            '−' => b'-',
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths, roughly (in ems): enough to wrap lines and right-align numbers
/// without carrying the font's metrics.
fn text_width(s: &str, size: f64) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' | 'í' | 'ì' => 0.24,
            ' ' | 'f' | 't' | 'r' | 'I' | '(' | ')' | '-' | '[' | ']' => 0.32,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 0.84,
            'A'..='Z' | 'Á' | 'É' | 'Ó' | 'Ú' | 'Ñ' => 0.68,
            '0'..='9' => 0.556,
            _ => 0.53,
        })
        .sum();
    em * size
}

/// `text`, cut with an ellipsis if it is wider than `width`.
fn fit(text: &str, size: f64, width: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if text_width(&format!("{out}{c}…"), size) > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Splits `text` into lines no wider than `width`.
fn wrap(text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate, size) > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            word.clone_into(&mut line);
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn fill_with(c: &mut Content, color: Color) {
    let (red, green, blue) = color.unit();
    c.set_fill_rgb(red, green, blue);
}

fn stroke_with(c: &mut Content, color: Color) {
    let (red, green, blue) = color.unit();
    c.set_stroke_rgb(red, green, blue);
}

#[allow(clippy::cast_possible_truncation)]
fn f(x: f64) -> f32 {
    x as f32
}

/// Pages being filled top to bottom; `y` is the distance from the page's top.
struct Layout {
    pages: Vec<Content>,
    y: f64,
}

impl Layout {
    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` more fits on this one.
    fn room(&mut self, height: f64) {
        if self.pages.is_empty() || self.y + height > BOTTOM {
            self.pages.push(Content::new());
            self.y = MARGIN;
        }
    }

    fn text(&mut self, x: f64, size: f64, bold: bool, color: Color, text: &str) {
        let baseline = PAGE_H - self.y;
        let c = self.page();
        fill_with(c, color);
        c.begin_text();
        c.set_font(if bold { BOLD } else { REGULAR }, f(size));
        c.next_line(f(x), f(baseline));
        c.show(Str(&win_ansi(text)));
        c.end_text();
    }

    fn lines(&mut self, text: &str, size: f64, bold: bool, color: Color, after: f64) {
        for line in wrap(text, size, PAGE_W - 2.0 * MARGIN) {
            self.room(size * 1.35);
            self.y += size * 1.1;
            self.text(MARGIN, size, bold, color, &line);
            self.y += size * 0.25;
        }
        self.y += after;
    }

    fn table(&mut self, head: &[String], rows: &[Vec<String>]) {
        let size = 9.0;
        let row_h = 14.0;
        let width = PAGE_W - 2.0 * MARGIN;
        let cols = head.len().max(1);
        // Each value column is as wide as its widest cell; the label column takes the rest and
        // a label too long for it is cut with an ellipsis. Values are right-aligned.
        let widths: Vec<f64> = (1..cols)
            .map(|i| {
                std::iter::once(head)
                    .chain(rows.iter().map(Vec::as_slice))
                    .filter_map(|r| r.get(i))
                    .map(|c| text_width(c, size))
                    .fold(0.0, f64::max)
                    + 14.0
            })
            .collect();
        let label_w = width - widths.iter().sum::<f64>() - 6.0;
        let right_of = |i: usize| PAGE_W - MARGIN - widths[i..].iter().sum::<f64>();
        let draw = |layout: &mut Layout, cells: &[String], bold: bool| {
            layout.room(row_h);
            layout.y += row_h - 4.0;
            for (i, cell) in cells.iter().enumerate() {
                if i == 0 {
                    layout.text(MARGIN, size, true, INK, &fit(cell, size * 1.08, label_w));
                } else {
                    let x = right_of(i) - text_width(cell, size);
                    layout.text(x, size, bold, INK, cell);
                }
            }
            let line_y = PAGE_H - layout.y - 4.0;
            let c = layout.page();
            stroke_with(c, Color(0xe4, 0xe4, 0xe4));
            c.set_line_width(0.5);
            c.move_to(f(MARGIN), f(line_y));
            c.line_to(f(PAGE_W - MARGIN), f(line_y));
            c.stroke();
            layout.y += 4.0;
        };
        if head.iter().any(|h| !h.is_empty()) {
            draw(self, head, true);
        }
        for row in rows {
            draw(self, row, false);
        }
        self.y += 8.0;
    }

    fn figure(&mut self, fig: &Figure) {
        self.room(fig.height + 20.0);
        self.y += 11.0;
        self.text(MARGIN, 9.0, true, INK, &fig.title);
        self.y += 5.0;
        let (left, top) = (MARGIN, self.y);
        let c = self.page();
        // Figure coordinates (y down) to the page's (y up).
        let at = |x: f64, y: f64| (f(left + x), f(PAGE_H - top - y));
        for shape in &fig.shapes {
            draw_shape(c, shape, &at);
        }
        self.y += fig.height + 10.0;
    }
}

fn draw_text(c: &mut Content, (x, y): (f32, f32), size: f64, text: &str, anchor: Anchor) {
    let width = f(text_width(text, size));
    let x = match anchor {
        Anchor::Start => x,
        Anchor::Middle => x - width / 2.0,
        Anchor::End => x - width,
    };
    c.begin_text();
    c.set_font(REGULAR, f(size));
    c.next_line(x, y);
    c.show(Str(&win_ansi(text)));
    c.end_text();
}

fn draw_shape(c: &mut Content, shape: &Shape, at: &dyn Fn(f64, f64) -> (f32, f32)) {
    match shape {
        Shape::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke,
            role,
            count,
        } => {
            let tag = match role {
                Role::Plain => None,
                Role::Cell => Some(Name(b"HotspotCell")),
                Role::Hour => Some(Name(b"HeatHour")),
            };
            if let Some(tag) = tag {
                c.begin_marked_content(tag);
            }
            fill_with(c, *fill);
            let (px, py) = at(*x, y + h);
            c.rect(px, py, f(*w), f(*h));
            if let Some(s) = stroke {
                stroke_with(c, *s);
                c.set_line_width(0.5);
                c.fill_nonzero_and_stroke();
            } else {
                c.fill_nonzero();
            }
            if let Some(n) = count {
                let size = count_size(*w, *h);
                fill_with(c, INK);
                let centre = at(x + w / 2.0, y + h / 2.0 + size * 0.35);
                draw_text(c, centre, size, &n.to_string(), Anchor::Middle);
            }
            if tag.is_some() {
                c.end_marked_content();
            }
        }
        Shape::Path {
            points,
            closed,
            fill,
            stroke,
            width,
        } => {
            let Some(((x0, y0), rest)) = points.split_first() else {
                return;
            };
            let (start_x, start_y) = at(*x0, *y0);
            c.move_to(start_x, start_y);
            for (px, py) in rest {
                let (to_x, to_y) = at(*px, *py);
                c.line_to(to_x, to_y);
            }
            if *closed {
                c.close_path();
            }
            stroke_with(c, *stroke);
            c.set_line_width(f(*width));
            match fill {
                Some(fill) => {
                    fill_with(c, *fill);
                    c.fill_nonzero_and_stroke();
                }
                None => {
                    c.stroke();
                }
            }
        }
        Shape::Text {
            x,
            y,
            size,
            text,
            anchor,
            color,
            bold: _,
        } => {
            fill_with(c, *color);
            draw_text(c, at(*x, *y), *size, text, *anchor);
        }
    }
}

/// The PDF bytes and the number of pages.
pub fn render(s: &Summary, blocks: &[Block]) -> (Vec<u8>, u32) {
    let w = Words::new(s.lang, s.offset());
    let mut layout = Layout {
        pages: Vec::new(),
        y: MARGIN,
    };
    for block in blocks {
        match block {
            Block::Title(t) => layout.lines(t, 18.0, true, INK, 4.0),
            Block::Heading(t) => {
                // Keep a heading with what follows it.
                layout.room(80.0);
                layout.y += 8.0;
                layout.lines(t, 13.0, true, INK, 2.0);
            }
            Block::Para(t) => layout.lines(t, 10.0, false, INK, 4.0),
            Block::Note(t) => layout.lines(t, 8.5, false, MUTED, 4.0),
            Block::Table { head, rows } => layout.table(head, rows),
            Block::Figure(fig) => layout.figure(fig),
        }
    }
    let total = layout.pages.len().max(1);
    if layout.pages.is_empty() {
        layout.pages.push(Content::new());
    }

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let (regular, bold, info) = (Ref::new(3), Ref::new(4), Ref::new(5));
    let first_page = 6;
    let title = format!("{} · {}", w.get("title"), s.group);
    pdf.catalog(catalog)
        .pages(tree)
        .lang(TextStr(s.lang.code()));
    pdf.document_info(info)
        .title(TextStr(&title))
        .creator(TextStr("Porchlight"));
    let page_refs: Vec<Ref> = (0..total)
        .map(|i| Ref::new(first_page + 2 * i32::try_from(i).unwrap_or(0)))
        .collect();
    pdf.pages(tree)
        .kids(page_refs.iter().copied())
        .count(i32::try_from(total).unwrap_or(i32::MAX));
    for (font, name) in [(regular, &b"Helvetica"[..]), (bold, &b"Helvetica-Bold"[..])] {
        pdf.type1_font(font)
            .base_font(Name(name))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (i, mut content) in layout.pages.into_iter().enumerate() {
        let footer = w.fill(
            "page",
            &[("n", &(i + 1).to_string()), ("total", &total.to_string())],
        );
        fill_with(&mut content, MUTED);
        draw_text(&mut content, (f(MARGIN), 30.0), 8.0, &title, Anchor::Start);
        draw_text(
            &mut content,
            (f(PAGE_W - MARGIN), 30.0),
            8.0,
            &footer,
            Anchor::End,
        );
        let page_ref = page_refs[i];
        let content_ref = Ref::new(page_ref.get() + 1);
        let mut page = pdf.page(page_ref);
        page.media_box(Rect::new(0.0, 0.0, f(PAGE_W), f(PAGE_H)));
        page.parent(tree);
        page.contents(content_ref);
        page.resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold);
        page.finish();
        pdf.stream(content_ref, &content.finish());
    }
    (pdf.finish(), u32::try_from(total).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_letters_are_in_win_ansi_and_others_become_question_marks() {
        assert_eq!(win_ansi("año ¿sí? ± –"), b"a\xf1o \xbfs\xed? \xb1 \x96");
        assert_eq!(win_ansi("Зона"), b"????");
    }

    #[test]
    fn long_text_wraps_within_the_width() {
        let lines = wrap(&"palabra ".repeat(40), 10.0, 200.0);
        assert!(lines.len() > 3);
        assert!(lines.iter().all(|l| text_width(l, 10.0) <= 200.0));
    }
}
