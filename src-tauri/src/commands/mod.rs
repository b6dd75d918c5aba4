//! The commands the front end invokes. Each converts its arguments, calls
//! the core and maps the error; none holds business rules or SQL.

pub mod dictate;
pub mod ledgers;
pub mod records;
pub mod residents;
pub mod setup;

use tauri::State;

use crate::state::AppState;

/// Asks a running job (dictation, model install) to stop.
#[tauri::command]
pub fn cancel_job(state: State<'_, AppState>, job: String) -> bool {
    state.cancel_job(&job)
}
