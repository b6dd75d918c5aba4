//! Print-ready PDF ledgers: A4 in the ledger's orientation with a binding
//! margin, a Chinese font embedded as a subset, the column headings on every
//! page, sign-off lines, page numbers and a per-page verification code.

mod card;
mod draw;
mod font;
mod frame;
mod layout;
mod qr;
mod table;
mod text;

use std::collections::BTreeSet;
use std::path::Path;

use printpdf::{Mm, PdfPage, PdfSaveOptions};

pub use font::{FONT_ENV, FONT_INDEX_ENV, FontChoice, PdfFonts, system_font_dirs};

use self::draw::{Canvas, FontKind};
use self::frame::{draw_footer, draw_header};
use self::layout::{PageGeometry, Typesetter, paginate};
use super::atomic::write_atomically;
use super::code::page_code;
use super::{ExportError, LedgerExport};
use crate::ledger::Layout;

/// One printed page and what its verification code covers.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintedPage {
    /// Page number, from 1.
    pub number: u32,
    /// Pages in the document.
    pub count: u32,
    /// The verification code (12 characters, printed with dashes).
    pub code: String,
    /// Records shown on the page with their revisions, in page order.
    pub records: Vec<(String, u32)>,
}

/// A rendered PDF ledger.
#[derive(Debug, Clone)]
pub struct RenderedPdf {
    /// The PDF file.
    pub bytes: Vec<u8>,
    /// Each page's verification code and records.
    pub pages: Vec<PrintedPage>,
    /// Characters the font cannot draw (printed as empty boxes).
    pub missing_glyphs: Vec<char>,
}

/// Renders `export` as a PDF set in `fonts`.
pub fn render_pdf(export: &LedgerExport<'_>, fonts: &PdfFonts) -> Result<RenderedPdf, ExportError> {
    export.check()?;
    let geo = PageGeometry::a4(export.ledger.print.orientation);
    let ts = Typesetter { fonts };
    let (top, bottom) = geo.body();

    let body_pages = match export.ledger.print.layout {
        Layout::Table => {
            let (heading, blocks) = table::table_rows(ts, &geo, export);
            paginate(blocks, Some(&heading), top, bottom)
        }
        Layout::Card => paginate(card::card_blocks(ts, &geo, export), None, top, bottom),
    };

    let count = body_pages.len();
    let mut canvases = Vec::with_capacity(count);
    let mut printed = Vec::with_capacity(count);
    for (i, page) in body_pages.into_iter().enumerate() {
        let mut canvas = Canvas::new(ts);
        draw_header(&mut canvas, &geo, export);
        for placed in &page.rows {
            placed.row.draw(&mut canvas, placed.y, placed.top_border);
        }
        let code = page_code(
            &export.ledger.id,
            export.rows.from,
            export.rows.to,
            i + 1,
            &page.records,
        );
        draw_footer(&mut canvas, &geo, export, i + 1, count, &code);
        canvases.push(canvas);
        printed.push(PrintedPage {
            number: (i + 1) as u32,
            count: count as u32,
            code,
            records: page.records,
        });
    }

    // Each face is embedded with only the glyphs the pages use.
    let mut body_chars: BTreeSet<char> = canvases
        .iter()
        .flat_map(|c| c.chars(FontKind::Body))
        .collect();
    let heading_chars: BTreeSet<char> = canvases
        .iter()
        .flat_map(|c| c.chars(FontKind::Heading))
        .collect();
    if fonts.heading.is_none() {
        body_chars.extend(&heading_chars);
    }
    let missing_glyphs: Vec<char> = body_chars
        .iter()
        .copied()
        .filter(|c| !c.is_whitespace() && !fonts.body.has(*c))
        .collect();

    let mut doc = printpdf::PdfDocument::new(&export.ledger.title);
    let body_id = doc.add_font(&fonts.body.subset(&body_chars)?);
    let heading_id = match &fonts.heading {
        Some(face) => Some(doc.add_font(&face.subset(&heading_chars)?)),
        None => None,
    };
    let pages: Vec<PdfPage> = canvases
        .into_iter()
        .map(|canvas| {
            let ops = canvas.into_ops(geo.height, &body_id, heading_id.as_ref());
            PdfPage::new(Mm(geo.width), Mm(geo.height), ops)
        })
        .collect();

    let options = PdfSaveOptions {
        optimize: true,
        // The fonts are subset above already.
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let bytes = doc.with_pages(pages).save(&options, &mut warnings);
    for warning in warnings {
        tracing::debug!(?warning, "PDF writer note");
    }
    tracing::debug!(ledger = %export.ledger.id, pages = count, bytes = bytes.len(), "rendered PDF");
    Ok(RenderedPdf {
        bytes,
        pages: printed,
        missing_glyphs,
    })
}

/// Renders `export` and writes it to `path`.
pub fn write_pdf(
    export: &LedgerExport<'_>,
    fonts: &PdfFonts,
    path: &Path,
) -> Result<RenderedPdf, ExportError> {
    let rendered = render_pdf(export, fonts)?;
    write_atomically(path, &rendered.bytes)?;
    Ok(rendered)
}
