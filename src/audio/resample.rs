//! Channel down-mixing and streaming conversion to 16 kHz.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler as _};

use super::SAMPLE_RATE;

/// Input frames per FFT chunk. 1024 frames keeps the resampler's delay and
/// memory small while the FFT cost per sample stays low.
const CHUNK_FRAMES: usize = 1024;

/// Averages interleaved channels into one.
///
/// Averaging (rather than taking the first channel) keeps speech that was
/// recorded on only one side of a stereo recorder.
pub fn downmix(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    let channels = channels.max(1);
    let scale = 1.0 / channels as f32;
    out.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| sanitise(frame.iter().sum::<f32>() * scale)),
    );
}

/// Replaces NaN and infinities (possible in float WAV files) with silence and
/// clamps to the range the recogniser was trained on.
fn sanitise(sample: f32) -> f32 {
    if sample.is_finite() {
        sample.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// Converts mono audio at any rate to 16 kHz, chunk by chunk, so a decoder or
/// a live capture can feed it as samples arrive.
pub struct Resampler {
    inner: Option<Fft<f32>>,
    ratio: f64,
    pending: Vec<f32>,
    scratch: Vec<f32>,
    to_trim: usize,
    frames_in: u64,
    frames_out: u64,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("ratio", &self.ratio)
            .field("frames_in", &self.frames_in)
            .field("frames_out", &self.frames_out)
            .finish()
    }
}

impl Resampler {
    /// A resampler from `source_rate` Hz to 16 kHz; a pass-through when the
    /// source already is 16 kHz.
    ///
    /// Uses rubato's FFT resampler: for a fixed ratio it is both faster and
    /// cleaner (steep anti-aliasing filter) than the asynchronous sinc one.
    pub fn new(source_rate: u32) -> Result<Resampler, String> {
        let inner = if source_rate == SAMPLE_RATE {
            None
        } else {
            let fft = Fft::<f32>::new(
                source_rate as usize,
                SAMPLE_RATE as usize,
                CHUNK_FRAMES,
                1,
                FixedSync::Input,
            )
            .map_err(|e| e.to_string())?;
            Some(fft)
        };
        let to_trim = inner.as_ref().map_or(0, |r| r.output_delay());
        let scratch = vec![0.0; inner.as_ref().map_or(0, |r| r.output_frames_max())];
        Ok(Resampler {
            inner,
            ratio: f64::from(SAMPLE_RATE) / f64::from(source_rate),
            pending: Vec::new(),
            scratch,
            to_trim,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Feeds source-rate samples; appends whatever 16 kHz output is ready.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.frames_in += input.len() as u64;
        let Some(inner) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            self.frames_out += input.len() as u64;
            return;
        };
        self.pending.extend_from_slice(input);
        let need = inner.input_frames_next();
        let mut start = 0;
        while self.pending.len() - start >= need {
            let chunk = &self.pending[start..start + need];
            let produced = run_chunk(inner, chunk, None, &mut self.scratch);
            start += need;
            emit(
                &self.scratch[..produced],
                &mut self.to_trim,
                &mut self.frames_out,
                out,
            );
        }
        self.pending.drain(..start);
    }

    /// Flushes the resampler's tail; the total output then matches the input
    /// length times the rate ratio.
    pub fn finish(mut self, out: &mut Vec<f32>) {
        let Some(inner) = self.inner.as_mut() else {
            return;
        };
        let expected = (self.frames_in as f64 * self.ratio).ceil() as u64;
        let need = inner.input_frames_next();
        let mut chunk = std::mem::take(&mut self.pending);
        let mut partial = chunk.len();
        chunk.resize(need, 0.0);
        // Pump the remaining input, then silence, until the delayed output
        // has caught up with the input; bounded so a bug cannot loop forever.
        for _ in 0..64 {
            if self.frames_out >= expected {
                break;
            }
            let indexing = Indexing {
                input_offset: 0,
                output_offset: 0,
                partial_len: Some(partial),
                active_channels_mask: None,
            };
            let produced = run_chunk(inner, &chunk, Some(&indexing), &mut self.scratch);
            emit(
                &self.scratch[..produced],
                &mut self.to_trim,
                &mut self.frames_out,
                out,
            );
            partial = 0;
        }
        let excess = self.frames_out.saturating_sub(expected) as usize;
        out.truncate(out.len().saturating_sub(excess));
    }
}

/// Runs one chunk through rubato, returning the number of frames written to
/// `scratch`. Errors cannot happen with the buffer sizes used here, so they
/// are logged and treated as no output rather than propagated.
fn run_chunk(
    inner: &mut Fft<f32>,
    chunk: &[f32],
    indexing: Option<&Indexing>,
    scratch: &mut [f32],
) -> usize {
    let frames_out = scratch.len();
    let input = InterleavedSlice::new(chunk, 1, chunk.len());
    let output = InterleavedSlice::new_mut(scratch, 1, frames_out);
    match (input, output) {
        (Ok(input), Ok(mut output)) => {
            match inner.process_into_buffer(&input, &mut output, indexing) {
                Ok((_, produced)) => produced,
                Err(e) => {
                    tracing::warn!("resampler rejected a chunk: {e}");
                    0
                }
            }
        }
        _ => 0,
    }
}

/// Appends resampled frames, skipping the resampler's start-up delay.
fn emit(frames: &[f32], to_trim: &mut usize, frames_out: &mut u64, out: &mut Vec<f32>) {
    let skip = (*to_trim).min(frames.len());
    *to_trim -= skip;
    let kept = &frames[skip..];
    out.extend(kept.iter().map(|&s| sanitise(s)));
    *frames_out += kept.len() as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, seconds: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    fn resample_in_pieces(input: &[f32], rate: u32, piece: usize) -> Vec<f32> {
        let mut resampler = Resampler::new(rate).unwrap();
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            resampler.push(chunk, &mut out);
        }
        resampler.finish(&mut out);
        out
    }

    fn check(rate: u32, seconds: f32, piece: usize) {
        let input = sine(rate, 440.0, seconds);
        let out = resample_in_pieces(&input, rate, piece);
        let expected = (input.len() as f64 * 16_000.0 / f64::from(rate)).ceil() as usize;
        assert_eq!(
            out.len(),
            expected,
            "rate {rate}, {seconds} s, pieces of {piece}"
        );

        // The 440 Hz tone must survive with its amplitude: compare RMS away
        // from the edges with the ideal 0.5/sqrt(2).
        if out.len() > 3200 {
            let middle = &out[800..out.len() - 800];
            let rms = (middle.iter().map(|s| s * s).sum::<f32>() / middle.len() as f32).sqrt();
            assert!((rms - 0.3536).abs() < 0.01, "rate {rate}: rms {rms}");
        }
    }

    #[test]
    fn converts_common_rates_with_exact_length() {
        check(16_000, 1.0, 1000);
        check(8_000, 2.0, 777);
        check(44_100, 1.5, 4096);
        check(48_000, 0.3, 100_000);
        check(22_050, 0.01, 7);
        check(11_025, 3.0, 1152);
    }

    #[test]
    fn downmix_averages_and_sanitises() {
        let mut out = Vec::new();
        downmix(&[0.5, -0.5, 1.0, 0.0, f32::NAN, 0.2, 4.0, 4.0], 2, &mut out);
        assert_eq!(out, vec![0.0, 0.5, 0.0, 1.0]);
    }
}
