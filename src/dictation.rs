//! One dictation from recording to draft record: the pipeline the command
//! line and the desktop app share, so both save exactly the same thing.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::asr::{AsrError, Engine, Observer, PromptTerms, TranscribeOptions, Transcript};
use crate::audio::Speech;
use crate::encryption::{DataKey, recording};
use crate::extract::{Extraction, Gazetteer, Segment, extract};
use crate::ledger::{Record, RecordState, RecordType, Resident, check_value};
use crate::paths::DataDir;
use crate::store::{NewRecord, Store, StoreError};

/// Errors saving a dictation.
#[derive(Debug, thiserror::Error)]
pub enum DictationError {
    /// The recording could not be kept with the record.
    #[error(
        "cannot keep the recording `{path}` with the record: {source}; check the data folder has space"
    )]
    KeepAudio {
        /// The recording.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The record could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was said and what was read from it.
#[derive(Debug, Clone, Serialize)]
pub struct Dictation {
    /// The recogniser's output.
    pub transcript: Transcript,
    /// The fields read from the transcript, with their evidence.
    pub extraction: Extraction,
}

/// What the committee knows that helps read a dictation: its residents and
/// its places.
#[derive(Debug, Clone, Copy)]
pub struct Knowledge<'a> {
    /// The resident registry.
    pub residents: &'a [Resident],
    /// Estates and roads.
    pub gazetteer: &'a Gazetteer,
}

/// Words for the recogniser's prompt: the record type's vocabulary, the
/// registry's names and the committee's places.
pub fn prompt_terms(
    record_type: &RecordType,
    residents: &[Resident],
    gazetteer: &Gazetteer,
) -> PromptTerms {
    let mut places: Vec<String> = gazetteer.names().map(str::to_string).collect();
    places.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    PromptTerms {
        vocabulary: record_type.vocabulary.clone(),
        names: residents.iter().map(|r| r.name.clone()).collect(),
        places,
    }
}

/// Transcribes `speech` and reads it into `record_type`'s fields.
pub fn dictate(
    engine: &Engine,
    record_type: &RecordType,
    speech: &Speech,
    recording_date: NaiveDate,
    knowledge: Knowledge<'_>,
    options: &TranscribeOptions,
    observer: &Observer,
) -> Result<Dictation, AsrError> {
    let Knowledge {
        residents,
        gazetteer,
    } = knowledge;
    let mut options = options.clone();
    options.prompt = prompt_terms(record_type, residents, gazetteer);
    let transcript = engine.transcribe(speech, &options, observer)?;
    Ok(read_fields(
        record_type,
        transcript,
        recording_date,
        knowledge,
    ))
}

/// Reads a finished transcript into `record_type`'s fields: the second half
/// of [`dictate`], for transcripts made elsewhere (live dictation
/// recognises phrase by phrase while the user speaks).
pub fn read_fields(
    record_type: &RecordType,
    transcript: Transcript,
    recording_date: NaiveDate,
    knowledge: Knowledge<'_>,
) -> Dictation {
    let Knowledge {
        residents,
        gazetteer,
    } = knowledge;
    let segments: Vec<Segment> = transcript
        .segments
        .iter()
        .map(|s| Segment {
            start_ms: (s.start * 1000.0).round() as u64,
            end_ms: (s.end * 1000.0).round() as u64,
            text: s.text.clone(),
        })
        .collect();
    let extraction = extract(
        record_type,
        &transcript.text,
        &segments,
        recording_date,
        residents,
        gazetteer,
    );
    Dictation {
        transcript,
        extraction,
    }
}

/// Saves a dictation as a draft record, keeping a copy of the recording in
/// the data folder. Values that do not pass the template's checks are left
/// for the user to fill in rather than refused: the extraction's warnings
/// say which.
pub fn save(
    data: &DataDir,
    store: &mut Store,
    record_type: &RecordType,
    dictation: &Dictation,
    recording: Option<&Path>,
    author: &str,
    committee: &str,
) -> Result<Record, DictationError> {
    let audio_ref = recording
        .map(|path| keep_recording(data, store.key(), path))
        .transpose()?;
    let fields = dictation
        .extraction
        .fields
        .iter()
        .filter_map(|f| {
            let spec = record_type.field(&f.key)?;
            let value = check_value(spec, &f.value).ok()??;
            Some((f.key.clone(), value))
        })
        .collect();
    let new = NewRecord {
        fields,
        transcript: Some(dictation.transcript.text.clone()),
        audio_ref,
        author: author.to_string(),
        committee: committee.to_string(),
        resident_id: dictation.extraction.resident.as_ref().map(|r| r.id.clone()),
        state: RecordState::Draft,
    };
    Ok(store.insert_record(record_type, new, author, "口述录入")?)
}

/// Copies a recording into the audio folder under a new name; returns the
/// name relative to that folder. In an encrypted data folder the copy is
/// sealed (`<name>.enc`). A recording already in the audio folder (a live
/// dictation is recorded straight into it) is referenced, or sealed next to
/// itself and the plain file removed.
fn keep_recording(
    data: &DataDir,
    key: Option<&DataKey>,
    source: &Path,
) -> Result<String, DictationError> {
    let error = |e| DictationError::KeepAudio {
        path: source.to_path_buf(),
        source: e,
    };
    let inside = source
        .strip_prefix(data.audio_dir())
        .ok()
        .map(|inside| inside.to_string_lossy().replace('\\', "/"));
    let name = match (&inside, key) {
        (Some(inside), None) => return Ok(inside.clone()),
        (Some(inside), Some(_)) => inside.clone(),
        (None, _) => {
            let extension = source
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("wav")
                .to_ascii_lowercase();
            let month = chrono::Local::now().format("%Y-%m").to_string();
            format!("{month}/{}.{extension}", uuid::Uuid::now_v7())
        }
    };
    let name = match key {
        Some(_) => format!("{name}.{}", recording::SEALED_EXTENSION),
        None => name,
    };
    let target = data.audio_dir().join(&name);
    let partial = target.with_extension("partial");
    std::fs::create_dir_all(target.parent().expect("audio files live in a folder"))
        .map_err(error)?;
    match key {
        Some(key) => {
            let plain = std::fs::read(source).map_err(error)?;
            std::fs::write(&partial, recording::seal(key, &plain)).map_err(error)?;
        }
        None => {
            std::fs::copy(source, &partial).map_err(error)?;
        }
    }
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(error)?;
    std::fs::rename(&partial, &target).map_err(error)?;
    if inside.is_some() {
        // The plain recording made while capturing is now sealed.
        crate::retention::shred(source).map_err(error)?;
    }
    Ok(name)
}
