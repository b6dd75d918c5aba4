//! Voice-activity detection: finds the stretches of a recording that hold
//! speech, trims the silence around them and cuts long recordings at pauses.
//!
//! Silence and steady noise are the main source of invented text (subtitle
//! credits, "thank you for watching"), so the recogniser is only ever given
//! what this module calls speech. The detector is deliberately simple and
//! explainable: frame energy after a 100 Hz high-pass, compared with the
//! recording's own noise floor, plus a check that the level moves the way
//! syllables do (a steady tone or hum is not speech).
//!
//! The frame meter and region tracker work incrementally, so a live capture
//! can feed them chunk by chunk; only the noise-floor estimate uses the
//! whole recording here.

use super::SAMPLE_RATE;

/// Tuning of the detector. The defaults are explained field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    /// Analysis frame length. 20 ms is short enough to see the gaps between
    /// syllables and long enough for a stable energy estimate at 16 kHz.
    pub frame_ms: u32,
    /// Which share of frames is taken as the noise floor. In dictation at
    /// least a tenth of the frames are pauses between words, so the 10th
    /// percentile sits on the background level, not on speech.
    pub floor_percentile: f32,
    /// How far above the floor a frame must be to count as voiced. Vowels
    /// are 15–30 dB above a quiet room; 10 dB still catches them at the
    /// 15 dB signal-to-noise ratio of a noisy office, while the frame-to-frame
    /// wobble of steady noise stays within about 3 dB of its floor.
    pub margin_db: f32,
    /// No frame quieter than this (after the high-pass) is speech, whatever
    /// the floor. Normal dictation sits at −35 to −15 dBFS; −50 dBFS leaves
    /// room for a quiet speaker far from the microphone while rejecting
    /// digital silence with dither and the hiss of an idle microphone.
    pub min_level_dbfs: f32,
    /// A region stays open across gaps up to this long. Mandarin stop
    /// closures and unvoiced initials (b, d, g, s, x) last 50–200 ms, so
    /// 300 ms joins the syllables of a phrase without swallowing real pauses.
    pub hangover_ms: u32,
    /// A region needs this many voiced frames in total; shorter bursts are
    /// clicks, taps or breath.
    pub min_voiced_ms: u32,
    /// Standard deviation of frame levels (dB) a region must reach. Speech
    /// alternates vowels and closures (typically 6–12 dB spread); a tone,
    /// hum or fan stays within a dB or two.
    pub min_level_spread_db: f32,
    /// Kept around each region so word onsets and trailing nasals are not
    /// clipped; whisper also transcribes better with a little lead-in.
    pub pad_ms: u32,
    /// Pauses at least this long always end a segment, so long silences
    /// never reach the decoder. Shorter pauses stay inside a segment and keep
    /// the sentence context that helps recognition.
    pub split_pause_s: f64,
    /// Upper bound of one segment. Whisper reads 30 s windows; 25 s leaves
    /// room for padding and avoids cutting a word at the window edge.
    pub max_segment_s: f64,
    /// Segments with less speech than this are merged into a neighbour when
    /// that fits: whisper invents text more readily on tiny clips.
    pub min_segment_speech_s: f64,
    /// Less speech than this in the whole recording is refused as too short
    /// to transcribe reliably.
    pub min_speech_s: f64,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig {
            frame_ms: 20,
            floor_percentile: 0.10,
            margin_db: 10.0,
            min_level_dbfs: -50.0,
            hangover_ms: 300,
            min_voiced_ms: 100,
            min_level_spread_db: 3.0,
            pad_ms: 250,
            split_pause_s: 1.2,
            max_segment_s: 25.0,
            min_segment_speech_s: 1.0,
            min_speech_s: 0.5,
        }
    }
}

/// A stretch of the recording handed to the recogniser, in 16 kHz samples
/// of the original recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeechSegment {
    /// First sample (inclusive).
    pub start: usize,
    /// End sample (exclusive).
    pub end: usize,
}

