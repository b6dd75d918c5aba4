//! `voice-ledger dictate --live`: dictation from the microphone with text
//! appearing phrase by phrase; and `voice-ledger bench live`, how soon the
//! final text and fields are there after the user stops.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use chrono::{Local, NaiveDate};
use clap::Args;
use serde::Serialize;
use serde_json::json;
use voice_ledger::asr::{Engine, EngineOptions, TranscribeOptions};
use voice_ledger::audio::{DecodeOptions, SAMPLE_RATE, decode_file};
use voice_ledger::capture::{
    CaptureEvent, EnginePhrases, LiveDictation, PhraseConfig, PlayedSamples, Recorder,
    RecorderOptions, Recording,
};
use voice_ledger::dictation::{self, Dictation, Knowledge};
use voice_ledger::extract::Gazetteer;
use voice_ledger::ledger::{RecordType, Resident};
use voice_ledger::model;

use crate::app::{App, bad_input};
use crate::capture::{EventView, pick_device, recover, run_until_done, user_error};
use crate::dictate::{DictateArgs, show};
use crate::records::enterable_type;

/// What every live dictation needs besides a sound source.
struct Setup {
    record_type: RecordType,
    residents: Vec<Resident>,
    gazetteer: Gazetteer,
    engine: Arc<Engine>,
    options: TranscribeOptions,
}

impl Setup {
    fn new(
        app: &App,
        record_type: &str,
        model_name: Option<&str>,
        threads: Option<usize>,
    ) -> anyhow::Result<Setup> {
        let catalog = app.catalog()?;
        let record_type = enterable_type(&catalog, record_type)?.clone();
        let residents = app.store()?.residents()?;
        let gazetteer = crate::extract::gazetteer(app)?.with_residents(&residents);
        let resolved = model::resolve(&app.data, model_name)?;
        let engine = Arc::new(Engine::load(&resolved.path, &EngineOptions::default())?);
        let mut options = TranscribeOptions {
            prompt: dictation::prompt_terms(&record_type, &residents, &gazetteer),
            ..TranscribeOptions::default()
        };
        if let Some(threads) = threads {
            options.threads = threads.max(1);
        }
        Ok(Setup {
            record_type,
            residents,
            gazetteer,
            engine,
            options,
        })
    }

    /// The recogniser thread and the recorder options that feed it.
    fn start(
        &self,
        path: PathBuf,
        audio_dir: PathBuf,
        max_seconds: Option<f64>,
    ) -> (
        LiveDictation,
        RecorderOptions,
        Sender<CaptureEvent>,
        Receiver<CaptureEvent>,
    ) {
        let (events_tx, events) = channel();
        let recognizer = EnginePhrases::new(Arc::clone(&self.engine), self.options.clone());
        let (dictation, tap) = LiveDictation::start(
            Box::new(recognizer),
            PhraseConfig::default(),
            events_tx.clone(),
        );
        let options = RecorderOptions {
            path,
            audio_dir,
            max_seconds,
            tap: Some(Box::new(tap)),
        };
        (dictation, options, events_tx, events)
    }

    /// Waits for the last phrase and reads the text into fields.
    fn finish(
        &self,
        live: LiveDictation,
        recording: &Recording,
        date: NaiveDate,
    ) -> anyhow::Result<Finished> {
        let transcript = live.finish()?;
        let text_ready = Instant::now();
        let phrases = transcript.phrases.len();
        let transcript =
            transcript.to_transcript(&self.engine, &self.options.language, recording.duration_s);
        let knowledge = Knowledge {
            residents: &self.residents,
            gazetteer: &self.gazetteer,
        };
        let result = dictation::read_fields(&self.record_type, transcript, date, knowledge);
        Ok(Finished {
            result,
            phrases,
            text_ready,
            fields_ready: Instant::now(),
        })
    }
}

/// A live dictation after the stop.
struct Finished {
    result: Dictation,
    phrases: usize,
    text_ready: Instant,
    fields_ready: Instant,
}

impl Finished {
    /// Seconds from `stop` (the end of the utterance) to text and fields.
    fn latency(&self, stop: Instant) -> Latency {
        Latency {
            stop_to_text_s: (self.text_ready - stop).as_secs_f64(),
            stop_to_fields_s: (self.fields_ready - stop).as_secs_f64(),
        }
    }
}

/// Seconds from the end of recording to the text and to the fields.
#[derive(Debug, Clone, Copy, Serialize)]
struct Latency {
    stop_to_text_s: f64,
    stop_to_fields_s: f64,
}

