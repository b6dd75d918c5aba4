//! What extraction returns: each value with where it came from (the words
//! of the transcript and, when segment times are known, the stretch of
//! audio), how sure it is, and what was corrected.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::phonetic::Correction;
use crate::ledger::FieldValues;

/// A piece of recognised speech with its place in the recording, as the
/// speech engine reports it. The transcript is these texts in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Start, in milliseconds from the start of the recording.
    pub start_ms: u64,
    /// End, in milliseconds.
    pub end_ms: u64,
    /// The recognised text.
    pub text: String,
}

/// The fields extracted from one transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extraction {
    /// Record type id.
    pub record_type: String,
    /// Record type version the values fit.
    pub type_version: u32,
    /// The day relative dates were resolved against.
    pub recording_date: NaiveDate,
    /// Extracted values, in the record type's field order.
    pub fields: Vec<ExtractedField>,
    /// Required fields without a value.
    pub missing_required: Vec<MissingField>,
    /// Things the user should look at: values outside a field's range,
    /// vague amounts, ID numbers that fail their check digit.
    pub warnings: Vec<ExtractionWarning>,
    /// The registry resident the dictation is about, when one was found.
    pub resident: Option<ResidentLink>,
    /// Changes made to what the recogniser wrote.
    pub corrections: Vec<Correction>,
}

/// One extracted value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedField {
    /// Field key.
    pub key: String,
    /// Field title, for display.
    pub title: String,
    /// The value in stored form (accepted by `ledger::check_value`).
    pub value: Value,
    /// How sure extraction is, from 0 to 1.
    pub confidence: f32,
    /// Where the value came from.
    pub origin: Origin,
    /// The words of the transcript the value was taken from.
    pub span: Option<TextSpan>,
    /// Where those words are in the recording, when segment times are known.
    pub audio: Option<AudioSpan>,
    /// What the transcript said when the value is not simply those words
    /// normalised: a corrected recognition error (汪秀英 → 王秀英) or a name
    /// completed from the registry (王阿姨 → 王秀英).
    pub original: Option<String>,
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Said in the dictation.
    Transcript,
    /// Taken from the resident registry for the linked resident.
    Registry,
    /// The recording day, because no date was said.
    RecordingDate,
}

/// A stretch of the transcript, in characters (not bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextSpan {
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The transcript text of the stretch.
    pub text: String,
}

/// A stretch of the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AudioSpan {
    /// Start in milliseconds.
    pub start_ms: u64,
    /// End in milliseconds.
    pub end_ms: u64,
}

/// A required field left empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingField {
    /// Field key.
    pub key: String,
    /// Field title.
    pub title: String,
}

/// Something about the extraction the user should check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtractionWarning {
    /// The field concerned, if any.
    pub key: Option<String>,
    /// What to check, in words the user can act on.
    pub message: String,
    /// The words concerned.
    pub span: Option<TextSpan>,
}

/// The registry resident a dictation is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResidentLink {
    /// Resident id.
    pub id: String,
    /// Registered name.
    pub name: String,
    /// How sure the link is, from 0 to 1.
    pub confidence: f32,
    /// Why the link was made.
    pub reason: String,
}

impl Extraction {
    /// The values by key, ready to save as a record's fields.
    pub fn values(&self) -> FieldValues {
        self.fields
            .iter()
            .map(|f| (f.key.clone(), f.value.clone()))
            .collect()
    }

    /// The extracted field with this key.
    pub fn field(&self, key: &str) -> Option<&ExtractedField> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// Maps transcript character offsets to recording times.
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    /// Per segment: first char, char count, start and end in ms.
    spans: Vec<(usize, usize, u64, u64)>,
}

impl Timeline {
    /// Places each segment in `transcript`. A segment's text is looked for
    /// from where the previous one ended, so joiners (spaces, punctuation)
    /// between segments do not matter.
    pub fn new(transcript: &str, segments: &[Segment]) -> Timeline {
        let chars: Vec<char> = transcript.chars().collect();
        let mut spans = Vec::new();
        let mut cursor = 0;
        for segment in segments {
            let text: Vec<char> = segment.text.trim().chars().collect();
            if text.is_empty() {
                continue;
            }
            let found = (cursor..=chars.len().saturating_sub(text.len()))
                .find(|&i| chars[i..].starts_with(&text))
                .unwrap_or(cursor.min(chars.len()));
            spans.push((
                found,
                text.len(),
                segment.start_ms,
                segment.end_ms.max(segment.start_ms),
            ));
            cursor = found + text.len();
        }
        Timeline { spans }
    }

    /// The recording time of transcript chars `start..end`, interpolated
    /// within segments (a segment's words are assumed evenly spread).
    pub fn audio(&self, start: usize, end: usize) -> Option<AudioSpan> {
        let at = |pos: usize, closing: bool| -> Option<u64> {
            let (first, len, t0, t1) = self
                .spans
                .iter()
                .rev()
                .find(|(first, len, ..)| {
                    if closing {
                        *first < pos
                    } else {
                        *first <= pos && pos < first + len
                    }
                })
                .or_else(|| self.spans.first())?;
            let offset = pos.saturating_sub(*first).min(*len) as u64;
            Some(t0 + (t1 - t0) * offset / (*len).max(1) as u64)
        };
        let start_ms = at(start, false)?;
        let end_ms = at(end, true)?.max(start_ms);
        Some(AudioSpan { start_ms, end_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_interpolated_within_segments() {
        let segments = [
            Segment {
                start_ms: 0,
                end_ms: 2000,
                text: "今天走访了".into(),
            },
            Segment {
                start_ms: 2000,
                end_ms: 4000,
                text: "王秀英阿姨".into(),
            },
        ];
        let timeline = Timeline::new("今天走访了，王秀英阿姨", &segments);
        assert_eq!(
            timeline.audio(6, 9),
            Some(AudioSpan {
                start_ms: 2000,
                end_ms: 3200
            })
        );
        assert_eq!(
            timeline.audio(0, 2),
            Some(AudioSpan {
                start_ms: 0,
                end_ms: 800
            })
        );
        assert_eq!(Timeline::new("x", &[]).audio(0, 1), None);
    }
}
