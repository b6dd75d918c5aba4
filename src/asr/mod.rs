//! Speech recognition: whisper (through whisper-rs) turning the speech
//! segments of a recording into simplified-Chinese text.
//!
//! One [`Engine`] holds the loaded model and is shared by all jobs; each call
//! to [`Engine::transcribe`] creates its own decoding state, so jobs can run
//! on several threads. Progress, partial text and cancellation go through an
//! [`Observer`]; nothing here prints.

pub mod bench;
pub mod cleanup;
mod engine;
pub mod prompt;
pub mod score;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

pub use engine::{Engine, EngineOptions};
pub use prompt::PromptTerms;

/// How one recording is transcribed.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscribeOptions {
    /// Decoder threads; see [`default_threads`].
    pub threads: usize,
    /// Beam width; `None` or 1 decodes greedily (the default: about as
    /// accurate on dictation and clearly faster on few cores).
    pub beam_size: Option<u32>,
    /// Terms for the initial prompt.
    pub prompt: PromptTerms,
    /// Shrink whisper's 30 s encoder window to the segment's length (see
    /// [`audio_ctx_for`]). On by default; off only to measure its effect.
    pub scale_audio_ctx: bool,
    /// Spoken language (ISO 639-1); Mandarin unless told otherwise.
    pub language: String,
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        TranscribeOptions {
            threads: default_threads(),
            beam_size: None,
            prompt: PromptTerms::default(),
            scale_audio_ctx: true,
            language: "zh".into(),
        }
    }
}

/// Decoder threads for this machine: the physical cores minus one left for
/// the interface and audio capture, at least one.
///
/// Physical, not logical: whisper's threads meet at a barrier after every
/// step, so a thread sharing a core with another (hyper-threading) or
/// waiting for the interface holds all of them back.
pub fn default_threads() -> usize {
    num_cpus::get_physical().saturating_sub(1).max(1)
}

/// Encoder window (in 20 ms frames, at most 1500 = 30 s) for a segment of
/// `seconds`: the segment's own length plus 128 frames (2.56 s) of margin.
///
/// Whisper always encodes a full 30 s window, so an 8 s clip pays for 30 s;
/// shrinking the window to the clip cuts the encoder time roughly in
/// proportion. The margin keeps the decoder from running off the end of a
/// window that is exactly as long as the speech.
pub fn audio_ctx_for(seconds: f64) -> i32 {
    let frames = (seconds.max(0.0) / 30.0 * 1500.0).ceil() as i32 + 128;
    frames.min(1500)
}

/// One transcribed stretch of the recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// Start, seconds from the start of the recording.
    pub start: f64,
    /// End, seconds from the start of the recording.
    pub end: f64,
    /// Cleaned simplified-Chinese text.
    pub text: String,
}

/// Where the time went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timings {
    /// Seconds spent loading the model (once per engine).
    pub load_s: f64,
    /// Length of the recording in seconds.
    pub audio_s: f64,
    /// Seconds spent recognising (clean-up included, decoding of the file
    /// and model loading excluded).
    pub processing_s: f64,
}

/// The result of transcribing one recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transcript {
    /// The whole text, segments joined.
    pub text: String,
    /// Segments with their times in the original recording.
    pub segments: Vec<Segment>,
    /// Language code (`zh`).
    pub language: String,
    /// Model name (`base`, `small`…).
    pub model: String,
    /// Timings.
    pub timings: Timings,
}

/// Receives progress as a share from 0.0 to 1.0.
type ProgressFn = Arc<dyn Fn(f32) + Send + Sync>;
/// Receives each finished segment.
type SegmentFn = Arc<dyn Fn(&Segment) + Send + Sync>;

/// Progress reporting, partial text and cancellation for one job.
///
/// Callbacks run on the transcribing thread and should return quickly
/// (forward to a channel).
#[derive(Clone, Default)]
pub struct Observer {
    cancel: Arc<AtomicBool>,
    progress: Option<ProgressFn>,
    segment: Option<SegmentFn>,
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field("cancelled", &self.is_cancelled())
            .field("progress", &self.progress.is_some())
            .field("segment", &self.segment.is_some())
            .finish()
    }
}

impl Observer {
    /// An observer that reports nothing and is never cancelled.
    pub fn new() -> Observer {
        Observer::default()
    }

    /// Uses this flag for cancellation: set it to `true` from any thread and
    /// the job stops at the next decoder step with [`AsrError::Cancelled`].
    pub fn with_cancel_flag(mut self, flag: Arc<AtomicBool>) -> Observer {
        self.cancel = flag;
        self
    }

    /// Called with the share of the recording done, from 0.0 to 1.0.
    pub fn on_progress(mut self, f: impl Fn(f32) + Send + Sync + 'static) -> Observer {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Called with each segment as soon as its text is final.
    pub fn on_segment(mut self, f: impl Fn(&Segment) + Send + Sync + 'static) -> Observer {
        self.segment = Some(Arc::new(f));
        self
    }

    /// The cancellation flag (to hand to another thread).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }

    /// True once cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn progress(&self, share: f32) {
        if let Some(f) = &self.progress {
            f(share.clamp(0.0, 1.0));
        }
    }

    fn segment(&self, segment: &Segment) {
        if let Some(f) = &self.segment {
            f(segment);
        }
    }
}

/// Errors of speech recognition.
#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    /// The model could not be read or whisper rejected it.
    #[error(transparent)]
    Model(#[from] crate::model::load::LoadError),
    /// The decoder failed.
    #[error("speech recognition failed at {at_s:.1} s of the recording: {reason}")]
    Decode {
        /// Where in the recording, in seconds.
        at_s: f64,
        /// What whisper reported.
        reason: String,
    },
    /// The job was cancelled through its [`Observer`].
    #[error("transcription cancelled")]
    Cancelled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_ctx_follows_the_clip_length() {
        let cases = [
            (0.0, 128),
            (3.0, 278),
            (8.0, 528),
            (9.0, 578),
            (25.0, 1378),
            (27.5, 1500),
            (300.0, 1500),
        ];
        for (seconds, expected) in cases {
            assert_eq!(audio_ctx_for(seconds), expected, "{seconds} s");
        }
    }

    #[test]
    fn at_least_one_thread() {
        assert!(default_threads() >= 1);
    }
}
