//! Two committees' desktops sync through a running hub with the
//! `voice-ledger sync` commands, and the hub's sub-district ledger holds
//! both committees' visits.

mod sync_support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use sync_support::TestHub;
use voice_ledger::export::{Format, ReportPeriod};

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voice-ledger"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        // Tests never touch the user's keyring; new data folders are
        // encrypted with a passphrase instead.
        .env("VOICE_LEDGER_NO_KEYRING", "1")
        .env("VOICE_LEDGER_PASSPHRASE", "测试口令 test passphrase")
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

fn fails(data: &Path, args: &[&str], code: i32, message: &str) {
    let out = run(data, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(message), "{args:?}: {stderr}");
}

fn add_visit(data: &Path, committee: &str, resident: &str, systolic: &str) -> String {
    let record = ok_json(
        data,
        &[
            "records",
            "add",
            "--record-type",
            "home-visit",
            "-f",
            "visit_date=2026-11-05",
            "-f",
            "visit_mode=入户",
            "-f",
            &format!("resident={resident}"),
            "-f",
            "address=彭浦新村3号201室",
            "-f",
            &format!("bp_systolic={systolic}"),
            "-f",
            "bp_diastolic=85",
            "--committee",
            committee,
            "--json",
        ],
    );
    record["id"].as_str().unwrap().to_string()
}

fn count(status: &Value, state: &str) -> u64 {
    status["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == state)
        .map_or(0, |pair| pair[1].as_u64().unwrap())
}

#[test]
fn two_committees_sync_through_a_running_hub_and_its_ledger_holds_both() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let desks = [
        (
            "彭浦新村第一居委会",
            dir.path().join("east"),
            ["王秀英", "张建国"],
        ),
        (
            "临汾路第二居委会",
            dir.path().join("west"),
            ["李桂兰", "陈志明"],
        ),
    ];

    for (name, data, residents) in &desks {
        let committee = hub.committee(name);
        let enrolled = ok(
            data,
            &[
                "sync",
                "enroll",
                "--hub",
                &hub.url(),
                "--code",
                &hub.code(&committee),
                "--name",
                "前台电脑",
            ],
        );
        assert!(enrolled.contains(name), "{enrolled}");
        assert!(enrolled.contains("no OS keyring"), "{enrolled}");

        let first = add_visit(data, name, residents[0], "150");
        add_visit(data, name, residents[1], "128");
        ok(
            data,
            &[
                "records",
                "edit",
                &first,
                "-f",
                "bp_systolic=152",
                "--reason",
                "复测",
            ],
        );
        let before = ok_json(data, &["sync", "status", "--json"]);
        assert_eq!(count(&before, "pending"), 3, "{before}");

        let sent = ok(data, &["sync", "now"]);
        assert!(sent.contains("sent: 3"), "{sent}");

        let after = ok_json(data, &["sync", "status", "--json"]);
        assert_eq!(
            (count(&after, "pending"), count(&after, "sent")),
            (0, 3),
            "{after}"
        );
        let receipts = ok_json(data, &["sync", "receipts", "--json"]);
        let numbers: Vec<&str> = receipts
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers.len(), 3);
        assert!(numbers.iter().all(|n| n.starts_with("R-")), "{numbers:?}");
        let printable = ok(data, &["sync", "receipts"]);
        assert!(printable.contains("回执号") && printable.contains(numbers[0]));

        // Nothing is sent twice.
        assert!(ok(data, &["sync", "now"]).contains("sent: 0"));
        assert!(ok(data, &["sync", "templates"]).contains("unchanged"));
    }

    let csv = dir.path().join("visits.csv");
    let summary = voice_ledger_hub::export::export_ledger(
        &hub.hub,
        "visit-general",
        &ReportPeriod::parse("2026-11").unwrap(),
        Format::Csv,
        &csv,
        "彭浦新村街道",
        None,
    )
    .unwrap();
    assert_eq!((summary.rows, summary.committees), (4, 2));
    let text = std::fs::read_to_string(&csv).unwrap();
    for (name, _, residents) in &desks {
        assert!(text.contains(name), "{text}");
        for resident in residents {
            assert!(text.contains(resident), "{text}");
        }
    }
    assert!(text.contains("居委会"));
}

#[test]
fn sync_commands_explain_what_to_do_when_they_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("desk");
    fails(
        &data,
        &["sync", "now"],
        2,
        "sync enroll --hub URL --code CODE",
    );
    fails(
        &data,
        &[
            "sync",
            "enroll",
            "--hub",
            "http://hub.example.cn",
            "--code",
            "X",
        ],
        2,
        "unencrypted",
    );

    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("宝山路居委会");
    fails(
        &data,
        &[
            "sync",
            "enroll",
            "--hub",
            &hub.url(),
            "--code",
            "AAAA-BBBB-CCCC",
        ],
        2,
        "unknown, already used or expired",
    );
    ok(
        &data,
        &[
            "sync",
            "enroll",
            "--hub",
            &hub.url(),
            "--code",
            &hub.code(&committee),
        ],
    );
    fails(
        &data,
        &[
            "sync",
            "enroll",
            "--hub",
            &hub.url(),
            "--code",
            &hub.code(&committee),
        ],
        2,
        "--force",
    );

    // The hub goes away: the records stay queued and the command says so.
    let url = hub.url();
    drop(hub);
    add_visit(&data, "宝山路居委会", "周文", "130");
    let out = run(&data, &["sync", "now"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stay queued"), "{stderr}");
    assert!(
        stderr.contains(url.trim_start_matches("http://")),
        "{stderr}"
    );
    let status = ok_json(&data, &["sync", "status", "--json"]);
    assert_eq!(count(&status, "pending"), 1);
    assert!(
        status["last_error"]
            .as_str()
            .unwrap()
            .contains("stay queued")
    );
}
