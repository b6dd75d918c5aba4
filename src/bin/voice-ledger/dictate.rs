//! `voice-ledger dictate AUDIO`: transcribe a recording, read it into a
//! record type's fields and, with `--save`, keep it as a draft record.
//! `--live` does the same from the microphone (see `live.rs`).

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{Local, NaiveDate};
use clap::Args;
use serde_json::json;
use voice_ledger::asr::{Engine, EngineOptions, Observer, TranscribeOptions};
use voice_ledger::audio::{AudioError, DecodeOptions, VadConfig, load_speech};
use voice_ledger::dictation::{self, Dictation, Knowledge};
use voice_ledger::ledger::{Record, display_value};
use voice_ledger::model;

use crate::app::{App, bad_input, print_json};
use crate::records::{Who, enterable_type};

#[derive(Debug, Args)]
pub struct DictateArgs {
    /// The recording (WAV, MP3, M4A, FLAC or OGG); omit with --live.
    #[arg(required_unless_present = "live")]
    pub audio: Option<PathBuf>,
    /// Dictate live from the microphone: text appears phrase by phrase
    /// while speaking; stop with Enter or --seconds.
    #[arg(long, conflicts_with = "audio")]
    pub live: bool,
    /// Record type id, e.g. home-visit.
    #[arg(long, default_value = "home-visit")]
    pub record_type: String,
    /// Day the dictation was recorded (resolves 今天, 昨天…); default today.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Save a draft record with the transcript and the recording.
    #[arg(long)]
    pub save: bool,
    /// Speech model (default: the installed default).
    #[arg(long)]
    pub model: Option<String>,
    /// Decoder threads (default: physical cores minus one).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub who: Who,
    #[command(flatten)]
    pub capture: crate::capture::CaptureArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: DictateArgs) -> anyhow::Result<()> {
    if args.live {
        return crate::live::dictate_live(app, args);
    }
    let Some(audio) = args.audio.clone() else {
        return Err(bad_input(anyhow::anyhow!(
            "give a recording to dictate, or --live to use the microphone"
        )));
    };
    let catalog = app.catalog()?;
    let record_type = enterable_type(&catalog, &args.record_type)?;
    let mut store = app.store()?;
    let residents = store.residents()?;
    let gazetteer = crate::extract::gazetteer(app)?.with_residents(&residents);
    let date = args.date.unwrap_or_else(|| Local::now().date_naive());

    let speech = load_speech(&audio, &DecodeOptions::default(), &VadConfig::default())
        .map_err(|e: AudioError| bad_input(e))?;
    let resolved = model::resolve(&app.data, args.model.as_deref())?;
    let engine = Engine::load(&resolved.path, &EngineOptions::default())?;
    let mut options = TranscribeOptions::default();
    if let Some(threads) = args.threads {
        options.threads = threads.max(1);
    }
    let knowledge = Knowledge {
        residents: &residents,
        gazetteer: &gazetteer,
    };
    let result = dictation::dictate(
        &engine,
        record_type,
        &speech,
        date,
        knowledge,
        &options,
        &Observer::new(),
    )?;

    let saved = if args.save {
        let record = dictation::save(
            &app.data,
            &mut store,
            record_type,
            &result,
            Some(&audio),
            &args.who.author(),
            &args.who.committee(),
        )
        .context("could not save the dictation")?;
        Some(record)
    } else {
        None
    };

    show(&result, saved.as_ref(), args.json)
}

/// Prints a dictation: JSON, or the text and its fields for a person.
pub fn show(result: &Dictation, saved: Option<&Record>, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&json!({
            "transcript": result.transcript,
            "extraction": result.extraction,
            "record": saved,
        }));
    }
    println!("听到 / heard: {}", result.transcript.text);
    for field in &result.extraction.fields {
        let corrected = field
            .original
            .as_ref()
            .map(|o| format!("  （原文 / was: {o}）"))
            .unwrap_or_default();
        println!(
            "  {}: {}{corrected}",
            field.title,
            display_value(&field.value)
        );
    }
    for missing in &result.extraction.missing_required {
        println!("  ⚠ 缺少 / missing: {}", missing.title);
    }
    for warning in &result.extraction.warnings {
        println!("  ⚠ {}", warning.message);
    }
    if let Some(record) = saved {
        println!("已保存为草稿 / saved as draft: {}", record.id);
    }
    Ok(())
}
