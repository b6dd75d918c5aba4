//! Container and codec decoding with symphonia, packet by packet, straight
//! into the 16 kHz mono resampler.

use std::io::ErrorKind;

use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, Track, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use super::resample::{Resampler, downmix};
use super::{Audio, AudioProblem, DecodeOptions, SAMPLE_RATE};

/// Sample rates outside this range are not audio a microphone produces; they
/// come from damaged headers and would make the resampler allocate huge FFTs.
const RATE_RANGE: std::ops::RangeInclusive<u32> = 1_000..=768_000;

/// More than this many undecodable packets in a row means the stream is
/// garbage, not a recording with an occasional damaged frame.
const MAX_BAD_PACKETS_IN_A_ROW: usize = 20;

/// A file counts as truncated when it decodes to less than this share of the
/// length its header declares, and misses at least `TRUNCATION_MIN_GAP_S`.
/// The slack absorbs encoder delay and padding, and the estimated lengths of
/// MP3 files without an Xing/Info header.
const TRUNCATION_SHARE: f64 = 0.9;
const TRUNCATION_MIN_GAP_S: f64 = 1.0;

/// Decodes a complete recording held in memory (any supported format) to
/// 16 kHz mono, with the default limits.
///
/// `hint` is the file extension when known (`"mp3"`, `"m4a"`…); content
/// sniffing works without it. This never panics on arbitrary bytes; every
/// failure is an [`AudioProblem`].
pub fn decode_bytes(bytes: &[u8], hint: Option<&str>) -> Result<Audio, AudioProblem> {
    if bytes.is_empty() {
        return Err(AudioProblem::Empty);
    }
    let source = std::io::Cursor::new(bytes);
    decode_source(Box::new(source), hint, &DecodeOptions::default())
}

/// Decodes any media source to 16 kHz mono.
pub(super) fn decode_source<'s>(
    source: Box<dyn MediaSource + 's>,
    hint: Option<&str>,
    options: &DecodeOptions,
) -> Result<Audio, AudioProblem> {
    let stream = MediaSourceStream::new(source, Default::default());
    let mut probe_hint = Hint::new();
    if let Some(extension) = hint {
        probe_hint.with_extension(extension);
    }
    let mut format = symphonia::default::get_probe()
        .probe(
            &probe_hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::IoError(ref io) if io.kind() == ErrorKind::UnexpectedEof => {
                AudioProblem::Unsupported {
                    detail: "no audio format recognised".into(),
                }
            }
            other => classify(other, "format not recognised"),
        })?;

    let track = audio_track(format.as_ref()).ok_or(AudioProblem::NoSamples)?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or(AudioProblem::NoSamples)?;
    let declared_s = declared_seconds(&track, &params);
    if let Some(seconds) = declared_s.filter(|s| *s > options.max_duration_s) {
        return Err(AudioProblem::TooLong {
            seconds,
            limit_s: options.max_duration_s,
        });
    }

    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| classify(e, "codec not supported"))?;
    let mut state = DecodeState::new(options.max_duration_s);
    let mut bad_in_a_row = 0;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) | Err(SymphoniaError::ResetRequired) => break,
            Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(classify(e, "container damaged")),
        };
        if packet.track_id != track.id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buffer) => {
                bad_in_a_row = 0;
                let rate = buffer.spec().rate();
                let channels = buffer.spec().channels().count();
                buffer.copy_to_vec_interleaved(&mut state.interleaved);
                state.accept(rate, channels)?;
            }
            Err(SymphoniaError::DecodeError(detail)) => {
                bad_in_a_row += 1;
                tracing::debug!("skipping an undecodable packet: {detail}");
                if bad_in_a_row > MAX_BAD_PACKETS_IN_A_ROW {
                    return Err(AudioProblem::Corrupt {
                        detail: detail.to_string(),
                    });
                }
            }
            Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(classify(e, "codec failed")),
        }
    }

    let audio = state.finish()?;
    if let Some(declared_s) = declared_s {
        let decoded_s = audio.duration_s();
        if decoded_s < declared_s * TRUNCATION_SHARE
            && declared_s - decoded_s >= TRUNCATION_MIN_GAP_S
        {
            return Err(AudioProblem::Truncated {
                decoded_s,
                declared_s,
            });
        }
    }
    Ok(audio)
}

