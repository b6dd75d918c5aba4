//! Splits live audio into phrases at the speaker's pauses, as it arrives,
//! so each phrase can be recognised while the next one is being spoken.
//!
//! This only decides where to cut. It measures frames with the VAD's own
//! [`FrameMeter`] and compares them with a running noise floor; whether a
//! phrase really holds speech is left to [`crate::audio::VoiceActivity`],
//! which the recogniser thread runs on each phrase.

use crate::audio::SAMPLE_RATE;
use crate::audio::vad::{FrameMeter, VadConfig};

/// Tuning of the phrase splitter.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseConfig {
    /// Frame length, thresholds and padding are the VAD's.
    pub vad: VadConfig,
    /// A pause at least this long ends a phrase. Speakers pause 0.3–0.8 s
    /// between clauses when dictating; 0.45 s cuts there but not at the
    /// closures inside words (under 0.2 s).
    pub pause_s: f64,
    /// A phrase is cut at its quietest moment once it reaches this length,
    /// so that a speaker who never pauses still gets partial text, and the
    /// part left to recognise when they stop stays short.
    pub max_phrase_s: f64,
}

impl Default for PhraseConfig {
    fn default() -> Self {
        PhraseConfig {
            vad: VadConfig::default(),
            pause_s: 0.45,
            max_phrase_s: 6.0,
        }
    }
}

/// A finished stretch of speech, in 16 kHz samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    /// 0 for the first phrase of a recording, then 1, 2…
    pub index: usize,
    /// Where it starts in the recording, in samples.
    pub start: usize,
    /// Its samples, with a little silence kept either side.
    pub samples: Vec<f32>,
}

impl Phrase {
    /// Start in seconds from the beginning of the recording.
    pub fn start_s(&self) -> f64 {
        self.start as f64 / f64::from(SAMPLE_RATE)
    }

    /// End in seconds from the beginning of the recording.
    pub fn end_s(&self) -> f64 {
        (self.start + self.samples.len()) as f64 / f64::from(SAMPLE_RATE)
    }
}

/// The running noise floor: a histogram of frame levels in half-decibel
/// bins, so a percentile costs the same after an hour as after a second.
#[derive(Debug, Clone)]
struct Floor {
    bins: Vec<u32>,
    count: u32,
}

impl Floor {
    const BINS: usize = 200;

    fn new() -> Floor {
        Floor {
            bins: vec![0; Floor::BINS],
            count: 0,
        }
    }

    fn add(&mut self, level_dbfs: f32) {
        let bin = ((level_dbfs + 100.0) * 2.0).clamp(0.0, (Floor::BINS - 1) as f32) as usize;
        self.bins[bin] += 1;
        self.count += 1;
    }

    fn percentile(&self, share: f32) -> f32 {
        let target = (self.count as f32 * share).ceil().max(1.0) as u32;
        let mut seen = 0;
        for (bin, &n) in self.bins.iter().enumerate() {
            seen += n;
            if seen >= target {
                return bin as f32 / 2.0 - 100.0;
            }
        }
        0.0
    }
}

/// The phrase being spoken, in absolute frame numbers.
#[derive(Debug, Clone)]
struct Open {
    first: usize,
    last: usize,
    /// Level of every frame from `first` on, for choosing a cut.
    levels: Vec<f32>,
}

/// Cuts a live 16 kHz stream into phrases.
#[derive(Debug, Clone)]
pub struct PhraseSplitter {
    config: PhraseConfig,
    frame_len: usize,
    pad: usize,
    pause_frames: usize,
    max_frames: usize,
    meter: FrameMeter,
    floor: Floor,
    scratch: Vec<f32>,
    /// Audio not yet handed out, starting at sample `base`.
    buffer: Vec<f32>,
    base: usize,
    /// Frames measured so far.
    frames: usize,
    /// Where the previous phrase ended, in samples, so phrases never overlap.
    emitted_until: usize,
    open: Option<Open>,
    next_index: usize,
}

impl PhraseSplitter {
    /// A splitter at the start of a recording.
    pub fn new(config: PhraseConfig) -> PhraseSplitter {
        let frame_len = (SAMPLE_RATE * config.vad.frame_ms.max(1) / 1000) as usize;
        let frame_s = frame_len as f64 / f64::from(SAMPLE_RATE);
        let pad = (SAMPLE_RATE * config.vad.pad_ms / 1000) as usize;
        PhraseSplitter {
            pause_frames: (config.pause_s / frame_s).ceil().max(1.0) as usize,
            max_frames: (config.max_phrase_s / frame_s).ceil().max(2.0) as usize,
            frame_len,
            pad,
            meter: FrameMeter::new(frame_len),
            floor: Floor::new(),
            scratch: Vec::new(),
            buffer: Vec::new(),
            base: 0,
            frames: 0,
            emitted_until: 0,
            open: None,
            next_index: 0,
            config,
        }
    }

