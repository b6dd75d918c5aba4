//! Electronic (XLSX, CSV, JSON) and paper (PDF) ledgers made from the same
//! [`LedgerRows`], so every format holds the same rows in the same order with
//! the same values.
//!
//! Every exporter takes a [`LedgerExport`]: the ledger template, its rows and
//! the [`HeaderContext`] printed above them. The cell texts all formats show
//! come from [`SheetText`], the one place a row number or a draft mark is
//! spelled. Files are written to a temporary name in the target folder and
//! renamed, so an interrupted export never leaves a half-written file under
//! the final name.

mod all;
mod atomic;
mod code;
mod csv;
mod json;
mod pdf;
mod period;
mod printed;
mod sheet;
mod xlsx;

use std::path::PathBuf;

use chrono::NaiveDateTime;

use crate::ledger::{Ledger, LedgerRows};

pub use all::{ExportedFile, export_file_name, exportable_ledgers};
pub use atomic::write_atomically;
pub use code::{QR_PREFIX, format_page_code, normalize_page_code, page_code, page_qr_text};
pub use csv::{csv_bytes, write_csv};
pub use json::{json_value, write_json};
pub use pdf::{
    FONT_ENV, FONT_INDEX_ENV, FontChoice, PdfFonts, PrintedPage, RenderedPdf, render_pdf,
    system_font_dirs, write_pdf,
};
pub use period::{PeriodError, ReportPeriod};
pub use printed::{
    PRINTED_PAGES_SCHEMA, PrintCheck, PrintedRecordCheck, RecordChange, StoredPrintedPage,
    check_printed_page, find_printed_page, save_printed_pages,
};
pub use sheet::{ROW_NUMBER_TITLE, SheetText, row_number_text};
pub use xlsx::{write_xlsx, xlsx_bytes};

/// What is printed above a ledger besides the template's own title and code.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderContext {
    /// Sub-district (街道) name, e.g. `江川路街道`.
    pub sub_district: String,
    /// Neighbourhood committee (居委会) name.
    pub committee: String,
    /// Reporting period as printed, e.g. `2026年11月`.
    pub period_label: String,
    /// When the export was made, local time.
    pub printed_at: NaiveDateTime,
}

/// One ledger ready to export: template, rows and header.
#[derive(Debug, Clone, Copy)]
pub struct LedgerExport<'a> {
    /// The ledger template (title, code, department, print settings).
    pub ledger: &'a Ledger,
    /// The rows, from [`crate::ledger::ledger_rows`].
    pub rows: &'a LedgerRows,
    /// Names and period printed in the header.
    pub header: &'a HeaderContext,
}

/// An export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Print-ready PDF (paper ledger).
    Pdf,
    /// Excel workbook.
    Xlsx,
    /// Comma-separated values, UTF-8 with a byte-order mark.
    Csv,
    /// JSON with record ids and revisions.
    Json,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Pdf, Format::Xlsx, Format::Csv, Format::Json];

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// Parses `pdf`, `xlsx`, `csv` or `json` (any case).
    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.extension().eq_ignore_ascii_case(text.trim()))
    }
}

/// Errors while exporting.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file or folder could not be written.
    #[error("cannot write `{path}`: {source}; check that the folder exists and is writable")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// No Chinese font was found for the PDF.
    #[error(
        "no Chinese font found for the PDF ledger (searched {}); install one: on Debian or Ubuntu \
         `sudo apt-get install fonts-noto-cjk`, on Windows the 宋体 (SimSun) font that comes with \
         Chinese Windows, on macOS Songti or PingFang; or set {} to a .ttf, .otf or .ttc file",
        display_dirs(searched),
        pdf::FONT_ENV
    )]
    NoFont {
        /// The folders searched.
        searched: Vec<PathBuf>,
    },
    /// The configured font file cannot be read.
    #[error(
        "cannot read the PDF font `{path}`: {source}; give the path of an installed .ttf, .otf or \
         .ttc Chinese font (option --font or {}), or unset it to search the system fonts",
        pdf::FONT_ENV
    )]
    FontUnreadable {
        /// The font file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// The font file is not a usable Chinese font.
    #[error(
        "`{path}` is not a usable Chinese font: {problem}; choose a .ttf, .otf or .ttc font with Simplified Chinese glyphs, e.g. Noto Serif CJK or 宋体"
    )]
    FontInvalid {
        /// The font file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The font could not be reduced to the glyphs a document uses.
    #[error(
        "cannot embed glyphs from the font `{path}`: {problem}; try another Chinese font (option --font or {})",
        pdf::FONT_ENV
    )]
    FontSubset {
        /// The font file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The spreadsheet library refused the workbook.
    #[error("cannot build the spreadsheet for ledger `{ledger}`: {source}")]
    Xlsx {
        /// The ledger id.
        ledger: String,
        /// The library's error.
        source: rust_xlsxwriter::XlsxError,
    },
    /// The rows do not belong to the ledger template given with them.
    #[error(
        "rows of ledger `{rows}` were given with template `{ledger}`; build the rows with `ledger_rows` for the same ledger"
    )]
    Mismatch {
        /// Ledger id of the template.
        ledger: String,
        /// Ledger id of the rows.
        rows: String,
    },
    /// The printed-pages table could not be read or written.
    #[error("cannot {action} printed pages in the database: {source}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// The SQLite error.
        source: rusqlite::Error,
    },
}

fn display_dirs(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "no folders".to_string();
    }
    dirs.iter()
        .map(|d| format!("`{}`", d.display()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl LedgerExport<'_> {
    /// Checks that the rows were made for this ledger.
    fn check(&self) -> Result<(), ExportError> {
        if self.rows.ledger_id != self.ledger.id
            || self.rows.columns.len() != self.ledger.columns.len()
        {
            return Err(ExportError::Mismatch {
                ledger: self.ledger.id.clone(),
                rows: self.rows.ledger_id.clone(),
            });
        }
        Ok(())
    }
}
