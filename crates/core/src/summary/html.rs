//! The summary as one self-contained HTML page: inline styles, pictures as inline SVG, no
//! scripts and nothing fetched, so it opens the same offline, in any browser, and prints.

use std::fmt::Write;

use super::Summary;
use super::blocks::Block;
use super::figure::{Anchor, Color, Figure, Role, Shape, count_size};
use super::text::Words;
use crate::html::escape;

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;color:#222;max-width:50rem;\
margin:2rem auto;padding:0 1rem;line-height:1.4}h1{font-size:1.5rem}h2{font-size:1.15rem;\
margin-top:1.6rem;border-bottom:1px solid #ddd}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eee}td,thead th+th{text-align:right}\
.note{color:#666;font-size:.85rem}figure{margin:.8rem 0}figcaption{font-size:.9rem}\
svg{width:100%;height:auto}@media print{body{margin:0}h2{break-after:avoid}figure{break-inside:avoid}}";

fn svg(fig: &Figure, out: &mut String) {
    let _ = write!(
        out,
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {:.1} {:.1}\" role=\"img\" aria-label=\"{}\">",
        escape(&fig.title),
        fig.width,
        fig.height,
        escape(&fig.title)
    );
    for shape in &fig.shapes {
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
                let class = match role {
                    Role::Plain => "",
                    Role::Cell => "cell",
                    Role::Hour => "hour",
                };
                let stroke = stroke
                    .map(|c| format!(" stroke=\"{}\" stroke-width=\"0.5\"", c.hex()))
                    .unwrap_or_default();
                let rect = format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
                     fill=\"{}\"{stroke}/>",
                    fill.hex()
                );
                match count {
                    // A counted cell or hour: the square and its number, marked as one.
                    Some(n) => {
                        let size = count_size(*w, *h);
                        let _ = write!(
                            out,
                            "<g class=\"{class}\" data-count=\"{n}\">{rect}<text x=\"{:.1}\" \
                             y=\"{:.1}\" font-size=\"{size:.1}\" text-anchor=\"middle\">{n}</text></g>",
                            x + w / 2.0,
                            y + h / 2.0 + size * 0.35
                        );
                    }
                    None => out.push_str(&rect),
                }
            }
            Shape::Path {
                points,
                closed,
                fill,
                stroke,
                width,
            } => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{x:.1},{y:.1}"))
                    .collect();
                let _ = write!(
                    out,
                    "<{} points=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{width}\"/>",
                    if *closed { "polygon" } else { "polyline" },
                    pts.join(" "),
                    fill.map_or_else(|| "none".into(), Color::hex),
                    stroke.hex()
                );
            }
            Shape::Text {
                x,
                y,
                size,
                text,
                anchor,
                color,
                bold,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let _ = write!(
                    out,
                    "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size:.1}\" \
                     text-anchor=\"{anchor}\" fill=\"{}\"{}>{}</text>",
                    color.hex(),
                    if *bold { " font-weight=\"bold\"" } else { "" },
                    escape(text)
                );
            }
        }
    }
    out.push_str("</svg></figure>\n");
}

pub fn render(s: &Summary, blocks: &[Block]) -> String {
    let w = Words::new(s.lang, s.offset());
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        s.lang.code(),
        escape(&format!("{} · {}", w.get("title"), s.group))
    );
    for block in blocks {
        match block {
            Block::Title(t) => {
                let _ = writeln!(out, "<h1>{}</h1>", escape(t));
            }
            Block::Heading(t) => {
                let _ = writeln!(out, "<h2>{}</h2>", escape(t));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "<p>{}</p>", escape(t));
            }
            Block::Note(t) => {
                let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(t));
            }
            Block::Table { head, rows } => {
                out.push_str("<table>");
                if head.iter().any(|h| !h.is_empty()) {
                    out.push_str("<thead><tr>");
                    for h in head {
                        let _ = write!(out, "<th>{}</th>", escape(h));
                    }
                    out.push_str("</tr></thead>");
                }
                out.push_str("<tbody>");
                for row in rows {
                    out.push_str("<tr>");
                    for (i, cell) in row.iter().enumerate() {
                        let tag = if i == 0 { "th scope=\"row\"" } else { "td" };
                        let close = if i == 0 { "th" } else { "td" };
                        let _ = write!(out, "<{tag}>{}</{close}>", escape(cell));
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table>\n");
            }
            Block::Figure(fig) => svg(fig, &mut out),
        }
    }
    out.push_str("</body></html>\n");
    out
}
