//! 居民: the registry, a resident's visits, visit coverage.

use std::path::PathBuf;

use chrono::{Datelike, Local};
use serde::Serialize;
use tauri::State;
use voice_ledger::coverage::{Coverage, coverage};
use voice_ledger::ledger::Resident;
use voice_ledger::registry::read_registry;
use voice_ledger::store::{RecordQuery, UpsertCounts};

use crate::error::CommandResult;
use crate::state::AppState;

/// What an import did.
#[derive(Debug, Serialize)]
pub struct ImportResult {
    /// Residents in the file.
    pub read: usize,
    /// New and updated residents.
    #[serde(flatten)]
    pub counts: UpsertCounts,
}

/// Imports a CSV or XLSX registry.
#[tauri::command]
pub fn residents_import(state: State<'_, AppState>, path: PathBuf) -> CommandResult<ImportResult> {
    let residents = read_registry(&path)?;
    let counts = state.store()?.upsert_residents(&residents)?;
    Ok(ImportResult {
        read: residents.len(),
        counts,
    })
}

/// Residents whose name, address or tags contain `search`.
#[tauri::command]
pub fn residents_list(
    state: State<'_, AppState>,
    search: Option<String>,
) -> CommandResult<Vec<Resident>> {
    let mut residents = state.store()?.residents()?;
    if let Some(text) = search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        residents.retain(|r| {
            r.name.contains(text)
                || r.address.contains(text)
                || r.tags.iter().any(|t| t.contains(text))
        });
    }
    Ok(residents)
}

/// Visit coverage of `year` (default this year) against the targets.
#[tauri::command]
pub fn visit_coverage(state: State<'_, AppState>, year: Option<i32>) -> CommandResult<Coverage> {
    let today = Local::now().date_naive();
    let store = state.store()?;
    let records = store.records(&RecordQuery::default())?;
    let residents = store.residents()?;
    Ok(coverage(
        &state.catalog()?,
        &records,
        &residents,
        year.unwrap_or(today.year()),
        today,
    ))
}
