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

/// The speech model the recognition tests use: `$VOICE_LEDGER_TEST_MODEL`,
/// else `base` installed in the usual data folder, else the one
/// `cargo xtask setup` installs. Absent, the tests fail and say how to get it.
pub fn test_model() -> PathBuf {
    if let Some(path) = std::env::var_os("VOICE_LEDGER_TEST_MODEL").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "VOICE_LEDGER_TEST_MODEL points to `{}`, which does not exist; \
             run `cargo xtask setup` or `voice-ledger model install base`",
            path.display()
        );
        return path;
    }
    let installed = voice_ledger::paths::DataDir::resolve(None)
        .ok()
        .and_then(|data| voice_ledger::model::installed_path(&data, "base"));
    let xtask_home = std::env::var_os("HOME").map(|home| {
        PathBuf::from(home).join(".cache/voice-ledger/model-home/models/ggml-base.bin")
    });
    installed
        .or(xtask_home.filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!(
                "the speech recognition tests need the multilingual base model: run \
                 `cargo xtask setup` (or `voice-ledger model install base`), or set \
                 VOICE_LEDGER_TEST_MODEL to a ggml-base.bin file"
            )
        })
}

/// The engine shared by one test binary, loaded once.
pub fn engine() -> &'static voice_ledger::asr::Engine {
    static ENGINE: std::sync::OnceLock<voice_ledger::asr::Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        let path = test_model();
        voice_ledger::asr::Engine::load(&path, &Default::default())
            .unwrap_or_else(|e| panic!("cannot load `{}`: {e}", path.display()))
    })
}

/// Held while transcribing: tests run on parallel threads, and two whisper
/// jobs on a two-core machine only slow each other down.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