    /// Feeds samples; appends the phrases they complete.
    pub fn push(&mut self, samples: &[f32], phrases: &mut Vec<Phrase>) {
        self.buffer.extend_from_slice(samples);
        self.scratch.clear();
        self.meter.push(samples, &mut self.scratch);
        let levels = std::mem::take(&mut self.scratch);
        for &level in &levels {
            self.frame(level, phrases);
        }
        self.scratch = levels;
        if self.open.is_none() {
            self.forget_before(self.end().saturating_sub(self.pad + self.frame_len));
        }
    }

    /// Ends the phrase in progress, e.g. because the user paused or
    /// stopped; everything recorded so far is handed out.
    pub fn flush(&mut self, phrases: &mut Vec<Phrase>) {
        if let Some(open) = self.open.take() {
            let end = self.end();
            self.emit(open.first * self.frame_len, end, phrases);
        }
        self.forget_before(self.end());
    }

    fn frame(&mut self, level: f32, phrases: &mut Vec<Phrase>) {
        let index = self.frames;
        self.frames += 1;
        self.floor.add(level);
        let vad = &self.config.vad;
        // Until half a second is heard the floor means little; the absolute
        // minimum alone decides.
        let threshold = if self.frames < 25 {
            vad.min_level_dbfs
        } else {
            (self.floor.percentile(vad.floor_percentile) + vad.margin_db).max(vad.min_level_dbfs)
        };
        let voiced = level > threshold;

        match self.open.as_mut() {
            None if voiced => {
                self.open = Some(Open {
                    first: index,
                    last: index,
                    levels: vec![level],
                });
            }
            None => {}
            Some(open) => {
                open.levels.push(level);
                if voiced {
                    open.last = index;
                }
                if index - open.last >= self.pause_frames {
                    let open = self.open.take().unwrap_or_else(|| unreachable!());
                    let start = open.first * self.frame_len;
                    let end = (open.last + 1) * self.frame_len + self.pad;
                    self.emit(start, end, phrases);
                } else if index + 1 - open.first >= self.max_frames {
                    self.cut_long(phrases);
                }
            }
        }
    }

    /// Cuts an over-long phrase at its quietest moment in the second half.
    fn cut_long(&mut self, phrases: &mut Vec<Phrase>) {
        let Some(open) = self.open.take() else { return };
        let from = open.levels.len() / 2;
        let cut = (from..open.levels.len())
            .min_by(|&a, &b| smoothed(&open.levels, a).total_cmp(&smoothed(&open.levels, b)))
            .unwrap_or(open.levels.len() - 1);
        let cut_frame = open.first + cut;
        self.emit(
            open.first * self.frame_len,
            cut_frame * self.frame_len,
            phrases,
        );
        // The rest continues as a new phrase starting at the cut.
        self.open = Some(Open {
            first: cut_frame,
            last: open.last.max(cut_frame),
            levels: open.levels[cut..].to_vec(),
        });
    }

    /// Hands out samples `start..end` (before padding) as a phrase.
    fn emit(&mut self, start: usize, end: usize, phrases: &mut Vec<Phrase>) {
        let start = start
            .saturating_sub(self.pad)
            .max(self.emitted_until)
            .max(self.base);
        let end = end.min(self.end());
        if start >= end {
            return;
        }
        let samples = self.buffer[start - self.base..end - self.base].to_vec();
        tracing::debug!(
            index = self.next_index,
            start_s = start as f64 / f64::from(SAMPLE_RATE),
            end_s = end as f64 / f64::from(SAMPLE_RATE),
            "phrase"
        );
        phrases.push(Phrase {
            index: self.next_index,
            start,
            samples,
        });
        self.next_index += 1;
        self.emitted_until = end;
    }

    /// One past the last sample received.
    fn end(&self) -> usize {
        self.base + self.buffer.len()
    }

    fn forget_before(&mut self, sample: usize) {
        let keep_from = sample.max(self.base);
        let drop = (keep_from - self.base).min(self.buffer.len());
        self.buffer.drain(..drop);
        self.base += drop;
    }
}

