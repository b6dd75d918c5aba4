//! Backup and restore of a whole data folder, as staff moving to a new PC do.

#[path = "common/cli.rs"]
mod common;

use common::{fixture, ok, run};
use serde_json::Value;

#[test]
fn backup_restores_everything_on_another_pc() {
    let dir = tempfile::tempdir().unwrap();
    let (old_pc, new_pc) = (dir.path().join("old"), dir.path().join("new"));
    let residents = fixture("registry/residents.csv");
    ok(&old_pc, &["residents", "import", &residents]);
    for (date, bp) in [("2026-11-03", "135"), ("2026-11-04", "150")] {
        let record: Value = serde_json::from_str(&ok(
            &old_pc,
            &[
                "records",
                "add",
                "--record-type",
                "home-visit",
                "-f",
                &format!("visit_date={date}"),
                "-f",
                &format!("bp_systolic={bp}"),
                "--json",
            ],
        ))
        .unwrap();
        ok(
            &old_pc,
            &[
                "records",
                "edit",
                record["id"].as_str().unwrap(),
                "-f",
                "health=精神好",
                "--reason",
                "补充",
            ],
        );
    }
    std::fs::write(old_pc.join("audio/visit-1.wav"), b"RIFF....WAVE").unwrap();
    let template = fixture("templates/garbage-check.toml");
    std::fs::copy(template, old_pc.join("templates/extra.toml")).unwrap();

    let file = dir.path().join("move.vlbackup");
    ok(&old_pc, &["backup", "-o", file.to_str().unwrap()]);
    let restored: Value =
        serde_json::from_str(&ok(&new_pc, &["restore", file.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(
        (
            restored["records"].as_u64(),
            restored["revisions"].as_u64(),
            restored["residents"].as_u64()
        ),
        (Some(2), Some(4), Some(3))
    );

    assert_eq!(
        ok(&old_pc, &["records", "list", "--json"]),
        ok(&new_pc, &["records", "list", "--json"])
    );
    assert_eq!(
        ok(&old_pc, &["residents", "list", "--json"]),
        ok(&new_pc, &["residents", "list", "--json"])
    );
    assert_eq!(
        std::fs::read(new_pc.join("audio/visit-1.wav")).unwrap(),
        b"RIFF....WAVE"
    );
    assert!(new_pc.join("templates/extra.toml").exists());
    ok(&new_pc, &["records", "verify"]);

    // Restoring over existing data is refused, and nothing there changes.
    let again = run(&new_pc, &["restore", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty folder"));
}

#[test]
fn a_file_that_is_not_a_backup_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("photo.vlbackup");
    std::fs::write(&bogus, b"not a tar file at all").unwrap();
    let out = run(
        &dir.path().join("new"),
        &["restore", bogus.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a Voice Ledger backup"));
    assert!(!dir.path().join("new/ledger.sqlite3").exists());
}

#[test]
fn automatic_backups_keep_the_newest_copies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(
        data,
        &[
            "records",
            "add",
            "--record-type",
            "home-visit",
            "-f",
            "visit_date=2026-11-03",
        ],
    );
    assert!(ok(data, &["backup", "--auto"]).contains("backed up"));
    assert!(
        ok(data, &["backup", "--auto"]).contains("nothing to do"),
        "a recent backup is enough"
    );
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        ok(
            data,
            &["backup", "--auto", "--every-hours", "0", "--keep", "2"],
        );
    }
    let kept = std::fs::read_dir(data.join("backups")).unwrap().count();
    assert_eq!(kept, 2);
}
