//! Long work off the UI thread: each job has an id the front end chose,
//! reports progress as `job-progress` events and can be cancelled.

use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// The event name progress is reported under.
pub const PROGRESS_EVENT: &str = "job-progress";

/// One progress report.
#[derive(Debug, Clone, Serialize)]
pub struct JobProgress {
    /// The job's id.
    pub job: String,
    /// What it is doing: `decoding`, `transcribing`, `reading`,
    /// `downloading`, `converting`, `checking`, `trying`.
    pub stage: &'static str,
    /// How far, from 0 to 1, when known.
    pub fraction: Option<f32>,
    /// Extra words (a source, a phrase heard).
    pub detail: Option<String>,
}

/// Sends progress for `job`.
pub fn report(
    app: &AppHandle,
    job: &str,
    stage: &'static str,
    fraction: Option<f32>,
    detail: Option<String>,
) {
    let progress = JobProgress {
        job: job.to_string(),
        stage,
        fraction,
        detail,
    };
    if let Err(e) = app.emit(PROGRESS_EVENT, progress) {
        tracing::debug!(error = %e, "cannot send progress");
    }
}

/// Runs `work` on a blocking thread as job `job`, giving it the cancel flag.
pub async fn run<T: Send + 'static>(
    state: &AppState,
    job: String,
    work: impl FnOnce(std::sync::Arc<std::sync::atomic::AtomicBool>) -> CommandResult<T>
    + Send
    + 'static,
) -> CommandResult<T> {
    let flag = state.start_job(&job);
    let result = tauri::async_runtime::spawn_blocking(move || work(flag)).await;
    state.finish_job(&job);
    result.map_err(|e| CommandError {
        code: "internal",
        message: format!("the background job stopped unexpectedly: {e}"),
    })?
}