impl SpeechSegment {
    /// Start time in seconds.
    pub fn start_s(&self) -> f64 {
        self.start as f64 / f64::from(SAMPLE_RATE)
    }

    /// End time in seconds.
    pub fn end_s(&self) -> f64 {
        self.end as f64 / f64::from(SAMPLE_RATE)
    }

    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.end_s() - self.start_s()
    }

    /// The segment's samples within the whole recording.
    pub fn samples<'a>(&self, all: &'a [f32]) -> &'a [f32] {
        let end = self.end.min(all.len());
        &all[self.start.min(end)..end]
    }
}

/// A run of voiced frames joined across short gaps, in frame indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// First voiced frame.
    pub start: usize,
    /// One past the last voiced frame.
    pub end: usize,
    /// Voiced frames inside.
    pub voiced: usize,
}

/// The result of analysing one recording.
#[derive(Debug, Clone)]
pub struct VoiceActivity {
    /// Frame length in samples.
    pub frame_len: usize,
    /// Estimated background level, dBFS.
    pub floor_dbfs: f32,
    /// Level a frame had to exceed to count as voiced, dBFS.
    pub threshold_dbfs: f32,
    /// Speech regions in frames, after rejecting clicks and steady sounds.
    pub regions: Vec<Region>,
    /// Padded segments for the recogniser, in samples.
    pub segments: Vec<SpeechSegment>,
}

impl VoiceActivity {
    /// Analyses a whole 16 kHz mono recording.
    pub fn analyse(samples: &[f32], config: &VadConfig) -> VoiceActivity {
        let frame_len = (SAMPLE_RATE * config.frame_ms.max(1) / 1000) as usize;
        let mut meter = FrameMeter::new(frame_len);
        let mut levels = Vec::with_capacity(samples.len() / frame_len + 1);
        meter.push(samples, &mut levels);
        meter.finish(&mut levels);

        let floor_dbfs = percentile(&levels, config.floor_percentile);
        let threshold_dbfs = (floor_dbfs + config.margin_db).max(config.min_level_dbfs);
        let frame_s = frame_len as f64 / f64::from(SAMPLE_RATE);
        let hangover = frames(config.hangover_ms, frame_len);
        let mut tracker = RegionTracker::new(hangover);
        let mut regions = Vec::new();
        for &level in &levels {
            regions.extend(tracker.push(level > threshold_dbfs));
        }
        regions.extend(tracker.finish());

        let min_voiced = frames(config.min_voiced_ms, frame_len);
        regions.retain(|r| {
            let spread = spread_db(&levels[r.start..r.end]);
            let keep = r.voiced >= min_voiced && spread >= config.min_level_spread_db;
            if !keep {
                tracing::debug!(
                    start_s = r.start as f64 * frame_s,
                    voiced = r.voiced,
                    spread,
                    "rejected a sound that is not speech"
                );
            }
            keep
        });
        let segments = segment(&regions, &levels, config, frame_len, samples.len());
        tracing::debug!(
            floor_dbfs,
            threshold_dbfs,
            regions = regions.len(),
            segments = segments.len(),
            "voice activity"
        );
        VoiceActivity {
            frame_len,
            floor_dbfs,
            threshold_dbfs,
            regions,
            segments,
        }
    }

    /// Seconds of speech: the regions' lengths without padding.
    pub fn speech_s(&self) -> f64 {
        let frames: usize = self.regions.iter().map(|r| r.end - r.start).sum();
        frames as f64 * self.frame_len as f64 / f64::from(SAMPLE_RATE)
    }
}

/// Frames covering `ms` milliseconds, at least one.
fn frames(ms: u32, frame_len: usize) -> usize {
    let samples = (SAMPLE_RATE as usize * ms as usize) / 1000;
    samples.div_ceil(frame_len).max(1)
}

