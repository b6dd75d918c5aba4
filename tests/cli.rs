//! The `voice-ledger` command line as staff and scripts use it: output,
//! JSON, and exit codes (0 ok, 1 failure, 2 bad usage or input).

#[path = "common/cli.rs"]
mod common;

use common::{fixture, ok_json, run};
use serde_json::Value;

#[test]
fn records_add_edit_history_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let record = ok_json(
        d,
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
            "bp_systolic=153",
            "-f",
            "bp_diastolic=85",
            "-f",
            "age=82",
            "--author",
            "李敏",
            "--json",
        ],
    );
    let id = record["id"].as_str().unwrap();

    let shown = ok_json(d, &["records", "show", id, "--json"]);
    let ledgers = shown["ledgers"].as_array().unwrap();
    assert_eq!(
        ledgers.len(),
        3,
        "visit, elderly and blood-pressure ledgers: {ledgers:?}"
    );

    ok_json(
        d,
        &[
            "records",
            "edit",
            id,
            "-f",
            "bp_systolic=135",
            "--reason",
            "听错了",
            "--author",
            "王芳",
            "--json",
        ],
    );
    let history = ok_json(d, &["records", "history", id, "--json"]);
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[1]["who"], "王芳");
    assert_eq!(history[1]["changes"][0]["old"], 153);

    let listed = ok_json(d, &["records", "list", "--search", "王秀英", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        ok_json(d, &["records", "verify", "--json"])["problems"],
        Value::Array(vec![])
    );

    // Tamper the way someone holding the key could: through SQL.
    let keys = voice_ledger::encryption::KeySource::passphrase(common::PASSPHRASE);
    let data = voice_ledger::paths::DataDir::at(d);
    voice_ledger::encryption::open_store(&data, &keys)
        .unwrap()
        .connection()
        .execute(
            "UPDATE records SET fields = replace(fields, '135', '120')",
            [],
        )
        .unwrap();
    let out = run(d, &["records", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("changed outside the program"));
}

#[test]
fn bad_input_exits_with_2_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "records",
                "add",
                "--record-type",
                "home-visit",
                "-f",
                "age=300",
            ],
            "outside the allowed range",
        ),
        (
            &[
                "records",
                "add",
                "--record-type",
                "home-visit",
                "-f",
                "weight=60",
            ],
            "has no field `weight`",
        ),
        (
            &["records", "add", "--record-type", "visit", "-f", "age=3"],
            "choose one of",
        ),
        (
            &["records", "add", "--record-type", "home-visit", "-f", "age"],
            "KEY=VALUE",
        ),
        (&["records", "show", "nope"], "records list"),
        (
            &["templates", "check", &fixture("templates/bad-choice.toml")],
            "without choices",
        ),
        (&["templates", "show", "nope"], "templates list"),
        (
            &["residents", "import", &fixture("templates/bad-choice.toml")],
            "neither .csv nor .xlsx",
        ),
        (&["no-such-command"], "unrecognized subcommand"),
    ];
    for (args, expected) in cases {
        let out = run(d, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: `{stderr}` lacks `{expected}`"
        );
    }
}

#[test]
fn user_templates_add_record_types_and_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let check = run(
        d,
        &[
            "templates",
            "check",
            &fixture("templates/garbage-check.toml"),
        ],
    );
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    std::fs::create_dir_all(d.join("templates")).unwrap();
    std::fs::copy(
        fixture("templates/garbage-check.toml"),
        d.join("templates/garbage-check.toml"),
    )
    .unwrap();
    let list = ok_json(d, &["templates", "list", "--json"]);
    assert!(
        list["ledgers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == "garbage-check-log")
    );
    let record = ok_json(
        d,
        &[
            "records",
            "add",
            "--record-type",
            "garbage-check",
            "-f",
            "check_date=2026-11-20",
            "-f",
            "point=3号箱房",
            "-f",
            "mixed_households=4",
            "--json",
        ],
    );
    assert_eq!(record["fields"]["mixed_households"], 4);

    // A broken user template stops the program with the file named, not silently.
    std::fs::copy(
        fixture("templates/bad-choice.toml"),
        d.join("templates/zz-bad.toml"),
    )
    .unwrap();
    let out = run(d, &["templates", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("zz-bad.toml"));
}

#[test]
fn retired_ledgers_stop_new_entries_but_stay_listed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let retire = run(d, &["templates", "retire", "enquiry-log"]);
    assert!(
        retire.status.success(),
        "{}",
        String::from_utf8_lossy(&retire.stderr)
    );

    let out = run(
        d,
        &[
            "records",
            "add",
            "--record-type",
            "enquiry",
            "-f",
            "enquiry_date=2026-11-03",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no active ledger"));
    let list = ok_json(d, &["templates", "list", "--json"]);
    let ledger = list["ledgers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "enquiry-log")
        .unwrap()
        .clone();
    assert_eq!(ledger["status"], "retired");
}

#[test]
fn residents_import_csv_with_chinese_headers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let counts = ok_json(
        d,
        &[
            "residents",
            "import",
            &fixture("registry/residents.csv"),
            "--json",
        ],
    );
    assert_eq!(
        (counts["added"].as_u64(), counts["updated"].as_u64()),
        (Some(3), Some(0))
    );
    let again = ok_json(
        d,
        &[
            "residents",
            "import",
            &fixture("registry/residents.csv"),
            "--json",
        ],
    );
    assert_eq!(
        (again["added"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(3))
    );

    let residents = ok_json(d, &["residents", "list", "--json"]);
    let zhang = residents
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "张桂芳")
        .unwrap();
    assert_eq!(zhang["birth_year"], 1940);
    assert_eq!(zhang["tags"], serde_json::json!(["高龄", "低保"]));
}

#[test]
fn residents_import_xlsx_from_excel_or_wps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("居民名册.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let rows: [[&str; 5]; 3] = [
        ["姓名", "家庭住址", "手机", "出生年月", "人员类别"],
        [
            "周美华",
            "阳曲路88弄5号201室",
            "13600001111",
            "1938-07",
            "独居、高龄",
        ],
        ["刘德明", "共康小区7号402室", "", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *text).unwrap();
        }
    }
    sheet.write_number(2, 3, 1951.0).unwrap();
    workbook.save(&file).unwrap();

    ok_json(
        d,
        &["residents", "import", file.to_str().unwrap(), "--json"],
    );
    let residents = ok_json(d, &["residents", "list", "--json"]);
    let residents = residents.as_array().unwrap();
    assert_eq!(residents.len(), 2);
    let zhou = residents.iter().find(|r| r["name"] == "周美华").unwrap();
    assert_eq!(
        (zhou["birth_year"].as_i64(), zhou["phone"].as_str()),
        (Some(1938), Some("13600001111"))
    );
    let liu = residents.iter().find(|r| r["name"] == "刘德明").unwrap();
    assert_eq!(liu["birth_year"], 1951, "numeric cells are read as years");
}
