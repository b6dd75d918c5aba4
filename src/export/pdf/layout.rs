//! Page geometry, rows of bordered cells, and breaking blocks of rows into
//! pages: rows move to the next page whole; only a row taller than a page is
//! split, and then only between lines.

use super::draw::{Align, Canvas, FontKind};
use super::font::PdfFonts;
use super::text::wrap;
use crate::ledger::Orientation;

/// Points per millimetre.
pub(crate) const PT_PER_MM: f32 = 72.0 / 25.4;

/// Body text size: 五号 (10.5 pt), the usual size of Chinese forms.
pub(crate) const BODY_PT: f32 = 10.5;

/// Line height as a multiple of the font size.
const LINE_FACTOR: f32 = 1.42;

/// Space between cell borders and text.
pub(crate) const PAD_X: f32 = 1.3;
pub(crate) const PAD_Y: f32 = 1.1;

/// Height reserved above the table for the page header.
pub(crate) const HEADER_HEIGHT: f32 = 24.0;
/// Height reserved below the table for the page footer.
pub(crate) const FOOTER_HEIGHT: f32 = 22.0;

/// An A4 page and its margins, in millimetres from the top-left corner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageGeometry {
    pub width: f32,
    pub height: f32,
    /// Left edge of the content; the margin leaves room to bind the pages.
    pub left: f32,
    pub right: f32,
    pub top: f32,
    pub bottom: f32,
}

impl PageGeometry {
    pub(crate) fn a4(orientation: Orientation) -> PageGeometry {
        let (width, height) = match orientation {
            Orientation::Portrait => (210.0, 297.0),
            Orientation::Landscape => (297.0, 210.0),
        };
        PageGeometry {
            width,
            height,
            left: 28.0,
            right: width - 12.0,
            top: 11.0,
            bottom: height - 9.0,
        }
    }

    pub(crate) fn content_width(&self) -> f32 {
        self.right - self.left
    }

    /// Where rows may go: below the header, above the footer.
    pub(crate) fn body(&self) -> (f32, f32) {
        (self.top + HEADER_HEIGHT, self.bottom - FOOTER_HEIGHT)
    }
}

/// Line height in millimetres for text of `size` points.
pub(crate) fn line_height(size: f32) -> f32 {
    size * LINE_FACTOR / PT_PER_MM
}

/// Measures and breaks text with the document's fonts.
#[derive(Clone, Copy)]
pub(crate) struct Typesetter<'a> {
    pub fonts: &'a PdfFonts,
}

impl Typesetter<'_> {
    fn advance_em(&self, font: FontKind, c: char) -> f32 {
        match (font, &self.fonts.heading) {
            (FontKind::Heading, Some(face)) if face.has(c) => face.advance_em(c),
            _ => self.fonts.body.advance_em(c),
        }
    }

    /// Width of `text` in millimetres.
    pub(crate) fn width(&self, text: &str, size: f32, font: FontKind) -> f32 {
        text.chars().map(|c| self.advance_em(font, c)).sum::<f32>() * size / PT_PER_MM
    }

    /// `text` broken into lines at most `width` millimetres wide.
    pub(crate) fn wrap(&self, text: &str, width: f32, size: f32, font: FontKind) -> Vec<String> {
        let em_width = width * PT_PER_MM / size;
        wrap(text, em_width, &|c| self.advance_em(font, c))
    }
}

/// One bordered cell of a row.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub x: f32,
    pub width: f32,
    pub lines: Vec<String>,
    pub align: Align,
    /// Top-aligned (record values) or centred vertically (headings, labels).
    pub middle: bool,
    pub font: FontKind,
    pub size: f32,
    /// Grey background (headings and labels).
    pub shade: bool,
    /// Shown again in full on the continuation of a split row (the row number).
    pub repeat_on_split: bool,
}

