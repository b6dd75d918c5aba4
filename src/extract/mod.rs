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
///
/// This prepares the registry on every call; to read many transcripts
/// against one registry, build an [`Extractor`] once.
pub fn extract(
    record_type: &RecordType,
    transcript: &str,
    segments: &[Segment],
    recording_date: NaiveDate,
    residents: &[Resident],
    gazetteer: &Gazetteer,
) -> Extraction {
    Extractor::new(residents, gazetteer).extract(record_type, transcript, segments, recording_date)
}

/// A resident registry and gazetteer prepared for reading transcripts:
/// addresses parsed, names indexed for sound-alike correction.
#[derive(Debug)]
pub struct Extractor<'a> {
    residents: &'a [Resident],
    places: address::Places,
    registry: Registry<'a>,
    names: phonetic::Names,
}

impl<'a> Extractor<'a> {
    /// Prepares `residents` and `gazetteer` (plus the places named in the
    /// residents' addresses).
    pub fn new(residents: &'a [Resident], gazetteer: &Gazetteer) -> Extractor<'a> {
        let places = place_names(gazetteer, residents);
        let registry = Registry::new(residents, &places);
        let mut seen = std::collections::HashSet::new();
        let mut names: Vec<(Vec<char>, NameKind)> = Vec::new();
        for name in registry.names.iter().filter(|n| n.len() >= 2) {
            if seen.insert(name) {
                names.push((name.clone(), NameKind::Person));
            }
        }
        names.extend(places.names().iter().map(|p| (p.clone(), NameKind::Place)));
        Extractor {
            residents,
            places,
            registry,
            names: phonetic::Names::new(names),
        }
    }

    /// Reads `transcript` into the fields of `record_type`; see [`extract`].
    pub fn extract(
        &self,
        record_type: &RecordType,
        transcript: &str,
        segments: &[Segment],
        recording_date: NaiveDate,
    ) -> Extraction {
        let mut cleaned = Cleaned::new(transcript);
        let mut corrections = phonetic::correct(&mut cleaned, &self.names);

        let mut reader = Reader::new(&cleaned, record_type, recording_date, &self.places);
        let mut found = reader.structured(&self.registry, &mut corrections);
        let link = reader.people(&self.registry, &mut found);
        found.extend(reader.choices());
        found.extend(reader.statements());
        let warnings = std::mem::take(&mut reader.warnings);

        let resident = link.map(|l| ResidentLink {
            id: self.residents[l.index].id.clone(),
            name: self.residents[l.index].name.clone(),
            confidence: l.confidence,
            reason: l.reason,
        });
        reader::assemble(
            record_type,
            &cleaned,
            &Timeline::new(transcript, segments),
            recording_date,
            found,
            warnings,
            resident,
            corrections,
        )
    }
}

/// Gazetteer names plus the places of registry addresses.
fn place_names(gazetteer: &Gazetteer, residents: &[Resident]) -> address::Places {
    let extended = gazetteer.clone().with_residents(residents);
    address::Places::new(extended.names().map(|n| n.chars().collect()))
}
