//! `voice-ledger devices` and `voice-ledger record`: choosing the microphone
//! and recording from it, with a level meter on the terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use clap::Args;
use serde_json::json;
use voice_ledger::capture::{
    self, CaptureError, CaptureEvent, CaptureSettings, InputDevice, Level, Quality, Recorder,
    RecorderOptions, Recording,
};

use crate::app::{App, bad_input, print_json};

#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Remember this device (id or name) for recording from now on.
    #[arg(long, value_name = "DEVICE")]
    choose: Option<String>,
    /// Forget the chosen device and use the system default again.
    #[arg(long, conflicts_with = "choose")]
    forget: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The WAV file to write (16 kHz mono).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    capture: CaptureArgs,
    /// Print the finished recording as JSON.
    #[arg(long)]
    json: bool,
}

/// Options shared by every command that records.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Input device id or name (default: the chosen one, else the system default).
    #[arg(long, value_name = "DEVICE")]
    pub device: Option<String>,
    /// Stop after this many seconds of audio (default: press Enter to stop).
    #[arg(long, value_name = "N")]
    pub seconds: Option<f64>,
    /// Print every capture event as a JSON line on stdout.
    #[arg(long)]
    pub progress: bool,
}

pub fn devices(app: &App, args: DevicesArgs) -> anyhow::Result<()> {
    let settings_path = CaptureSettings::path(&app.data);
    let mut settings = CaptureSettings::load(&settings_path).map_err(user_error)?;
    let devices = capture::input_devices().map_err(user_error)?;

    if let Some(wanted) = &args.choose {
        let device = capture::choose_device(Some(wanted), &settings)
            .map_err(|e| bad_input(user_error(e)))?;
        settings.device = Some(device.id.clone());
        settings.save(&settings_path).map_err(user_error)?;
        eprintln!(
            "已选用录音设备 / recording from now on with: {} ({})",
            device.name, device.id
        );
    } else if args.forget {
        settings.device = None;
        settings.save(&settings_path).map_err(user_error)?;
        eprintln!("将使用系统默认录音设备 / using the system default device again");
    }

    let chosen = settings.device.as_deref();
    if args.json {
        let list: Vec<_> = devices.iter().map(|d| d.summary(chosen)).collect();
        return print_json(&list);
    }
    if devices.is_empty() {
        return Err(user_error(CaptureError::NoDevices));
    }
    for device in &devices {
        let marks = match (device.is_default, chosen == Some(device.id.as_str())) {
            (_, true) => "*",
            (true, false) => "d",
            _ => " ",
        };
        println!(
            "{marks} {:<40} {}  [{}]",
            device.id, device.name, device.format
        );
    }
    println!("\n* = 已选用 chosen, d = 系统默认 system default");
    Ok(())
}

pub fn record(app: &App, args: RecordArgs) -> anyhow::Result<()> {
    recover(app)?;
    ensure_parent(&args.out)?;
    let device = pick_device(app, args.capture.device.as_deref())?;
    let (events_tx, events) = std::sync::mpsc::channel();
    let options = RecorderOptions {
        path: args.out.clone(),
        audio_dir: app.data.audio_dir(),
        max_seconds: args.capture.seconds,
        tap: None,
    };
    let recorder = Recorder::start(&device, options, events_tx).map_err(user_error)?;
    let recording = run_until_done(recorder, &events, &args.capture, &device)?;
    finish_recording(&recording, args.json)
}

/// Repairs recordings a crash left unfinished, and says so.
pub fn recover(app: &App) -> anyhow::Result<()> {
    for recovered in capture::recover(&app.data).map_err(user_error)? {
        eprintln!(
            "已修复上次中断的录音 / recovered an interrupted recording: {} ({:.1} s)",
            recovered.path.display(),
            recovered.duration_s
        );
    }
    Ok(())
}

pub fn pick_device(app: &App, wanted: Option<&str>) -> anyhow::Result<InputDevice> {
    let settings = CaptureSettings::load(&CaptureSettings::path(&app.data)).map_err(user_error)?;
    capture::choose_device(wanted, &settings).map_err(|e| match e {
        CaptureError::DeviceNotFound { .. } => bad_input(user_error(e)),
        e => user_error(e),
    })
}

