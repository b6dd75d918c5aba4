//! Audio in: decoding recordings (WAV, MP3, M4A/AAC, FLAC, Ogg Vorbis) to
//! 16 kHz mono samples, and finding the speech in them.
//!
//! Everything the recogniser sees passes through here, so this module is the
//! one place that rejects unusable recordings with an error naming the file:
//! missing, empty, corrupt, truncated, too long, silent or too short.

mod decode;
mod resample;
pub mod vad;

use std::path::{Path, PathBuf};

pub use decode::decode_bytes;
pub use resample::{Resampler, downmix};
pub use vad::{SpeechSegment, VadConfig, VoiceActivity};

/// The sample rate the recogniser expects, in Hz.
pub const SAMPLE_RATE: u32 = 16_000;

/// Limits applied while decoding.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOptions {
    /// Recordings longer than this many seconds are refused before they fill
    /// memory (two hours of 16 kHz mono is about 460 MB of samples).
    pub max_duration_s: f64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_duration_s: 2.0 * 3600.0,
        }
    }
}

/// Decoded audio: 16 kHz mono samples in [-1, 1] plus where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Samples at [`SAMPLE_RATE`], one channel.
    pub samples: Vec<f32>,
    /// Sample rate of the original recording, in Hz.
    pub source_rate: u32,
    /// Channel count of the original recording.
    pub source_channels: usize,
}

impl Audio {
    /// Wraps samples that are already 16 kHz mono (live capture, tests).
    pub fn from_samples(samples: Vec<f32>) -> Audio {
        Audio {
            samples,
            source_rate: SAMPLE_RATE,
            source_channels: 1,
        }
    }

    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(SAMPLE_RATE)
    }
}

/// A recording ready for the recogniser: its samples and the stretches that
/// contain speech, in original time.
#[derive(Debug, Clone)]
pub struct Speech {
    /// The whole decoded recording.
    pub audio: Audio,
    /// Speech stretches, in order, none longer than the VAD's segment limit.
    pub segments: Vec<SpeechSegment>,
    /// Seconds of detected speech (without padding and hangover).
    pub speech_s: f64,
}

/// What is wrong with a recording's content.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AudioProblem {
    /// The file has no bytes at all.
    #[error("is empty (0 bytes); record again or choose another file")]
    Empty,
    /// No supported container or codec was recognised.
    #[error(
        "is not a supported audio format ({detail}); use WAV, MP3, M4A/AAC, FLAC or Ogg Vorbis"
    )]
    Unsupported {
        /// What the decoder reported.
        detail: String,
    },
    /// The format was recognised but the data inside is damaged.
    #[error("is damaged and cannot be decoded ({detail}); copy it from the recorder again")]
    Corrupt {
        /// What the decoder reported.
        detail: String,
    },
    /// The file ends long before the length its header announces.
    #[error(
        "is incomplete: it ends after {decoded_s:.1} s although its header announces \
         {declared_s:.1} s; copy it from the recorder again"
    )]
    Truncated {
        /// Seconds that could be decoded.
        decoded_s: f64,
        /// Seconds the header declared.
        declared_s: f64,
    },
    /// The container holds no audio samples.
    #[error("contains no audio samples; record again")]
    NoSamples,
    /// The recording exceeds the configured length limit.
    #[error(
        "is longer than {limit_s:.0} s (at least {seconds:.0} s); split it into shorter recordings"
    )]
    TooLong {
        /// Seconds decoded before giving up (or declared by the header).
        seconds: f64,
        /// The configured limit in seconds.
        limit_s: f64,
    },
    /// No speech was found: silence or steady noise only.
    #[error("contains no speech (only silence or noise); check the microphone and record again")]
    Silent,
    /// Some speech was found but too little to transcribe reliably.
    #[error(
        "contains only {speech_s:.1} s of speech, less than the {min_s:.1} s needed; \
         record a longer dictation"
    )]
    TooShort {
        /// Seconds of speech found.
        speech_s: f64,
        /// The minimum required.
        min_s: f64,
    },
}

/// Errors reading a recording, always naming the file.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("cannot read audio file `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// The file was read but its content is unusable.
    #[error("audio file `{path}` {problem}")]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: AudioProblem,
    },
}

impl AudioError {
    /// The content problem, if the file could be read at all.
    pub fn problem(&self) -> Option<&AudioProblem> {
        match self {
            AudioError::Read { .. } => None,
            AudioError::Unusable { problem, .. } => Some(problem),
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            AudioError::Read { path, .. } | AudioError::Unusable { path, .. } => path,
        }
    }
}

/// Decodes a recording file to 16 kHz mono.
///
/// The file is streamed, not read whole, so an over-long recording is refused
/// as soon as the limit is passed.
pub fn decode_file(path: &Path, options: &DecodeOptions) -> Result<Audio, AudioError> {
    let read_error = |source| AudioError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let len = file.metadata().map_err(read_error)?.len();
    let unusable = |problem| AudioError::Unusable {
        path: path.to_path_buf(),
        problem,
    };
    if len == 0 {
        return Err(unusable(AudioProblem::Empty));
    }

    let hint = path.extension().and_then(|e| e.to_str());
    let audio = decode::decode_source(Box::new(file), hint, options).map_err(unusable)?;
    tracing::debug!(
        path = %path.display(),
        seconds = audio.duration_s(),
        source_rate = audio.source_rate,
        source_channels = audio.source_channels,
        "decoded recording"
    );
    Ok(audio)
}

/// Finds the speech in decoded audio, refusing silent or too-short recordings.
pub fn find_speech(audio: Audio, config: &VadConfig) -> Result<Speech, AudioProblem> {
    let activity = VoiceActivity::analyse(&audio.samples, config);
    let speech_s = activity.speech_s();
    if activity.segments.is_empty() {
        return Err(AudioProblem::Silent);
    }
    if speech_s < config.min_speech_s {
        return Err(AudioProblem::TooShort {
            speech_s,
            min_s: config.min_speech_s,
        });
    }
    Ok(Speech {
        audio,
        segments: activity.segments,
        speech_s,
    })
}

/// Decodes a recording and finds its speech: the usual way in for a file.
pub fn load_speech(
    path: &Path,
    decode: &DecodeOptions,
    vad: &VadConfig,
) -> Result<Speech, AudioError> {
    let audio = decode_file(path, decode)?;
    find_speech(audio, vad).map_err(|problem| AudioError::Unusable {
        path: path.to_path_buf(),
        problem,
    })
}
