//! The extraction corpus: dictations written the way the recogniser
//! writes them, with the fields a clerk would fill in. At least 97% of
//! fields must come out exactly right; `voice-ledger eval extract
//! tests/extract/corpus` prints the per-field figures.

use std::fmt::Write as _;
use std::path::Path;

use voice_ledger::extract::{Gazetteer, evaluate, load_corpus};
use voice_ledger::ledger::{Catalog, display_value};

#[test]
fn corpus_fields_are_extracted_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/extract/corpus");
    let corpus = load_corpus(&dir).unwrap();

    let report = evaluate(&Catalog::builtin(), &corpus, &Gazetteer::builtin()).unwrap();

    let mut failures = String::new();
    for m in &report.mismatches {
        let show =
            |v: &Option<serde_json::Value>| v.as_ref().map_or("-".to_string(), display_value);
        let _ = writeln!(
            failures,
            "{} {}: expected {} got {}",
            m.case,
            m.key,
            show(&m.expected),
            show(&m.got)
        );
    }
    assert!(
        report.cases >= 150,
        "the corpus should hold at least 150 cases, has {}",
        report.cases
    );
    let accuracy = report.accuracy();
    assert!(
        accuracy >= 0.97,
        "exact-field accuracy {accuracy:.3} is below 0.97:\n{failures}"
    );
}
