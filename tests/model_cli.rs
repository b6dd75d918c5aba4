//! `voice-ledger model …` as staff and scripts use it: import, list,
//! verify, default, remove, and the errors for bad files.

#[path = "common/model.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voice-ledger"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        // Never reach for the network or a real cache from these tests.
        .env("VOICE_LEDGER_CACHE", data.join("cache"))
        .env("VOICE_LEDGER_PASSPHRASE", "测试口令 test passphrase")
        .env("VOICE_LEDGER_NO_KEYRING", "1")
        .output()
        .unwrap()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ok_json(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(data, args)).unwrap()
}

/// Runs a command that must fail with `code`; returns its stderr.
fn fails(data: &Path, args: &[&str], code: i32) -> String {
    let out = run(data, args);
    assert_eq!(out.status.code(), Some(code), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

fn row<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed"))
}

#[test]
fn import_list_default_verify_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let model = support::synthetic_ggml(dir.path());

    let installed = ok_json(
        &data,
        &["model", "import", model.to_str().unwrap(), "--json"],
    );
    assert_eq!(installed["name"], "synthetic");
    let path = data.join("models").join("ggml-synthetic.bin");
    assert_eq!(installed["path"], path.to_str().unwrap());

    let list = ok_json(&data, &["model", "list", "--json"]);
    let synthetic = row(&list, "synthetic");
    assert_eq!(synthetic["installed"], true);
    assert_eq!(synthetic["supported"], false);
    assert_eq!(synthetic["default"], true);
    assert_eq!(row(&list, "base")["installed"], false);
    assert_eq!(row(&list, "large-v3-turbo-q5_0")["multilingual"], true);

    assert_eq!(ok(&data, &["model", "path"]).trim(), path.to_str().unwrap());
    let verified = ok_json(&data, &["model", "verify", "--json"]);
    assert_eq!(verified[0]["loads"], true);
    assert_eq!(verified[0]["checksum_ok"], true);

    // A second model, made the default, then removed: the first takes over.
    let folder = dir.path().join("faster-whisper-mini");
    support::write_ct2_model(&folder, support::Precision::F16);
    ok(&data, &["model", "import", folder.to_str().unwrap()]);
    ok(&data, &["model", "default", "mini"]);
    assert!(ok(&data, &["model", "path"]).contains("ggml-mini.bin"));
    ok(&data, &["model", "remove", "mini"]);
    assert!(!data.join("models").join("ggml-mini.bin").exists());
    assert_eq!(ok(&data, &["model", "path"]).trim(), path.to_str().unwrap());

    ok(&data, &["model", "remove", "synthetic"]);
    assert!(!path.exists());
    assert_eq!(
        fails(&data, &["model", "path"], 2),
        "错误 / error: no speech model is installed; run `voice-ledger model install base`\n"
    );
}

#[test]
fn verify_detects_a_damaged_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let model = support::synthetic_ggml(dir.path());
    ok(&data, &["model", "import", model.to_str().unwrap()]);
    let path = data.join("models").join("ggml-synthetic.bin");

    // One flipped byte in the weights: whisper.cpp would still load it, so
    // only the checksum recorded at import can tell.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let error = fails(&data, &["model", "verify", "synthetic"], 1);
    assert!(
        error.ends_with("error: model check failed for synthetic\n"),
        "{error}"
    );
    let out = run(&data, &["model", "verify", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["checksum_ok"], false);
    assert_eq!(report[0]["loads"], true);

    // Cut short: it no longer loads either.
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let out = run(&data, &["model", "verify", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["loads"], false);
    let problem = report[0]["problem"].as_str().unwrap();
    assert!(
        problem.contains("whisper.cpp cannot load model"),
        "{problem}"
    );
}

#[test]
fn importing_something_that_is_not_a_model_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let check = |file: &Path, expected: String| {
        let stderr = fails(&data, &["model", "import", file.to_str().unwrap()], 2);
        assert_eq!(stderr, format!("错误 / error: {expected}\n"));
        assert!(!data.join("models").join("ggml-junk.bin").exists());
        assert!(!data.join("models").join("ggml-junk.bin.part").exists());
    };

    let junk = dir.path().join("ggml-junk.bin");
    std::fs::write(&junk, b"PK\x03\x04 this is a zip file").unwrap();
    check(
        &junk,
        format!(
            "`{}` is not a whisper ggml model: it does not start with the ggml magic (found 0x04034b50)",
            junk.display()
        ),
    );

    std::fs::write(&junk, b"lmgg").unwrap();
    check(
        &junk,
        format!(
            "`{}` is not a whisper ggml model: it ends inside the header",
            junk.display()
        ),
    );

    let missing = dir.path().join("nowhere.bin");
    check(&missing, format!("`{}` does not exist", missing.display()));

    let empty_folder = dir.path().join("junk");
    std::fs::create_dir(&empty_folder).unwrap();
    check(
        &empty_folder,
        format!(
            "`{}` has no `model.bin`; a faster-whisper model folder holds model.bin, config.json and tokenizer.json or vocabulary.txt",
            empty_folder.display()
        ),
    );
}

#[test]
fn unknown_and_uninstalled_names_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert_eq!(
        fails(&data, &["model", "install", "huge"], 2),
        "错误 / error: unknown model `huge`; run `voice-ledger model list` to see the supported models\n"
    );
    assert_eq!(
        fails(&data, &["model", "remove", "small"], 2),
        "错误 / error: model `small` is not installed; run `voice-ledger model install small`\n"
    );
}
