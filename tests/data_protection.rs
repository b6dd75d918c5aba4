//! Residents' data at rest: a new data folder is encrypted, opens only with
//! its key, says what to do when the key is wrong or missing, and a full
//! dictation leaves no personal data in the log file.

#[path = "common/cli.rs"]
mod common;
#[path = "common/model.rs"]
mod model;

use std::path::Path;
use std::process::{Command, Output};

use common::{PASSPHRASE, fixture, ok, ok_json};
use serde_json::Value;
use voice_ledger::encryption::DataKey;
use voice_ledger::ledger::{Catalog, RecordState};
use voice_ledger::store::{NewRecord, Store, StoreError};

/// Runs the binary with `passphrase` (or none) and no credential store.
fn run_with(data: &Path, passphrase: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voice-ledger"));
    command
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("VOICE_LEDGER_NO_KEYRING", "1")
        .env_remove("VOICE_LEDGER_PASSPHRASE");
    if let Some(passphrase) = passphrase {
        command.env("VOICE_LEDGER_PASSPHRASE", passphrase);
    }
    command.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn add_visit(data: &Path) -> String {
    ok(
        data,
        &["residents", "import", &fixture("registry/residents.csv")],
    );
    let record = ok_json(
        data,
        &[
            "records",
            "add",
            "--record-type",
            "home-visit",
            "-f",
            "visit_date=2026-11-03",
            "-f",
            "resident=王秀英",
            "-f",
            "bp_systolic=135",
            "--json",
        ],
    );
    record["id"].as_str().unwrap().to_string()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_new_data_folder_is_encrypted_and_unreadable_without_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    add_visit(data);

    let database = data.join("ledger.sqlite3");
    let mut bytes = std::fs::read(&database).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    for side in ["ledger.sqlite3-wal", "encryption.toml"] {
        bytes.extend(std::fs::read(data.join(side)).unwrap_or_default());
    }
    for secret in ["王秀英", "13812345678", "彭浦新村", PASSPHRASE] {
        assert!(!contains(&bytes, secret), "{secret} readable on disk");
    }

    // The system's plain SQLite (Python's) cannot read it.
    let plain = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('select count(*) from sqlite_master')")
        .arg(&database)
        .output()
        .unwrap();
    assert!(!plain.status.success());
    assert!(
        stderr(&plain).contains("file is not a database"),
        "{}",
        stderr(&plain)
    );

    // Nor can the library without the key, or with another key.
    let err = Store::open(&database).err().unwrap();
    assert!(matches!(err, StoreError::KeyNeeded { .. }), "{err}");
    let err = Store::open_with_key(&database, Some(&DataKey::generate()))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    assert_eq!(std::fs::read(&database).unwrap().len() % 1024, 0);

    let status = ok_json(data, &["security", "status", "--json"]);
    assert_eq!(status["protection"], "passphrase");
    assert_eq!(status["database_encrypted"], true);
}

#[test]
fn a_wrong_or_missing_passphrase_is_a_clear_error_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    add_visit(data);
    let before = std::fs::read(data.join("ledger.sqlite3")).unwrap();

    let wrong = run_with(data, Some("王秀英的生日"), &["records", "list"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains(&format!(
            "the passphrase does not unlock the data folder `{}`; check VOICE_LEDGER_PASSPHRASE",
            data.display()
        )),
        "{}",
        stderr(&wrong)
    );
    let missing = run_with(data, None, &["records", "list"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing)
            .contains("is encrypted with a passphrase; set VOICE_LEDGER_PASSPHRASE to it"),
        "{}",
        stderr(&missing)
    );

    assert_eq!(std::fs::read(data.join("ledger.sqlite3")).unwrap(), before);
    let listed = ok_json(data, &["records", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn a_new_folder_with_no_credential_store_and_no_passphrase_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with(dir.path(), None, &["records", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot encrypt the new data folder")
            && stderr(&out).contains("set VOICE_LEDGER_PASSPHRASE to a passphrase"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("ledger.sqlite3").exists());
}

#[test]
fn an_unencrypted_folder_keeps_working_and_is_encrypted_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let audio = data.join("audio");
    std::fs::create_dir_all(&audio).unwrap();
    std::fs::copy(
        fixture("speech/corrupt/truncated.wav"),
        audio.join("old.wav"),
    )
    .unwrap();
    let recording = std::fs::read(audio.join("old.wav")).unwrap();
    {
        let catalog = Catalog::builtin();
        let mut store = Store::open(&data.join("ledger.sqlite3")).unwrap();
        let fields = [("visit_date", "2026-10-02"), ("resident", "陈建国")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.into())))
            .collect();
        let new = NewRecord {
            fields,
            transcript: Some("十月二号走访陈建国".into()),
            audio_ref: Some("old.wav".into()),
            author: "李敏".into(),
            committee: "第一居委会".into(),
            resident_id: None,
            state: RecordState::Final,
        };
        store
            .insert_record(
                catalog.record_type("home-visit").unwrap(),
                new,
                "李敏",
                "录入",
            )
            .unwrap();
    }

    // Made before encryption: opens with no key at all.
    let listed: Value =
        serde_json::from_slice(&run_with(data, None, &["records", "list", "--json"]).stdout)
            .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let status: Value =
        serde_json::from_slice(&run_with(data, None, &["security", "status", "--json"]).stdout)
            .unwrap();
    assert_eq!(status["protection"], "unencrypted");

    let encrypted = run_with(data, Some(PASSPHRASE), &["security", "encrypt", "--json"]);
    assert!(encrypted.status.success(), "{}", stderr(&encrypted));
    let report: Value = serde_json::from_slice(&encrypted.stdout).unwrap();
    assert_eq!(
        (report["database"].as_bool(), report["recordings"].as_u64()),
        (Some(true), Some(1))
    );

    assert!(
        !std::fs::read(data.join("ledger.sqlite3"))
            .unwrap()
            .starts_with(b"SQLite format 3")
    );
    assert!(!audio.join("old.wav").exists());
    assert!(!data.join("ledger.sqlite3.unencrypted").exists());
    let sealed = std::fs::read(audio.join("old.wav.enc")).unwrap();
    assert!(!sealed.starts_with(b"RIFF"));

    let listed = ok_json(data, &["records", "list", "--json"]);
    let id = listed[0]["id"].as_str().unwrap();
    assert_eq!(listed[0]["fields"]["resident"], "陈建国");
    assert_eq!(
        ok_json(data, &["records", "verify", "--json"])["problems"],
        Value::Array(vec![])
    );
    let out = data.join("out.wav");
    ok(
        data,
        &["records", "audio", id, "--out", out.to_str().unwrap()],
    );
    assert_eq!(std::fs::read(&out).unwrap(), recording);
    assert_eq!(
        run_with(data, None, &["records", "list"]).status.code(),
        Some(2)
    );
}

#[test]
fn an_encrypted_backup_restores_on_a_fresh_folder_only_with_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (old_pc, new_pc) = (dir.path().join("old"), dir.path().join("new"));
    let id = add_visit(&old_pc);
    let file = dir.path().join("move.vlbackup");
    ok(&old_pc, &["backup", "-o", file.to_str().unwrap()]);
    let backup = std::fs::read(&file).unwrap();
    assert!(!contains(&backup, "王秀英"));

    let wrong = run_with(
        &new_pc,
        Some("另一个口令"),
        &["restore", file.to_str().unwrap()],
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("the passphrase does not unlock"),
        "{}",
        stderr(&wrong)
    );
    assert!(!new_pc.join("ledger.sqlite3").exists());

    let restored = run_with(
        &new_pc,
        Some(PASSPHRASE),
        &["restore", file.to_str().unwrap(), "--json"],
    );
    assert!(restored.status.success(), "{}", stderr(&restored));
    let shown = ok_json(&new_pc, &["records", "show", &id, "--json"]);
    assert!(shown.to_string().contains("王秀英"), "{shown}");
}

/// Every run of four Chinese characters in `text`.
fn chinese_windows(text: &str) -> Vec<String> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .collect();
    chars.windows(4).map(|w| w.iter().collect()).collect()
}

