//! Live dictation end to end through a real ALSA device: speech in, partial
//! text while it plays, then the whole text and the record's fields.

#[path = "capture_support/mod.rs"]
mod capture_support;
#[path = "speech_support/mod.rs"]
mod speech_support;

use std::process::Output;
use std::sync::Mutex;

use capture_support::{AlsaMic, data_with_model, read_wav};
use serde_json::Value;
use voice_ledger::asr::score::character_error_rate;

/// Two recognisers at once on a two-core machine only slow each other down.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Dictates fixture `id` live from the test microphone.
fn dictate_live(id: &str, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let fixture = speech_support::fixture(id);
    let samples = read_wav(&fixture.file()).0;
    let seconds = samples.len() as f64 / 16_000.0;
    let data = data_with_model();
    let mic = AlsaMic::new();
    mic.play(&samples, data.path());
    let out = mic
        .command(data.path())
        .args([
            "dictate",
            "--live",
            "--record-type",
            "home-visit",
            "--progress",
        ])
        .args(["--device", AlsaMic::ID, "--date", "2026-11-03"])
        .args(["--seconds", &seconds.to_string()])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (data, out)
}

fn events(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn field(result: &Value, key: &str) -> Value {
    result["extraction"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .map(|f| f["value"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn phrases_appear_while_speaking_then_the_text_and_fields() {
    let fixture = speech_support::fixture("bench-8s");
    let (_data, out) = dictate_live("bench-8s", &[]);
    let events = events(&out);

    // Partial text came phrase by phrase, before the result.
    let partials: Vec<&Value> = events.iter().filter(|e| e["event"] == "partial").collect();
    let result_at = events.iter().position(|e| e["event"] == "result").unwrap();
    assert!(partials.len() >= 2, "{partials:?}");
    assert!(events[..result_at].iter().any(|e| e["event"] == "partial"));
    let result = &events[result_at];
    let text = result["transcript"]["text"].as_str().unwrap();
    assert_eq!(partials.last().unwrap()["partial"]["so_far"], text);

    let expected = fixture.expected_text.as_deref().unwrap();
    let cer = character_error_rate(expected, text);
    assert!(cer < 0.3, "CER {cer:.2}: `{text}` for `{expected}`");
    assert_eq!(field(result, "bp_systolic"), 130, "{text}");
    assert_eq!(field(result, "bp_diastolic"), 80, "{text}");
    assert_eq!(result["recording"]["duration_s"], 8.0);
    // Nothing is kept unless asked.
    let recording = result["recording"]["path"].as_str().unwrap();
    assert!(!std::path::Path::new(recording).exists(), "{recording}");
}

#[test]
fn a_saved_live_dictation_keeps_its_recording() {
    let (data, out) = dictate_live("hv08", &["--save"]);
    let events = events(&out);
    let result = events.iter().find(|e| e["event"] == "result").unwrap();
    let id = result["record"]["id"].as_str().unwrap();
    let recording = result["recording"]["path"].as_str().unwrap();
    assert!(recording.starts_with(data.path().join("audio").to_str().unwrap()));
    // The data folder is encrypted: the recording made while speaking is
    // sealed once it belongs to the record, and the plain file is gone.
    assert!(!std::path::Path::new(recording).exists(), "{recording}");
    let played = data.path().join("played.wav");
    let exported = capture_support::binary()
        .arg("--data-dir")
        .arg(data.path())
        .args(["records", "audio", id, "--out"])
        .arg(&played)
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let (samples, _) = read_wav(&played);
    assert_eq!(
        samples.len(),
        read_wav(&speech_support::fixture("hv08").file()).0.len()
    );

    let shown = capture_support::binary()
        .arg("--data-dir")
        .arg(data.path())
        .args(["records", "show", id, "--json"])
        .output()
        .unwrap();
    assert!(shown.status.success());
    let record: Value = serde_json::from_slice(&shown.stdout).unwrap();
    let record = if record["record"].is_object() {
        &record["record"]
    } else {
        &record
    };
    let audio_ref = record["audio_ref"].as_str().unwrap();
    let sealed = format!("{recording}.enc");
    assert!(sealed.ends_with(audio_ref), "{audio_ref} vs {recording}");
    assert_eq!(record["fields"]["bp_systolic"], 118, "{record}");
    assert_eq!(record["state"], "draft");
}

#[test]
fn dictating_a_recording_file_gives_the_same_fields() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let data = data_with_model();
    let fixture = speech_support::fixture("hv08");
    let out = capture_support::binary()
        .arg("--data-dir")
        .arg(data.path())
        .arg("dictate")
        .arg(fixture.file())
        .args([
            "--record-type",
            "home-visit",
            "--date",
            "2026-11-03",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(field(&result, "bp_systolic"), 118);
    assert_eq!(field(&result, "bp_diastolic"), 76);
}
