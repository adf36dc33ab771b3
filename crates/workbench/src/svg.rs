//! A rendered frame (ratatui buffer) as an SVG picture: the exact cells the terminal would
//! show, with their colours, in a monospace font. `assay screenshots` writes these.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const BACKGROUND: &str = "#1c1c1c";
const FOREGROUND: &str = "#d0d0d0";

fn hex(color: Color, default: &str) -> String {
    let named = |c: Color| -> Option<&'static str> {
        Some(match c {
            Color::Black => "#000000",
            Color::Red => "#cd3131",
            Color::Green => "#0dbc79",
            Color::Yellow => "#e5e510",
            Color::Blue => "#2472c8",
            Color::Magenta => "#bc3fbc",
            Color::Cyan => "#11a8cd",
            Color::Gray => "#a0a0a0",
            Color::DarkGray => "#666666",
            Color::LightRed => "#f14c4c",
            Color::LightGreen => "#23d18b",
            Color::LightYellow => "#f5f543",
            Color::LightBlue => "#3b8eea",
            Color::LightMagenta => "#d670d6",
            Color::LightCyan => "#29b8db",
            Color::White => "#e5e5e5",
            _ => return None,
        })
    };
    match color {
        Color::Reset => default.to_string(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("#{0:02x}{0:02x}{0:02x}", i),
        c => named(c).unwrap_or(default).to_string(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One SVG document for the whole buffer.
pub fn render(buffer: &Buffer, title: &str) -> String {
    let area = buffer.area;
    let (w, h) = (area.width as f64 * CELL_W, area.height as f64 * CELL_H);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.1} {h:.1}\">\n\
         <title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"{BACKGROUND}\"/>\n\
         <g font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\" xml:space=\"preserve\">\n",
        escape(title)
    );
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (hex(cell.fg, FOREGROUND), hex(cell.bg, BACKGROUND));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            // A run of cells with the same look becomes one text element.
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buffer[(x, y)];
                if c.fg != cell.fg || c.bg != cell.bg || c.modifier != cell.modifier {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let (px, py) = (start as f64 * CELL_W, y as f64 * CELL_H);
            let run_w = (x - start) as f64 * CELL_W;
            if bg != BACKGROUND {
                out.push_str(&format!(
                    "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{run_w:.1}\" height=\"{CELL_H}\" fill=\"{bg}\"/>\n"
                ));
            }
            if !text.trim().is_empty() {
                let weight = if cell.modifier.contains(Modifier::BOLD) {
                    " font-weight=\"bold\""
                } else {
                    ""
                };
                let deco = if cell.modifier.contains(Modifier::UNDERLINED) {
                    " text-decoration=\"underline\""
                } else {
                    ""
                };
                let opacity = if cell.modifier.contains(Modifier::DIM) {
                    " fill-opacity=\"0.6\""
                } else {
                    ""
                };
                // Each stretch of non-blank cells at its own x: no renderer's whitespace
                // handling can shift a column.
                let chars: Vec<char> = text.chars().collect();
                let mut at = 0;
                while at < chars.len() {
                    if chars[at] == ' ' {
                        at += 1;
                        continue;
                    }
                    let from = at;
                    while at < chars.len() && chars[at] != ' ' {
                        at += 1;
                    }
                    let chunk: String = chars[from..at].iter().collect();
                    out.push_str(&format!(
                        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{fg}\"{weight}{deco}{opacity} textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>\n",
                        px + from as f64 * CELL_W,
                        py + CELL_H * 0.78,
                        (at - from) as f64 * CELL_W,
                        escape(&chunk)
                    ));
                }
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn cells_become_text_runs_with_their_colours() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 10, 2));
        buffer.set_string(0, 0, "a<b", Style::default().fg(Color::Red));
        buffer.set_string(4, 1, "ok", Style::default().bg(Color::Rgb(1, 2, 3)));
        let svg = render(&buffer, "t & u");
        assert!(svg.contains("<title>t &amp; u</title>"));
        assert!(
            svg.contains("fill=\"#cd3131\"") && svg.contains(">a&lt;b</text>"),
            "{svg}"
        );
        assert!(svg.contains("fill=\"#010203\""), "{svg}");
    }
}