/// Shows events until the recording ends by itself or the user presses
/// Enter; returns the stopped recording.
pub fn run_until_done(
    recorder: Recorder,
    events: &Receiver<CaptureEvent>,
    args: &CaptureArgs,
    device: &InputDevice,
) -> anyhow::Result<Recording> {
    let mut view = EventView::new(args.progress);
    view.started(device);
    let stop = Arc::new(AtomicBool::new(false));
    if args.seconds.is_none() {
        watch_enter(Arc::clone(&stop));
    }
    loop {
        match events.recv_timeout(Duration::from_millis(50)) {
            Ok(CaptureEvent::Ended) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(event) => view.show(&event),
            Err(RecvTimeoutError::Timeout) => {}
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    let recording = recorder.stop().map_err(user_error)?;
    view.end_line();
    Ok(recording)
}

fn finish_recording(recording: &Recording, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(recording)?;
    }
    if let Some(e) = &recording.interrupted {
        return Err(anyhow!(e.bilingual()));
    }
    eprintln!(
        "已保存录音 / recording saved: {} ({:.1} s)",
        recording.path.display(),
        recording.duration_s
    );
    Ok(())
}

/// Stops the recording when the user presses Enter. End of input (no
/// terminal, e.g. under a script) is not a request to stop.
fn watch_enter(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut line = String::new();
        if matches!(std::io::stdin().read_line(&mut line), Ok(n) if n > 0) {
            stop.store(true, Ordering::SeqCst);
        }
    });
}

/// A capture error as the user sees it: Chinese, then English.
pub fn user_error(e: CaptureError) -> anyhow::Error {
    anyhow!(e.bilingual())
}

/// Shows capture events: a level meter line on a terminal, or JSON lines.
pub struct EventView {
    json: bool,
    terminal: bool,
    meter_shown: bool,
}

impl EventView {
    pub fn new(json: bool) -> EventView {
        EventView {
            json,
            terminal: std::io::stderr().is_terminal(),
            meter_shown: false,
        }
    }

    fn started(&mut self, device: &InputDevice) {
        if self.json {
            emit(json!({
                "event": "started", "device": device.id, "name": device.name,
                "format": device.format,
            }));
        } else {
            eprintln!(
                "正在录音 / recording from {} ({})",
                device.name, device.format
            );
        }
    }

    pub fn show(&mut self, event: &CaptureEvent) {
        if self.json {
            emit(event_json(event));
            return;
        }
        match event {
            CaptureEvent::Level(level) => self.meter(level),
            CaptureEvent::Quality(Quality::Good) => {}
            CaptureEvent::Quality(quality) => {
                self.end_line();
                if let (Some(zh), Some(en)) = (quality.advice_zh(), quality.advice_en()) {
                    eprintln!("注意：{zh}\nwarning: {en}");
                }
            }
            CaptureEvent::Paused => self.note("已暂停 / paused"),
            CaptureEvent::Resumed => self.note("继续录音 / resumed"),
            CaptureEvent::AudioLost { seconds, overruns } => self.note(&format!(
                "有 {seconds:.2} 秒声音丢失 / {seconds:.2} s of audio lost ({overruns} overruns)"
            )),
            CaptureEvent::Partial(partial) => self.note(&format!("… {}", partial.so_far)),
            // Reported with the finished recording.
            CaptureEvent::Interrupted(_) | CaptureEvent::Ended => {}
        }
    }

    fn meter(&mut self, level: &Level) {
        if !self.terminal {
            return;
        }
        // −60 dBFS (quiet room) to 0 dBFS across 30 cells.
        let cells = (((level.rms_dbfs + 60.0) / 2.0).clamp(0.0, 30.0)) as usize;
        let bar: String = "█".repeat(cells) + &"·".repeat(30 - cells);
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\r{bar} {:>4.0} dB  峰值 peak {:>4.0} dB  {:>6.1} s",
            level.rms_dbfs, level.peak_dbfs, level.at_s
        );
        let _ = err.flush();
        self.meter_shown = true;
    }

    fn note(&mut self, text: &str) {
        self.end_line();
        eprintln!("{text}");
    }

    pub fn end_line(&mut self) {
        if self.meter_shown {
            eprintln!();
            self.meter_shown = false;
        }
    }
}

fn emit(value: serde_json::Value) {
    println!("{value}");
}

fn event_json(event: &CaptureEvent) -> serde_json::Value {
    match event {
        CaptureEvent::Level(level) => json!({
            "event": "level", "at_s": level.at_s,
            "rms_dbfs": level.rms_dbfs, "peak_dbfs": level.peak_dbfs,
        }),
        CaptureEvent::Quality(quality) => json!({
            "event": "quality", "quality": quality,
            "advice_zh": quality.advice_zh(), "advice_en": quality.advice_en(),
        }),
        CaptureEvent::Paused => json!({"event": "paused"}),
        CaptureEvent::Resumed => json!({"event": "resumed"}),
        CaptureEvent::AudioLost { seconds, overruns } => json!({
            "event": "audio-lost", "seconds": seconds, "overruns": overruns,
        }),
        CaptureEvent::Partial(partial) => json!({"event": "partial", "partial": partial}),
        CaptureEvent::Interrupted(e) => json!({
            "event": "interrupted", "message_zh": e.zh(), "message_en": e.to_string(),
        }),
        CaptureEvent::Ended => json!({"event": "ended"}),
    }
}

/// Creates the folder `--out` points into.
fn ensure_parent(path: &std::path::Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create folder `{}`", parent.display()))?;
    }
    Ok(())
}