/// Level of each frame in dBFS after a 100 Hz high-pass, fed incrementally.
///
/// The high-pass removes DC offset, mains hum and handling rumble, which
/// carry energy but no speech (voice fundamentals start around 80–100 Hz and
/// intelligibility lives above 300 Hz).
#[derive(Debug, Clone)]
pub struct FrameMeter {
    frame_len: usize,
    coefficient: f32,
    previous_in: f32,
    previous_out: f32,
    sum: f64,
    count: usize,
}

impl FrameMeter {
    /// A meter for frames of `frame_len` samples at 16 kHz.
    pub fn new(frame_len: usize) -> FrameMeter {
        let cutoff_hz = 100.0_f32;
        let rc = 1.0 / (2.0 * std::f32::consts::PI * cutoff_hz);
        let dt = 1.0 / SAMPLE_RATE as f32;
        FrameMeter {
            frame_len: frame_len.max(1),
            coefficient: rc / (rc + dt),
            previous_in: 0.0,
            previous_out: 0.0,
            sum: 0.0,
            count: 0,
        }
    }

    /// Feeds samples; appends the level of every completed frame.
    pub fn push(&mut self, samples: &[f32], levels: &mut Vec<f32>) {
        for &x in samples {
            let y = self.coefficient * (self.previous_out + x - self.previous_in);
            self.previous_in = x;
            self.previous_out = y;
            self.sum += f64::from(y) * f64::from(y);
            self.count += 1;
            if self.count == self.frame_len {
                levels.push(level_dbfs(self.sum, self.count));
                self.sum = 0.0;
                self.count = 0;
            }
        }
    }

    /// Emits the last partial frame if it is at least half a frame long.
    pub fn finish(&mut self, levels: &mut Vec<f32>) {
        if self.count * 2 >= self.frame_len {
            levels.push(level_dbfs(self.sum, self.count));
        }
        self.sum = 0.0;
        self.count = 0;
    }
}

/// Mean power in dBFS (a full-scale sine is −3 dBFS); −100 for silence.
fn level_dbfs(sum: f64, count: usize) -> f32 {
    let mean = sum / count.max(1) as f64;
    (10.0 * (mean + 1e-10).log10()) as f32
}

/// Joins voiced frames into regions across gaps up to the hangover,
/// incrementally: each pushed frame may close a region.
#[derive(Debug, Clone)]
pub struct RegionTracker {
    hangover: usize,
    frame: usize,
    open: Option<Region>,
}

impl RegionTracker {
    /// A tracker that tolerates gaps of up to `hangover` unvoiced frames.
    pub fn new(hangover: usize) -> RegionTracker {
        RegionTracker {
            hangover,
            frame: 0,
            open: None,
        }
    }

    /// Takes the next frame's decision; returns a region once it has closed.
    pub fn push(&mut self, voiced: bool) -> Option<Region> {
        let index = self.frame;
        self.frame += 1;
        let mut closed = None;
        match (&mut self.open, voiced) {
            (Some(region), true) => {
                region.end = index + 1;
                region.voiced += 1;
            }
            (Some(region), false) => {
                if index - region.end >= self.hangover {
                    closed = self.open.take();
                }
            }
            (None, true) => {
                self.open = Some(Region {
                    start: index,
                    end: index + 1,
                    voiced: 1,
                });
            }
            (None, false) => {}
        }
        closed
    }

    /// Closes the region still open at the end of the recording.
    pub fn finish(&mut self) -> Option<Region> {
        self.open.take()
    }
}

/// The value below which `share` of the levels fall (−100 when empty).
fn percentile(levels: &[f32], share: f32) -> f32 {
    if levels.is_empty() {
        return -100.0;
    }
    let mut sorted = levels.to_vec();
    sorted.sort_by(f32::total_cmp);
    let index = ((sorted.len() - 1) as f32 * share.clamp(0.0, 1.0)).round() as usize;
    sorted[index]
}

