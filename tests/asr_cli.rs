//! `voice-ledger transcribe`: JSON and text output, and bad recordings
//! refused with exit code 2 and the file's name.

#[path = "capture_support/mod.rs"]
mod capture_support;
#[path = "common/cli.rs"]
mod common;
mod speech_support;

use std::path::Path;

use capture_support::data_with_model as data_dir;
use common::run as voice_ledger;
use speech_support::fixture;
use voice_ledger::asr::score::ErrorCount;

fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn json_has_text_segments_language_model_and_timings() {
    let data = data_dir();
    let f = fixture("hv08");
    let output = voice_ledger(
        data.path(),
        &[
            "transcribe",
            path_arg(&f.file()),
            "--json",
            "--threads",
            "2",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let text = json["text"].as_str().unwrap();
    let reference = f.expected_text.unwrap();
    assert!(ErrorCount::of(&reference, text).rate() < 0.35, "{text}");
    assert_eq!(json["language"], "zh");
    assert_eq!(json["model"], "base");
    let segment = &json["segments"][0];
    assert!(segment["start"].as_f64().unwrap() < 0.5, "{json}");
    assert!(segment["end"].as_f64().unwrap() > 6.0, "{json}");
    assert_eq!(segment["text"].as_str().unwrap(), text);
    let timings = &json["timings"];
    for key in ["load_s", "audio_s", "processing_s"] {
        assert!(timings[key].as_f64().unwrap() > 0.0, "{key}: {json}");
    }
    assert!((timings["audio_s"].as_f64().unwrap() - 6.862).abs() < 0.01);
}

#[test]
fn plain_output_is_the_text() {
    let data = data_dir();
    let f = fixture("hv08-mp3");
    let output = voice_ledger(
        data.path(),
        &["transcribe", path_arg(&f.file()), "--beam", "2"],
    );
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("王建华") || stdout.contains("走访"),
        "{stdout}"
    );
}

#[test]
fn bad_recordings_exit_2_and_name_the_file() {
    let data = data_dir();
    let missing = data.path().join("不存在.wav");
    let cases = [
        (fixture("empty").file(), "is empty"),
        (
            fixture("random-bytes").file(),
            "not a supported audio format",
        ),
        (fixture("truncated").file(), "is incomplete"),
        (fixture("silence-5s").file(), "contains no speech"),
        (fixture("short-0.3s").file(), "s of speech"),
        (missing, "cannot read audio file"),
    ];
    for (path, message) in cases {
        let output = voice_ledger(data.path(), &["transcribe", path_arg(&path)]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {stderr}",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(stderr.contains(&*name), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn an_unknown_model_is_reported() {
    let data = data_dir();
    let f = fixture("hv08");
    let output = voice_ledger(
        data.path(),
        &["transcribe", path_arg(&f.file()), "--model", "large-v9"],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("large-v9"), "{stderr}");
}
