//! Running the `voice-ledger` binary against a data folder in tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The passphrase the tests' data folders are encrypted with.
pub const PASSPHRASE: &str = "测试口令 test passphrase";

/// New data folders are encrypted: tests give a passphrase and never touch
/// the user's credential store.
pub const TEST_KEYS: [(&str, &str); 2] = [
    ("VOICE_LEDGER_PASSPHRASE", PASSPHRASE),
    ("VOICE_LEDGER_NO_KEYRING", "1"),
];

/// Runs `voice-ledger --data-dir DATA ARGS…`.
pub fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voice-ledger"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .envs(TEST_KEYS)
        .output()
        .unwrap()
}

/// Runs a command that must succeed and returns its standard output.
pub fn ok(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must succeed and parses its JSON output.
pub fn ok_json(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(data, args)).unwrap()
}

/// A file under `tests/fixtures/`.
pub fn fixture(path: &str) -> String {
    format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}
