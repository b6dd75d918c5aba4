//! Partial text while the user speaks: phrases finished at a pause are
//! recognised on their own thread during the dictation, so that when the
//! user stops only the last phrase is left to recognise.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::CaptureEvent;
use super::phrases::{Phrase, PhraseConfig, PhraseSplitter};
use super::recorder::AudioTap;
use crate::asr::{self, Engine, Observer, Timings, TranscribeOptions, Transcript};
use crate::audio::{Audio, Speech, SpeechSegment, VadConfig, VoiceActivity};

/// The error a recogniser reports for one phrase.
pub type RecognizeError = Box<dyn std::error::Error + Send + Sync>;

/// Anything that turns a phrase of 16 kHz mono speech into text: the
/// whisper engine in the application, a stub in tests.
pub trait PhraseRecognizer: Send {
    /// Recognises one phrase. `context` is the text recognised so far in
    /// this dictation (useful as a prompt to keep names and wording
    /// consistent).
    fn recognize(&mut self, samples: &[f32], context: &str) -> Result<String, RecognizeError>;
}

/// The whisper engine as a phrase recogniser: each phrase is one segment,
/// decoded with the record type's prompt.
#[derive(Debug)]
pub struct EnginePhrases {
    engine: Arc<Engine>,
    options: TranscribeOptions,
}

impl EnginePhrases {
    /// Recognises phrases with `engine` and these options.
    pub fn new(engine: Arc<Engine>, options: TranscribeOptions) -> EnginePhrases {
        EnginePhrases { engine, options }
    }
}

impl PhraseRecognizer for EnginePhrases {
    fn recognize(&mut self, samples: &[f32], _context: &str) -> Result<String, RecognizeError> {
        let audio = Audio::from_samples(samples.to_vec());
        let whole = SpeechSegment {
            start: 0,
            end: samples.len(),
        };
        let speech = Speech {
            speech_s: audio.duration_s(),
            audio,
            segments: vec![whole],
        };
        let transcript = self
            .engine
            .transcribe(&speech, &self.options, &Observer::new())?;
        Ok(transcript.text)
    }
}

/// Text recognised for one phrase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartialText {
    /// The phrase number, from 0.
    pub index: usize,
    /// Where the phrase starts in the recording, seconds.
    pub start_s: f64,
    /// Where it ends, seconds.
    pub end_s: f64,
    /// Its text.
    pub text: String,
    /// All text so far, this phrase included.
    pub so_far: String,
}

/// The outcome of a live dictation.
#[derive(Debug, Clone, Serialize)]
pub struct LiveTranscript {
    /// The whole text.
    pub text: String,
    /// Each recognised phrase.
    pub phrases: Vec<PartialText>,
    /// Phrases skipped because they held no speech.
    pub skipped: usize,
    /// Seconds spent recognising, all phrases together.
    pub recognise_s: f64,
}

impl LiveTranscript {
    /// The same text as the recogniser's [`Transcript`] of a whole
    /// recording, one segment per phrase, so live and file dictations go
    /// through the same extraction and saving.
    pub fn to_transcript(&self, engine: &Engine, language: &str, audio_s: f64) -> Transcript {
        Transcript {
            text: self.text.clone(),
            segments: self
                .phrases
                .iter()
                .map(|p| asr::Segment {
                    start: p.start_s,
                    end: p.end_s,
                    text: p.text.clone(),
                })
                .collect(),
            language: language.to_string(),
            model: engine.model().to_string(),
            timings: Timings {
                load_s: engine.load_s(),
                audio_s,
                processing_s: self.recognise_s,
            },
        }
    }
}

/// Errors of live recognition.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The recogniser failed on a phrase.
    #[error("cannot recognise phrase {index} ({start_s:.1}–{end_s:.1} s): {message}")]
    Recognize {
        /// The phrase number.
        index: usize,
        /// Start in seconds.
        start_s: f64,
        /// End in seconds.
        end_s: f64,
        /// What the recogniser said.
        message: String,
    },
    /// The recognition thread ended without a result.
    #[error("the recognition thread stopped unexpectedly")]
    Lost,
}

enum Job {
    Phrase(Phrase),
    End,
}

/// The recognition side of a live dictation.
#[derive(Debug)]
pub struct LiveDictation {
    worker: Option<JoinHandle<Result<LiveTranscript, LiveError>>>,
}

/// The audio side: give it to [`super::RecorderOptions::tap`].
pub struct LiveTap {
    splitter: PhraseSplitter,
    jobs: Sender<Job>,
    ready: Vec<Phrase>,
}

