//! Loading a whisper model and running it over the speech segments of a
//! recording, one segment at a time.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use crate::model::load::load_context;

use super::cleanup::{clean_segment, is_latin_only, is_prompt_echo, is_repeat_of, join_segments};
use super::prompt::{self, PromptTerms};
use super::{AsrError, Observer, Segment, Timings, TranscribeOptions, Transcript, audio_ctx_for};
use crate::audio::{SAMPLE_RATE, Speech, SpeechSegment};

/// Whisper reads at most half its 448-token text context as prompt and
/// drops the oldest tokens beyond that, which would cut the preamble; 200
/// leaves room for the special tokens.
const PROMPT_TOKEN_LIMIT: usize = 200;

/// Options fixed when the model is loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineOptions {
    /// Use flash attention. Off by default: on CPU it saves little and the
    /// measurements in `voice-ledger bench transcribe` decide.
    pub flash_attention: bool,
}

/// A loaded whisper model, shared by all transcription jobs.
#[derive(Debug)]
pub struct Engine {
    context: WhisperContext,
    model: String,
    path: PathBuf,
    load_s: f64,
}

impl Engine {
    /// Loads a ggml whisper model.
    ///
    /// The file is read into memory and handed to whisper as a buffer (see
    /// [`crate::model::load`]), so paths whisper's C code could not open
    /// (non-ASCII folders on Windows) work, and whisper's own messages go to
    /// the log instead of the terminal.
    pub fn load(path: &Path, options: &EngineOptions) -> Result<Engine, AsrError> {
        let started = Instant::now();
        let mut parameters = WhisperContextParameters::default();
        parameters
            .use_gpu(false)
            .flash_attn(options.flash_attention);
        let context = load_context(path, parameters)?;
        let load_s = started.elapsed().as_secs_f64();
        let model = model_name(path);
        tracing::debug!(model, path = %path.display(), load_s, "loaded speech model");
        Ok(Engine {
            context,
            model,
            path: path.to_path_buf(),
            load_s,
        })
    }

    /// Names the model as the caller knows it (an imported model's file
    /// name need not be its name).
    pub fn named(mut self, name: impl Into<String>) -> Engine {
        self.model = name.into();
        self
    }

    /// The model's name (`base`, `small`…), by default from its file name.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seconds it took to load the model.
    pub fn load_s(&self) -> f64 {
        self.load_s
    }

    /// The initial prompt for these terms, within whisper's prompt limit.
    pub fn prompt(&self, terms: &PromptTerms) -> String {
        prompt::compose(terms, |text| self.token_count(text) <= PROMPT_TOKEN_LIMIT)
    }

    fn token_count(&self, text: &str) -> usize {
        // Every token covers at least one byte, so this bound can never be
        // exceeded (whisper-rs mishandles the error for a too-small buffer).
        let bound = text.len() + 8;
        self.context
            .tokenize(text, bound)
            .map_or(usize::MAX, |tokens| tokens.len())
    }

    /// Transcribes the speech segments of a recording.
    ///
    /// Segments are decoded one by one with no text carried between them:
    /// the prompt gives each one the vocabulary, and a mistake in one
    /// segment cannot spread into the next.
    pub fn transcribe(
        &self,
        speech: &Speech,
        options: &TranscribeOptions,
        observer: &Observer,
    ) -> Result<Transcript, AsrError> {
        let started = Instant::now();
        let prompt = self.prompt(&options.prompt);
        let mut state = self.context.create_state().map_err(|e| AsrError::Decode {
            at_s: 0.0,
            reason: format!("cannot create a decoding state: {e}"),
        })?;
        let total_s: f64 = speech.segments.iter().map(|s| s.duration_s()).sum();
        let mut done_s = 0.0;
        let mut segments: Vec<Segment> = Vec::new();
        tracing::debug!(
            segments = speech.segments.len(),
            threads = options.threads,
            beam = ?options.beam_size,
            prompt,
            "transcribing"
        );

        for part in &speech.segments {
            if observer.is_cancelled() {
                return Err(AsrError::Cancelled);
            }
            let progress = Progress {
                done_s,
                part_s: part.duration_s(),
                total_s,
            };
            let text = self.transcribe_part(
                &mut state, speech, part, options, &prompt, observer, progress,
            )?;
            done_s += part.duration_s();
            observer.progress((done_s / total_s.max(1e-9)) as f32);

            let previous = segments.last().map(|s| s.text.as_str());
            if text.is_empty() || is_repeat_of(previous, &text) {
                continue;
            }
            let segment = Segment {
                start: round_ms(part.start_s()),
                end: round_ms(part.end_s()),
                text,
            };
            observer.segment(&segment);
            segments.push(segment);
        }

        Ok(Transcript {
            text: join_segments(segments.iter().map(|s| s.text.as_str())),
            segments,
            language: options.language.clone(),
            model: self.model.clone(),
            timings: Timings {
                load_s: self.load_s,
                audio_s: speech.audio.duration_s(),
                processing_s: started.elapsed().as_secs_f64(),
            },
        })
    }

