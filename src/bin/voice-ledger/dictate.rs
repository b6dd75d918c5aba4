//! `voice-ledger dictate AUDIO`: transcribe a recording, read it into a
//! record type's fields and, with `--save`, keep it as a draft record.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{Local, NaiveDate};
use clap::Args;
use serde_json::json;
use voice_ledger::asr::{Engine, EngineOptions, Observer, TranscribeOptions};
use voice_ledger::audio::{AudioError, DecodeOptions, VadConfig, load_speech};
use voice_ledger::dictation::{self, Knowledge};
use voice_ledger::ledger::display_value;
use voice_ledger::model;

use crate::app::{App, bad_input, print_json};
use crate::records::{Who, enterable_type};

#[derive(Debug, Args)]
pub struct DictateArgs {
    /// The recording (WAV, MP3, M4A, FLAC or OGG).
    audio: PathBuf,
    /// Record type id, e.g. home-visit.
    #[arg(long, default_value = "home-visit")]
    record_type: String,
    /// Day the dictation was recorded (resolves 今天, 昨天…); default today.
    #[arg(long)]
    date: Option<NaiveDate>,
    /// Save a draft record with the transcript and the recording.
    #[arg(long)]
    save: bool,
    /// Speech model (default: the installed default).
    #[arg(long)]
    model: Option<String>,
    /// Decoder threads (default: physical cores minus one).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    who: Who,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: DictateArgs) -> anyhow::Result<()> {
    let catalog = app.catalog()?;
    let record_type = enterable_type(&catalog, &args.record_type)?;
    let mut store = app.store()?;
    let residents = store.residents()?;
    let gazetteer = crate::extract::gazetteer(app)?.with_residents(&residents);
    let date = args.date.unwrap_or_else(|| Local::now().date_naive());

    let speech = load_speech(
        &args.audio,
        &DecodeOptions::default(),
        &VadConfig::default(),
    )
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
            Some(&args.audio),
            &args.who.author(),
            &args.who.committee(),
        )
        .context("could not save the dictation")?;
        Some(record)
    } else {
        None
    };

    if args.json {
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
