//! The level meter and the early check of the input level: is the
//! microphone picking anything up, and is it overloaded?
//!
//! Levels are measured on the 16 kHz mono audio that is recorded and
//! reported every 50 ms of audio, about 20 times a second, which is as fast
//! as a meter can usefully move on screen. Clipping is counted on the
//! device's own samples, before averaging channels smooths it away.

use serde::Serialize;

use crate::audio::SAMPLE_RATE;

/// Samples per meter update: 50 ms at 16 kHz.
const WINDOW: usize = SAMPLE_RATE as usize / 20;

/// The first verdict on the input level comes after this much audio: long
/// enough to hear a word or the room, short enough that the user has not
/// yet said much that would need repeating.
pub const FIRST_CHECK_S: f64 = 1.5;

/// Verdicts are revised every half second after the first.
const RECHECK_S: f64 = 0.5;

/// A microphone whose loudest moment stays below this is not hearing the
/// speaker: normal dictation peaks at −20 to −3 dBFS, a quiet room with a
/// working microphone at −60 to −45 dBFS.
const QUIET_PEAK_DBFS: f32 = -35.0;

/// A device sample this close to full scale counts as clipped.
const CLIP_LEVEL: f32 = 0.99;

/// Clipped samples per device channel within the last 1.5 s that make the
/// input count as overloaded. A well-set microphone has none; a handful of
/// isolated ones (a cough, a tap on the desk) are not worth a warning.
const CLIPPED_LIMIT: u64 = 24;

/// One meter reading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Level {
    /// Where the reading ends, in seconds of recorded audio.
    pub at_s: f64,
    /// Root-mean-square level over the last 50 ms, dBFS (a full-scale sine
    /// reads −3 dBFS; silence −100).
    pub rms_dbfs: f32,
    /// Highest absolute sample over the last 50 ms, dBFS.
    pub peak_dbfs: f32,
}

/// What the input level says about the microphone set-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Quality {
    /// Speech or room sound is coming in at a usable level.
    Good,
    /// Nothing loud enough has been heard: the microphone is muted, turned
    /// down, the wrong device, or the speaker is far away.
    TooQuiet {
        /// The loudest peak so far, dBFS.
        peak_dbfs: f32,
    },
    /// The input is overloaded and distorts.
    Clipping {
        /// Clipped device samples per channel in the last 1.5 s.
        clipped: u64,
    },
}

impl Quality {
    /// Advice for the user in Chinese, or `None` when all is well.
    pub fn advice_zh(&self) -> Option<&'static str> {
        match self {
            Quality::Good => None,
            Quality::TooQuiet { .. } => Some(
                "声音太小，几乎听不到：请靠近麦克风说话，检查麦克风是否静音、音量是否调低，或换一个录音设备",
            ),
            Quality::Clipping { .. } => {
                Some("声音过大，录音失真：请离麦克风远一点，或在系统声音设置里调低麦克风音量")
            }
        }
    }

    /// The same advice in English.
    pub fn advice_en(&self) -> Option<&'static str> {
        match self {
            Quality::Good => None,
            Quality::TooQuiet { .. } => Some(
                "the microphone hears almost nothing: speak closer to it, check it is not muted or turned down, or choose another input device",
            ),
            Quality::Clipping { .. } => Some(
                "the input is too loud and distorts: move back from the microphone or lower its volume in the system sound settings",
            ),
        }
    }
}

/// What the meter reports while audio flows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeterReading {
    /// A new level reading.
    Level(Level),
    /// The quality verdict changed (the first one always comes).
    Quality(Quality),
}

/// Turns a stream of 16 kHz samples into meter readings and verdicts.
#[derive(Debug, Clone)]
pub struct LevelMeter {
    samples: u64,
    window_sum: f64,
    window_peak: f32,
    window_count: usize,
    loudest_peak: f32,
    clipped_recent: [u64; 3],
    next_check_s: f64,
    verdict: Option<Quality>,
}

impl Default for LevelMeter {
    fn default() -> Self {
        LevelMeter::new()
    }
}

impl LevelMeter {
    /// A meter at the start of a recording.
    pub fn new() -> LevelMeter {
        LevelMeter {
            samples: 0,
            window_sum: 0.0,
            window_peak: 0.0,
            window_count: 0,
            loudest_peak: 0.0,
            clipped_recent: [0; 3],
            next_check_s: FIRST_CHECK_S,
            verdict: None,
        }
    }

    /// The current verdict, once the first check has run.
    pub fn verdict(&self) -> Option<Quality> {
        self.verdict
    }

    /// Feeds recorded samples and the number of clipped device samples per
    /// channel that produced them; calls `report` for each reading.
    pub fn push(&mut self, samples: &[f32], clipped: u64, report: &mut impl FnMut(MeterReading)) {
        self.clipped_recent[2] += clipped;
        for &s in samples {
            let magnitude = s.abs();
            self.window_sum += f64::from(s) * f64::from(s);
            self.window_peak = self.window_peak.max(magnitude);
            self.window_count += 1;
            self.samples += 1;
            if self.window_count == WINDOW {
                self.close_window(report);
            }
            let at_s = self.samples as f64 / f64::from(SAMPLE_RATE);
            if at_s >= self.next_check_s {
                self.next_check_s += RECHECK_S;
                self.check(report);
                self.clipped_recent.rotate_left(1);
                self.clipped_recent[2] = 0;
            }
        }
    }

