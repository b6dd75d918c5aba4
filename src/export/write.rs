//! One ledger written to one file in any format, with a PDF's page codes
//! remembered: the step the command line and the desktop app share.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDateTime;
use rusqlite::Connection;

use super::{
    ExportError, ExportedFile, Format, LedgerExport, PdfFonts, save_printed_pages, write_csv,
    write_json, write_pdf, write_xlsx,
};

/// What writing one ledger file produced.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenLedger {
    /// The file and its size in rows and pages.
    pub file: ExportedFile,
    /// Characters the PDF font has no glyph for (printed as boxes).
    pub missing_glyphs: Vec<char>,
}

/// Writes `export` to `path` as `format`. A PDF needs `fonts`, and its
/// pages' verification codes are saved in `conn` so a paper page can be
/// checked against the database later.
pub fn write_ledger(
    conn: &Connection,
    export: &LedgerExport<'_>,
    format: Format,
    fonts: Option<&PdfFonts>,
    path: &Path,
) -> Result<WrittenLedger, ExportError> {
    let mut pages = None;
    let mut missing_glyphs = Vec::new();
    match format {
        Format::Csv => write_csv(export, path)?,
        Format::Json => write_json(export, path)?,
        Format::Xlsx => write_xlsx(&[*export], path)?,
        Format::Pdf => {
            let fonts = match fonts {
                Some(fonts) => fonts,
                None => &PdfFonts::load(&super::FontChoice::from_env())?,
            };
            let rendered = write_pdf(export, fonts, path)?;
            save_printed_pages(conn, export, &rendered.pages)?;
            missing_glyphs = rendered.missing_glyphs.clone();
            pages = Some(rendered.pages.len());
        }
    }
    Ok(WrittenLedger {
        file: ExportedFile {
            ledger_id: export.ledger.id.clone(),
            path: path.to_path_buf(),
            rows: export.rows.rows.len(),
            pages,
        },
        missing_glyphs,
    })
}

/// When each ledger was last printed to PDF, by ledger id: a ledger nobody
/// prints any more is a candidate for retirement.
pub fn last_printed(conn: &Connection) -> Result<HashMap<String, NaiveDateTime>, ExportError> {
    let failed = |source| ExportError::Database {
        action: "read",
        source,
    };
    let mut statement = conn
        .prepare("SELECT ledger_id, MAX(last_printed_at) FROM printed_pages GROUP BY ledger_id")
        .map_err(failed)?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(failed)?;
    let mut last = HashMap::new();
    for row in rows {
        let (ledger, at) = row.map_err(failed)?;
        if let Ok(at) = NaiveDateTime::parse_from_str(&at, "%Y-%m-%d %H:%M:%S") {
            last.insert(ledger, at);
        }
    }
    Ok(last)
}
