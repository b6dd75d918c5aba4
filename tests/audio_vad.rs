//! Voice-activity detection on the synthetic dictations: speech is kept
//! whole, silence is cut away, long recordings are cut at pauses.

mod speech_support;

use speech_support::{Fixture, fixture, fixtures_of_kind};
use voice_ledger::audio::{self, Audio, DecodeOptions, SAMPLE_RATE, VadConfig, VoiceActivity};

fn decode(f: &Fixture) -> Audio {
    audio::decode_file(&f.file(), &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", f.id))
}

/// A clip without long pauses is one segment that starts within the 0.25 s
/// lead-in and ends within the 0.35 s tail, so no speech is lost.
fn check_one_segment(f: &Fixture) {
    let audio = decode(f);
    let activity = VoiceActivity::analyse(&audio.samples, &VadConfig::default());
    let duration = audio.duration_s();
    assert_eq!(
        activity.segments.len(),
        1,
        "{}: {:?}",
        f.id,
        activity.segments
    );
    let segment = activity.segments[0];
    assert!(
        segment.start_s() <= 0.35,
        "{}: starts at {}",
        f.id,
        segment.start_s()
    );
    assert!(
        segment.end_s() >= duration - 0.35,
        "{}: ends at {} of {duration}",
        f.id,
        segment.end_s()
    );
    assert!(
        activity.speech_s() > 0.6 * duration,
        "{}: only {} s of speech in {duration} s",
        f.id,
        activity.speech_s()
    );
}

#[test]
fn dictations_are_one_segment_each() {
    for f in fixtures_of_kind("dictation") {
        if f.purpose.is_none() {
            check_one_segment(&f);
        }
    }
}

#[test]
fn noise_and_tempo_variants_keep_all_speech() {
    for f in fixtures_of_kind("variant") {
        if f.effect().as_deref() != Some("silences") {
            check_one_segment(&f);
        }
    }
}

#[test]
fn long_silences_never_reach_the_recogniser() {
    // hv08-silences: 3 s of silence, the first clause, 5 s, the rest, 4 s.
    let f = fixture("hv08-silences");
    let audio = decode(&f);
    let activity = VoiceActivity::analyse(&audio.samples, &VadConfig::default());
    let bounds: Vec<(f64, f64)> = activity
        .segments
        .iter()
        .map(|s| (s.start_s(), s.end_s()))
        .collect();
    assert_eq!(bounds.len(), 2, "{bounds:?}");
    let (first, second) = (bounds[0], bounds[1]);
    assert!((2.6..3.1).contains(&first.0), "{bounds:?}");
    assert!(
        second.0 - first.1 > 4.0,
        "the 5 s pause is kept: {bounds:?}"
    );
    assert!(second.1 < audio.duration_s() - 3.5, "{bounds:?}");
    let kept: f64 = bounds.iter().map(|(a, b)| b - a).sum();
    assert!(
        kept < audio.duration_s() - 11.0,
        "{kept} s of {}",
        audio.duration_s()
    );
}

#[test]
fn five_minutes_are_cut_at_pauses_into_pieces_under_25_s() {
    // Every dictation in turn, 0.3 s apart (plus each clip's own 0.6 s of
    // lead-in and tail), until five minutes are reached.
    let clips: Vec<Audio> = fixtures_of_kind("dictation")
        .iter()
        .filter(|f| f.purpose.is_none())
        .map(decode)
        .collect();
    let gap = vec![0.0; SAMPLE_RATE as usize * 3 / 10];
    let mut samples = Vec::new();
    let mut joins = Vec::new();
    'fill: loop {
        for clip in &clips {
            if samples.len() >= 300 * SAMPLE_RATE as usize {
                break 'fill;
            }
            samples.extend_from_slice(&clip.samples);
            joins.push(samples.len());
            samples.extend_from_slice(&gap);
        }
    }

    let activity = VoiceActivity::analyse(&samples, &VadConfig::default());
    let segments = &activity.segments;
    assert!(segments.len() >= 12, "{} segments", segments.len());
    for s in segments {
        assert!(s.duration_s() <= 25.0, "{s:?} is {} s", s.duration_s());
    }
    for pair in segments.windows(2) {
        assert!(pair[0].end <= pair[1].start, "overlap: {pair:?}");
        // A cut lies in the silence around a join: within the 0.35 s tail,
        // the 0.3 s gap or the 0.25 s lead-in, or at a pause inside a clip;
        // either way the boundary samples are silent.
        let quiet = |at: usize| {
            samples[at.saturating_sub(80)..(at + 80).min(samples.len())]
                .iter()
                .all(|s| s.abs() < 1e-3)
        };
        assert!(
            quiet(pair[0].end - 1) && quiet(pair[1].start),
            "cut in speech: {pair:?}"
        );
    }
    let covered: usize = segments.iter().map(|s| s.end - s.start).sum();
    assert!(
        covered as f64 > 0.8 * samples.len() as f64,
        "only {covered} of {} samples kept",
        samples.len()
    );
}
