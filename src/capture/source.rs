//! Where captured samples come from: a cpal input stream whose callback only
//! copies samples into a lock-free ring, or any other [`CaptureSource`]
//! (a file played in real time for benchmarks, a scripted source in tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use cpal::traits::DeviceTrait;
use cpal::{FromSample, Sample, SampleFormat, SizedSample};
use serde::Serialize;

use super::convert::to_f32;

/// Seconds of native audio the ring between callback and worker holds. The
/// worker never runs the recogniser, so it only falls behind when the disk
/// stalls; ten seconds covers a slow disk being synced under load.
const RING_SECONDS: usize = 10;

/// How long a callback waits for room in a full ring before dropping what
/// it holds. A real device never fills the ring unless the worker is stuck,
/// and then waiting longer would only make the device overrun; a source that
/// delivers faster than real time (a test device reading a file) is slowed
/// down to the worker's pace instead of losing samples.
const MAX_WAIT: Duration = Duration::from_millis(200);

/// The format a device delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StreamFormat {
    /// Frames per second.
    pub sample_rate: u32,
    /// Interleaved channels.
    pub channels: u16,
    /// Sample format name as cpal spells it (`f32`, `i16`, `u16`, `i8`…).
    pub sample_format: &'static str,
}

impl std::fmt::Display for StreamFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} Hz, {} ch, {}",
            self.sample_rate, self.channels, self.sample_format
        )
    }
}

/// Why a source stopped delivering audio.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceFailure {
    /// The device went away (unplugged, switched off, driver reset).
    Disconnected {
        /// What the audio system said.
        detail: String,
    },
    /// The operating system refused access to the device.
    Denied {
        /// What the audio system said.
        detail: String,
    },
    /// Any other failure that ended the stream.
    Failed {
        /// What the audio system said.
        detail: String,
    },
}

/// Samples the pipeline lost before they reached the recording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Losses {
    /// Frames dropped because the worker could not keep up.
    pub dropped_frames: u64,
    /// Device overruns reported by the audio system (each loses a period).
    pub overruns: u64,
}

/// What the capture worker reads native audio from.
pub trait CaptureSource: Send {
    /// The format of the samples [`CaptureSource::read`] delivers.
    fn format(&self) -> StreamFormat;

    /// Appends the interleaved samples that are available, whole frames
    /// only, converted to `f32`. Returns the number of frames appended (0
    /// when nothing is ready yet), or why the source ended.
    fn read(&mut self, out: &mut Vec<f32>) -> Result<usize, SourceFailure>;

    /// Samples lost so far.
    fn losses(&self) -> Losses;
}

/// Drains a ring of native samples into `f32`; one per sample type.
trait NativeReader: Send {
    fn read_into(&mut self, out: &mut Vec<f32>) -> usize;
}

struct RingReader<T> {
    consumer: rtrb::Consumer<T>,
    channels: usize,
}

impl<T> NativeReader for RingReader<T>
where
    T: Sample + Send,
    f32: FromSample<T>,
{
    fn read_into(&mut self, out: &mut Vec<f32>) -> usize {
        let available = self.consumer.slots() / self.channels * self.channels;
        if available == 0 {
            return 0;
        }
        let Ok(chunk) = self.consumer.read_chunk(available) else {
            return 0;
        };
        let (first, second) = chunk.as_slices();
        to_f32(first, out);
        to_f32(second, out);
        chunk.commit_all();
        available / self.channels
    }
}

/// Counters shared between the audio callback and the worker.
#[derive(Debug, Default)]
struct Shared {
    dropped_frames: AtomicU64,
}

/// The worker's end of a cpal input stream.
pub struct DeviceSource {
    format: StreamFormat,
    reader: Box<dyn NativeReader>,
    errors: Receiver<cpal::Error>,
    shared: Arc<Shared>,
    overruns: u64,
}

impl CaptureSource for DeviceSource {
    fn format(&self) -> StreamFormat {
        self.format
    }

