//! Speed and accuracy figures for `voice-ledger bench transcribe`: real-time
//! factor and latency per clip length and thread count, with and without
//! the shortened encoder window. Returns numbers; printing is the caller's.

use crate::audio::{self, Audio, SAMPLE_RATE, VadConfig};

use super::score::ErrorCount;
use super::{AsrError, Engine, Observer, TranscribeOptions};

/// A recording to measure, with the text spoken in it when known.
#[derive(Debug, Clone)]
pub struct BenchClip {
    /// Short label (`8 s`, `5 min`).
    pub label: String,
    /// 16 kHz mono samples.
    pub samples: Vec<f32>,
    /// What was said, for the error rate.
    pub reference: Option<String>,
}

impl BenchClip {
    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(SAMPLE_RATE)
    }
}

/// One measurement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenchResult {
    /// The clip's label.
    pub clip: String,
    /// Clip length, seconds.
    pub audio_s: f64,
    /// Decoder threads.
    pub threads: usize,
    /// Whether the encoder window was shortened to the segment length.
    pub scaled_audio_ctx: bool,
    /// Seconds from handing over the samples to the final text (voice
    /// detection, recognition and clean-up; the model was already loaded).
    pub latency_s: f64,
    /// Audio seconds per processing second ("× real time").
    pub real_time_factor: f64,
    /// CPU seconds the process used meanwhile, all threads (Linux only).
    /// On a busy machine the wall-clock latency grows with the load; the
    /// CPU time of a one-thread run does not, so it estimates the latency
    /// of an idle machine.
    pub cpu_s: Option<f64>,
    /// Character error rate, when the clip's text is known.
    pub cer: Option<f64>,
    /// The transcript, to eyeball.
    pub text: String,
}

/// One configuration to measure a clip under.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchCase {
    /// Decoder threads.
    pub threads: usize,
    /// Shorten the encoder window.
    pub scaled_audio_ctx: bool,
}

/// Transcribes `clip` under `case` and measures it.
pub fn measure(
    engine: &Engine,
    clip: &BenchClip,
    case: BenchCase,
    base: &TranscribeOptions,
) -> Result<BenchResult, AsrError> {
    let started = std::time::Instant::now();
    let cpu_before = process_cpu_s();
    let options = TranscribeOptions {
        threads: case.threads,
        scale_audio_ctx: case.scaled_audio_ctx,
        ..base.clone()
    };
    let audio = Audio::from_samples(clip.samples.clone());
    let text = match audio::find_speech(audio, &VadConfig::default()) {
        Ok(speech) => engine.transcribe(&speech, &options, &Observer::new())?.text,
        Err(_) => String::new(),
    };
    let latency_s = started.elapsed().as_secs_f64();
    let cpu_s = process_cpu_s()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    Ok(BenchResult {
        clip: clip.label.clone(),
        audio_s: clip.duration_s(),
        threads: case.threads,
        scaled_audio_ctx: case.scaled_audio_ctx,
        latency_s,
        real_time_factor: clip.duration_s() / latency_s.max(1e-9),
        cpu_s,
        cer: clip
            .reference
            .as_deref()
            .map(|reference| ErrorCount::of(reference, &text).rate()),
        text,
    })
}

/// User plus system CPU seconds of this process, from `/proc/self/stat`
/// (fields 14 and 15, in the kernel's fixed 100 Hz `USER_HZ` ticks).
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name in parentheses may contain spaces; fields follow it.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Joins clips with `pause_s` of silence between them until the result is
/// at least `target_s` long (cycling through the clips), for long-form
/// measurements. Returns the samples and the concatenated reference text.
pub fn long_recording(clips: &[BenchClip], pause_s: f64, target_s: f64) -> BenchClip {
    let pause = vec![0.0; (pause_s * f64::from(SAMPLE_RATE)) as usize];
    let target = (target_s * f64::from(SAMPLE_RATE)) as usize;
    let mut samples = Vec::with_capacity(target + pause.len());
    let mut reference = String::new();
    let mut with_reference = true;
    while samples.len() < target && !clips.is_empty() {
        for clip in clips {
            if samples.len() >= target {
                break;
            }
            samples.extend_from_slice(&clip.samples);
            samples.extend_from_slice(&pause);
            match &clip.reference {
                Some(text) => reference.push_str(text),
                None => with_reference = false,
            }
        }
        if clips.iter().all(|c| c.samples.is_empty()) {
            break;
        }
    }
    BenchClip {
        label: format!(
            "{:.0} min",
            samples.len() as f64 / f64::from(SAMPLE_RATE) / 60.0
        ),
        samples,
        reference: with_reference.then_some(reference),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_recordings_cycle_clips_until_long_enough() {
        let clip = |seconds: usize, text: &str| BenchClip {
            label: text.into(),
            samples: vec![0.1; seconds * SAMPLE_RATE as usize],
            reference: Some(text.into()),
        };
        let clips = [clip(10, "甲"), clip(20, "乙")];
        let long = long_recording(&clips, 1.0, 60.0);
        // 10+1, 20+1, 10+1, 20+1 = 64 s.
        assert_eq!(long.samples.len(), 64 * SAMPLE_RATE as usize);
        assert_eq!(long.reference.as_deref(), Some("甲乙甲乙"));
        assert_eq!(long.label, "1 min");
        assert!(long_recording(&[], 1.0, 60.0).samples.is_empty());
    }
}