#[test]
fn a_full_dictation_keeps_its_recording_sealed_and_its_log_clean() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    std::fs::create_dir_all(data.join("models")).unwrap();
    let model = model::real_base_model();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&model, data.join("models/ggml-base.bin")).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&model, data.join("models/ggml-base.bin")).unwrap();
    ok(
        data,
        &["residents", "import", &fixture("registry/residents.csv")],
    );

    let source = fixture("speech/dictation/hv01.wav");
    let result = ok_json(
        data,
        &[
            "dictate",
            &source,
            "--record-type",
            "home-visit",
            "--date",
            "2026-12-01",
            "--save",
            "--json",
        ],
    );
    let transcript = result["transcript"]["text"].as_str().unwrap().to_string();
    let id = result["record"]["id"].as_str().unwrap();
    assert!(chinese_windows(&transcript).len() > 10, "{transcript}");

    // The kept recording is sealed; exported with the key it is the
    // original, playable recording.
    let audio_ref = result["record"]["audio_ref"].as_str().unwrap();
    assert!(audio_ref.ends_with(".wav.enc"), "{audio_ref}");
    let sealed = std::fs::read(data.join("audio").join(audio_ref)).unwrap();
    assert!(voice_ledger::audio::decode_bytes(&sealed, Some("wav")).is_err());
    let played = data.join("played.wav");
    ok(
        data,
        &["records", "audio", id, "--out", played.to_str().unwrap()],
    );
    let original = std::fs::read(&source).unwrap();
    assert_eq!(std::fs::read(&played).unwrap(), original);
    assert!(voice_ledger::audio::decode_bytes(&original, Some("wav")).is_ok());

    // The log at info level and above names nobody and quotes nothing.
    let mut log = String::new();
    for entry in std::fs::read_dir(data.join("logs")).unwrap() {
        log += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    assert!(log.contains("INFO"), "the log file is empty: {log}");
    let mut secrets: Vec<String> = [
        "王秀英",
        "陈建国",
        "张桂芳",
        "13812345678",
        "56781234",
        "彭浦新村",
    ]
    .map(String::from)
    .to_vec();
    secrets.extend(chinese_windows(&transcript));
    for line in log.lines() {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "`{secret}` in log line: {line}"
            );
        }
        let chars: Vec<char> = line.chars().collect();
        assert!(
            !chars
                .windows(17)
                .any(|w| w.iter().all(char::is_ascii_digit)),
            "an ID-number-like run of digits in log line: {line}"
        );
    }
}
