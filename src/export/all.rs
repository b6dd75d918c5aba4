//! Exporting every department's ledger for a period from one set of
//! records: a home visit with a blood-pressure reading lands in the visit
//! ledger and the blood-pressure register without anyone copying it.

use std::collections::HashMap;
use std::path::PathBuf;

use super::Format;
use super::period::ReportPeriod;
use crate::ledger::{Catalog, GovernanceStatus, Ledger, LedgerRows, Record, Resident, ledger_rows};

/// One file written by an export of several ledgers.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedFile {
    /// Ledger id.
    pub ledger_id: String,
    /// Where the file was written.
    pub path: PathBuf,
    /// Rows in the ledger.
    pub rows: usize,
    /// Pages, for PDF files.
    pub pages: Option<usize>,
}

/// The ledgers an export of a whole period covers, with their rows: every
/// active ledger (an empty one still prints its "no records" page) and
/// retired ledgers that have rows in the period. Draft ledgers are left out.
pub fn exportable_ledgers<'a>(
    catalog: &'a Catalog,
    records: &[Record],
    residents: &HashMap<String, Resident>,
    period: &ReportPeriod,
) -> Vec<(&'a Ledger, LedgerRows)> {
    let mut ledgers: Vec<&Ledger> = catalog.ledgers().collect();
    ledgers.sort_by(|a, b| (&a.code, &a.id).cmp(&(&b.code, &b.id)));
    ledgers
        .into_iter()
        .filter(|l| l.governance.status != GovernanceStatus::Draft)
        .map(|l| {
            (
                l,
                ledger_rows(catalog, l, records, residents, period.from, period.to),
            )
        })
        .filter(|(l, rows)| {
            l.governance.status == GovernanceStatus::Active || !rows.rows.is_empty()
        })
        .collect()
}

/// A file name such as `ZH-01 入户走访情况台账 2026-11.pdf`, without
/// characters file systems refuse.
pub fn export_file_name(ledger: &Ledger, period: &ReportPeriod, format: Format) -> String {
    let stem = format!("{} {} {}", ledger.code, ledger.title, period.slug);
    let clean: String = stem
        .chars()
        .map(|c| {
            if "<>:\"/\\|?*".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!(
        "{}.{}",
        clean.trim().trim_end_matches('.'),
        format.extension()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_code_title_and_period() {
        let catalog = Catalog::builtin();
        let ledger = catalog.ledger("bp-register").unwrap();
        let period = ReportPeriod::parse("2026-11").unwrap();
        assert_eq!(
            export_file_name(ledger, &period, Format::Pdf),
            "WJ-02 居民血压测量登记表 2026-11.pdf"
        );

        let mut odd = ledger.clone();
        odd.title = "a/b:c?".to_string();
        assert_eq!(
            export_file_name(&odd, &period, Format::Csv),
            "WJ-02 a_b_c_ 2026-11.csv"
        );
    }
}
