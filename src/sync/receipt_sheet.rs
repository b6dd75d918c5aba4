//! The hub's receipts (回执) as a sheet the desktop's exporters can print:
//! proof, on paper, of which records reached the sub-district and when.
//!
//! The sheet is a ledger of its own kind whose cells are filled here rather
//! than drawn from record fields, so the PDF, XLSX and CSV exporters print
//! it with the same header, page codes and sign-off as any other ledger.

use chrono::{DateTime, Local, NaiveDate};

use super::outbox::StoredReceipt;
use crate::ledger::{
    Catalog, Column, Governance, GovernanceStatus, Ledger, LedgerRow, LedgerRows, Orientation,
    Period, PrintSettings, RecordState,
};

/// The id of the receipts sheet; page codes printed on it name this id.
pub const RECEIPTS_SHEET_ID: &str = "sync-receipts";

fn column(title: &str, title_en: &str, width: f32) -> Column {
    Column {
        title: title.to_string(),
        title_en: title_en.to_string(),
        value: String::new(),
        width,
    }
}

/// The sheet's ledger: its title, code and columns.
pub fn receipts_ledger() -> Ledger {
    Ledger {
        id: RECEIPTS_SHEET_ID.to_string(),
        code: "TB-HZ".to_string(),
        title: "数据上报回执单".to_string(),
        title_en: "Sync receipts".to_string(),
        department: "街道".to_string(),
        period: Period::Month,
        governance: Governance {
            status: GovernanceStatus::Active,
            approved_by: None,
            approval_document: None,
            approved_on: None,
            review_on: None,
        },
        sources: Vec::new(),
        columns: vec![
            column("回执号", "Receipt", 12.0),
            column("记录类型", "Record type", 11.0),
            column("记录日期", "Record date", 10.0),
            column("版本", "Rev", 4.0),
            column("记录编号", "Record id", 34.0),
            column("中心接收时间", "Received", 15.0),
        ],
        // Landscape, so that whole record ids and receipt numbers fit on one line.
        print: PrintSettings {
            orientation: Orientation::Landscape,
            ..PrintSettings::default()
        },
        mask: Vec::new(),
    }
}

/// When the hub stored a revision, in local time, to the minute.
fn received_local(received_at: &str) -> (String, Option<NaiveDate>) {
    match DateTime::parse_from_rfc3339(received_at) {
        Ok(at) => {
            let local = at.with_timezone(&Local);
            (
                local.format("%Y-%m-%d %H:%M").to_string(),
                Some(local.date_naive()),
            )
        }
        Err(_) => (received_at.to_string(), None),
    }
}

/// One row per receipt, in the order given. A receipt's date is its
/// record's date, or the day the hub received it when the record has none.
/// `today` stands in for the dates of an empty sheet.
pub fn receipt_rows(catalog: &Catalog, receipts: &[StoredReceipt], today: NaiveDate) -> LedgerRows {
    let ledger = receipts_ledger();
    let rows: Vec<LedgerRow> = receipts
        .iter()
        .map(|r| {
            let (received, received_day) = received_local(&r.received_at);
            let event_day = r
                .event_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let title = catalog
                .record_type(&r.record_type)
                .map_or_else(|| r.record_type.clone(), |t| t.title.clone());
            LedgerRow {
                record_id: r.record_id.clone(),
                revision: r.revision,
                record_type: r.record_type.clone(),
                type_version: 0,
                state: RecordState::Final,
                date: event_day.or(received_day).unwrap_or(today),
                cells: vec![
                    r.number.clone(),
                    title,
                    r.event_date.clone().unwrap_or_default(),
                    r.revision.to_string(),
                    r.record_id.clone(),
                    received,
                ],
            }
        })
        .collect();
    let from = rows.iter().map(|r| r.date).min().unwrap_or(today);
    let to = rows.iter().map(|r| r.date).max().unwrap_or(today);
    LedgerRows {
        ledger_id: ledger.id,
        columns: ledger.columns.iter().map(|c| c.title.clone()).collect(),
        from,
        to,
        rows,
    }
}