    /// One segment: decode with the prompt, and again without it if the
    /// output merely repeats the prompt (whisper does that on unclear audio).
    #[allow(clippy::too_many_arguments, reason = "private helper of one loop")]
    fn transcribe_part(
        &self,
        state: &mut whisper_rs::WhisperState,
        speech: &Speech,
        part: &SpeechSegment,
        options: &TranscribeOptions,
        prompt: &str,
        observer: &Observer,
        progress: Progress,
    ) -> Result<String, AsrError> {
        let samples = part.samples(&speech.audio.samples);
        if is_digital_silence(samples) {
            // Given nothing at all, whisper still "hears" a sentence of the
            // prompt's kind with high confidence, so the thresholds below
            // cannot catch it.
            tracing::debug!(start_s = part.start_s(), "segment is digital silence");
            return Ok(String::new());
        }
        let raw = decode(state, samples, options, Some(prompt), observer, progress)
            .map_err(|e| e.at(part.start_s()))?;
        let text = clean_segment(&raw);
        if options.language == "zh" && is_latin_only(&text) {
            tracing::debug!(text, start_s = part.start_s(), "dropped Latin-only output");
            return Ok(String::new());
        }
        if !is_prompt_echo(&text, prompt) {
            return Ok(text);
        }
        tracing::debug!(
            text,
            start_s = part.start_s(),
            "output repeats the prompt; decoding again without it"
        );
        let raw = decode(state, samples, options, None, observer, progress)
            .map_err(|e| e.at(part.start_s()))?;
        Ok(clean_segment(&raw))
    }
}

/// Level below which no microphone records anything: -70 dBFS RMS, under
/// the self-noise of any real input (a quiet room is around -55 dBFS).
const DIGITAL_SILENCE_RMS: f64 = 3.2e-4;

fn is_digital_silence(samples: &[f32]) -> bool {
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (energy / samples.len().max(1) as f64).sqrt() < DIGITAL_SILENCE_RMS
}

/// Where a segment sits in the whole job, for progress reports.
#[derive(Debug, Clone, Copy)]
struct Progress {
    done_s: f64,
    part_s: f64,
    total_s: f64,
}

/// A decoding failure before its position in the recording is known.
enum DecodeFailure {
    Cancelled,
    Whisper(String),
}

impl DecodeFailure {
    fn at(self, at_s: f64) -> AsrError {
        match self {
            DecodeFailure::Cancelled => AsrError::Cancelled,
            DecodeFailure::Whisper(reason) => AsrError::Decode { at_s, reason },
        }
    }
}

