//! Shared helpers for the audio and speech-recognition tests: the fixture
//! manifest in `tests/fixtures/speech/` and the speech model to test with.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The fixture folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/speech")
}

/// One entry of `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Fixture {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub expected_text: Option<String>,
    #[serde(default)]
    pub record_type: Option<String>,
    #[serde(rename = "use", default)]
    pub purpose: Option<String>,
    pub path: String,
    #[serde(default)]
    pub duration_s: Option<f64>,
    #[serde(default)]
    pub sample_rate: Option<u32>,
    #[serde(default)]
    pub channels: Option<usize>,
    #[serde(default)]
    pub variant: Option<serde_json::Value>,
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub defect: Option<String>,
    #[serde(default)]
    pub signal: Option<String>,
}

impl Fixture {
    /// Absolute path of the audio file.
    pub fn file(&self) -> PathBuf {
        fixtures_dir().join(&self.path)
    }

    /// The variant's effect (`noise`, `tempo`, `silences`), if any.
    pub fn effect(&self) -> Option<String> {
        self.variant
            .as_ref()
            .and_then(|v| v.get("effect"))
            .and_then(|e| e.as_str())
            .map(str::to_owned)
    }
}

#[derive(Debug, Deserialize)]
struct Manifest {
    files: Vec<Fixture>,
}

/// All fixtures, in manifest order.
pub fn fixtures() -> Vec<Fixture> {
    let path = fixtures_dir().join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let manifest: Manifest = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()));
    manifest.files
}

/// The fixture with this id.
pub fn fixture(id: &str) -> Fixture {
    fixtures()
        .into_iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no fixture `{id}` in the manifest"))
}

/// Fixtures of one kind (`dictation`, `variant`, `negative`, `corrupt`, `format`).
pub fn fixtures_of_kind(kind: &str) -> Vec<Fixture> {
    fixtures().into_iter().filter(|f| f.kind == kind).collect()
}
