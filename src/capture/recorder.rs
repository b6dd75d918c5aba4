//! The recorder: a worker thread that takes native audio from a source,
//! converts it to 16 kHz mono, writes it to disk as it goes, meters it and
//! hands it to an optional tap (live transcription), while the caller
//! pauses, resumes and stops it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::StreamTrait;
use serde::Serialize;

use super::convert::ToMono16k;
use super::device::InputDevice;
use super::journal::Journal;
use super::level::{LevelMeter, MeterReading, Quality, count_clipped};
use super::source::{CaptureSource, Losses, SourceFailure, StreamFormat, open_stream};
use super::{CaptureError, CaptureEvent};
use crate::audio::SAMPLE_RATE;

/// How long the worker sleeps when no audio is waiting. Devices deliver
/// every 5–20 ms; 10 ms keeps the pipeline's added delay below a period
/// while costing nothing measurable.
const POLL: Duration = Duration::from_millis(10);

/// A stream that delivers nothing for this long is treated as gone. Some
/// audio systems (a PulseAudio source that disappears, a Bluetooth headset
/// out of range) stop the data without reporting an error.
const STALL: Duration = Duration::from_secs(3);

/// Receives the recorded 16 kHz mono audio on the worker thread, e.g. to
/// transcribe phrases while the user is still speaking.
pub trait AudioTap: Send {
    /// New samples (never called while paused).
    fn push(&mut self, samples: &[f32]);
    /// The user paused: what came before is a finished stretch.
    fn pause(&mut self) {}
    /// The recording has ended; no more samples will come.
    fn finish(&mut self);
}

/// How a recording is made.
pub struct RecorderOptions {
    /// The WAV file to write.
    pub path: PathBuf,
    /// The audio folder, where the unfinished-recording marker is kept.
    pub audio_dir: PathBuf,
    /// Stop by itself after this many seconds of recorded audio.
    pub max_seconds: Option<f64>,
    /// Gets the audio as it is recorded.
    pub tap: Option<Box<dyn AudioTap>>,
}

impl std::fmt::Debug for RecorderOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecorderOptions")
            .field("path", &self.path)
            .field("audio_dir", &self.audio_dir)
            .field("max_seconds", &self.max_seconds)
            .field("tap", &self.tap.is_some())
            .finish()
    }
}

/// A finished recording.
#[derive(Debug, Serialize)]
pub struct Recording {
    /// The complete WAV file (16 kHz mono 16-bit).
    pub path: PathBuf,
    /// Seconds of audio in it.
    pub duration_s: f64,
    /// The device it came from.
    pub device: String,
    /// The device's native format.
    pub format: StreamFormat,
    /// Audio lost on the way (device overruns, a stalled disk).
    pub losses: Losses,
    /// The last verdict on the input level.
    pub quality: Option<Quality>,
    /// Why the recording ended early, if it did (device unplugged…).
    /// Everything recorded until then is in the file.
    #[serde(skip)]
    pub interrupted: Option<CaptureError>,
}

#[derive(Debug, Default)]
struct Control {
    stop: AtomicBool,
    paused: AtomicBool,
    finished: AtomicBool,
}

/// A recording in progress.
pub struct Recorder {
    // Dropped after the worker has been joined (see `stop`).
    stream: Option<cpal::Stream>,
    control: Arc<Control>,
    worker: Option<JoinHandle<Result<Recording, CaptureError>>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("control", &self.control)
            .finish()
    }
}

impl Recorder {
    /// Starts recording from a device. Events (levels, verdicts, partial
    /// text, interruptions) arrive on `events`.
    pub fn start(
        device: &InputDevice,
        options: RecorderOptions,
        events: Sender<CaptureEvent>,
    ) -> Result<Recorder, CaptureError> {
        let open_error = |e: cpal::Error| CaptureError::Open {
            device: device.id.clone(),
            detail: e.to_string(),
        };
        let (stream, source) = open_stream(&device.device, &device.config).map_err(open_error)?;
        let mut recorder =
            Recorder::start_source(Box::new(source), device.id.clone(), options, events)?;
        stream.play().map_err(open_error)?;
        tracing::debug!(device = %device.id, format = %device.format, "capture started");
        recorder.stream = Some(stream);
        Ok(recorder)
    }