    fn close_window(&mut self, report: &mut impl FnMut(MeterReading)) {
        let mean = self.window_sum / self.window_count as f64;
        let level = Level {
            at_s: self.samples as f64 / f64::from(SAMPLE_RATE),
            rms_dbfs: (10.0 * (mean + 1e-10).log10()) as f32,
            peak_dbfs: amplitude_dbfs(self.window_peak),
        };
        self.loudest_peak = self.loudest_peak.max(self.window_peak);
        self.window_sum = 0.0;
        self.window_peak = 0.0;
        self.window_count = 0;
        report(MeterReading::Level(level));
    }

    fn check(&mut self, report: &mut impl FnMut(MeterReading)) {
        let loudest = self.loudest_peak.max(self.window_peak);
        let clipped: u64 = self.clipped_recent.iter().sum();
        let verdict = if clipped >= CLIPPED_LIMIT {
            Quality::Clipping { clipped }
        } else if amplitude_dbfs(loudest) < QUIET_PEAK_DBFS {
            Quality::TooQuiet {
                peak_dbfs: amplitude_dbfs(loudest),
            }
        } else {
            Quality::Good
        };
        let changed = match (self.verdict, verdict) {
            (None, _) => true,
            (Some(old), new) => std::mem::discriminant(&old) != std::mem::discriminant(&new),
        };
        if changed {
            tracing::debug!(?verdict, "input level verdict");
            self.verdict = Some(verdict);
            report(MeterReading::Quality(verdict));
        }
    }
}

/// Counts device samples at or near full scale, per channel.
pub fn count_clipped(interleaved: &[f32], channels: u16) -> u64 {
    let clipped = interleaved.iter().filter(|s| s.abs() >= CLIP_LEVEL).count() as u64;
    clipped / u64::from(channels.max(1))
}

/// An amplitude in dBFS; −100 for silence.
fn amplitude_dbfs(amplitude: f32) -> f32 {
    if amplitude <= 1e-5 {
        -100.0
    } else {
        20.0 * amplitude.log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(samples: &[f32], clipped_per_chunk: u64) -> (Vec<Level>, Vec<Quality>) {
        let mut meter = LevelMeter::new();
        let mut levels = Vec::new();
        let mut verdicts = Vec::new();
        for chunk in samples.chunks(1_000) {
            meter.push(chunk, clipped_per_chunk, &mut |r| match r {
                MeterReading::Level(l) => levels.push(l),
                MeterReading::Quality(q) => verdicts.push(q),
            });
        }
        (levels, verdicts)
    }

    fn sine(seconds: f64, amplitude: f32) -> Vec<f32> {
        (0..(seconds * 16_000.0) as usize)
            .map(|i| amplitude * (i as f32 * 0.2).sin())
            .collect()
    }

    #[test]
    fn twenty_readings_a_second_with_sine_levels() {
        let (levels, _) = run(&sine(2.0, 0.5), 0);
        assert_eq!(levels.len(), 40);
        let last = levels.last().unwrap();
        assert_eq!(last.at_s, 2.0);
        assert!((last.rms_dbfs - -9.03).abs() < 0.1, "{last:?}");
        assert!((last.peak_dbfs - -6.02).abs() < 0.1, "{last:?}");
    }

    #[test]
    fn silence_reads_minus_100_and_is_too_quiet() {
        let (levels, verdicts) = run(&vec![0.0; 48_000], 0);
        assert_eq!(levels[0].rms_dbfs, -100.0);
        assert_eq!(levels[0].peak_dbfs, -100.0);
        assert_eq!(verdicts, vec![Quality::TooQuiet { peak_dbfs: -100.0 }]);
    }

    #[test]
    fn the_warning_clears_once_the_speaker_is_heard() {
        let mut samples = vec![0.0; 32_000];
        samples.extend(sine(1.0, 0.3));
        let (_, verdicts) = run(&samples, 0);
        assert_eq!(
            verdicts,
            vec![Quality::TooQuiet { peak_dbfs: -100.0 }, Quality::Good]
        );
    }

    #[test]
    fn overload_is_reported_and_recovers() {
        let mut meter = LevelMeter::new();
        let mut verdicts = Vec::new();
        let mut feed = |seconds: f64, clipped: u64, meter: &mut LevelMeter| {
            for chunk in sine(seconds, 0.9).chunks(1_600) {
                meter.push(chunk, clipped, &mut |r| {
                    if let MeterReading::Quality(q) = r {
                        verdicts.push(q)
                    }
                });
            }
        };
        feed(2.0, 5, &mut meter);
        feed(3.0, 0, &mut meter);
        assert_eq!(
            verdicts,
            vec![Quality::Clipping { clipped: 75 }, Quality::Good]
        );
    }

    #[test]
    fn clipped_samples_are_counted_per_channel() {
        assert_eq!(count_clipped(&[1.0, -1.0, 0.5, 0.995, 0.2, 0.0], 2), 1);
        assert_eq!(count_clipped(&[1.0, -1.0, 0.5, 0.995], 1), 3);
    }
}
