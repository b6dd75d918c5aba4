//! Printed pages remembered in the database, so a paper page's
//! verification code tells later whether the page still matches the
//! records and which records were edited since it was printed.
//!
//! The store runs [`PRINTED_PAGES_SCHEMA`] as one of its migrations
//! (`crate::store::MIGRATIONS`); the functions here only read and write
//! these two tables.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::pdf::PrintedPage;
use super::{ExportError, LedgerExport};

/// Tables of printed pages and the record revisions each page shows.
pub const PRINTED_PAGES_SCHEMA: &str = "
CREATE TABLE printed_pages (
    code TEXT PRIMARY KEY,
    ledger_id TEXT NOT NULL,
    ledger_code TEXT NOT NULL,
    ledger_title TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    period_label TEXT NOT NULL,
    page_number INTEGER NOT NULL,
    page_count INTEGER NOT NULL,
    first_printed_at TEXT NOT NULL,
    last_printed_at TEXT NOT NULL
) STRICT;
CREATE TABLE printed_page_records (
    code TEXT NOT NULL REFERENCES printed_pages (code) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (code, position)
) STRICT;
CREATE INDEX printed_page_records_by_record ON printed_page_records (record_id);
";

/// A printed page as remembered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredPrintedPage {
    /// The code, without dashes.
    pub code: String,
    /// Ledger id.
    pub ledger_id: String,
    /// Ledger code printed in the header.
    pub ledger_code: String,
    /// Ledger title.
    pub ledger_title: String,
    /// First day of the period.
    pub period_from: String,
    /// Last day of the period.
    pub period_to: String,
    /// Period as printed.
    pub period_label: String,
    /// Page number, from 1.
    pub page_number: u32,
    /// Pages in the printed document.
    pub page_count: u32,
    /// When a page with this code was first printed.
    pub first_printed_at: String,
    /// When it was last printed.
    pub last_printed_at: String,
    /// Records on the page with the revision printed, in page order.
    pub records: Vec<(String, u32)>,
}

/// Saves the pages of a printed PDF. Printing the same content again keeps
/// the code and updates the last print time.
pub fn save_printed_pages(
    conn: &Connection,
    export: &LedgerExport<'_>,
    pages: &[PrintedPage],
) -> Result<(), ExportError> {
    let failed = |source| ExportError::Database {
        action: "save",
        source,
    };
    let printed_at = export
        .header
        .printed_at
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let tx = conn.unchecked_transaction().map_err(failed)?;
    {
        let mut page_insert = tx
            .prepare(
                "INSERT INTO printed_pages (code, ledger_id, ledger_code, ledger_title, period_from,
                     period_to, period_label, page_number, page_count, first_printed_at, last_printed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
                 ON CONFLICT (code) DO UPDATE SET last_printed_at = excluded.last_printed_at,
                     page_count = excluded.page_count",
            )
            .map_err(failed)?;
        let mut record_insert = tx
            .prepare(
                "INSERT OR IGNORE INTO printed_page_records (code, position, record_id, revision)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(failed)?;
        for page in pages {
            page_insert
                .execute(params![
                    page.code,
                    export.ledger.id,
                    export.ledger.code,
                    export.ledger.title,
                    export.rows.from.to_string(),
                    export.rows.to.to_string(),
                    export.header.period_label,
                    page.number,
                    page.count,
                    printed_at,
                ])
                .map_err(failed)?;
            for (position, (record_id, revision)) in page.records.iter().enumerate() {
                record_insert
                    .execute(params![page.code, position as i64, record_id, revision])
                    .map_err(failed)?;
            }
        }
    }
    tx.commit().map_err(failed)?;
    tracing::debug!(ledger = %export.ledger.id, pages = pages.len(), "saved printed page codes");
    Ok(())
}

/// The printed page with `code` (as stored: no dashes, upper case).
pub fn find_printed_page(
    conn: &Connection,
    code: &str,
) -> Result<Option<StoredPrintedPage>, ExportError> {
    let failed = |source| ExportError::Database {
        action: "read",
        source,
    };
    let page = conn
        .query_row(
            "SELECT code, ledger_id, ledger_code, ledger_title, period_from, period_to, period_label,
                    page_number, page_count, first_printed_at, last_printed_at
             FROM printed_pages WHERE code = ?1",
            [code],
            |row| {
                Ok(StoredPrintedPage {
                    code: row.get(0)?,
                    ledger_id: row.get(1)?,
                    ledger_code: row.get(2)?,
                    ledger_title: row.get(3)?,
                    period_from: row.get(4)?,
                    period_to: row.get(5)?,
                    period_label: row.get(6)?,
                    page_number: row.get(7)?,
                    page_count: row.get(8)?,
                    first_printed_at: row.get(9)?,
                    last_printed_at: row.get(10)?,
                    records: Vec::new(),
                })
            },
        )
        .optional()
        .map_err(failed)?;
    let Some(mut page) = page else {
        return Ok(None);
    };
    let mut query = conn
        .prepare("SELECT record_id, revision FROM printed_page_records WHERE code = ?1 ORDER BY position")
        .map_err(failed)?;
    page.records = query
        .query_map([code], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(failed)?
        .collect::<Result<_, _>>()
        .map_err(failed)?;
    Ok(Some(page))
}

/// What happened to a record since the page was printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordChange {
    /// Same revision as printed.
    Unchanged,
    /// Edited after printing.
    Edited,
    /// No longer in the database.
    Missing,
}

/// One record of a printed page compared with the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrintedRecordCheck {
    /// Record id.
    pub record_id: String,
    /// Revision on paper.
    pub printed_revision: u32,
    /// Revision now, if the record still exists.
    pub current_revision: Option<u32>,
    /// The comparison.
    pub change: RecordChange,
}

/// A printed page compared with the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrintCheck {
    /// Whether every record on the page is unchanged.
    pub matches: bool,
    /// The page as printed.
    pub page: StoredPrintedPage,
    /// Each record on the page.
    pub records: Vec<PrintedRecordCheck>,
}

/// Compares `page` with the records now, given each record's current
/// revision by `current_revision` (`None` for a record that is gone).
pub fn check_printed_page(
    page: StoredPrintedPage,
    current_revision: impl Fn(&str) -> Option<u32>,
) -> PrintCheck {
    let records: Vec<PrintedRecordCheck> = page
        .records
        .iter()
        .map(|(id, printed)| {
            let now = current_revision(id);
            let change = match now {
                None => RecordChange::Missing,
                Some(rev) if rev == *printed => RecordChange::Unchanged,
                Some(_) => RecordChange::Edited,
            };
            PrintedRecordCheck {
                record_id: id.clone(),
                printed_revision: *printed,
                current_revision: now,
                change,
            }
        })
        .collect();
    PrintCheck {
        matches: records.iter().all(|r| r.change == RecordChange::Unchanged),
        page,
        records,
    }
}
