//! The cell texts every format shows: a row-number column, then the
//! ledger's columns, exactly as [`crate::ledger::ledger_rows`] rendered them.

use crate::ledger::{LedgerRows, RecordState};

/// Title of the row-number column.
pub const ROW_NUMBER_TITLE: &str = "序号";

/// What the row-number cell says: the number, and `草稿` for a record that
/// is not yet final (drafts are shown, but marked).
pub fn row_number_text(number: usize, state: RecordState) -> String {
    match state {
        RecordState::Final => number.to_string(),
        RecordState::Draft => format!("{number} 草稿"),
    }
}

/// A ledger as plain cell texts: the header row and one row per record.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetText {
    /// `序号` followed by the ledger's column titles.
    pub header: Vec<String>,
    /// Row-number cell followed by the ledger's cells, per row.
    pub body: Vec<Vec<String>>,
}

impl SheetText {
    /// The texts of `rows`.
    pub fn new(rows: &LedgerRows) -> SheetText {
        let header = std::iter::once(ROW_NUMBER_TITLE.to_string())
            .chain(rows.columns.iter().cloned())
            .collect();
        let body = rows
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                std::iter::once(row_number_text(i + 1, row.state))
                    .chain(row.cells.iter().cloned())
                    .collect()
            })
            .collect();
        SheetText { header, body }
    }
}
