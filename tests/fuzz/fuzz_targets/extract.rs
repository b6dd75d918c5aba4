//! The field extractor: any transcript, for any built-in record type, is
//! read into fields without a panic.

#![no_main]

use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use voice_ledger::extract::{Extractor, Gazetteer, Segment};
use voice_ledger::ledger::{Catalog, Resident};

struct Setup {
    catalog: Catalog,
    residents: Vec<Resident>,
    gazetteer: Gazetteer,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let registry = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/registry/residents.csv"
        );
        let residents = voice_ledger::registry::read_registry(std::path::Path::new(registry))
            .expect("the test registry reads");
        Setup {
            catalog: Catalog::builtin(),
            gazetteer: Gazetteer::builtin().with_residents(&residents),
            residents,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(transcript) = std::str::from_utf8(rest) else {
        return;
    };
    let setup = setup();
    let types = setup.catalog.record_types();
    let record_type = types[usize::from(choice) % types.len()];
    let extractor = Extractor::new(&setup.residents, &setup.gazetteer);
    // Two segments splitting the text at a char boundary, as the
    // recogniser gives them.
    let middle = transcript
        .char_indices()
        .nth(transcript.chars().count() / 2)
        .map_or(transcript.len(), |(i, _)| i);
    let segments = [
        Segment {
            start_ms: 0,
            end_ms: 1_000,
            text: transcript[..middle].to_string(),
        },
        Segment {
            start_ms: 1_000,
            end_ms: 2_000,
            text: transcript[middle..].to_string(),
        },
    ];
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date");
    let _ = extractor.extract(record_type, transcript, &segments, date);
});