impl std::fmt::Debug for LiveTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveTap").finish_non_exhaustive()
    }
}

impl LiveDictation {
    /// Starts the recognition thread. Partial text is sent on `events` as
    /// [`CaptureEvent::Partial`].
    pub fn start(
        recognizer: Box<dyn PhraseRecognizer>,
        config: PhraseConfig,
        events: Sender<CaptureEvent>,
    ) -> (LiveDictation, LiveTap) {
        let (jobs, queue) = std::sync::mpsc::channel();
        let vad = config.vad.clone();
        let worker = std::thread::Builder::new()
            .name("live-recognition".into())
            .spawn(move || recognise_all(recognizer, queue, &vad, &events))
            .ok();
        let tap = LiveTap {
            splitter: PhraseSplitter::new(config),
            jobs,
            ready: Vec::new(),
        };
        (LiveDictation { worker }, tap)
    }

    /// Waits for the last phrase and returns the whole text. Call after
    /// the recorder has stopped (which finishes the tap).
    pub fn finish(mut self) -> Result<LiveTranscript, LiveError> {
        match self.worker.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(LiveError::Lost),
        }
    }
}

impl LiveTap {
    fn send_ready(&mut self) {
        for phrase in self.ready.drain(..) {
            let _ = self.jobs.send(Job::Phrase(phrase));
        }
    }
}

impl AudioTap for LiveTap {
    fn push(&mut self, samples: &[f32]) {
        self.splitter.push(samples, &mut self.ready);
        self.send_ready();
    }

    fn pause(&mut self) {
        self.splitter.flush(&mut self.ready);
        self.send_ready();
    }

    fn finish(&mut self) {
        self.splitter.flush(&mut self.ready);
        self.send_ready();
        let _ = self.jobs.send(Job::End);
    }
}

fn recognise_all(
    mut recognizer: Box<dyn PhraseRecognizer>,
    queue: Receiver<Job>,
    vad: &VadConfig,
    events: &Sender<CaptureEvent>,
) -> Result<LiveTranscript, LiveError> {
    let mut transcript = LiveTranscript {
        text: String::new(),
        phrases: Vec::new(),
        skipped: 0,
        recognise_s: 0.0,
    };
    let mut busy = Duration::ZERO;
    // A dropped sender without `End` means the recording was abandoned;
    // what was recognised so far is still returned.
    while let Ok(Job::Phrase(phrase)) = queue.recv() {
        let (start_s, end_s) = (phrase.start_s(), phrase.end_s());
        if VoiceActivity::analyse(&phrase.samples, vad)
            .segments
            .is_empty()
        {
            tracing::debug!(
                index = phrase.index,
                start_s,
                "phrase holds no speech; skipped"
            );
            transcript.skipped += 1;
            continue;
        }
        let started = Instant::now();
        let text = recognizer
            .recognize(&phrase.samples, &transcript.text)
            .map_err(|e| LiveError::Recognize {
                index: phrase.index,
                start_s,
                end_s,
                message: e.to_string(),
            })?;
        busy += started.elapsed();
        tracing::debug!(
            index = phrase.index,
            seconds = end_s - start_s,
            took_s = started.elapsed().as_secs_f64(),
            "phrase recognised"
        );
        let text = text.trim().to_string();
        if text.is_empty() {
            transcript.skipped += 1;
            continue;
        }
        join_phrase(&mut transcript.text, &text);
        let partial = PartialText {
            index: phrase.index,
            start_s,
            end_s,
            text,
            so_far: transcript.text.clone(),
        };
        let _ = events.send(CaptureEvent::Partial(partial.clone()));
        transcript.phrases.push(partial);
    }
    transcript.recognise_s = busy.as_secs_f64();
    Ok(transcript)
}

/// Appends a phrase's text, with a comma where the speaker paused but the
/// recogniser put no punctuation.
pub fn join_phrase(text: &mut String, phrase: &str) {
    const PUNCTUATION: &[char] = &[
        '，', '。', '！', '？', '、', '；', '：', ',', '.', '!', '?', ';', ':',
    ];
    if !text.is_empty() && !text.ends_with(PUNCTUATION) {
        text.push('，');
    }
    text.push_str(phrase);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_joined_with_a_comma_only_where_needed() {
        let mut text = String::new();
        for phrase in ["今天上午走访", "王阿姨。", "血压一百三十五", "一切正常"]
        {
            join_phrase(&mut text, phrase);
        }
        assert_eq!(text, "今天上午走访，王阿姨。血压一百三十五，一切正常");
    }
}