/// The default audio track, or else the first track with audio parameters.
fn audio_track(format: &dyn FormatReader) -> Option<Track> {
    let has_audio = |t: &&Track| t.codec_params.as_ref().and_then(|p| p.audio()).is_some();
    format
        .default_track(TrackType::Audio)
        .filter(has_audio)
        .or_else(|| format.tracks().iter().find(has_audio))
        .cloned()
}

/// The length the container declares, when it declares one.
fn declared_seconds(track: &Track, params: &AudioCodecParameters) -> Option<f64> {
    let frames = track.num_frames?;
    let rate = params.sample_rate.filter(|r| *r > 0)?;
    Some(frames as f64 / f64::from(rate))
}

/// Sorts a symphonia error into a problem the user can act on.
fn classify(error: SymphoniaError, context: &str) -> AudioProblem {
    match error {
        SymphoniaError::Unsupported(what) => AudioProblem::Unsupported {
            detail: format!("{context}: {what}"),
        },
        other => AudioProblem::Corrupt {
            detail: format!("{context}: {other}"),
        },
    }
}

/// Accumulates decoded packets as 16 kHz mono.
struct DecodeState {
    interleaved: Vec<f32>,
    mono: Vec<f32>,
    resampler: Option<(u32, Resampler)>,
    source_channels: usize,
    output: Vec<f32>,
    max_samples: usize,
    max_duration_s: f64,
}

impl DecodeState {
    fn new(max_duration_s: f64) -> DecodeState {
        DecodeState {
            interleaved: Vec::new(),
            mono: Vec::new(),
            resampler: None,
            source_channels: 0,
            output: Vec::new(),
            max_samples: (max_duration_s * f64::from(SAMPLE_RATE)).ceil() as usize,
            max_duration_s,
        }
    }

    /// Takes the packet in `self.interleaved` (at `rate`, `channels`).
    fn accept(&mut self, rate: u32, channels: usize) -> Result<(), AudioProblem> {
        if !RATE_RANGE.contains(&rate) {
            return Err(AudioProblem::Unsupported {
                detail: format!("sample rate {rate} Hz"),
            });
        }
        if channels == 0 {
            return Err(AudioProblem::Corrupt {
                detail: "a packet has no channels".into(),
            });
        }
        self.source_channels = self.source_channels.max(channels);

        // A stream may change rate mid-way (chained Ogg, odd MP3s): flush the
        // old resampler and start a new one.
        if self.resampler.as_ref().map(|(r, _)| *r) != Some(rate) {
            if let Some((_, old)) = self.resampler.take() {
                old.finish(&mut self.output);
            }
            let resampler = Resampler::new(rate).map_err(|detail| AudioProblem::Unsupported {
                detail: format!("sample rate {rate} Hz: {detail}"),
            })?;
            self.resampler = Some((rate, resampler));
        }

        self.mono.clear();
        downmix(&self.interleaved, channels, &mut self.mono);
        if let Some((_, resampler)) = self.resampler.as_mut() {
            resampler.push(&self.mono, &mut self.output);
        }
        if self.output.len() > self.max_samples {
            return Err(AudioProblem::TooLong {
                seconds: self.output.len() as f64 / f64::from(SAMPLE_RATE),
                limit_s: self.max_duration_s,
            });
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Audio, AudioProblem> {
        let source_rate = self.resampler.as_ref().map_or(0, |(rate, _)| *rate);
        if let Some((_, resampler)) = self.resampler.take() {
            resampler.finish(&mut self.output);
        }
        if self.output.is_empty() {
            return Err(AudioProblem::NoSamples);
        }
        Ok(Audio {
            samples: self.output,
            source_rate,
            source_channels: self.source_channels,
        })
    }
}
