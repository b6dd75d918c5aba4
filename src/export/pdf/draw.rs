//! What a page shows (text runs, rules, shaded boxes, QR modules) in
//! millimetres from the top-left corner, and its translation into PDF
//! drawing operations.

use std::collections::BTreeMap;

use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect,
    TextItem, TextRenderingMode,
};

use super::layout::{PT_PER_MM, Typesetter};

/// Which face a text run is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FontKind {
    /// Regular text.
    Body,
    /// Titles and headings: the bold face, or the regular one outlined.
    Heading,
}

/// Horizontal placement of text in its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone)]
struct TextRun {
    x: f32,
    baseline: f32,
    size: f32,
    font: FontKind,
    text: String,
}

/// Thin rules for cell borders, in points.
const RULE_PT: f32 = 0.5;

/// Outline width that makes regular glyphs look bold when no bold face is
/// installed, in points.
const FAKE_BOLD_PT: f32 = 0.35;

/// Where the baseline sits in a line box: CJK glyphs fill the em box from
/// 0.12 em below the baseline to 0.88 em above it.
const ASCENT_EM: f32 = 0.88;

/// The drawing of one page.
pub(crate) struct Canvas<'a> {
    ts: Typesetter<'a>,
    texts: Vec<TextRun>,
    hlines: Vec<(f32, f32, f32, f32)>,
    /// Vertical rules by x, so touching segments merge into one stroke.
    vlines: BTreeMap<i64, Vec<(f32, f32)>>,
    fills: Vec<(f32, f32, f32, f32, f32)>,
    /// Black squares (QR modules).
    marks: Vec<(f32, f32, f32, f32)>,
}

impl<'a> Canvas<'a> {
    pub(crate) fn new(ts: Typesetter<'a>) -> Canvas<'a> {
        Canvas {
            ts,
            texts: Vec::new(),
            hlines: Vec::new(),
            vlines: BTreeMap::new(),
            fills: Vec::new(),
            marks: Vec::new(),
        }
    }

    pub(crate) fn typesetter(&self) -> Typesetter<'a> {
        self.ts
    }

