//! From whatever the device delivers to what the recogniser reads: native
//! samples of any format become `f32`, channels are averaged, and the rate
//! is converted to 16 kHz, chunk by chunk.
//!
//! This runs on the capture worker, never on the audio callback.

use cpal::{FromSample, Sample};

use crate::audio::{Resampler, downmix};

/// Appends `input` converted to `f32` in [-1, 1].
///
/// Integer formats map their full range onto [-1, 1) with the origin at 0
/// for signed and at mid-range for unsigned formats (a `u16` of 32768 is
/// silence), which is what ALSA and PipeWire mean by those formats.
pub fn to_f32<T>(input: &[T], out: &mut Vec<f32>)
where
    T: Sample,
    f32: FromSample<T>,
{
    out.extend(input.iter().map(|&s| f32::from_sample(s)));
}

/// Converts interleaved native audio to 16 kHz mono as it arrives.
#[derive(Debug)]
pub struct ToMono16k {
    channels: usize,
    mono: Vec<f32>,
    resampler: Resampler,
}

impl ToMono16k {
    /// A converter for `channels` interleaved channels at `sample_rate` Hz.
    pub fn new(sample_rate: u32, channels: u16) -> Result<ToMono16k, String> {
        if sample_rate == 0 || channels == 0 {
            return Err(format!(
                "unusable stream format: {sample_rate} Hz, {channels} channels"
            ));
        }
        Ok(ToMono16k {
            channels: usize::from(channels),
            mono: Vec::new(),
            resampler: Resampler::new(sample_rate)?,
        })
    }

    /// Feeds interleaved samples (whole frames); appends the 16 kHz output
    /// that is ready.
    pub fn push(&mut self, interleaved: &[f32], out: &mut Vec<f32>) {
        self.mono.clear();
        downmix(interleaved, self.channels, &mut self.mono);
        self.resampler.push(&self.mono, out);
    }

    /// Flushes the resampler's delay line at the end of a recording.
    pub fn finish(self, out: &mut Vec<f32>) {
        self.resampler.finish(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T>(input: &[T], expected: &[f32])
    where
        T: Sample + std::fmt::Debug,
        f32: FromSample<T>,
    {
        let mut out = Vec::new();
        to_f32(input, &mut out);
        assert_eq!(out, expected, "{input:?}");
    }

    #[test]
    fn every_common_format_maps_onto_the_same_scale() {
        check::<f32>(&[0.0, 0.5, -1.0, 1.0], &[0.0, 0.5, -1.0, 1.0]);
        check::<i16>(
            &[0, 16_384, i16::MIN, i16::MAX],
            &[0.0, 0.5, -1.0, 32_767.0 / 32_768.0],
        );
        check::<u16>(
            &[32_768, 49_152, 0, u16::MAX],
            &[0.0, 0.5, -1.0, 32_767.0 / 32_768.0],
        );
        check::<i8>(&[0, 64, i8::MIN, i8::MAX], &[0.0, 0.5, -1.0, 127.0 / 128.0]);
        check::<u8>(&[128, 192, 0, 255], &[0.0, 0.5, -1.0, 127.0 / 128.0]);
        check::<i32>(&[0, 1 << 30, i32::MIN], &[0.0, 0.5, -1.0]);
        check::<f64>(&[0.0, -0.25], &[0.0, -0.25]);
    }

    fn sine(rate: u32, freq: f32, seconds: f32, amplitude: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| amplitude * (std::f32::consts::TAU * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    fn rms(samples: &[f32]) -> f32 {
        (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
    }

    /// Runs a signal through the converter in device-sized pieces.
    fn convert(interleaved: &[f32], rate: u32, channels: u16, piece_frames: usize) -> Vec<f32> {
        let mut converter = ToMono16k::new(rate, channels).unwrap();
        let mut out = Vec::new();
        for piece in interleaved.chunks(piece_frames * usize::from(channels)) {
            converter.push(piece, &mut out);
        }
        converter.finish(&mut out);
        out
    }

    #[test]
    fn stereo_48k_becomes_mono_16k_with_the_tone_intact() {
        // Tone on the left only, silence on the right: averaging halves it.
        let left = sine(48_000, 440.0, 1.0, 0.8);
        let interleaved: Vec<f32> = left.iter().flat_map(|&l| [l, 0.0]).collect();
        let out = convert(&interleaved, 48_000, 2, 480);
        assert_eq!(out.len(), 16_000);
        let middle = &out[2_000..14_000];
        let expected = rms(&sine(16_000, 440.0, 1.0, 0.4));
        assert!((rms(middle) - expected).abs() < 0.01, "{}", rms(middle));
    }

    #[test]
    fn odd_rates_and_channel_counts_convert_to_the_right_length() {
        for (rate, channels) in [
            (44_100, 1),
            (22_050, 2),
            (16_000, 1),
            (8_000, 4),
            (96_000, 6),
        ] {
            let frames = rate as usize * 3 / 2;
            let interleaved = vec![0.1; frames * usize::from(channels)];
            let out = convert(&interleaved, rate, channels, 333);
            let expected = (frames as f64 * 16_000.0 / f64::from(rate)).ceil() as usize;
            assert_eq!(out.len(), expected, "{rate} Hz × {channels}");
        }
    }

    #[test]
    fn tone_above_8khz_is_filtered_not_folded_back() {
        // 11 kHz cannot exist at 16 kHz; it must vanish rather than alias to 5 kHz.
        let out = convert(&sine(48_000, 11_000.0, 1.0, 0.8), 48_000, 1, 1024);
        assert!(
            rms(&out[2_000..14_000]) < 0.01,
            "{}",
            rms(&out[2_000..14_000])
        );
    }

    #[test]
    fn zero_rate_or_channels_is_refused() {
        assert!(ToMono16k::new(0, 1).is_err());
        assert!(ToMono16k::new(48_000, 0).is_err());
    }
}