    fn read(&mut self, out: &mut Vec<f32>) -> Result<usize, SourceFailure> {
        // Samples first: whatever arrived before an error is kept.
        let frames = self.reader.read_into(out);
        loop {
            match self.errors.try_recv() {
                Ok(error) => self.take_error(error)?,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) if frames > 0 => break,
                Err(TryRecvError::Disconnected) => {
                    return Err(SourceFailure::Failed {
                        detail: "the audio stream ended".into(),
                    });
                }
            }
        }
        Ok(frames)
    }

    fn losses(&self) -> Losses {
        Losses {
            dropped_frames: self.shared.dropped_frames.load(Ordering::Relaxed),
            overruns: self.overruns,
        }
    }
}

impl DeviceSource {
    fn take_error(&mut self, error: cpal::Error) -> Result<(), SourceFailure> {
        use cpal::ErrorKind;
        let detail = error.to_string();
        tracing::debug!(kind = ?error.kind(), %detail, "stream error");
        match error.kind() {
            ErrorKind::Xrun => {
                self.overruns += 1;
                Ok(())
            }
            // Informational: the stream keeps running.
            ErrorKind::RealtimeDenied | ErrorKind::DeviceChanged => Ok(()),
            ErrorKind::DeviceNotAvailable
            | ErrorKind::StreamInvalidated
            | ErrorKind::HostUnavailable => Err(SourceFailure::Disconnected { detail }),
            ErrorKind::PermissionDenied => Err(SourceFailure::Denied { detail }),
            // Backend errors may be transient; the worker ends the recording
            // if no audio follows them.
            _ => Ok(()),
        }
    }
}

/// Builds (but does not start) an input stream for `config` on `device`.
pub(crate) fn open_stream(
    device: &cpal::Device,
    config: &cpal::SupportedStreamConfig,
) -> Result<(cpal::Stream, DeviceSource), cpal::Error> {
    macro_rules! build {
        ($($variant:ident => $ty:ty, $name:literal;)*) => {
            match config.sample_format() {
                $(SampleFormat::$variant => build_typed::<$ty>(device, config, $name),)*
                other => Err(cpal::Error::with_message(
                    cpal::ErrorKind::UnsupportedConfig,
                    format!("sample format {other} is not supported"),
                )),
            }
        };
    }
    build! {
        F32 => f32, "f32";
        F64 => f64, "f64";
        I8 => i8, "i8";
        I16 => i16, "i16";
        I24 => cpal::I24, "i24";
        I32 => i32, "i32";
        U8 => u8, "u8";
        U16 => u16, "u16";
        U24 => cpal::U24, "u24";
        U32 => u32, "u32";
    }
}

fn build_typed<T>(
    device: &cpal::Device,
    config: &cpal::SupportedStreamConfig,
    name: &'static str,
) -> Result<(cpal::Stream, DeviceSource), cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let format = StreamFormat {
        sample_rate: config.sample_rate(),
        channels: config.channels(),
        sample_format: name,
    };
    let channels = usize::from(format.channels.max(1));
    let capacity = format.sample_rate as usize * channels * RING_SECONDS;
    let (mut producer, consumer) = rtrb::RingBuffer::<T>::new(capacity);
    let shared = Arc::new(Shared::default());
    let (error_tx, errors): (SyncSender<cpal::Error>, _) = std::sync::mpsc::sync_channel(64);

    let callback_shared = Arc::clone(&shared);
    let data_callback = move |data: &[T], _: &cpal::InputCallbackInfo| {
        copy_into_ring(data, channels, &mut producer, &callback_shared);
    };
    let error_callback = move |error: cpal::Error| {
        // Never block the audio thread; a full queue means the worker has
        // plenty of errors to act on already.
        let _ = error_tx.try_send(error);
    };
    let stream = device.build_input_stream::<T, _, _>(
        config.config(),
        data_callback,
        error_callback,
        None,
    )?;
    let source = DeviceSource {
        format,
        reader: Box::new(RingReader { consumer, channels }),
        errors,
        shared,
        overruns: 0,
    };
    Ok((stream, source))
}

