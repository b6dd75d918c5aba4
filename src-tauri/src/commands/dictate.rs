//! 录入: a recording read into a record type's fields, reviewed, saved.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use chrono::{Local, NaiveDate};
use serde::Serialize;
use tauri::{AppHandle, State};
use voice_ledger::asr::{Observer, TranscribeOptions};
use voice_ledger::audio::{DecodeOptions, VadConfig, load_speech};
use voice_ledger::dictation::{self, Dictation, Knowledge, Review};
use voice_ledger::extract::Gazetteer;
use voice_ledger::ledger::{FieldValues, Record};

use crate::error::{CommandError, CommandResult};
use crate::jobs;
use crate::state::{AppState, PendingDictation};

/// A dictation waiting for review.
#[derive(Debug, Serialize)]
pub struct DictationView {
    /// Id to save or discard it with.
    pub id: String,
    /// The transcript and the fields read from it.
    #[serde(flatten)]
    pub dictation: Dictation,
}

/// Transcribes a recording and reads it into `record_type`'s fields. Runs
/// as job `job`: progress events, cancellable.
#[tauri::command]
pub async fn dictate_file(
    app: AppHandle,
    state: State<'_, AppState>,
    job: String,
    path: PathBuf,
    record_type: String,
    date: Option<NaiveDate>,
) -> CommandResult<DictationView> {
    let shared = state.inner().clone();
    let reporter = job.clone();
    jobs::run(&state, job, move |cancel| {
        let catalog = shared.catalog()?;
        let record_type = catalog
            .enterable_record_types()
            .into_iter()
            .find(|rt| rt.id == record_type)
            .ok_or_else(|| {
                CommandError::input(format!(
                    "record type `{record_type}` takes no entries now; choose another"
                ))
            })?;
        let residents = shared.store()?.residents()?;
        let gazetteer = Gazetteer::load(&shared.data.root().join("gazetteer.toml"))
            .map_err(|e| CommandError::input(e.to_string()))?
            .with_residents(&residents);

        jobs::report(&app, &reporter, "decoding", None, None);
        let speech = load_speech(&path, &DecodeOptions::default(), &VadConfig::default())?;
        if cancel.load(Ordering::Relaxed) {
            return Err(voice_ledger::asr::AsrError::Cancelled.into());
        }
        jobs::report(&app, &reporter, "loading", None, None);
        let engine = shared.engine()?;
        let progress_app = app.clone();
        let progress_job = reporter.clone();
        let observer = Observer::new()
            .with_cancel_flag(cancel)
            .on_progress(move |f| {
                jobs::report(&progress_app, &progress_job, "transcribing", Some(f), None);
            });
        let knowledge = Knowledge {
            residents: &residents,
            gazetteer: &gazetteer,
        };
        let date = date.unwrap_or_else(|| Local::now().date_naive());
        let dictation = dictation::dictate(
            &engine,
            record_type,
            &speech,
            date,
            knowledge,
            &TranscribeOptions::default(),
            &observer,
        )?;
        let id = shared.keep_pending(PendingDictation {
            dictation: dictation.clone(),
            recording: path,
        });
        Ok(DictationView { id, dictation })
    })
    .await
}

/// Saves a reviewed dictation: as dictated, then the user's corrections.
#[tauri::command]
pub fn dictation_save(
    state: State<'_, AppState>,
    id: String,
    corrections: FieldValues,
    make_final: bool,
    reason: String,
) -> CommandResult<Record> {
    let catalog = state.catalog()?;
    let profile = state.profile()?;
    let mut store = state.store()?;
    state.with_pending(&id, |pending| {
        let record_type = catalog
            .record_type(&pending.dictation.extraction.record_type)
            .ok_or_else(|| {
                CommandError::input("the dictation's record type is no longer defined")
            })?;
        let review = Review {
            corrections,
            make_final,
            reason,
        };
        Ok(dictation::save_reviewed(
            &state.data,
            &mut store,
            record_type,
            &pending.dictation,
            Some(&pending.recording),
            &profile.author(),
            &profile.committee_name(),
            &review,
        )?)
    })
}

/// Forgets a dictation without saving it.
#[tauri::command]
pub fn dictation_discard(state: State<'_, AppState>, id: String) {
    state.discard_pending(&id);
}