pub fn dictate_live(app: &App, args: DictateArgs) -> anyhow::Result<()> {
    recover(app)?;
    let setup = Setup::new(app, &args.record_type, args.model.as_deref(), args.threads)?;
    let date = args.date.unwrap_or_else(|| Local::now().date_naive());
    let device = pick_device(app, args.capture.device.as_deref())?;
    // Straight into the audio folder, where a saved record keeps it.
    let month = Local::now().format("%Y-%m").to_string();
    let path = app
        .data
        .audio_dir()
        .join(month)
        .join(format!("{}.wav", uuid::Uuid::now_v7()));
    let (live, options, events_tx, events) =
        setup.start(path, app.data.audio_dir(), args.capture.seconds);

    let recorder = Recorder::start(&device, options, events_tx).map_err(user_error)?;
    let recording = run_until_done(recorder, &events, &args.capture, &device)?;
    let stopped = Instant::now();
    let finished = setup.finish(live, &recording, date)?;
    let latency = finished.latency(stopped);
    let result = finished.result;
    let mut view = EventView::new(args.capture.progress);
    while let Ok(event) = events.try_recv() {
        view.show(&event);
    }
    tracing::debug!(?latency, "live dictation finished");

    let saved = if args.save {
        let mut store = app.store()?;
        let record = dictation::save(
            &app.data,
            &mut store,
            &setup.record_type,
            &result,
            Some(&recording.path),
            &args.who.author(),
            &args.who.committee(),
        )
        .context("could not save the dictation")?;
        Some(record)
    } else {
        if recording.interrupted.is_none() {
            // Nothing refers to the recording; it would only take up space.
            let _ = std::fs::remove_file(&recording.path);
        }
        None
    };

    if args.capture.progress {
        println!(
            "{}",
            json!({
                "event": "result",
                "transcript": result.transcript,
                "extraction": result.extraction,
                "record": saved,
                "recording": recording,
                "latency": latency,
            })
        );
    } else {
        show(&result, saved.as_ref(), args.json)?;
        if !args.json {
            println!(
                "停止后 {0:.2} 秒出全文，{1:.2} 秒出字段 / text {0:.2} s and fields {1:.2} s after stopping",
                latency.stop_to_text_s, latency.stop_to_fields_s
            );
        }
    }
    if let Some(e) = &recording.interrupted {
        // The dictation is kept; the user still has to know why it is short.
        eprintln!("{}", e.bilingual());
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct LiveBench {
    /// The dictation to play (default: the 8-second latency fixture).
    #[arg(long, value_name = "FILE")]
    audio: Option<PathBuf>,
    /// Capture from this device while `--player` plays the file into it;
    /// without it the file is fed through the pipeline at real-time pace.
    #[arg(long, value_name = "DEVICE")]
    device: Option<String>,
    /// Command that plays the file into the device (the file is appended).
    #[arg(
        long,
        value_name = "COMMAND",
        default_value = "paplay",
        requires = "device"
    )]
    player: String,
    /// Stop the moment the speech ends instead of after the file's
    /// trailing silence: only the last phrase is then left at the stop.
    #[arg(long)]
    trim_silence: bool,
    /// Runs to make; each is reported, then the median and the worst.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Record type the dictation is read into.
    #[arg(long, default_value = "home-visit")]
    record_type: String,
    /// Speech model (default: the installed default).
    #[arg(long)]
    model: Option<String>,
    /// Decoder threads (default: physical cores minus one).
    #[arg(long)]
    threads: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// One measured run.
#[derive(Debug, Serialize)]
struct LiveRun {
    audio_s: f64,
    phrases: usize,
    /// From the start of capture to the first partial text.
    first_partial_s: Option<f64>,
    /// From the end of the utterance to the final text.
    stop_to_text_s: f64,
    /// From the end of the utterance to the extracted fields.
    stop_to_fields_s: f64,
    /// Seconds spent recognising, all phrases together.
    recognise_s: f64,
    text: String,
}

pub fn bench_live(app: &App, args: LiveBench) -> anyhow::Result<()> {
    let audio = args.audio.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/speech/bench/bench-8s.wav")
    });
    let mut samples = decode_file(&audio, &DecodeOptions::default())
        .map_err(bad_input)?
        .samples;
    if args.trim_silence {
        samples.truncate(speech_end(&samples));
    }
    let setup = Setup::new(app, &args.record_type, args.model.as_deref(), args.threads)?;
    let scratch =
        std::env::temp_dir().join(format!("voice-ledger-bench-live-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create `{}`", scratch.display()))?;

    let mut runs = Vec::new();
    for run in 0..args.runs.max(1) {
        let path = scratch.join(format!("run-{run}.wav"));
        let result = match &args.device {
            None => bench_paced(&setup, &samples, path, &scratch),
            Some(device) => bench_device(app, &setup, &args, &audio, device, path, &scratch),
        };
        let result = result?;
        if !args.json {
            println!(
                "run {}: {:.1} s audio, {} phrases, first text {} after the start, \
                 final text {:.2} s and fields {:.2} s after the end (recognising {:.2} s in all)\n  {}",
                run + 1,
                result.audio_s,
                result.phrases,
                result
                    .first_partial_s
                    .map_or("-".to_string(), |s| format!("{s:.2} s")),
                result.stop_to_text_s,
                result.stop_to_fields_s,
                result.recognise_s,
                result.text
            );
        }
        runs.push(result);
    }
    let _ = std::fs::remove_dir_all(&scratch);

    let mut latencies: Vec<f64> = runs.iter().map(|r| r.stop_to_fields_s).collect();
    latencies.sort_by(f64::total_cmp);
    let median = latencies[latencies.len() / 2];
    let worst = latencies[latencies.len() - 1];
    if args.json {
        return crate::app::print_json(&json!({
            "audio": audio,
            "device": args.device,
            "trim_silence": args.trim_silence,
            "model": setup.engine.model(),
            "threads": setup.options.threads,
            "runs": runs,
            "median_stop_to_fields_s": median,
            "worst_stop_to_fields_s": worst,
        }));
    }
    println!(
        "model {}, {} decoder threads: text and fields {median:.2} s (median), {worst:.2} s (worst) \
         after the end of the utterance",
        setup.engine.model(),
        setup.options.threads
    );
    Ok(())
}

