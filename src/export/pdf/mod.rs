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
use std::io::Write as _;
use std::path::Path;

use printpdf::{Mm, PdfPage, PdfSaveOptions};

pub use font::{FONT_ENV, FONT_INDEX_ENV, FontChoice, PdfFonts, system_font_dirs};

use self::draw::{Canvas, CharSet, FontKind};
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
    let printed: Vec<PrintedPage> = body_pages
        .iter()
        .enumerate()
        .map(|(i, page)| PrintedPage {
            number: (i + 1) as u32,
            count: count as u32,
            code: page_code(
                &export.ledger.id,
                export.rows.from,
                export.rows.to,
                i + 1,
                &page.records,
            ),
            records: page.records.clone(),
        })
        .collect();
    let canvases = in_parallel(body_pages.iter().zip(&printed).collect(), |(page, info)| {
        let mut canvas = Canvas::new(ts);
        draw_header(&mut canvas, &geo, export);
        for placed in &page.rows {
            placed.row.draw(&mut canvas, placed.y, placed.top_border);
        }
        draw_footer(
            &mut canvas,
            &geo,
            export,
            info.number as usize,
            count,
            &info.code,
        );
        canvas
    });

    // Each face is embedded with only the glyphs the pages use.
    let (mut body_set, mut heading_set) = (CharSet::new(), CharSet::new());
    for canvas in &canvases {
        canvas.collect_chars(FontKind::Body, &mut body_set);
        canvas.collect_chars(FontKind::Heading, &mut heading_set);
    }
    let mut body_chars: BTreeSet<char> = body_set.to_set();
    let heading_chars: BTreeSet<char> = heading_set.to_set();
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
    let pages = in_parallel(canvases, |canvas| {
        let ops = canvas.into_ops(geo.height, &body_id, heading_id.as_ref());
        PdfPage::new(Mm(geo.width), Mm(geo.height), ops)
    });
    doc.with_pages(pages);

    let options = PdfSaveOptions {
        optimize: false,
        // The fonts are subset above already.
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut pdf = printpdf::to_lopdf_doc(&doc, &options, &mut warnings);
    for warning in warnings {
        tracing::debug!(?warning, "PDF writer note");
    }
    compress_streams(&mut pdf);
    let mut bytes = Vec::new();
    pdf.save_to(&mut bytes).expect("writing a PDF to memory");

    tracing::debug!(ledger = %export.ledger.id, pages = count, bytes = bytes.len(), "rendered PDF");
    Ok(RenderedPdf {
        bytes,
        pages: printed,
        missing_glyphs,
    })
}

/// Compresses every stream that may be compressed, on all cores. (The PDF
/// library compresses one stream after another at its slowest setting,
/// which dominated the time of large ledgers.)
fn compress_streams(pdf: &mut lopdf::Document) {
    let streams: Vec<&mut lopdf::Stream> = pdf
        .objects
        .values_mut()
        .filter_map(|object| match object {
            lopdf::Object::Stream(s) if s.allows_compression && s.dict.get(b"Filter").is_err() => {
                Some(s)
            }
            _ => None,
        })
        .collect();
    in_parallel(streams, |stream| {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(&stream.content)
            .expect("compressing in memory");
        let compressed = encoder.finish().expect("compressing in memory");
        if compressed.len() < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    });
}

/// `f` applied to every item, spread over the machine's cores, in order.
fn in_parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || items.len() < 2 {
        return items.into_iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(chunk).collect());
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a PDF worker thread panicked"))
            .collect()
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
