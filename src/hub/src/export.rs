//! Sub-district ledgers: one ledger for a period across every committee,
//! written by the desktop's own exporters so that the hub's paper and
//! electronic ledgers look exactly like a committee's.
//!
//! A `居委会` column comes first, filled with the name of the committee
//! that owns each record at the hub. Resident registry columns are empty:
//! the registry stays on the committees' computers.

use std::collections::HashMap;
use std::path::Path;

use voice_ledger::export::{
    Format, HeaderContext, LedgerExport, PdfFonts, ReportPeriod, write_csv, write_json, write_pdf,
    write_xlsx,
};
use voice_ledger::ledger::{Column, ledger_rows};

use crate::records::records_for_export;
use crate::{Hub, HubError, admin};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    /// Rows in the ledger.
    pub rows: usize,
    /// Committees with at least one row.
    pub committees: usize,
    /// Pages, for a PDF.
    pub pages: Option<usize>,
}

/// Writes ledger `ledger_id` for `period`, all committees together.
/// `fonts` is needed for PDF only.
pub fn export_ledger(
    hub: &Hub,
    ledger_id: &str,
    period: &ReportPeriod,
    format: Format,
    path: &Path,
    sub_district: &str,
    fonts: Option<&PdfFonts>,
) -> Result<ExportSummary, HubError> {
    let (state, records, committees) = hub.admin(|conn| {
        let state = hub.catalog().get(conn)?;
        let Some(ledger) = state.catalog.ledger(ledger_id) else {
            let known: Vec<&str> = state.catalog.ledgers().map(|l| l.id.as_str()).collect();
            return Err(HubError::NotFound(format!(
                "ledger `{ledger_id}`; known ledgers: {}",
                known.join(", ")
            )));
        };
        let types: Vec<String> = ledger
            .sources
            .iter()
            .map(|s| s.record_type.clone())
            .collect();
        let from = period.from.format("%Y-%m-%d").to_string();
        let to = period.to.format("%Y-%m-%d").to_string();
        let records = records_for_export(conn, &types, &from, &to)?;
        let committees: HashMap<String, String> = admin::committees(conn)?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        Ok((state, records, committees))
    })?;

    let mut ledger = state
        .catalog
        .ledger(ledger_id)
        .cloned()
        .expect("the ledger was found above");
    // Wide enough for the longest committee name on one line (a Chinese
    // character takes about two width units), within reason.
    let longest = committees
        .values()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(4);
    ledger.columns.insert(
        0,
        Column {
            title: "居委会".to_string(),
            title_en: "Committee".to_string(),
            value: "{record.committee}".to_string(),
            width: (longest as f32 * 2.0 + 1.0).clamp(8.0, 24.0),
        },
    );
    let records: Vec<_> = records
        .into_iter()
        .map(|(mut record, committee_id)| {
            // The hub's word on ownership, not the text typed on the desktop.
            if let Some(name) = committees.get(&committee_id) {
                record.committee = name.clone();
            }
            record
        })
        .collect();
    let rows = ledger_rows(
        &state.catalog,
        &ledger,
        &records,
        &HashMap::new(),
        period.from,
        period.to,
    );
    let with_rows: std::collections::BTreeSet<&str> = rows
        .rows
        .iter()
        .filter_map(|row| records.iter().find(|r| r.id == row.record_id))
        .map(|r| r.committee.as_str())
        .collect();
    let header = HeaderContext {
        sub_district: sub_district.to_string(),
        committee: format!("全部居委会（{}个）", with_rows.len()),
        period_label: period.label.clone(),
        printed_at: chrono::Local::now().naive_local(),
    };
    let export = LedgerExport {
        ledger: &ledger,
        rows: &rows,
        header: &header,
    };

    let mut pages = None;
    let written = match format {
        Format::Csv => write_csv(&export, path),
        Format::Json => write_json(&export, path),
        Format::Xlsx => write_xlsx(&[export], path),
        Format::Pdf => {
            let fonts = fonts.ok_or_else(|| {
                HubError::Invalid("a PDF export needs a Chinese font; pass --font FILE".into())
            })?;
            write_pdf(&export, fonts, path).map(|rendered| {
                pages = Some(rendered.pages.len());
            })
        }
    };
    written.map_err(|e| HubError::Export(e.to_string()))?;
    Ok(ExportSummary {
        rows: rows.rows.len(),
        committees: with_rows.len(),
        pages,
    })
}
