//! 台账 and 模板: ledger rows for a period, exports, the catalogue.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{Local, NaiveDate};
use serde::Serialize;
use tauri::State;
use voice_ledger::export::{
    Format, HeaderContext, LedgerExport, ReportPeriod, export_file_name, exportable_ledgers,
    last_printed, write_ledger,
};
use voice_ledger::ledger::{
    Catalog, Ledger, LedgerRows, Record, RecordType, Resident, ledger_rows,
};
use voice_ledger::store::{RecordQuery, Store};

use crate::error::{CommandError, CommandResult};
use crate::state::{AppState, Shared};

/// A ledger unprinted for this many days is a candidate for retirement.
const STALE_AFTER_DAYS: i64 = 90;

/// A ledger in the catalogue.
#[derive(Debug, Serialize)]
pub struct LedgerEntry {
    /// The template.
    #[serde(flatten)]
    pub ledger: Ledger,
    /// When it was last printed to PDF, local time.
    pub last_printed: Option<String>,
    /// Not printed for months (or never, once approved that long ago).
    pub stale: bool,
    /// Where the template comes from (built in, or a user file).
    pub origin: Option<String>,
}

/// A record type in the catalogue.
#[derive(Debug, Serialize)]
pub struct RecordTypeEntry {
    /// The template.
    #[serde(flatten)]
    pub record_type: RecordType,
    /// Whether an active ledger takes its entries.
    pub enterable: bool,
}

/// Record types and ledgers.
#[derive(Debug, Serialize)]
pub struct CatalogView {
    /// Record types.
    pub record_types: Vec<RecordTypeEntry>,
    /// Ledgers, by code.
    pub ledgers: Vec<LedgerEntry>,
}

/// The catalogue with each ledger's last print.
#[tauri::command]
pub fn catalog(state: State<'_, AppState>) -> CommandResult<CatalogView> {
    let catalog = state.catalog()?;
    let printed = last_printed(state.store()?.connection())?;
    let today = Local::now().date_naive();
    let enterable: Vec<String> = catalog
        .enterable_record_types()
        .iter()
        .map(|rt| rt.id.clone())
        .collect();
    let mut ledgers: Vec<LedgerEntry> = catalog
        .ledgers()
        .map(|l| {
            let last = printed.get(&l.id);
            let since = last
                .map(|at| at.date())
                .or(l.governance.approved_on)
                .unwrap_or(today);
            LedgerEntry {
                ledger: l.clone(),
                last_printed: last.map(|at| at.format("%Y-%m-%d %H:%M").to_string()),
                stale: (today - since).num_days() > STALE_AFTER_DAYS,
                origin: catalog.origin_of_ledger(&l.id).map(str::to_string),
            }
        })
        .collect();
    ledgers.sort_by(|a, b| a.ledger.code.cmp(&b.ledger.code));
    Ok(CatalogView {
        record_types: catalog
            .record_types()
            .into_iter()
            .map(|rt| RecordTypeEntry {
                record_type: rt.clone(),
                enterable: enterable.contains(&rt.id),
            })
            .collect(),
        ledgers,
    })
}

/// Retires a ledger: no new entries, its history stays exportable.
#[tauri::command]
pub fn ledger_retire(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    let mut catalog = state.catalog()?;
    catalog.retire_ledger(&id, &state.data.templates_dir(), Local::now().date_naive())?;
    Ok(())
}

/// What a period holds for the ledgers.
struct PeriodData {
    catalog: Catalog,
    store: Store,
    period: ReportPeriod,
    records: Vec<Record>,
    residents: HashMap<String, Resident>,
}

fn period_data(shared: &Shared, period: &str) -> CommandResult<PeriodData> {
    let period = ReportPeriod::parse(period)?;
    let store = shared.store()?;
    let records = store.records(&RecordQuery {
        from: Some(period.from),
        to: Some(period.to),
        ..RecordQuery::default()
    })?;
    let residents = store
        .residents()?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    Ok(PeriodData {
        catalog: shared.catalog()?,
        store,
        period,
        records,
        residents,
    })
}

fn find_ledger<'c>(catalog: &'c Catalog, id: &str) -> CommandResult<&'c Ledger> {
    catalog
        .ledger(id)
        .ok_or_else(|| CommandError::not_found(format!("no ledger `{id}`")))
}