    /// Text on one line with its baseline at `baseline`, aligned within
    /// `x..x + width`.
    #[allow(
        clippy::too_many_arguments,
        reason = "a text run has this many properties"
    )]
    pub(crate) fn text_at(
        &mut self,
        x: f32,
        width: f32,
        baseline: f32,
        text: &str,
        size: f32,
        font: FontKind,
        align: Align,
    ) {
        if text.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Center => x + (width - self.ts.width(text, size, font)) / 2.0,
            Align::Right => x + width - self.ts.width(text, size, font),
        };
        self.texts.push(TextRun {
            x,
            baseline,
            size,
            font,
            text: text.to_string(),
        });
    }

    /// Text in a line box whose top is `top` and height `line`.
    #[allow(
        clippy::too_many_arguments,
        reason = "a text run has this many properties"
    )]
    pub(crate) fn text_in(
        &mut self,
        x: f32,
        width: f32,
        top: f32,
        line: f32,
        text: &str,
        size: f32,
        font: FontKind,
        align: Align,
    ) {
        let size_mm = size / PT_PER_MM;
        let baseline = top + (line - size_mm) / 2.0 + ASCENT_EM * size_mm;
        self.text_at(x, width, baseline, text, size, font, align);
    }

    pub(crate) fn hline(&mut self, x1: f32, x2: f32, y: f32) {
        self.hlines.push((x1, y, x2, RULE_PT));
    }

    /// A horizontal rule of a chosen weight (signature lines).
    pub(crate) fn hline_weight(&mut self, x1: f32, x2: f32, y: f32, weight_pt: f32) {
        self.hlines.push((x1, y, x2, weight_pt));
    }

    pub(crate) fn vline(&mut self, x: f32, y1: f32, y2: f32) {
        // Keyed in hundredths of a millimetre, so equal positions meet.
        let key = (x * 100.0).round() as i64;
        self.vlines.entry(key).or_default().push((y1, y2));
    }

    /// A grey box; `grey` is 0 for black, 1 for white.
    pub(crate) fn fill(&mut self, x: f32, y: f32, width: f32, height: f32, grey: f32) {
        self.fills.push((x, y, width, height, grey));
    }

    /// A solid black box.
    pub(crate) fn mark(&mut self, x: f32, y: f32, width: f32, height: f32) {
        self.marks.push((x, y, width, height));
    }

    /// Adds every character drawn in `font` to `set`, for font subsetting.
    pub(crate) fn collect_chars(&self, font: FontKind, set: &mut CharSet) {
        for run in self.texts.iter().filter(|t| t.font == font) {
            set.insert_str(&run.text);
        }
    }

    /// The page as PDF operations on a page `page_height` millimetres tall.
    pub(crate) fn into_ops(
        self,
        page_height: f32,
        body: &FontId,
        heading: Option<&FontId>,
    ) -> Vec<Op> {
        // Hundredths of a point are finer than any printer and keep the
        // content streams short.
        let pt = |mm: f32| Pt((mm * PT_PER_MM * 100.0).round() / 100.0);
        let point = |x: f32, y: f32| Point {
            x: pt(x),
            y: pt(page_height - y),
        };
        let mut ops = Vec::with_capacity(self.texts.len() * 2 + self.hlines.len() + 64);

        // Shaded cells side by side (a heading row) become one box.
        let mut fills = self.fills;
        fills.sort_by(|a, b| {
            (a.1, a.0)
                .partial_cmp(&(b.1, b.0))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut merged_fills: Vec<(f32, f32, f32, f32, f32)> = Vec::new();
        for fill in fills {
            match merged_fills.last_mut() {
                Some(last)
                    if last.1 == fill.1
                        && last.3 == fill.3
                        && last.4 == fill.4
                        && (last.0 + last.2 - fill.0).abs() < 0.01 =>
                {
                    last.2 += fill.2;
                }
                _ => merged_fills.push(fill),
            }
        }
        for (x, y, w, h, grey) in &merged_fills {
            ops.push(Op::SetFillColor {
                col: grey_color(*grey),
            });
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Fill),
                    ..Rect::from_xywh(pt(*x), pt(page_height - y - h), pt(*w), pt(*h))
                },
            });
        }
        ops.push(Op::SetFillColor {
            col: grey_color(0.0),
        });
        for (x, y, w, h) in &self.marks {
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Fill),
                    ..Rect::from_xywh(pt(*x), pt(page_height - y - h), pt(*w), pt(*h))
                },
            });
        }

        ops.push(Op::SetOutlineColor {
            col: grey_color(0.0),
        });
        let mut weight = -1.0;
        let mut hlines = self.hlines;
        hlines.sort_by(|a, b| a.3.total_cmp(&b.3));
        for (x1, y, x2, w) in hlines {
            if w != weight {
                ops.push(Op::SetOutlineThickness { pt: Pt(w) });
                weight = w;
            }
            ops.push(Op::DrawLine {
                line: segment(point(x1, y), point(x2, y)),
            });
        }
        if weight != RULE_PT {
            ops.push(Op::SetOutlineThickness { pt: Pt(RULE_PT) });
        }
        for (key, mut spans) in self.vlines {
            let x = key as f32 / 100.0;
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut merged: Vec<(f32, f32)> = Vec::new();
            for (y1, y2) in spans {
                match merged.last_mut() {
                    Some(last) if y1 <= last.1 + 0.01 => last.1 = last.1.max(y2),
                    _ => merged.push((y1, y2)),
                }
            }
            for (y1, y2) in merged {
                ops.push(Op::DrawLine {
                    line: segment(point(x, y1), point(x, y2)),
                });
            }
        }

        ops.push(Op::StartTextSection);
        let fake_bold = heading.is_none();
        if fake_bold {
            ops.push(Op::SetOutlineThickness {
                pt: Pt(FAKE_BOLD_PT),
            });
        }
        let mut current: Option<(FontKind, f32)> = None;
        // Text is placed with relative moves (`Td`) from the previous line's
        // start, in whole hundredths of a point so the moves add up exactly.
        let hundredths = |mm: f32| (mm * PT_PER_MM * 100.0).round() as i64;
        let mut at = (0_i64, 0_i64);
        // Where the last run shown ends, while the next may join it: runs
        // drawn one after another on the same baseline (the one-line cells of
        // a row) share one text operation, the gap between them written as a
        // kerning offset. The drawing order, and so the reading order of the
        // extracted text, stays the same.
        let mut open_end: Option<f32> = None;
        for run in self.texts {
            if current != Some((run.font, run.size)) {
                open_end = None;
                let id = match run.font {
                    FontKind::Heading => heading.unwrap_or(body),
                    FontKind::Body => body,
                };
                ops.push(Op::SetFont {
                    font: PdfFontHandle::External(id.clone()),
                    size: Pt(run.size),
                });
                if fake_bold && current.map(|c| c.0) != Some(run.font) {
                    let mode = match run.font {
                        FontKind::Heading => TextRenderingMode::FillStroke,
                        FontKind::Body => TextRenderingMode::Fill,
                    };
                    ops.push(Op::SetTextRenderingMode { mode });
                }
                current = Some((run.font, run.size));
            }
            let next = (hundredths(run.x), hundredths(page_height - run.baseline));
            let width = self.ts.width(&run.text, run.size, run.font);
            let joined = match (open_end, ops.last_mut()) {
                (Some(end), Some(Op::ShowText { items })) if next.1 == at.1 && run.x >= end => {
                    let gap_pt = (run.x - end) * PT_PER_MM;
                    // Offsets are in thousandths of the font size, negative to move right.
                    items.push(TextItem::Offset((-gap_pt * 1000.0 / run.size).round()));
                    items.push(TextItem::Text(run.text.clone()));
                    true
                }
                _ => false,
            };
            if !joined {
                let (dx, dy) = (next.0 - at.0, next.1 - at.1);
                ops.push(Op::SetTextCursor {
                    pos: Point {
                        x: Pt(dx as f32 / 100.0),
                        y: Pt(dy as f32 / 100.0),
                    },
                });
                at = next;
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(run.text)],
                });
            }
            open_end = Some(run.x + width);
        }
        ops.push(Op::EndTextSection);
        ops
    }
}