    /// Starts recording from any source (a file played in real time, a test
    /// signal). `label` names it in messages.
    pub fn start_source(
        source: Box<dyn CaptureSource>,
        label: String,
        options: RecorderOptions,
        events: Sender<CaptureEvent>,
    ) -> Result<Recorder, CaptureError> {
        let format = source.format();
        let converter = ToMono16k::new(format.sample_rate, format.channels).map_err(|detail| {
            CaptureError::Open {
                device: label.clone(),
                detail,
            }
        })?;
        let journal = Journal::create(&options.path, &options.audio_dir)?;
        let control = Arc::new(Control::default());
        let worker = Worker {
            source,
            label,
            converter: Some(converter),
            journal: Some(journal),
            meter: LevelMeter::new(),
            tap: options.tap,
            limit: options
                .max_seconds
                .map(|s| (s * f64::from(SAMPLE_RATE)).round() as u64),
            control: Arc::clone(&control),
            events,
        };
        let handle = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || worker.run())
            .map_err(|e| CaptureError::Open {
                device: "capture worker".into(),
                detail: e.to_string(),
            })?;
        Ok(Recorder {
            stream: None,
            control,
            worker: Some(handle),
        })
    }

    /// Stops keeping audio until [`Recorder::resume`]; the device stays
    /// open so resuming is instant.
    pub fn pause(&self) {
        self.control.paused.store(true, Ordering::SeqCst);
    }

    /// Continues after [`Recorder::pause`].
    pub fn resume(&self) {
        self.control.paused.store(false, Ordering::SeqCst);
    }

    /// Whether the recording ended by itself (time limit, device lost).
    pub fn is_finished(&self) -> bool {
        self.control.finished.load(Ordering::SeqCst)
    }

    /// Ends the recording and returns it, complete on disk. If the device
    /// was lost earlier, the recording up to that moment is returned with
    /// [`Recording::interrupted`] set.
    pub fn stop(mut self) -> Result<Recording, CaptureError> {
        self.control.stop.store(true, Ordering::SeqCst);
        let result = match self.worker.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) | None => Err(CaptureError::Open {
                device: "capture worker".into(),
                detail: "the capture thread stopped unexpectedly".into(),
            }),
        };
        drop(self.stream.take());
        result
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.control.stop.store(true, Ordering::SeqCst);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Everything the worker thread owns.
struct Worker {
    source: Box<dyn CaptureSource>,
    label: String,
    converter: Option<ToMono16k>,
    journal: Option<Journal>,
    meter: LevelMeter,
    tap: Option<Box<dyn AudioTap>>,
    limit: Option<u64>,
    control: Arc<Control>,
    events: Sender<CaptureEvent>,
}

impl Worker {
    fn run(mut self) -> Result<Recording, CaptureError> {
        let result = self.capture();
        self.control.finished.store(true, Ordering::SeqCst);
        let _ = self.events.send(CaptureEvent::Ended);
        result
    }

