//! `voice-ledger export` and `voice-ledger verify-print` on a real database:
//! a paper page's code tells whether the page still matches the records, and
//! which records (and cells) changed since it was printed.

mod export_support;

use std::path::Path;
use std::process::{Command, Output};

use export_support::{pdf_pages, read_qr_codes, render_grey};
use serde_json::Value;

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voice-ledger"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        // New data folders are encrypted; tests give a passphrase and
        // never touch the user's credential store.
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

fn add_visit(data: &Path, date: &str, resident: &str, result: &str) -> String {
    let fields = [
        format!("visit_date={date}"),
        "visit_mode=入户".to_string(),
        format!("resident={resident}"),
        "address=江川路188弄12号301室".to_string(),
        "concerns=反映楼道灯坏了，晚上出门不方便。".to_string(),
        "actions=已联系物业。".to_string(),
        format!("result={result}"),
    ];
    let mut args = vec![
        "records",
        "add",
        "--record-type",
        "home-visit",
        "--final",
        "--json",
    ];
    for field in &fields {
        args.extend(["-f", field.as_str()]);
    }
    let record: Value = serde_json::from_str(&ok(data, &args)).unwrap();
    record["id"].as_str().unwrap().to_string()
}

/// The verification code printed on each page of `pdf`.
fn printed_codes(pdf: &Path) -> Vec<String> {
    pdf_pages(pdf)
        .iter()
        .map(|page| {
            let at = page.find("核验码").expect("every page has a code");
            page[at..].split_whitespace().nth(1).unwrap().to_string()
        })
        .collect()
}

#[test]
fn a_printed_page_is_verified_until_a_record_on_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = add_visit(&data, "2026-11-03", "王秀英", "处理中");
    add_visit(&data, "2026-11-05", "张建国", "已解决");
    add_visit(&data, "2026-10-28", "上月的人", "已解决");

    let pdf = dir.path().join("走访.pdf");
    let out = ok(
        &data,
        &[
            "export",
            "--ledger",
            "visit-general",
            "--period",
            "2026-11",
            "-o",
            pdf.to_str().unwrap(),
            "--sub-district",
            "江川路街道",
            "--committee",
            "鹤庆居民区居委会",
        ],
    );
    assert!(out.contains("2 行"), "{out}");
    let pages = pdf_pages(&pdf);
    assert!(pages[0].contains("江川路街道") && pages[0].contains("鹤庆居民区居委会"));
    assert!(
        !pages[0].contains("上月的人"),
        "records outside the period are left out"
    );
    let code = printed_codes(&pdf).remove(0);

    let verified = ok(&data, &["verify-print", &code]);
    assert!(verified.contains("与数据库一致"), "{verified}");
    assert!(
        verified.contains("ZH-01") && verified.contains("2026年11月"),
        "{verified}"
    );
    // Codes are forgiving of case, and of O/I/L typed for 0/1.
    ok(&data, &["verify-print", &code.to_lowercase()]);
    // What a phone reads from the page's QR code is accepted as well.
    let page = render_grey(&pdf, 1, 150);
    let (width, height) = (
        page.width as f32 / page.scale,
        page.height as f32 / page.scale,
    );
    let scanned = read_qr_codes(&page, width - 40.0, height - 40.0, width, height);
    assert_eq!(scanned, [format!("VLP1:{code}")]);
    assert!(ok(&data, &["verify-print", &scanned[0]]).contains("与数据库一致"));

    ok(
        &data,
        &[
            "records",
            "edit",
            &first,
            "-f",
            "result=已解决",
            "--reason",
            "回访后更新",
        ],
    );

    let out = run(&data, &["verify-print", &code]);
    assert_eq!(out.status.code(), Some(1), "a changed page fails the check");
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("与数据库不一致"), "{report}");
    assert!(
        report.contains(&first),
        "names the changed record: {report}"
    );
    assert!(report.contains("打印时第 1 版，现为第 2 版"), "{report}");
    assert!(
        report.contains("处理结果：处理中 → 已解决"),
        "shows the changed cell: {report}"
    );

    let out = run(&data, &["verify-print", &code, "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["check"]["matches"], false);
    let changed: Vec<&Value> = json["check"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["change"] == "edited")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["record_id"], first.as_str());
    assert_eq!(changed[0]["printed_revision"], 1);
    assert_eq!(changed[0]["current_revision"], 2);

    // Printing again gives the page a new code that matches again.
    ok(
        &data,
        &[
            "export",
            "--ledger",
            "visit-general",
            "--period",
            "2026-11",
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    let new_code = printed_codes(&pdf).remove(0);
    assert_ne!(new_code, code);
    assert!(ok(&data, &["verify-print", &new_code]).contains("与数据库一致"));
}

#[test]
fn export_all_writes_each_department_ledger_from_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_visit(&data, "2026-11-03", "王秀英", "处理中");
    let out_dir = dir.path().join("十一月");

    let out = ok(
        &data,
        &[
            "export",
            "--all",
            "--period",
            "2026-11",
            "--format",
            "csv",
            "-o",
            out_dir.to_str().unwrap(),
            "--json",
        ],
    );
    let summary: Value = serde_json::from_str(&out).unwrap();
    let files = summary["files"].as_array().unwrap();
    assert!(
        files.len() >= 5,
        "every active ledger is exported: {files:?}"
    );
    let visit = out_dir.join("ZH-01 入户走访情况台账 2026-11.csv");
    let concerns = out_dir.join("ZZ-05 民情日志 2026-11.csv");
    for path in [&visit, &concerns] {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("王秀英"), "{}: {text}", path.display());
    }
    let meetings = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("会议记录台账"))
        .expect("the meeting ledger is exported too");
    let meetings = std::fs::read_to_string(meetings).unwrap();
    assert_eq!(
        meetings.lines().count(),
        1,
        "an empty ledger has only its heading row"
    );

    // PDF is the default for --all, and each page gets a code.
    let pdf_dir = dir.path().join("pdf");
    ok(
        &data,
        &[
            "export",
            "--all",
            "--period",
            "2026-11",
            "-o",
            pdf_dir.to_str().unwrap(),
        ],
    );
    let pdf = pdf_dir.join("ZH-01 入户走访情况台账 2026-11.pdf");
    let code = printed_codes(&pdf).remove(0);
    assert!(ok(&data, &["verify-print", &code]).contains("与数据库一致"));
    let leftovers: Vec<_> = std::fs::read_dir(&pdf_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
}

