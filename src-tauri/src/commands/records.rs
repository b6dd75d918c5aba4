//! 记录: search, open with history, edit with a reason.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tauri::State;
use voice_ledger::ledger::{FieldValues, Record, RecordState, ledgers_containing};
use voice_ledger::store::{RecordQuery, RecordUpdate, Revision};

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// Which records to list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RecordFilter {
    /// Only this record type.
    pub record_type: Option<String>,
    /// Dated on or after.
    pub from: Option<NaiveDate>,
    /// Dated on or before.
    pub to: Option<NaiveDate>,
    /// `draft` or `final`.
    pub state: Option<RecordState>,
    /// Text in any value or the transcript.
    pub text: Option<String>,
    /// Only this resident's records.
    pub resident_id: Option<String>,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

/// Records matching `filter`.
#[tauri::command]
pub fn records_list(
    state: State<'_, AppState>,
    filter: RecordFilter,
) -> CommandResult<Vec<Record>> {
    let query = RecordQuery {
        record_type: filter.record_type,
        from: filter.from,
        to: filter.to,
        state: filter.state,
        text: filter.text.filter(|t| !t.trim().is_empty()),
        resident_id: filter.resident_id,
        limit: filter.limit,
    };
    Ok(state.store()?.records(&query)?)
}

/// A ledger a record appears in.
#[derive(Debug, Serialize)]
pub struct LedgerRef {
    /// Ledger id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its department (条线).
    pub department: String,
}

/// One record with where it appears and how it came to be.
#[derive(Debug, Serialize)]
pub struct RecordDetail {
    /// The record now.
    pub record: Record,
    /// The active ledgers that show it.
    pub ledgers: Vec<LedgerRef>,
    /// Every revision, first first.
    pub history: Vec<Revision>,
}

/// Opens a record.
#[tauri::command]
pub fn record_open(state: State<'_, AppState>, id: String) -> CommandResult<RecordDetail> {
    let store = state.store()?;
    let catalog = state.catalog()?;
    let record = store.record(&id)?.ok_or_else(|| {
        CommandError::not_found(format!(
            "no record with id `{id}`; it may have been removed"
        ))
    })?;
    let residents = store
        .residents()?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let ledgers = ledgers_containing(&catalog, &record, &residents)
        .into_iter()
        .map(|l| LedgerRef {
            id: l.id.clone(),
            title: l.title.clone(),
            department: l.department.clone(),
        })
        .collect();
    let history = store.history(&id)?;
    Ok(RecordDetail {
        record,
        ledgers,
        history,
    })
}

/// Changes a record's values (the whole set) and state, with a reason.
#[tauri::command]
pub fn record_edit(
    state: State<'_, AppState>,
    id: String,
    fields: FieldValues,
    make_final: bool,
    reason: String,
) -> CommandResult<Record> {
    if reason.trim().is_empty() {
        return Err(CommandError::input(
            "say why the record is changed; the reason is kept in its history",
        ));
    }
    let catalog = state.catalog()?;
    let profile = state.profile()?;
    let mut store = state.store()?;
    let record = store
        .record(&id)?
        .ok_or_else(|| CommandError::not_found(format!("no record with id `{id}`")))?;
    let record_type = catalog.record_type(&record.record_type).ok_or_else(|| {
        CommandError::input(format!(
            "record type `{}` is no longer defined",
            record.record_type
        ))
    })?;
    let update = RecordUpdate {
        fields: Some(fields),
        state: make_final.then_some(RecordState::Final),
        ..RecordUpdate::default()
    };
    Ok(store.update_record(record_type, &id, update, &profile.author(), reason.trim())?)
}