/// Standard deviation of levels in dB.
fn spread_db(levels: &[f32]) -> f32 {
    if levels.len() < 2 {
        return 0.0;
    }
    let n = levels.len() as f32;
    let mean = levels.iter().sum::<f32>() / n;
    let variance = levels.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / n;
    variance.sqrt()
}

/// Turns regions into padded segments no longer than the limit.
fn segment(
    regions: &[Region],
    levels: &[f32],
    config: &VadConfig,
    frame_len: usize,
    total_samples: usize,
) -> Vec<SpeechSegment> {
    let frame_s = frame_len as f64 / f64::from(SAMPLE_RATE);
    let pad = frames(config.pad_ms, frame_len);
    // The limit applies to the padded segment.
    let max_frames = ((config.max_segment_s / frame_s) as usize)
        .saturating_sub(2 * pad)
        .max(1);
    let split_gap = (config.split_pause_s / frame_s).ceil() as usize;
    let min_speech = (config.min_segment_speech_s / frame_s).ceil() as usize;

    let mut pieces = Vec::new();
    for region in regions {
        cut_long_region(*region, levels, max_frames, &mut pieces);
    }

    let mut groups: Vec<Vec<Region>> = Vec::new();
    for piece in pieces {
        match groups.last_mut() {
            Some(group) if piece.start - group[group.len() - 1].end < split_gap => {
                group.push(piece)
            }
            _ => groups.push(vec![piece]),
        }
    }
    merge_tiny_groups(&mut groups, min_speech, max_frames);

    let mut bounded = Vec::new();
    for group in groups {
        split_at_longest_pause(group, max_frames, &mut bounded);
    }

    let mut segments: Vec<SpeechSegment> = Vec::with_capacity(bounded.len());
    for group in bounded {
        let first = group[0].start.saturating_sub(pad) * frame_len;
        let last = ((group[group.len() - 1].end + pad) * frame_len).min(total_samples);
        let start = segments.last().map_or(first, |s| first.max(s.end));
        if start < last {
            segments.push(SpeechSegment { start, end: last });
        }
    }
    segments
}

/// Splits a region longer than `max_frames` (speech without any pause) at
/// its quietest moment in the second half of each allowed window.
fn cut_long_region(mut region: Region, levels: &[f32], max_frames: usize, out: &mut Vec<Region>) {
    while region.end - region.start > max_frames {
        let from = region.start + max_frames / 2;
        let to = region.start + max_frames;
        let cut = (from..to)
            .min_by(|&a, &b| smoothed(levels, a).total_cmp(&smoothed(levels, b)))
            .unwrap_or(to);
        let share = (cut - region.start) as f64 / (region.end - region.start) as f64;
        let voiced_left = (region.voiced as f64 * share).round() as usize;
        out.push(Region {
            start: region.start,
            end: cut,
            voiced: voiced_left,
        });
        region = Region {
            start: cut,
            end: region.end,
            voiced: region.voiced.saturating_sub(voiced_left),
        };
    }
    out.push(region);
}

/// Level averaged over five frames around `index`, so a cut lands in a
/// quiet stretch rather than on one quiet frame inside a syllable.
fn smoothed(levels: &[f32], index: usize) -> f32 {
    let from = index.saturating_sub(2);
    let to = (index + 3).min(levels.len());
    if from >= to {
        return 0.0;
    }
    levels[from..to].iter().sum::<f32>() / (to - from) as f32
}

/// Frames spanned by a group, first region start to last region end.
fn span(group: &[Region]) -> usize {
    group[group.len() - 1].end - group[0].start
}

fn speech_frames(group: &[Region]) -> usize {
    group.iter().map(|r| r.end - r.start).sum()
}