/// The whole of the audio callback's work: copy whole frames into the ring.
fn copy_into_ring<T: Copy>(
    data: &[T],
    channels: usize,
    producer: &mut rtrb::Producer<T>,
    shared: &Shared,
) {
    let mut rest = &data[..data.len() / channels * channels];
    let mut waiting_since: Option<Instant> = None;
    while !rest.is_empty() {
        let room = producer.slots() / channels * channels;
        if room > 0 {
            let (pushed, _) = producer.push_partial_slice(&rest[..room.min(rest.len())]);
            rest = &rest[pushed.len()..];
            continue;
        }
        let since = *waiting_since.get_or_insert_with(Instant::now);
        if producer.is_abandoned() || since.elapsed() >= MAX_WAIT {
            let frames = (rest.len() / channels) as u64;
            shared.dropped_frames.fetch_add(frames, Ordering::Relaxed);
            return;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Recorded 16 kHz mono samples played as a source at the pace of a real
/// microphone: for benchmarks and demonstrations without one.
#[derive(Debug)]
pub struct PlayedSamples {
    samples: Vec<f32>,
    position: usize,
    started: Option<Instant>,
    speed: f64,
    ended: Arc<std::sync::OnceLock<Instant>>,
}

impl PlayedSamples {
    /// Plays `samples` at `speed` times real time (1.0 for a live
    /// microphone's pace).
    pub fn new(samples: Vec<f32>, speed: f64) -> PlayedSamples {
        PlayedSamples {
            samples,
            position: 0,
            started: None,
            speed: speed.max(1e-3),
            ended: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// Filled in with the moment the last sample was delivered: when the
    /// speaker, so to speak, fell silent.
    pub fn ended(&self) -> Arc<std::sync::OnceLock<Instant>> {
        Arc::clone(&self.ended)
    }
}

impl CaptureSource for PlayedSamples {
    fn format(&self) -> StreamFormat {
        StreamFormat {
            sample_rate: crate::audio::SAMPLE_RATE,
            channels: 1,
            sample_format: "f32",
        }
    }

    fn read(&mut self, out: &mut Vec<f32>) -> Result<usize, SourceFailure> {
        let started = *self.started.get_or_insert_with(Instant::now);
        let due =
            started.elapsed().as_secs_f64() * f64::from(crate::audio::SAMPLE_RATE) * self.speed;
        let until = (due as usize).min(self.samples.len());
        if until <= self.position {
            return Ok(0);
        }
        out.extend_from_slice(&self.samples[self.position..until]);
        let frames = until - self.position;
        self.position = until;
        if self.position == self.samples.len() {
            let _ = self.ended.set(Instant::now());
        }
        Ok(frames)
    }

    fn losses(&self) -> Losses {
        Losses::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_keeps_whole_frames_and_counts_what_it_drops() {
        let shared = Shared::default();
        let (mut producer, consumer) = rtrb::RingBuffer::<i16>::new(10);
        let mut reader = RingReader {
            consumer,
            channels: 2,
        };
        copy_into_ring(&[1, 2, 3, 4, 5, 6, 7], 2, &mut producer, &shared);
        let mut out = Vec::new();
        assert_eq!(reader.read_into(&mut out), 3);
        assert_eq!(out.len(), 6);
        assert_eq!(out[5], 6.0 / 32_768.0);

        // The worker is gone: nothing blocks, everything is counted.
        drop(reader);
        copy_into_ring(&[0; 40], 2, &mut producer, &shared);
        assert_eq!(shared.dropped_frames.load(Ordering::Relaxed), 15);
    }

    #[test]
    fn a_full_ring_waits_for_the_worker_instead_of_dropping() {
        let shared = Arc::new(Shared::default());
        let (mut producer, consumer) = rtrb::RingBuffer::<f32>::new(8);
        let worker = std::thread::spawn(move || {
            let mut reader = RingReader {
                consumer,
                channels: 1,
            };
            let mut out = Vec::new();
            while out.len() < 100 {
                reader.read_into(&mut out);
                std::thread::sleep(Duration::from_millis(1));
            }
            out
        });
        let data: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        copy_into_ring(&data, 1, &mut producer, &shared);
        assert_eq!(worker.join().unwrap(), data);
        assert_eq!(shared.dropped_frames.load(Ordering::Relaxed), 0);
    }
}