/// The file fed through the live pipeline at the pace of a microphone.
fn bench_paced(
    setup: &Setup,
    samples: &[f32],
    path: PathBuf,
    scratch: &Path,
) -> anyhow::Result<LiveRun> {
    let source = PlayedSamples::new(samples.to_vec(), 1.0);
    let ended = source.ended();
    let (live, options, events_tx, events) = setup.start(path, scratch.to_path_buf(), None);
    let started = Instant::now();
    let recorder = Recorder::start_source(Box::new(source), "file".into(), options, events_tx)
        .map_err(user_error)?;
    let mut first_partial = None;
    // The user stops the moment the utterance is over.
    let end = loop {
        if let Some(end) = ended.get() {
            break *end;
        }
        if let Ok(CaptureEvent::Partial(_)) = events.recv_timeout(Duration::from_millis(2)) {
            first_partial.get_or_insert(started.elapsed().as_secs_f64());
        }
    };
    let recording = recorder.stop().map_err(user_error)?;
    measure(
        setup,
        live,
        &recording,
        &events,
        end,
        first_partial,
        started,
    )
}

/// Capture from a real device while a player plays the file into it.
fn bench_device(
    app: &App,
    setup: &Setup,
    args: &LiveBench,
    audio: &Path,
    device: &str,
    path: PathBuf,
    scratch: &Path,
) -> anyhow::Result<LiveRun> {
    let device = pick_device(app, Some(device))?;
    let (live, options, events_tx, events) = setup.start(path, scratch.to_path_buf(), None);
    let recorder = Recorder::start(&device, options, events_tx).map_err(user_error)?;
    let mut words = args.player.split_whitespace();
    let program = words
        .next()
        .ok_or_else(|| bad_input(anyhow!("--player is empty")))?;
    let started = Instant::now();
    let mut player = std::process::Command::new(program)
        .args(words)
        .arg(audio)
        .spawn()
        .with_context(|| format!("cannot start player `{}`", args.player))?;
    let mut first_partial = None;
    // The player exits once it has played the last sample: that is when
    // the utterance ends at the microphone.
    let end = loop {
        if player.try_wait()?.is_some() {
            break Instant::now();
        }
        match events.recv_timeout(Duration::from_millis(2)) {
            Ok(CaptureEvent::Partial(_)) => {
                first_partial.get_or_insert(started.elapsed().as_secs_f64());
            }
            Ok(CaptureEvent::Ended) => {
                return Err(anyhow!("the recording ended before the player finished"));
            }
            _ => {}
        }
    };
    let recording = recorder.stop().map_err(user_error)?;
    measure(
        setup,
        live,
        &recording,
        &events,
        end,
        first_partial,
        started,
    )
}

fn measure(
    setup: &Setup,
    live: LiveDictation,
    recording: &Recording,
    events: &Receiver<CaptureEvent>,
    end: Instant,
    mut first_partial: Option<f64>,
    started: Instant,
) -> anyhow::Result<LiveRun> {
    let date = Local::now().date_naive();
    let finished = setup.finish(live, recording, date)?;
    let latency = finished.latency(end);
    while let Ok(event) = events.try_recv() {
        if let CaptureEvent::Partial(_) = event {
            first_partial.get_or_insert(started.elapsed().as_secs_f64());
        }
    }
    Ok(LiveRun {
        audio_s: recording.duration_s,
        phrases: finished.phrases,
        first_partial_s: first_partial,
        stop_to_text_s: latency.stop_to_text_s,
        stop_to_fields_s: latency.stop_to_fields_s,
        recognise_s: finished.result.transcript.timings.processing_s,
        text: finished.result.transcript.text,
    })
}

/// Where the speech ends: the last sample above −40 dBFS, plus 0.2 s for the
/// fading syllable.
fn speech_end(samples: &[f32]) -> usize {
    let last = samples.iter().rposition(|s| s.abs() > 0.01).unwrap_or(0);
    (last + SAMPLE_RATE as usize / 5).min(samples.len())
}