impl Cell {
    /// A cell whose text is wrapped to fit its width.
    pub(crate) fn new(
        ts: Typesetter<'_>,
        x: f32,
        width: f32,
        text: &str,
        align: Align,
        font: FontKind,
        size: f32,
    ) -> Cell {
        let lines = ts.wrap(text, width - 2.0 * PAD_X, size, font);
        Cell {
            x,
            width,
            lines,
            align,
            middle: false,
            font,
            size,
            shade: false,
            repeat_on_split: false,
        }
    }

    /// Grey background and text centred vertically, for headings and labels.
    pub(crate) fn shaded(mut self) -> Cell {
        self.shade = true;
        self.middle = true;
        self
    }

    /// Text centred vertically.
    pub(crate) fn middle(mut self) -> Cell {
        self.middle = true;
        self
    }

    fn text_height(&self) -> f32 {
        self.lines.len() as f32 * line_height(self.size)
    }
}

/// A row of cells side by side, as tall as its tallest cell.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub cells: Vec<Cell>,
    pub min_height: f32,
    /// The record shown, with its revision.
    pub record: Option<(String, u32)>,
}

impl Row {
    pub(crate) fn height(&self) -> f32 {
        let text = self.cells.iter().map(Cell::text_height).fold(0.0, f32::max);
        (text + 2.0 * PAD_Y).max(self.min_height)
    }

    /// Splits the row so its first part fits in `room`; `None` when not
    /// even one line fits.
    fn split(&self, room: f32) -> Option<(Row, Row)> {
        let line = self
            .cells
            .iter()
            .map(|c| line_height(c.size))
            .fold(0.0, f32::max);
        let fit = ((room - 2.0 * PAD_Y) / line).floor();
        if fit < 1.0 {
            return None;
        }
        let fit = fit as usize;
        let mut first = self.clone();
        let mut rest = self.clone();
        for (a, b) in first.cells.iter_mut().zip(rest.cells.iter_mut()) {
            if a.repeat_on_split {
                b.lines.push("续".to_string());
                continue;
            }
            b.lines = a.lines.split_off(fit.min(a.lines.len()));
        }
        first.min_height = 0.0;
        rest.min_height = 0.0;
        Some((first, rest))
    }

    /// Draws the row with its top edge at `y`: cell shading, text, the
    /// bottom and side borders, and the top border when asked.
    pub(crate) fn draw(&self, canvas: &mut Canvas, y: f32, top_border: bool) {
        let height = self.height();
        let (Some(first), Some(last)) = (self.cells.first(), self.cells.last()) else {
            return;
        };
        let (left, right) = (first.x, last.x + last.width);

        for cell in &self.cells {
            if cell.shade {
                canvas.fill(cell.x, y, cell.width, height, 0.90);
            }
            let line = line_height(cell.size);
            let mut top = if cell.middle {
                y + (height - cell.text_height()) / 2.0
            } else {
                y + PAD_Y
            };
            for text in &cell.lines {
                canvas.text_in(
                    cell.x + PAD_X,
                    cell.width - 2.0 * PAD_X,
                    top,
                    line,
                    text,
                    cell.size,
                    cell.font,
                    cell.align,
                );
                top += line;
            }
            canvas.vline(cell.x, y, y + height);
        }
        canvas.vline(right, y, y + height);
        canvas.hline(left, right, y + height);
        if top_border {
            canvas.hline(left, right, y);
        }
    }
}

/// Rows that belong together, such as the fields of one record card.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub rows: Vec<Row>,
    /// Space above the block unless it starts a page.
    pub gap: f32,
    /// Left out when it does not fit on the current page (blank rows for
    /// handwriting never start a page of their own).
    pub optional: bool,
    /// Shown at the top of each further page the block runs onto (a card's
    /// number with 续), so a continuation is never anonymous.
    pub continued: Option<Row>,
}

/// A row placed on a page.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub row: Row,
    pub y: f32,
    pub top_border: bool,
}