/// Runs whisper over one segment and returns its raw text.
fn decode(
    state: &mut whisper_rs::WhisperState,
    samples: &[f32],
    options: &TranscribeOptions,
    prompt: Option<&str>,
    observer: &Observer,
    progress: Progress,
) -> Result<String, DecodeFailure> {
    let seconds = samples.len() as f64 / f64::from(SAMPLE_RATE);
    let mut params = full_params(options, seconds);
    if let Some(prompt) = prompt {
        params.set_initial_prompt(prompt);
    }

    // whisper-rs 0.16 calls the abort closure through the type it was given,
    // but stores it boxed as `Box<dyn FnMut>`; handing it that very type
    // makes the two agree.
    let cancel = observer.cancel_flag();
    let abort: Box<dyn FnMut() -> bool> = Box::new(move || cancel.load(Ordering::Relaxed));
    params.set_abort_callback_safe(abort);
    if let Some(report) = observer.progress.clone() {
        params.set_progress_callback_safe(move |percent: i32| {
            // whisper reports past 100% when its last window runs beyond
            // the end of the audio, which a short segment always does.
            let percent = f64::from(percent.clamp(0, 100));
            let done = progress.done_s + progress.part_s * percent / 100.0;
            report((done / progress.total_s.max(1e-9)).clamp(0.0, 1.0) as f32);
        });
    }

    if let Err(e) = state.full(params, samples) {
        if observer.is_cancelled() {
            return Err(DecodeFailure::Cancelled);
        }
        return Err(DecodeFailure::Whisper(e.to_string()));
    }
    if observer.is_cancelled() {
        return Err(DecodeFailure::Cancelled);
    }

    // Join the raw bytes before decoding UTF-8: whisper may split one
    // character's bytes across tokens and segments.
    let mut bytes = Vec::new();
    for segment in state.as_iter() {
        let no_speech = segment.no_speech_probability();
        match segment.to_bytes() {
            Ok(text) => {
                tracing::trace!(no_speech, text = %String::from_utf8_lossy(text), "raw segment");
                bytes.extend_from_slice(text);
            }
            Err(e) => return Err(DecodeFailure::Whisper(e.to_string())),
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The decoding parameters for a segment of `seconds`, each one chosen on
/// purpose (whisper.cpp's defaults are tuned for English subtitles).
fn full_params(options: &TranscribeOptions, seconds: f64) -> FullParams<'_, '_> {
    let strategy = match options.beam_size {
        Some(beam) if beam > 1 => SamplingStrategy::BeamSearch {
            beam_size: beam as i32,
            patience: -1.0,
        },
        // best_of only matters when a failed decode is retried at a higher
        // temperature; two samples instead of five keep a retry cheap.
        _ => SamplingStrategy::Greedy { best_of: 2 },
    };
    let mut params = FullParams::new(strategy);
    params.set_n_threads(options.threads.max(1) as i32);
    params.set_language(Some(&options.language));
    params.set_translate(false);

    // Nothing on stdout: the core never prints.
    params.set_print_special(false);
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_timestamps(false);

    // Segments are at most 25 s, so one window each. Without timestamp
    // tokens whisper invents less (timestamps correlate with hallucinated
    // text on silence) and decodes fewer tokens; the segment's own bounds
    // are the timestamps.
    params.set_no_timestamps(true);
    params.set_single_segment(true);
    params.set_no_context(true);
    // Room for the whole prompt (see PROMPT_TOKEN_LIMIT).
    params.set_n_max_text_ctx(224);
    if options.scale_audio_ctx {
        params.set_audio_ctx(audio_ctx_for(seconds));
    }

    // No blank first token, no [music]/(laughs) style tokens.
    params.set_suppress_blank(true);
    params.set_suppress_nst(true);

    // Greedy first; if the result looks like a loop (token entropy below 2.4
    // over the last 32 tokens) or is improbable (mean log-probability below
    // -1.0), decode again at temperature 0.2, 0.4… These are whisper's
    // reference values; they catch loops without rejecting normal Mandarin.
    params.set_temperature(0.0);
    params.set_temperature_inc(0.2);
    params.set_entropy_thold(2.4);
    params.set_logprob_thold(-1.0);
    // A window whose no-speech probability exceeds 0.6 while its text is
    // improbable yields nothing: the voice detector already removed silence,
    // so this only catches noise that slipped through.
    params.set_no_speech_thold(0.6);

    // Mandarin dictation runs at 4–6 characters a second, about 1.3 tokens
    // per character plus punctuation: 15 tokens a second is twice that. A
    // looping decoder stops there instead of filling 224 tokens.
    params.set_max_tokens((seconds * 15.0).ceil() as i32 + 16);
    params
}

/// `ggml-base.bin` → `base`, `ggml-small-q8_0.bin` → `small-q8_0`.
fn model_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.strip_prefix("ggml-").unwrap_or(&stem).to_string()
}

fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_come_from_file_names() {
        let cases = [
            ("models/ggml-base.bin", "base"),
            ("C:/数据/模型/ggml-small-q8_0.bin", "small-q8_0"),
            ("custom.bin", "custom"),
        ];
        for (path, expected) in cases {
            assert_eq!(model_name(Path::new(path)), expected);
        }
    }
}