/// A ledger's rows for a period, as they print.
#[derive(Debug, Serialize)]
pub struct LedgerPage {
    /// The period as printed, e.g. 2026年11月.
    pub period_label: String,
    /// The rows.
    pub rows: LedgerRows,
}

/// The rows of `ledger` in `period` (2026-11, 2026-Q4 or 2026).
#[tauri::command]
pub fn ledger_rows_for(
    state: State<'_, AppState>,
    ledger: String,
    period: String,
) -> CommandResult<LedgerPage> {
    let data = period_data(&state, &period)?;
    let template = find_ledger(&data.catalog, &ledger)?;
    let rows = ledger_rows(
        &data.catalog,
        template,
        &data.records,
        &data.residents,
        data.period.from,
        data.period.to,
    );
    Ok(LedgerPage {
        period_label: data.period.label.clone(),
        rows,
    })
}

/// A file written by an export.
#[derive(Debug, Serialize)]
pub struct ExportedView {
    /// Ledger id.
    pub ledger: String,
    /// The file.
    pub path: PathBuf,
    /// Rows written.
    pub rows: usize,
    /// Pages, for PDFs.
    pub pages: Option<usize>,
    /// Characters the PDF font lacks.
    pub missing_glyphs: String,
}

fn header(shared: &Shared, data: &PeriodData) -> CommandResult<HeaderContext> {
    let profile = shared.profile()?;
    Ok(HeaderContext {
        sub_district: profile.sub_district.clone(),
        committee: profile.committee_name(),
        period_label: data.period.label.clone(),
        printed_at: Local::now().naive_local(),
    })
}

fn export_folder(shared: &Shared, period: &ReportPeriod) -> CommandResult<PathBuf> {
    let folder = shared.data.root().join("exports").join(&period.slug);
    std::fs::create_dir_all(&folder).map_err(|e| {
        CommandError::input(format!(
            "cannot create the export folder `{}`: {e}; check the data folder is writable",
            folder.display()
        ))
    })?;
    Ok(folder)
}

fn parse_format(format: &str) -> CommandResult<Format> {
    Format::parse(format)
        .ok_or_else(|| CommandError::input(format!("`{format}` is not pdf, xlsx, csv or json")))
}

/// Exports ledgers of a period into the data folder's `exports/<period>/`:
/// one ledger, or every ledger the period covers when `ledger` is none.
#[tauri::command]
pub async fn ledger_export(
    state: State<'_, AppState>,
    ledger: Option<String>,
    period: String,
    format: String,
) -> CommandResult<Vec<ExportedView>> {
    let shared = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let format = parse_format(&format)?;
        let data = period_data(&shared, &period)?;
        let header = header(&shared, &data)?;
        let folder = export_folder(&shared, &data.period)?;
        let fonts = (format == Format::Pdf)
            .then(|| shared.fonts())
            .transpose()?;
        let selected: Vec<(&Ledger, LedgerRows)> = match &ledger {
            Some(id) => {
                let template = find_ledger(&data.catalog, id)?;
                let rows = ledger_rows(
                    &data.catalog,
                    template,
                    &data.records,
                    &data.residents,
                    data.period.from,
                    data.period.to,
                );
                vec![(template, rows)]
            }
            None => exportable_ledgers(&data.catalog, &data.records, &data.residents, &data.period),
        };
        let mut written = Vec::new();
        for (template, rows) in &selected {
            let path = folder.join(export_file_name(template, &data.period, format));
            let export = LedgerExport {
                ledger: template,
                rows,
                header: &header,
            };
            let done = write_ledger(
                data.store.connection(),
                &export,
                format,
                fonts.as_deref(),
                &path,
            )?;
            written.push(ExportedView {
                ledger: done.file.ledger_id,
                path: done.file.path,
                rows: done.file.rows,
                pages: done.file.pages,
                missing_glyphs: done.missing_glyphs.into_iter().collect(),
            });
        }
        Ok(written)
    })
    .await
    .map_err(|e| CommandError::input(e.to_string()))?
}

/// This month as a period, e.g. `2026-11`.
#[tauri::command]
pub fn current_period() -> String {
    let today: NaiveDate = Local::now().date_naive();
    today.format("%Y-%m").to_string()
}
