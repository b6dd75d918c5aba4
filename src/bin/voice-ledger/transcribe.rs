//! `voice-ledger transcribe FILE`: a recording to simplified-Chinese text.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use voice_ledger::asr::prompt::place_name;
use voice_ledger::asr::{
    Engine, EngineOptions, Observer, PromptTerms, TranscribeOptions, default_threads,
};
use voice_ledger::audio::{self, DecodeOptions, VadConfig};
use voice_ledger::model;

use crate::app::{App, bad_input, print_json};

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// The recording: WAV, MP3, M4A/AAC, FLAC or Ogg Vorbis.
    pub file: PathBuf,
    /// Speech model (default: the default installed model).
    #[arg(long)]
    pub model: Option<String>,
    /// Beam width; 1 (the default) decodes greedily.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16))]
    pub beam: Option<u32>,
    /// Decoder threads (default: physical cores minus one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: Option<u32>,
    /// Record type whose vocabulary primes the recogniser.
    #[arg(long = "type", value_name = "ID", default_value = "home-visit")]
    pub record_type: String,
    /// Print JSON: text, segments, language, model and timings.
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: TranscribeArgs) -> anyhow::Result<()> {
    let terms = prompt_terms(app, &args.record_type)?;
    let options = TranscribeOptions {
        threads: args.threads.map_or_else(default_threads, |n| n as usize),
        beam_size: args.beam,
        prompt: terms,
        ..TranscribeOptions::default()
    };

    // Decode before loading the model: a bad file is reported at once.
    let speech = audio::load_speech(&args.file, &DecodeOptions::default(), &VadConfig::default())
        .map_err(bad_input)?;
    let engine = load_engine(app, args.model.as_deref())?;

    let observer = if std::io::stderr().is_terminal() && !args.json {
        Observer::new().on_progress(|share| {
            eprint!("\r识别中 / transcribing {:>3.0}%", share * 100.0);
            let _ = std::io::stderr().flush();
        })
    } else {
        Observer::new()
    };
    let transcript = engine.transcribe(&speech, &options, &observer)?;
    if std::io::stderr().is_terminal() && !args.json {
        eprint!("\r\x1b[K");
    }

    if args.json {
        return print_json(&transcript);
    }
    if transcript.text.is_empty() {
        eprintln!("没有识别出文字 / no words recognised");
    } else {
        println!("{}", transcript.text);
    }
    Ok(())
}

/// Loads the chosen (or default) installed model.
pub fn load_engine(app: &App, name: Option<&str>) -> anyhow::Result<Engine> {
    let resolved = model::resolve(&app.data, name)?;
    let engine = Engine::load(&resolved.path, &EngineOptions::default())
        .with_context(|| format!("cannot load speech model `{}`", resolved.name))?;
    Ok(engine.named(resolved.name))
}

/// The record type's vocabulary plus names and places from the resident
/// registry, when there is one.
fn prompt_terms(app: &App, record_type: &str) -> anyhow::Result<PromptTerms> {
    let catalog = app.catalog()?;
    let vocabulary = catalog
        .record_type(record_type)
        .map(|t| t.vocabulary.clone())
        .ok_or_else(|| {
            bad_input(anyhow::anyhow!(
                "unknown record type `{record_type}`; see `voice-ledger templates list`"
            ))
        })?;

    let mut terms = PromptTerms {
        vocabulary,
        ..PromptTerms::default()
    };
    // Only read an existing registry; transcribing must not create a database.
    if app.data.database().is_file() {
        let residents = app.store()?.residents()?;
        terms.names = residents.iter().map(|r| r.name.clone()).collect();
        terms.places = residents
            .iter()
            .filter_map(|r| place_name(&r.address))
            .collect();
    }
    Ok(terms)
}