    fn capture(&mut self) -> Result<Recording, CaptureError> {
        let format = self.source.format();
        let mut native = Vec::new();
        let mut mono = Vec::new();
        let mut last_data = Instant::now();
        let mut reported = Losses::default();
        let mut was_paused = false;
        let mut interrupted = None;

        loop {
            let stopping = self.control.stop.load(Ordering::SeqCst);
            native.clear();
            // On stop, one last read takes what the callback delivered up
            // to this moment.
            let frames = match self.source.read(&mut native) {
                Ok(frames) => frames,
                Err(failure) => {
                    interrupted = Some(failure);
                    0
                }
            };
            if frames > 0 {
                last_data = Instant::now();
            }
            self.report_losses(&mut reported, format.sample_rate);

            let paused = self.control.paused.load(Ordering::SeqCst);
            if paused != was_paused {
                was_paused = paused;
                let _ = self.events.send(if paused {
                    CaptureEvent::Paused
                } else {
                    CaptureEvent::Resumed
                });
                if paused && let Some(tap) = self.tap.as_mut() {
                    tap.pause();
                }
            }
            let mut reached_limit = false;
            if frames > 0 && !paused {
                reached_limit = self.keep(&native, format.channels, &mut mono)?;
            }

            if reached_limit || stopping || interrupted.is_some() {
                break;
            }
            if frames == 0 {
                if last_data.elapsed() >= STALL {
                    interrupted = Some(SourceFailure::Failed {
                        detail: format!("no audio for {} s", STALL.as_secs()),
                    });
                    break;
                }
                std::thread::sleep(POLL);
            }
        }

        self.finish(format, interrupted)
    }

    /// Converts, records, meters and taps one batch of native samples.
    /// Returns whether the time limit has been reached.
    fn keep(
        &mut self,
        native: &[f32],
        channels: u16,
        mono: &mut Vec<f32>,
    ) -> Result<bool, CaptureError> {
        let (Some(converter), Some(journal)) = (self.converter.as_mut(), self.journal.as_mut())
        else {
            return Ok(true);
        };
        mono.clear();
        converter.push(native, mono);
        let mut reached = false;
        if let Some(limit) = self.limit {
            let room = limit.saturating_sub(journal.samples()) as usize;
            if mono.len() >= room {
                mono.truncate(room);
                reached = true;
            }
        }
        journal.append(mono)?;
        let events = &self.events;
        self.meter
            .push(mono, count_clipped(native, channels), &mut |reading| {
                let _ = events.send(match reading {
                    MeterReading::Level(level) => CaptureEvent::Level(level),
                    MeterReading::Quality(quality) => CaptureEvent::Quality(quality),
                });
            });
        if let Some(tap) = self.tap.as_mut() {
            tap.push(mono);
        }
        Ok(reached)
    }

    fn report_losses(&self, reported: &mut Losses, rate: u32) {
        let now = self.source.losses();
        if now != *reported {
            let dropped = now.dropped_frames - reported.dropped_frames;
            let _ = self.events.send(CaptureEvent::AudioLost {
                seconds: dropped as f64 / f64::from(rate.max(1)),
                overruns: now.overruns - reported.overruns,
            });
            tracing::debug!(?now, "audio lost on the way");
            *reported = now;
        }
    }

    fn finish(
        &mut self,
        format: StreamFormat,
        failure: Option<SourceFailure>,
    ) -> Result<Recording, CaptureError> {
        let mut journal = self.journal.take().ok_or_else(|| CaptureError::Open {
            device: self.label.clone(),
            detail: "the recording was already finished".into(),
        })?;
        // The resampler's last few milliseconds, unless the limit is reached.
        if let Some(converter) = self.converter.take() {
            let mut tail = Vec::new();
            converter.finish(&mut tail);
            if let Some(limit) = self.limit {
                tail.truncate(limit.saturating_sub(journal.samples()) as usize);
            }
            journal.append(&tail)?;
            if let Some(tap) = self.tap.as_mut() {
                tap.push(&tail);
            }
        }
        if let Some(tap) = self.tap.as_mut() {
            tap.finish();
        }
        let (path, samples) = journal.finish()?;
        let duration_s = samples as f64 / f64::from(SAMPLE_RATE);
        let interrupted = failure.map(|failure| {
            let error = CaptureError::interrupted(&self.label, failure, duration_s, &path);
            let _ = self.events.send(CaptureEvent::Interrupted(error.clone()));
            error
        });
        Ok(Recording {
            path,
            duration_s,
            device: self.label.clone(),
            format,
            losses: self.source.losses(),
            quality: self.meter.verdict(),
            interrupted,
        })
    }
}
