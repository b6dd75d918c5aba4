//! The `voice-ledger-hub` command line as a sub-district administrator
//! uses it: committees, codes, devices, template approval and retirement,
//! serving, and exports, with their exit codes (0 ok, 1 failure, 2 bad input).

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn hub(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voice-ledger-hub"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("VOICE_LEDGER_HUB_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(db: &Path, args: &[&str]) -> String {
    let out = hub(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(db: &Path, args: &[&str], code: i32, message: &str) {
    let out = hub(db, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(message), "{args:?}: {stderr}");
}

const LEDGER: &str = r#"
[[ledgers]]
id = "elderly-phone-care"
code = "MZ-09"
title = "高龄老人电话关爱台账"
department = "民政"
governance = { status = "draft" }
sources = [{ record_type = "home-visit", filter = "age >= 80" }]
columns = [{ title = "姓名", value = "{resident}" }, { title = "日期", value = "{visit_date}" }]
"#;

#[test]
fn an_administrator_sets_up_a_sub_district() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite3");

    let added = ok(&db, &["committee", "add", "鹤庆居委会"]);
    assert!(added.trim().ends_with("鹤庆居委会"), "{added}");
    fails(
        &db,
        &["committee", "add", "鹤庆居委会"],
        2,
        "already exists",
    );
    assert!(ok(&db, &["committee", "list"]).contains("鹤庆居委会"));

    let code = ok(&db, &["device", "enroll-code", "--committee", "鹤庆居委会"]);
    assert_eq!(code.trim().len(), 14, "{code}");
    assert_eq!(
        ok(&db, &["device", "enroll-code", "--admin"]).trim().len(),
        14
    );
    fails(
        &db,
        &["device", "enroll-code", "--committee", "不存在居委会"],
        2,
        "committee add",
    );
    fails(&db, &["device", "revoke", "nope"], 2, "device list");

    let file = dir.path().join("ledger.toml");
    std::fs::write(&file, LEDGER).unwrap();
    fails(
        &db,
        &["template", "approve", file.to_str().unwrap()],
        2,
        "--approved-by",
    );
    let approved = ok(
        &db,
        &[
            "template",
            "approve",
            file.to_str().unwrap(),
            "--approved-by",
            "江川路街道办事处",
            "--document",
            "江川街〔2026〕7号",
        ],
    );
    assert!(approved.contains("elderly-phone-care"), "{approved}");
    assert!(ok(&db, &["template", "retire", "bp-register"]).contains("bp-register"));
    fails(&db, &["template", "retire", "home-visit"], 2, "record type");
    let list = ok(&db, &["template", "list"]);
    assert!(
        list.contains("elderly-phone-care") && list.contains("Active"),
        "{list}"
    );
    assert!(list.contains("Retired"), "{list}");

    let csv = dir.path().join("out.csv");
    let exported = ok(
        &db,
        &[
            "export",
            "--ledger",
            "elderly-phone-care",
            "--period",
            "2026-11",
            "-o",
            csv.to_str().unwrap(),
        ],
    );
    assert!(exported.contains("0 行"), "{exported}");
    assert!(std::fs::read_to_string(&csv).unwrap().contains("居委会"));
    fails(
        &db,
        &[
            "export", "--ledger", "nope", "--period", "2026-11", "-o", "x.csv",
        ],
        2,
        "known ledgers",
    );
    assert!(ok(&db, &["conflict", "list"]).trim().is_empty());
}

#[test]
fn serve_prints_its_address_and_answers_health_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite3");
    let mut child = Command::new(env!("CARGO_BIN_EXE_voice-ledger-hub"))
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("VOICE_LEDGER_HUB_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();

    let mut response = ureq::get(&format!("{url}/v1/health")).call().unwrap();
    let body = response.body_mut().read_to_string().unwrap();
    assert!(body.contains("voice-ledger-sync/1"), "{body}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let missing = agent.get(&format!("{url}/v1/nowhere")).call().unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    child.kill().unwrap();
    child.wait().unwrap();
}
