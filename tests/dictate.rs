//! `voice-ledger dictate` end to end on synthetic Mandarin speech: the real
//! base model hears a recording, the extractor fills the home-visit record,
//! and the saved draft feeds every ledger that needs it.

#[path = "capture_support/mod.rs"]
mod capture_support;
#[path = "common/cli.rs"]
mod common;

use std::path::Path;
use std::sync::Mutex;

use capture_support::data_with_model;
use common::{fixture, ok, ok_json, run};
use serde_json::Value;

/// Two recognisers at once on a two-core machine only slow each other down.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn speech(id: &str) -> String {
    fixture(&format!("speech/dictation/{id}.wav"))
}

/// Dictates a fixture recorded on 2026-12-01 and returns the JSON result.
fn dictate(data: &Path, id: &str, extra: &[&str]) -> Value {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let audio = speech(id);
    let mut args = vec![
        "dictate",
        audio.as_str(),
        "--record-type",
        "home-visit",
        "--date",
        "2026-12-01",
        "--json",
    ];
    args.extend_from_slice(extra);
    ok_json(data, &args)
}

fn field<'a>(result: &'a Value, key: &str) -> &'a Value {
    result["extraction"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no field `{key}` in {result:#}"))
}

#[test]
fn a_dictated_visit_becomes_a_draft_in_every_ledger_that_needs_it() {
    let data = data_with_model();
    ok(
        data.path(),
        &["residents", "import", &fixture("registry/residents.csv")],
    );

    let result = dictate(data.path(), "hv01", &["--save", "--author", "李敏"]);

    // What a clerk would have written from the same words.
    assert_eq!(field(&result, "resident")["value"], "王秀英", "{result:#}");
    assert_eq!(field(&result, "address")["value"], "彭浦新村3号楼502室");
    assert_eq!(field(&result, "age")["value"], 82);
    assert_eq!(field(&result, "bp_systolic")["value"], 135);
    assert_eq!(field(&result, "bp_diastolic")["value"], 85);
    assert_eq!(field(&result, "follow_up")["value"], true);
    assert_eq!(field(&result, "visit_date")["value"], "2026-12-01");
    // Recognition may write 登 for 灯 here; the place of the fault is heard.
    let concerns = field(&result, "concerns")["value"].as_str().unwrap();
    assert!(concerns.starts_with("楼道"), "{concerns}");

    // Each value points at the words it came from.
    let transcript = result["transcript"]["text"].as_str().unwrap();
    let span = &field(&result, "address")["span"];
    let (start, end) = (
        span["start"].as_u64().unwrap() as usize,
        span["end"].as_u64().unwrap() as usize,
    );
    let said: String = transcript.chars().skip(start).take(end - start).collect();
    assert_eq!(said, span["text"].as_str().unwrap(), "{transcript}");
    assert!(said.contains("彭浦"), "span {span} in {transcript}");

    // The draft is stored with its recording and feeds four ledgers.
    let record = &result["record"];
    assert_eq!(record["state"], "draft", "{record:#}");
    let audio = record["audio_ref"].as_str().unwrap();
    // Kept in the audio folder, sealed (the data folder is encrypted);
    // exported with the key it is the original recording.
    assert!(audio.ends_with(".wav.enc"), "{audio}");
    let kept = data.path().join("audio").join(audio);
    let original = std::fs::read(speech("hv01")).unwrap();
    assert_ne!(
        std::fs::read(&kept).unwrap(),
        original,
        "{}",
        kept.display()
    );
    let id = record["id"].as_str().unwrap();
    let played = data.path().join("played.wav");
    ok(
        data.path(),
        &["records", "audio", id, "--out", played.to_str().unwrap()],
    );
    assert_eq!(std::fs::read(&played).unwrap(), original);
    let shown = ok_json(data.path(), &["records", "show", id, "--json"]);
    let ledgers: Vec<&str> = shown["ledgers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(ledgers.len(), 4, "{ledgers:?}");
    for title in ["走访", "高龄", "血压", "民情"] {
        assert!(
            ledgers.iter().any(|l| l.contains(title)),
            "no {title} ledger in {ledgers:?}"
        );
    }
}

#[test]
fn a_misheard_registered_name_is_corrected_and_the_original_kept() {
    // The registry spells the resident 汪秀英; the speech says wáng xiùyīng,
    // which recognition writes with the common surname 王.
    let data = data_with_model();
    let registry = data.path().join("registry.csv");
    let csv = std::fs::read_to_string(fixture("registry/residents.csv")).unwrap();
    std::fs::write(&registry, csv.replace("王秀英", "汪秀英")).unwrap();
    ok(
        data.path(),
        &["residents", "import", registry.to_str().unwrap()],
    );

    let result = dictate(data.path(), "hv01", &[]);

    let resident = field(&result, "resident");
    assert_eq!(resident["value"], "汪秀英", "{resident:#}");
    let original = resident["original"].as_str().unwrap_or_default();
    assert!(original.starts_with("王秀英"), "{resident:#}");
    assert!(
        result["record"].is_null(),
        "nothing is saved without --save"
    );
}

#[test]
fn unusable_recordings_are_refused_with_the_file_named() {
    let data = tempfile::tempdir().unwrap();
    for id in ["empty", "random-bytes", "truncated"] {
        let audio = fixture(&format!("speech/corrupt/{id}.wav"));
        let out = run(
            data.path(),
            &["dictate", &audio, "--record-type", "home-visit"],
        );
        assert_eq!(out.status.code(), Some(2), "{id}: {out:?}");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains(&format!("{id}.wav")), "{id}: {message}");
    }

    let records = ok_json(data.path(), &["records", "list", "--json"]);
    assert_eq!(records.as_array().map(Vec::len), Some(0), "{records}");
}