#[test]
fn bad_input_is_named_and_exits_with_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out_file = dir.path().join("x.pdf");
    let out = out_file.to_str().unwrap();

    let check = |args: &[&str], expected: &str| {
        let output = run(&data, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    };
    check(
        &[
            "export",
            "--ledger",
            "no-such-ledger",
            "--period",
            "2026-11",
            "-o",
            out,
        ],
        "no ledger `no-such-ledger`",
    );
    check(
        &[
            "export",
            "--ledger",
            "visit-general",
            "--period",
            "2026-13",
            "-o",
            out,
        ],
        "`2026-13` is not a period",
    );
    check(
        &[
            "export",
            "--ledger",
            "visit-general",
            "--period",
            "2026-11",
            "-o",
            "ledger.doc",
        ],
        "cannot tell the format",
    );
    check(
        &[
            "export",
            "--ledger",
            "visit-general",
            "--period",
            "2026-11",
            "-o",
            out,
            "--font",
            "/no/such/font.ttc",
        ],
        "/no/such/font.ttc",
    );
    check(&["verify-print", "ABCD"], "is not a page verification code");
    check(
        &["verify-print", "ABCD-EFGH-JKMN"],
        "no page printed from this database has the code `ABCD-EFGH-JKMN`",
    );
    assert!(
        !out_file.exists(),
        "nothing is written when the input is bad"
    );
}

#[test]
fn a_failed_write_leaves_no_partial_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_visit(&data, "2026-11-03", "王秀英", "处理中");
    let out = dir.path().join("out");
    // A folder already has the file's name, so the finished file cannot be
    // moved into place.
    let blocked = out.join("走访.csv");
    std::fs::create_dir_all(&blocked).unwrap();

    let output = run(
        &data,
        &[
            "export",
            "--ledger",
            "visit-general",
            "--period",
            "2026-11",
            "-o",
            blocked.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("走访.csv"), "names the file: {stderr}");
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["走访.csv"], "only the folder that was there");
}
