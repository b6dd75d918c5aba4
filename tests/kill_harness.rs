//! A writer killed with SIGKILL at random moments never corrupts the
//! database and never loses a record it had reported as saved.
//!
//! The test binary runs itself as the writer: with `VL_KILL_WRITER` set,
//! `writer_process` saves and edits records, printing each acknowledged
//! (id, revision) after its transaction commits, until it is killed.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use voice_ledger::ledger::{Catalog, RecordState};
use voice_ledger::store::{NewRecord, RecordUpdate, Store};

const TRIALS: usize = 200;

#[test]
fn writer_process() {
    let Some(db) = std::env::var_os("VL_KILL_WRITER") else {
        return;
    };
    let catalog = Catalog::builtin();
    let rt = catalog.record_type("home-visit").unwrap();
    let mut store = Store::open(Path::new(&db)).unwrap();
    let mut out = std::io::stdout().lock();
    for n in 0u32.. {
        let fields = json!({"visit_date": "2026-11-03", "resident": format!("居民{n}"), "bp_systolic": 120 + n % 40})
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .collect();
        let new = NewRecord {
            fields,
            transcript: Some("今天上午走访".repeat(20)),
            audio_ref: None,
            author: "李敏".into(),
            committee: "第一居委会".into(),
            resident_id: None,
            state: RecordState::Draft,
        };
        let record = store.insert_record(rt, new, "李敏", "口述录入").unwrap();
        writeln!(out, "{} {}", record.id, record.revision).unwrap();
        out.flush().unwrap();
        let mut fields = record.fields.clone();
        fields.insert("health".into(), json!(format!("第{n}次复查")));
        let update = RecordUpdate {
            fields: Some(fields),
            ..Default::default()
        };
        let edited = store
            .update_record(rt, &record.id, update, "李敏", "补充")
            .unwrap();
        writeln!(out, "{} {}", edited.id, edited.revision).unwrap();
        out.flush().unwrap();
    }
}

/// A small deterministic generator, so a failing trial can be replayed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn killed_writers_lose_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    let mut seed = 0x5eed_1e55_u64;
    let mut acknowledged: Vec<(String, u32)> = Vec::new();

    for trial in 0..TRIALS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "writer_process",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("VL_KILL_WRITER", &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + next(&mut seed) % 120));
        child.kill().unwrap();
        child.wait().unwrap();

        let stdout = BufReader::new(child.stdout.take().unwrap());
        for line in stdout.lines().map_while(Result::ok) {
            if let Some((id, rev)) = line.split_once(' ')
                && let Ok(rev) = rev.trim().parse()
            {
                acknowledged.push((id.to_string(), rev));
            }
        }

        let store =
            Store::open(&db).unwrap_or_else(|e| panic!("trial {trial}: cannot reopen: {e}"));
        let integrity: String = store
            .connection()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "trial {trial}");
        let report = store.verify().unwrap();
        assert!(report.is_intact(), "trial {trial}: {:?}", report.problems);
    }

    let store = Store::open(&db).unwrap();
    assert!(
        acknowledged.len() > TRIALS,
        "the writer should get work done: {}",
        acknowledged.len()
    );
    for (id, revision) in &acknowledged {
        let record = store
            .record(id)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged record {id} lost"));
        assert!(
            record.revision >= *revision,
            "{id}: revision {revision} lost"
        );
        let history = store.history(id).unwrap();
        assert_eq!(
            history.len() as u32,
            record.revision,
            "{id}: history incomplete"
        );
    }
}

#[test]
fn killed_exports_never_leave_a_half_written_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let catalog = Catalog::builtin();
    let rt = catalog.record_type("home-visit").unwrap();
    let mut store = Store::open(&data.join("ledger.sqlite3")).unwrap();
    for n in 0..1500u32 {
        let fields = json!({
            "visit_date": format!("2026-11-{:02}", 1 + n % 28), "visit_mode": "入户",
            "resident": format!("居民{n}"), "address": format!("彭浦新村{}号楼{}室", n % 40, 101 + n % 600),
            "concerns": "反映楼道灯坏了，希望尽快修理，另外想了解高龄津贴怎么申请。",
        });
        let new = NewRecord {
            fields: fields.as_object().unwrap().clone().into_iter().collect(),
            transcript: None,
            audio_ref: None,
            author: "李敏".into(),
            committee: "第一居委会".into(),
            resident_id: None,
            state: RecordState::Final,
        };
        store.insert_record(rt, new, "李敏", "导入").unwrap();
    }
    drop(store);

    let mut seed = 0xfeed_beef_u64;
    for format in ["pdf", "xlsx", "csv"] {
        for trial in 0..10 {
            let out = dir.path().join(format!("ledger-{trial}.{format}"));
            let mut child = Command::new(env!("CARGO_BIN_EXE_voice-ledger"))
                .arg("--data-dir")
                .arg(&data)
                .args([
                    "export",
                    "--ledger",
                    "visit-general",
                    "--format",
                    format,
                    "--period",
                    "2026-11",
                    "-o",
                ])
                .arg(&out)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(5 + next(&mut seed) % 400));
            let _ = child.kill();
            let status = child.wait().unwrap();

            if out.exists() {
                let bytes = std::fs::read(&out).unwrap();
                let complete = match format {
                    "pdf" => {
                        bytes.starts_with(b"%PDF")
                            && bytes.windows(5).rev().take(64).any(|w| w == b"%%EOF")
                    }
                    "xlsx" => calamine::open_workbook_auto(&out).is_ok(),
                    _ => bytes.ends_with(b"\n"),
                };
                assert!(
                    complete,
                    "{format} trial {trial}: incomplete file under the final name ({status})"
                );
            }
        }
    }
}