fn grey_color(level: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: level,
        icc_profile: None,
    })
}

fn segment(a: Point, b: Point) -> Line {
    Line {
        points: vec![
            LinePoint {
                p: a,
                bezier: false,
            },
            LinePoint {
                p: b,
                bezier: false,
            },
        ],
        is_closed: false,
    }
}

/// A set of characters: a bit per character of the Basic Multilingual
/// Plane (where all common Chinese is), a sorted set for the rest. Faster
/// than a tree for the million characters of a large ledger.
pub(crate) struct CharSet {
    bmp: Vec<u64>,
    other: std::collections::BTreeSet<char>,
}

impl CharSet {
    pub(crate) fn new() -> CharSet {
        CharSet {
            bmp: vec![0; 0x10000 / 64],
            other: std::collections::BTreeSet::new(),
        }
    }

    pub(crate) fn insert_str(&mut self, text: &str) {
        for c in text.chars() {
            let code = c as usize;
            if code < 0x10000 {
                self.bmp[code / 64] |= 1 << (code % 64);
            } else {
                self.other.insert(c);
            }
        }
    }

    /// The characters in code-point order.
    pub(crate) fn to_set(&self) -> std::collections::BTreeSet<char> {
        let bmp = self.bmp.iter().enumerate().flat_map(|(word, bits)| {
            (0..64)
                .filter(move |bit| bits & (1 << bit) != 0)
                .filter_map(move |bit| char::from_u32((word * 64 + bit) as u32))
        });
        bmp.chain(self.other.iter().copied()).collect()
    }
}
