//! Two committees' desktops sync through a running hub with the
//! `voice-ledger sync` commands, and the hub's sub-district ledger holds
//! both committees' visits.

mod sync_support;

use std::path::Path;
use std::process::{Command, Output};

use calamine::{Reader, Xlsx, open_workbook};
use serde_json::Value;
use sync_support::TestHub;
use voice_ledger::export::{FontChoice, Format, PdfFonts, ReportPeriod};

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
        let sheet = data.join("回执单.pdf");
        let written = ok(data, &["sync", "receipts", "-o", sheet.to_str().unwrap()]);
        assert!(written.contains("3 张回执"), "{written}");
        let text = pdf_text(&sheet);
        assert!(
            text.contains("数据上报回执单") && text.contains(name),
            "{text}"
        );
        for number in &numbers {
            assert!(text.contains(number), "{number} is on the sheet: {text}");
        }

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

    // The same ledger on paper and in a workbook, all committees together.
    let period = ReportPeriod::parse("2026-11").unwrap();
    let xlsx = dir.path().join("visits.xlsx");
    let pdf = dir.path().join("visits.pdf");
    let fonts = PdfFonts::load(&FontChoice::Search)
        .expect("a Chinese font is installed (Debian: apt-get install fonts-noto-cjk)");
    for (format, path) in [(Format::Xlsx, &xlsx), (Format::Pdf, &pdf)] {
        let summary = voice_ledger_hub::export::export_ledger(
            &hub.hub,
            "visit-general",
            &period,
            format,
            path,
            "彭浦新村街道",
            Some(&fonts),
        )
        .unwrap();
        assert_eq!((summary.rows, summary.committees), (4, 2));
    }
    let mut workbook: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<String> = sheet.cells().map(|(_, _, c)| c.to_string()).collect();
    let pdf_text = pdf_text(&pdf);
    assert!(pdf_text.contains("全部居委会（2个）"), "{pdf_text}");
    for (name, _, residents) in &desks {
        assert_eq!(cells.iter().filter(|c| c == name).count(), 2, "{cells:?}");
        assert!(pdf_text.contains(name), "{pdf_text}");
        for resident in residents {
            assert!(cells.iter().any(|c| c == resident), "{cells:?}");
            assert!(pdf_text.contains(resident), "{pdf_text}");
        }
    }
}

/// The text of a PDF (poppler's `pdftotext`).
fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian: apt-get install poppler-utils)");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8(out.stdout).unwrap()
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
