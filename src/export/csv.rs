//! CSV export: UTF-8 with a byte-order mark, which is what makes Excel and
//! WPS open Chinese text correctly when the file is double-clicked.

use std::path::Path;

use super::atomic::write_atomically;
use super::sheet::SheetText;
use super::{ExportError, LedgerExport};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The CSV file for `export`: a header row, then one row per record.
pub fn csv_bytes(export: &LedgerExport<'_>) -> Result<Vec<u8>, ExportError> {
    export.check()?;
    let text = SheetText::new(export.rows);

    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    // Writing into memory cannot fail, short of running out of it.
    let rows = std::iter::once(&text.header).chain(&text.body);
    for row in rows {
        writer.write_record(row).expect("writing CSV to memory");
    }
    Ok(writer.into_inner().expect("flushing CSV to memory"))
}

/// Writes `export` as CSV to `path`.
pub fn write_csv(export: &LedgerExport<'_>, path: &Path) -> Result<(), ExportError> {
    write_atomically(path, &csv_bytes(export)?)
}