/// Level averaged over five frames around `index`.
fn smoothed(levels: &[f32], index: usize) -> f32 {
    let from = index.saturating_sub(2);
    let to = (index + 3).min(levels.len());
    levels[from..to].iter().sum::<f32>() / (to - from).max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: usize = SAMPLE_RATE as usize;

    /// Syllable-like bursts: a harmonic tone whose loudness rises and
    /// falls five times a second.
    fn speech(seconds: f64) -> Vec<f32> {
        (0..(seconds * RATE as f64) as usize)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                let envelope = (std::f32::consts::PI * 5.0 * t).sin().abs();
                let voice: f32 = (1..6)
                    .map(|h| (std::f32::consts::TAU * 160.0 * h as f32 * t).sin() / h as f32)
                    .sum();
                0.15 * envelope * voice
            })
            .collect()
    }

    /// Quiet room noise (deterministic).
    fn room(seconds: f64) -> Vec<f32> {
        let mut state = 0x2545_f491_u32;
        (0..(seconds * RATE as f64) as usize)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32 - 0.5) * 0.002
            })
            .collect()
    }

    /// Runs a signal through in 10 ms pieces; returns phrase bounds in
    /// tenths of seconds.
    fn check(parts: &[Vec<f32>], config: PhraseConfig, expected: &[(f64, f64)]) {
        let samples = parts.concat();
        let mut splitter = PhraseSplitter::new(config);
        let mut phrases = Vec::new();
        for piece in samples.chunks(160) {
            splitter.push(piece, &mut phrases);
        }
        splitter.flush(&mut phrases);
        let bounds: Vec<(f64, f64)> = phrases
            .iter()
            .map(|p| {
                (
                    (p.start_s() * 10.0).round() / 10.0,
                    (p.end_s() * 10.0).round() / 10.0,
                )
            })
            .collect();
        assert_eq!(bounds, expected);
        for (i, phrase) in phrases.iter().enumerate() {
            assert_eq!(phrase.index, i);
            assert_eq!(
                phrase.samples,
                samples[phrase.start..phrase.start + phrase.samples.len()]
            );
        }
    }

    #[test]
    fn pauses_between_clauses_end_phrases() {
        check(
            &[room(1.0), speech(2.0), room(0.8), speech(1.4), room(1.0)],
            PhraseConfig::default(),
            &[(0.8, 3.3), (3.6, 5.5)],
        );
    }

    #[test]
    fn short_gaps_inside_a_phrase_do_not() {
        check(
            &[room(1.0), speech(1.0), room(0.25), speech(1.0), room(1.0)],
            PhraseConfig::default(),
            &[(0.8, 3.5)],
        );
    }

    #[test]
    fn speech_still_going_at_the_end_is_flushed() {
        check(
            &[room(1.0), speech(2.0)],
            PhraseConfig::default(),
            &[(0.8, 3.0)],
        );
    }

    #[test]
    fn silence_gives_no_phrase() {
        check(&[room(5.0)], PhraseConfig::default(), &[]);
        check(&[vec![0.0; 3 * RATE]], PhraseConfig::default(), &[]);
    }

    #[test]
    fn speech_without_pauses_is_cut_below_the_limit_without_gaps() {
        let config = PhraseConfig {
            max_phrase_s: 3.0,
            ..PhraseConfig::default()
        };
        let samples = [room(1.0), speech(10.0), room(1.0)].concat();
        let mut splitter = PhraseSplitter::new(config);
        let mut phrases = Vec::new();
        for piece in samples.chunks(441) {
            splitter.push(piece, &mut phrases);
        }
        splitter.flush(&mut phrases);
        assert!(phrases.len() >= 4, "{}", phrases.len());
        for pair in phrases.windows(2) {
            assert_eq!(pair[0].start + pair[0].samples.len(), pair[1].start);
        }
        for phrase in &phrases {
            assert!(
                phrase.samples.len() <= 3 * RATE + 2 * 4_000,
                "{}",
                phrase.end_s()
            );
        }
        let end = phrases.last().unwrap().end_s();
        assert!((11.2..11.4).contains(&end), "{end}");
    }

    #[test]
    fn floor_percentile_follows_the_levels() {
        let mut floor = Floor::new();
        for level in [
            -60.0, -60.0, -60.0, -20.0, -20.0, -20.0, -20.0, -20.0, -20.0, -20.0,
        ] {
            floor.add(level);
        }
        assert_eq!(floor.percentile(0.1), -60.0);
        assert_eq!(floor.percentile(0.5), -20.0);
    }
}
