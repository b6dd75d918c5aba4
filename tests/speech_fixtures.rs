//! The committed speech fixtures agree with their manifest, and the ledger
//! values they promise are valid for their record types.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use voice_ledger::ledger::{Catalog, FieldValues, check_values};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/speech")
}

fn manifest() -> Vec<Value> {
    let path = fixtures_dir().join("manifest.json");
    let text = fs::read_to_string(&path).expect("tests/fixtures/speech/manifest.json is readable");
    let manifest: Value = serde_json::from_str(&text).expect("manifest.json is valid JSON");
    manifest["files"]
        .as_array()
        .expect("manifest has a files list")
        .clone()
}

fn entry<'a>(entries: &'a [Value], id: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("manifest has no entry `{id}`"))
}

/// What a RIFF/WAVE header says, read without an audio library so that the
/// fixtures are checked independently of the code under test.
#[derive(Debug, PartialEq)]
struct WavHeader {
    format: u16,
    channels: u16,
    sample_rate: u32,
    bits: u16,
    data_offset: usize,
    data_bytes: usize,
}

impl WavHeader {
    fn parse(bytes: &[u8]) -> Option<WavHeader> {
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return None;
        }
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());

        let mut fmt = None;
        let mut at = 12;
        while at + 8 <= bytes.len() {
            let size = u32_at(at + 4) as usize;
            match &bytes[at..at + 4] {
                b"fmt " => {
                    fmt = Some((
                        u16_at(at + 8),
                        u16_at(at + 10),
                        u32_at(at + 12),
                        u16_at(at + 22),
                    ))
                }
                b"data" => {
                    let (format, channels, sample_rate, bits) = fmt?;
                    return Some(WavHeader {
                        format,
                        channels,
                        sample_rate,
                        bits,
                        data_offset: at + 8,
                        data_bytes: size,
                    });
                }
                _ => {}
            }
            at += 8 + size + size % 2;
        }
        None
    }

    fn declared_seconds(&self) -> f64 {
        let frame = usize::from(self.channels) * usize::from(self.bits / 8);
        (self.data_bytes / frame) as f64 / f64::from(self.sample_rate)
    }
}

fn read(entry: &Value) -> Vec<u8> {
    let path = fixtures_dir().join(entry["path"].as_str().expect("entry has a path"));
    fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn every_file_in_the_manifest_exists_with_its_recorded_size() {
    for entry in manifest() {
        let bytes = read(&entry);
        assert_eq!(
            Some(bytes.len() as u64),
            entry["size_bytes"].as_u64(),
            "{}",
            entry["path"]
        );
    }
}

#[test]
fn every_audio_file_in_the_folder_is_in_the_manifest() {
    let listed: Vec<String> = manifest()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    let root = fixtures_dir();
    for folder in [
        "dictation",
        "bench",
        "variant",
        "negative",
        "corrupt",
        "format",
    ] {
        for file in fs::read_dir(root.join(folder)).unwrap() {
            let name = format!("{folder}/{}", file.unwrap().file_name().to_string_lossy());
            assert!(
                listed.contains(&name),
                "{name} is not in manifest.json; regenerate it"
            );
        }
    }
}

#[test]
fn wav_headers_match_the_manifest() {
    for entry in manifest() {
        let path = entry["path"].as_str().unwrap();
        if !path.ends_with(".wav") || entry["kind"] == "corrupt" {
            continue;
        }
        let bytes = read(&entry);
        let header = WavHeader::parse(&bytes).unwrap_or_else(|| panic!("{path} has no WAV header"));

        assert_eq!(
            (header.format, header.bits),
            (1, 16),
            "{path} is not 16-bit PCM"
        );
        assert_eq!(
            Some(u64::from(header.sample_rate)),
            entry["sample_rate"].as_u64(),
            "{path}"
        );
        assert_eq!(
            Some(u64::from(header.channels)),
            entry["channels"].as_u64(),
            "{path}"
        );
        assert_eq!(
            header.data_offset + header.data_bytes,
            bytes.len(),
            "{path} is not whole"
        );
        let expected = entry["duration_s"].as_f64().unwrap();
        assert!(
            (header.declared_seconds() - expected).abs() < 0.001,
            "{path} duration"
        );
    }
}

#[test]
fn dictation_clips_are_16_khz_mono() {
    for entry in manifest() {
        if matches!(
            entry["kind"].as_str(),
            Some("dictation" | "variant" | "negative")
        ) {
            assert_eq!(
                (entry["sample_rate"].as_u64(), entry["channels"].as_u64()),
                (Some(16000), Some(1))
            );
        }
    }
}

#[test]
fn corrupt_files_are_broken_as_described() {
    let entries = manifest();
    let header_of = |id: &str| WavHeader::parse(&read(entry(&entries, id)));

    let truncated = entry(&entries, "truncated");
    let bytes = read(truncated);
    let header = WavHeader::parse(&bytes).expect("truncated.wav keeps its header");
    let declared = truncated["declared_duration_s"].as_f64().unwrap();
    assert!((header.declared_seconds() - declared).abs() < 0.001);
    assert!(
        header.data_offset + header.data_bytes > bytes.len(),
        "truncated.wav is whole"
    );

    assert_eq!(header_of("random-bytes"), None);
    assert!(read(entry(&entries, "empty")).is_empty());
    assert_eq!(header_of("zero-samples").map(|h| h.data_bytes), Some(0));
}

#[test]
fn speech_has_expected_text_with_numbers_spoken_as_words() {
    for entry in manifest() {
        let text = entry["expected_text"].as_str().unwrap();
        let speech = matches!(
            entry["kind"].as_str(),
            Some("dictation" | "variant" | "format")
        );
        if speech {
            assert!(!text.is_empty(), "{} has no expected text", entry["path"]);
        }
        assert!(
            !text.chars().any(|c| c.is_ascii_alphanumeric()),
            "{}: {text}",
            entry["path"]
        );
    }
}

#[test]
fn expected_fields_are_valid_ledger_values() {
    let catalog = Catalog::builtin();
    for entry in manifest() {
        let Some(record_type) = entry["record_type"].as_str() else {
            continue;
        };
        let record_type = catalog
            .record_type(record_type)
            .unwrap_or_else(|| panic!("no built-in record type `{record_type}`"));
        let fields: FieldValues = serde_json::from_value(entry["expected_fields"].clone()).unwrap();

        let checked =
            check_values(record_type, &fields).unwrap_or_else(|e| panic!("{}: {e}", entry["path"]));
        assert_eq!(
            checked, fields,
            "{} fields are not in canonical form",
            entry["path"]
        );
    }
}