/// The rows of one page, before the header and footer are added.
#[derive(Debug, Clone, Default)]
pub(crate) struct BodyPage {
    pub rows: Vec<Placed>,
    /// Records shown on the page, in order, each once.
    pub records: Vec<(String, u32)>,
}

/// Rows shown fewer than this many lines on a page are moved to the next.
const MIN_SPLIT_LINES: f32 = 3.0;

/// Lays `blocks` out on pages between `top` and `bottom`, starting each
/// page with `repeat` (the column headings) when given.
pub(crate) fn paginate(
    blocks: Vec<Block>,
    repeat: Option<&Row>,
    top: f32,
    bottom: f32,
) -> Vec<BodyPage> {
    let mut pager = Pager {
        pages: Vec::new(),
        y: top,
        fresh: true,
        top,
        bottom,
        repeat,
        continued: None,
        in_block: false,
    };
    pager.new_page();
    let capacity = bottom - pager.y;

    for block in blocks {
        let height: f32 = block.rows.iter().map(Row::height).sum();
        if block.optional && pager.y + block.gap + height > bottom + 0.01 {
            continue;
        }
        if !pager.fresh && pager.y + block.gap + height > bottom && height <= capacity {
            pager.new_page();
        }
        if !pager.fresh {
            pager.y += block.gap;
        }
        pager.continued = block.continued;
        pager.in_block = false;
        for (i, row) in block.rows.into_iter().enumerate() {
            pager.place(row, i == 0 && block.gap > 0.0, capacity);
        }
    }
    pager.pages
}

struct Pager<'a> {
    pages: Vec<BodyPage>,
    y: f32,
    fresh: bool,
    top: f32,
    bottom: f32,
    repeat: Option<&'a Row>,
    /// The current block's continuation title.
    continued: Option<Row>,
    /// Whether a row of the current block has been placed.
    in_block: bool,
}

impl Pager<'_> {
    fn new_page(&mut self) {
        let mut page = BodyPage::default();
        self.y = self.top;
        if let Some(heading) = self.repeat {
            page.rows.push(Placed {
                row: heading.clone(),
                y: self.y,
                top_border: true,
            });
            self.y += heading.height();
        }
        if let Some(title) = self.continued.as_ref().filter(|_| self.in_block) {
            if let Some(record) = &title.record {
                page.records.push(record.clone());
            }
            page.rows.push(Placed {
                row: title.clone(),
                y: self.y,
                top_border: true,
            });
            self.y += title.height();
        }
        self.pages.push(page);
        self.fresh = true;
    }

    fn place(&mut self, mut row: Row, block_start: bool, capacity: f32) {
        loop {
            let height = row.height();
            if self.y + height <= self.bottom + 0.01 {
                self.push(row, block_start);
                return;
            }
            // Whole rows move to the next page; only rows taller than a page
            // are split, and then only between lines.
            if !self.fresh && height <= capacity {
                self.new_page();
                continue;
            }
            let line = row
                .cells
                .iter()
                .map(|c| line_height(c.size))
                .fold(0.0, f32::max);
            let room = self.bottom - self.y;
            if !self.fresh && room < MIN_SPLIT_LINES * line + 2.0 * PAD_Y {
                self.new_page();
                continue;
            }
            match row.split(room) {
                Some((first, rest)) => {
                    self.push(first, block_start);
                    self.new_page();
                    row = rest;
                }
                None => {
                    // Not one line fits on an empty page: place it anyway.
                    self.push(row, block_start);
                    return;
                }
            }
        }
    }

    fn push(&mut self, row: Row, block_start: bool) {
        let page = self.pages.last_mut().expect("a page is always open");
        let top_border = block_start || self.fresh && self.repeat.is_none() || page.rows.is_empty();
        if let Some(record) = &row.record
            && page.records.last() != Some(record)
        {
            page.records.push(record.clone());
        }
        let height = row.height();
        page.rows.push(Placed {
            row,
            y: self.y,
            top_border,
        });
        self.y += height;
        self.fresh = false;
        self.in_block = true;
    }
}