/// Merges groups with very little speech into the neighbour across the
/// shorter pause, when the result still fits the segment limit.
fn merge_tiny_groups(groups: &mut Vec<Vec<Region>>, min_speech: usize, max_frames: usize) {
    let mut index = 0;
    while index < groups.len() {
        if groups.len() < 2 || speech_frames(&groups[index]) >= min_speech {
            index += 1;
            continue;
        }
        let gap_before = (index > 0).then(|| groups[index][0].start - span_end(&groups[index - 1]));
        let gap_after = groups
            .get(index + 1)
            .map(|next| next[0].start - span_end(&groups[index]));
        let target = match (gap_before, gap_after) {
            (Some(before), Some(after)) if after < before => index + 1,
            (Some(_), _) => index - 1,
            (None, Some(_)) => index + 1,
            (None, None) => index,
        };
        let (low, high) = (index.min(target), index.max(target));
        let merged_span = span_end(&groups[high]) - groups[low][0].start;
        if target != index && merged_span <= max_frames {
            let taken = groups.remove(high);
            groups[low].extend(taken);
            index = low;
        } else {
            index += 1;
        }
    }
}

fn span_end(group: &[Region]) -> usize {
    group[group.len() - 1].end
}

/// Splits a group longer than `max_frames` at its longest internal pause,
/// recursively, so every piece fits.
///
/// Pauses that leave both sides within the limit are preferred, so a 31 s
/// dictation becomes two pieces rather than a short one and two others.
fn split_at_longest_pause(group: Vec<Region>, max_frames: usize, out: &mut Vec<Vec<Region>>) {
    if span(&group) <= max_frames || group.len() < 2 {
        out.push(group);
        return;
    }
    let (start, end) = (group[0].start, span_end(&group));
    let pause = |i: usize| (group[i].start - group[i - 1].end, std::cmp::Reverse(i));
    let both_fit =
        |i: &usize| group[*i - 1].end - start <= max_frames && end - group[*i].start <= max_frames;
    let cut = (1..group.len())
        .filter(both_fit)
        .max_by_key(|&i| pause(i))
        .or_else(|| (1..group.len()).max_by_key(|&i| pause(i)))
        .unwrap_or(1);
    let mut left = group;
    let right = left.split_off(cut);
    split_at_longest_pause(left, max_frames, out);
    split_at_longest_pause(right, max_frames, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: usize = SAMPLE_RATE as usize;

    /// A speech-like burst: a 150 Hz harmonic tone whose loudness rises and
    /// falls five times a second, like syllables.
    fn syllables(seconds: f64, amplitude: f32) -> Vec<f32> {
        let n = (seconds * RATE as f64) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                let envelope = (std::f32::consts::PI * 5.0 * t).sin().abs();
                let voice: f32 = (1..8)
                    .map(|h| (2.0 * std::f32::consts::PI * 150.0 * h as f32 * t).sin() / h as f32)
                    .sum();
                amplitude * envelope * voice * 0.5
            })
            .collect()
    }

    fn silence(seconds: f64) -> Vec<f32> {
        vec![0.0; (seconds * RATE as f64) as usize]
    }

    /// Deterministic white noise (xorshift), uniform in ±amplitude.
    fn noise(seconds: f64, amplitude: f32, seed: u64) -> Vec<f32> {
        let mut state = seed.max(1);
        (0..(seconds * RATE as f64) as usize)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                amplitude * ((state >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
            })
            .collect()
    }

    fn mix(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(x, y)| x + y).collect()
    }

    fn concat(parts: &[Vec<f32>]) -> Vec<f32> {
        parts.concat()
    }

    /// Segment bounds rounded to tenths of a second.
    fn check(samples: &[f32], expected: &[(f64, f64)]) {
        let activity = VoiceActivity::analyse(samples, &VadConfig::default());
        let actual: Vec<(f64, f64)> = activity
            .segments
            .iter()
            .map(|s| {
                (
                    (s.start_s() * 10.0).round() / 10.0,
                    (s.end_s() * 10.0).round() / 10.0,
                )
            })
            .collect();
        assert_eq!(actual, expected, "floor {}", activity.floor_dbfs);
    }

    #[test]
    fn silence_and_steady_sounds_have_no_speech() {
        check(&silence(5.0), &[]);
        check(&noise(5.0, 0.003, 7), &[]);
        check(&noise(5.0, 0.3, 9), &[]);
        let tone: Vec<f32> = (0..3 * RATE)
            .map(|i| 0.3 * (i as f32 * 0.39).sin())
            .collect();
        check(&tone, &[]);
        // A tone burst between silences: loud enough, but it does not move
        // like speech.
        check(&concat(&[silence(1.0), tone, silence(1.0)]), &[]);
    }

    #[test]
    fn clicks_are_not_speech() {
        let mut samples = silence(3.0);
        for i in 0..160 {
            samples[RATE + i] = 0.8;
        }
        check(&samples, &[]);
    }

    #[test]
    fn trims_leading_and_trailing_silence() {
        let samples = concat(&[silence(2.0), syllables(3.0, 0.3), silence(2.0)]);
        check(&samples, &[(1.7, 5.3)]);
    }

    #[test]
    fn finds_speech_under_noise() {
        let speech = concat(&[silence(1.0), syllables(3.0, 0.3), silence(1.0)]);
        let noisy = mix(&speech, &noise(5.0, 0.02, 3));
        check(&noisy, &[(0.8, 4.2)]);
    }

    #[test]
    fn long_pauses_split_short_ones_do_not() {
        let samples = concat(&[
            syllables(2.0, 0.3),
            silence(0.5),
            syllables(2.0, 0.3),
            silence(3.0),
            syllables(2.0, 0.3),
        ]);
        check(&samples, &[(0.0, 4.8), (7.2, 9.5)]);
    }

    #[test]
    fn long_speech_is_cut_at_the_longest_pause() {
        // 4 s phrases separated by 0.4 s pauses, with one 0.9 s pause after
        // the fifth phrase: 44 s in all, so one cut, at the longer pause.
        let mut parts = Vec::new();
        for i in 0..9 {
            parts.push(syllables(4.0, 0.3));
            parts.push(silence(if i == 4 { 0.9 } else { 0.4 }));
        }
        parts.push(syllables(4.0, 0.3));
        let samples = concat(&parts);
        let activity = VoiceActivity::analyse(&samples, &VadConfig::default());
        let bounds: Vec<(f64, f64)> = activity
            .segments
            .iter()
            .map(|s| (s.start_s().round(), s.end_s().round()))
            .collect();
        assert_eq!(bounds, vec![(0.0, 22.0), (22.0, 44.0)]);
    }

    #[test]
    fn speech_without_pauses_is_cut_below_the_limit() {
        let samples = syllables(70.0, 0.3);
        let activity = VoiceActivity::analyse(&samples, &VadConfig::default());
        assert!(activity.segments.len() >= 3);
        for pair in activity.segments.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "no audio lost at a cut");
        }
        for s in &activity.segments {
            assert!(s.duration_s() <= 25.0, "{s:?}");
        }
        assert_eq!(activity.segments.last().unwrap().end, samples.len());
    }

    #[test]
    fn a_short_word_after_a_pause_joins_its_neighbour() {
        let samples = concat(&[
            syllables(3.0, 0.3),
            silence(2.0),
            syllables(0.4, 0.3),
            silence(1.0),
        ]);
        check(&samples, &[(0.0, 5.7)]);
    }

    #[test]
    fn region_tracker_bridges_short_gaps_only() {
        let mut tracker = RegionTracker::new(2);
        let decisions = [1, 1, 0, 1, 0, 0, 0, 1, 0];
        let mut regions: Vec<Region> = decisions
            .iter()
            .filter_map(|&d| tracker.push(d == 1))
            .collect();
        regions.extend(tracker.finish());
        assert_eq!(
            regions,
            vec![
                Region {
                    start: 0,
                    end: 4,
                    voiced: 3
                },
                Region {
                    start: 7,
                    end: 8,
                    voiced: 1
                },
            ]
        );
    }
}
