//! `voice-ledger extract`, `eval extract` and `bench extract` as staff and
//! scripts use them.

#[path = "common/cli.rs"]
mod common;

use common::{fixture, ok, ok_json, run};

#[test]
fn extract_reads_the_registry_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &["residents", "import", &fixture("registry/residents.csv")],
    );
    let residents = ok_json(d, &["residents", "list", "--json"]);
    let first = residents
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "王秀英")
        .unwrap();
    let name = "王秀英";
    let text = format!("今天上午上门走访了{name}，她反映楼道灯坏了，已联系物业。");

    let out = ok_json(
        d,
        &[
            "extract",
            "--record-type",
            "home-visit",
            "--date",
            "2026-12-03",
            "--text",
            &text,
            "--json",
        ],
    );

    assert_eq!(out["record_type"], "home-visit");
    assert_eq!(out["resident"]["id"], first["id"]);
    let fields = out["fields"].as_array().unwrap();
    let value = |key: &str| {
        fields
            .iter()
            .find(|f| f["key"] == key)
            .map(|f| f["value"].clone())
    };
    assert_eq!(value("visit_date").unwrap(), "2026-12-03");
    assert_eq!(value("resident").unwrap(), name);
    assert_eq!(value("concerns").unwrap(), "楼道灯坏了");
    assert_eq!(value("actions").unwrap(), "已联系物业");
}

#[test]
fn extract_prints_a_readable_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(
        dir.path(),
        &[
            "extract",
            "--record-type",
            "home-visit",
            "--date",
            "2026-12-03",
            "--text",
            "昨天下午去彭普新村三号楼五零二室看望王阿姨",
        ],
    );
    assert!(out.contains("2026-12-02"), "{out}");
    assert!(out.contains("彭浦新村3号楼502室"), "{out}");
    assert!(out.contains("彭普新村 → 彭浦新村"), "{out}");
    assert!(out.contains("王阿姨"), "{out}");
}

#[test]
fn unknown_record_type_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["extract", "--record-type", "visit", "--text", "今天"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`visit`") && err.contains("home-visit"),
        "{err}"
    );
}

#[test]
fn eval_prints_per_field_figures_for_the_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = format!("{}/tests/extract/corpus", env!("CARGO_MANIFEST_DIR"));
    let out = ok(dir.path(), &["eval", "extract", &corpus]);
    assert!(out.contains("home-visit/bp_systolic"), "{out}");
    assert!(out.contains("exact-field accuracy"), "{out}");

    let report = ok_json(dir.path(), &["eval", "extract", &corpus, "--json"]);
    assert!(report["cases"].as_u64().unwrap() >= 150);
}

#[test]
fn eval_of_a_missing_folder_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["eval", "extract", "/nonexistent/corpus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/corpus"));
}

#[test]
fn bench_prints_the_time_per_extraction() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(
        dir.path(),
        &["bench", "extract", "--iterations", "3", "--residents", "20"],
    );
    assert!(out.contains("time per extraction"), "{out}");
}
