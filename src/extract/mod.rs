//! From transcript to ledger fields: reads a dictation (Whisper output in
//! Mandarin) the way a careful clerk would and fills the fields of a record
//! type, showing where each value came from.
//!
//! Extraction is driven by the record type: each field's TYPE says what to
//! look for (a date, a phone number, a name) and its CUES say which of
//! several candidates is meant (实到 before a number, 反映 before a
//! concern). A new record type therefore needs a template, not new code,
//! unless it brings a new field type.
//!
//! Blood pressure is the one pair of fields read together. A record type
//! has a blood-pressure pair when it has integer fields with unit `mmHg`:
//! the first is the systolic (high) value, the second the diastolic (low)
//! one, and their cues tell a reading's numbers apart (高压…低压…). Deriving
//! the pair from units keeps templates free of an attribute that only one
//! kind of field would use.

mod address;
mod blood_pressure;
mod clauses;
mod contact;
mod cues;
mod datetime;
mod eval;
mod evidence;
mod fields;
mod gazetteer;
mod numbers;
mod people;
mod phonetic;
mod reader;
mod registry;
mod text;

use chrono::NaiveDate;

pub use eval::{Case, Corpus, EvalError, FieldScore, Mismatch, Report, evaluate, load_corpus};
pub use evidence::{
    AudioSpan, ExtractedField, Extraction, ExtractionWarning, MissingField, Origin, ResidentLink,
    Segment, TextSpan,
};
pub use gazetteer::{Gazetteer, GazetteerError};
pub use phonetic::{Correction, CorrectionKind};

use crate::ledger::{RecordType, Resident};
use evidence::Timeline;
use phonetic::NameKind;
use reader::Reader;
use registry::Registry;
use text::Cleaned;

/// Reads `transcript` into the fields of `record_type`.
///
/// `segments` are the speech engine's timed pieces of the transcript (may
/// be empty); `recording_date` resolves 今天, 上周三 and dates without a
/// year; `residents` and `gazetteer` are the names that misheard words are
/// corrected against and the registry a dictation is linked to.
pub fn extract(
    record_type: &RecordType,
    transcript: &str,
    segments: &[Segment],
    recording_date: NaiveDate,
    residents: &[Resident],
    gazetteer: &Gazetteer,
) -> Extraction {
    let mut cleaned = Cleaned::new(transcript);
    let places = place_names(gazetteer, residents);
    let registry = Registry::new(residents, &places);
    let mut names: Vec<(Vec<char>, NameKind)> = registry
        .names
        .iter()
        .filter(|n| n.len() >= 2)
        .map(|n| (n.clone(), NameKind::Person))
        .collect();
    names.extend(places.names().iter().map(|p| (p.clone(), NameKind::Place)));
    let mut corrections = phonetic::correct(&mut cleaned, &names);

    let mut reader = Reader::new(&cleaned, record_type, recording_date, &places);
    let mut found = reader.structured(&registry, &mut corrections);
    let link = reader.people(&registry, &mut found);
    found.extend(reader.choices());
    found.extend(reader.statements());
    let warnings = std::mem::take(&mut reader.warnings);

    reader::assemble(
        record_type,
        &cleaned,
        &Timeline::new(transcript, segments),
        recording_date,
        found,
        warnings,
        link.map(|l| ResidentLink {
            id: residents[l.index].id.clone(),
            name: residents[l.index].name.clone(),
            confidence: l.confidence,
            reason: l.reason,
        }),
        corrections,
    )
}

/// Gazetteer names plus the places of registry addresses.
fn place_names(gazetteer: &Gazetteer, residents: &[Resident]) -> address::Places {
    let extended = gazetteer.clone().with_residents(residents);
    address::Places::new(extended.names().map(|n| n.chars().collect()))
}
