//! The record store against real SQLite files: history, tamper detection,
//! migrations, and one record feeding several ledgers.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Connection;
use serde_json::{Value, json};
use voice_ledger::ledger::{Catalog, FieldValues, RecordState, Resident, ledger_rows};
use voice_ledger::store::{
    MIGRATIONS, NewRecord, RecordQuery, RecordUpdate, Store, schema_version,
};

fn values(v: Value) -> FieldValues {
    v.as_object().unwrap().clone().into_iter().collect()
}

fn visit(fields: Value) -> NewRecord {
    NewRecord {
        fields: values(fields),
        transcript: Some("今天上午走访了王秀英阿姨".into()),
        audio_ref: None,
        author: "李敏".into(),
        committee: "彭浦新村第一居委会".into(),
        resident_id: None,
        state: RecordState::Draft,
    }
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

#[test]
fn one_home_visit_appears_in_all_four_of_its_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let home_visit = catalog.record_type("home-visit").unwrap();
    let mut store = Store::open(&dir.path().join("ledger.sqlite3")).unwrap();

    let full = store
        .insert_record(
            home_visit,
            visit(json!({
                "visit_date": "2026-11-03", "visit_mode": "入户", "resident": "王秀英",
                "address": "彭浦新村3号楼502室", "age": "82", "bp_systolic": 135,
                "bp_diastolic": 85, "concerns": "楼道灯坏了", "follow_up": "是"
            })),
            "李敏",
            "口述录入",
        )
        .unwrap();
    let plain = store
        .insert_record(
            home_visit,
            visit(json!({
                "visit_date": "2026-11-04", "visit_mode": "电话", "resident": "陈建国",
                "address": "共康小区12号301室", "age": 66
            })),
            "李敏",
            "口述录入",
        )
        .unwrap();
    assert_eq!(
        full.fields["age"],
        json!(82),
        "numbers given as text are stored as numbers"
    );

    let records = store.records(&RecordQuery::default()).unwrap();
    let residents = HashMap::new();
    let (from, to) = (day("2026-11-01"), day("2026-11-30"));
    let ids_in = |ledger: &str| -> Vec<String> {
        let ledger = catalog.ledger(ledger).unwrap();
        ledger_rows(&catalog, ledger, &records, &residents, from, to)
            .rows
            .into_iter()
            .map(|r| r.record_id)
            .collect()
    };
    assert_eq!(
        ids_in("visit-general"),
        vec![full.id.clone(), plain.id.clone()]
    );
    assert_eq!(ids_in("elderly-visit"), vec![full.id.clone()]);
    assert_eq!(ids_in("bp-register"), vec![full.id.clone()]);
    assert_eq!(ids_in("concerns-log"), vec![full.id.clone()]);

    let bp = ledger_rows(
        &catalog,
        catalog.ledger("bp-register").unwrap(),
        &records,
        &residents,
        from,
        to,
    );
    assert_eq!(
        bp.rows[0].cells,
        [
            "2026-11-03",
            "王秀英",
            "82",
            "彭浦新村3号楼502室",
            "135/85",
            ""
        ]
    );
}

#[test]
fn registry_age_places_a_visit_in_the_elderly_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let mut store = Store::open(&dir.path().join("db")).unwrap();
    store
        .upsert_residents(&[Resident {
            name: "张桂芳".into(),
            address: "临汾路375弄12号".into(),
            birth_year: Some(1940),
            tags: vec!["独居".into(), "高龄".into()],
            ..Resident::default()
        }])
        .unwrap();
    let resident = store.residents().unwrap().remove(0);
    let mut new = visit(
        json!({"visit_date": "2026-11-05", "visit_mode": "入户", "resident": "张桂芳", "address": "临汾路375弄12号"}),
    );
    new.resident_id = Some(resident.id.clone());
    store
        .insert_record(
            catalog.record_type("home-visit").unwrap(),
            new,
            "李敏",
            "口述录入",
        )
        .unwrap();

    let records = store.records(&RecordQuery::default()).unwrap();
    let residents = HashMap::from([(resident.id.clone(), resident)]);
    let rows = ledger_rows(
        &catalog,
        catalog.ledger("elderly-visit").unwrap(),
        &records,
        &residents,
        day("2026-11-01"),
        day("2026-11-30"),
    );
    assert_eq!(rows.rows.len(), 1);
    assert_eq!(
        rows.rows[0].cells[5], "独居、高龄",
        "registry tags fill the category column"
    );
}

#[test]
fn edits_add_revisions_with_who_why_and_old_values() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let rt = catalog.record_type("home-visit").unwrap();
    let mut store = Store::open(&dir.path().join("db")).unwrap();
    let record = store
        .insert_record(
            rt,
            visit(json!({"visit_date": "2026-11-03", "bp_systolic": 153})),
            "李敏",
            "口述录入",
        )
        .unwrap();

    let mut fields = record.fields.clone();
    fields.insert("bp_systolic".into(), json!(135));
    let update = RecordUpdate {
        fields: Some(fields),
        state: Some(RecordState::Final),
        ..Default::default()
    };
    let edited = store
        .update_record(rt, &record.id, update, "王芳", "更正血压：听错了")
        .unwrap();
    assert_eq!(edited.revision, 2);

    let history = store.history(&record.id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[1].who.as_str(), history[1].why.as_str()),
        ("王芳", "更正血压：听错了")
    );
    assert_eq!(history[1].changes.len(), 1);
    assert_eq!(history[1].changes[0].old, Some(json!(153)));
    assert_eq!(history[1].changes[0].new, Some(json!(135)));
    assert_eq!(
        store
            .record_at_revision(&record.id, 1)
            .unwrap()
            .unwrap()
            .fields["bp_systolic"],
        json!(153)
    );

    let same = RecordUpdate {
        fields: Some(edited.fields.clone()),
        ..Default::default()
    };
    assert_eq!(
        store
            .update_record(rt, &record.id, same, "王芳", "无改动")
            .unwrap()
            .revision,
        2,
        "no-op edits add no revision"
    );
    assert!(store.verify().unwrap().is_intact());
}

#[test]
fn bad_values_are_refused_and_nothing_saved_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let rt = catalog.record_type("home-visit").unwrap();
    let mut store = Store::open(&dir.path().join("db")).unwrap();
    let record = store
        .insert_record(
            rt,
            visit(json!({"visit_date": "2026-11-03", "age": 80})),
            "李敏",
            "口述录入",
        )
        .unwrap();

    for bad in [
        json!({"age": 300}),
        json!({"phone": "12345"}),
        json!({"weight": 60}),
        json!({"visit_date": "11/03"}),
    ] {
        let mut fields = record.fields.clone();
        fields.extend(values(bad.clone()));
        let err = store
            .update_record(
                rt,
                &record.id,
                RecordUpdate {
                    fields: Some(fields),
                    ..Default::default()
                },
                "李敏",
                "x",
            )
            .unwrap_err();
        assert!(
            matches!(err, voice_ledger::store::StoreError::Value(_)),
            "{bad}: {err}"
        );
    }
    let kept = store.record(&record.id).unwrap().unwrap();
    assert_eq!((kept.revision, &kept.fields), (1, &record.fields));
}

#[test]
fn verify_detects_tampering() {
    let cases: [(&str, &str); 4] = [
        (
            "UPDATE records SET fields = json_set(fields, '$.bp_systolic', 120)",
            "changed outside the program",
        ),
        (
            "DROP TRIGGER revisions_no_update; UPDATE revisions SET who = '某人' WHERE revision = 1",
            "altered",
        ),
        (
            "DROP TRIGGER revisions_no_delete; DELETE FROM revisions WHERE revision = 2",
            "differs from its latest revision",
        ),
        (
            "INSERT INTO records SELECT 'x' || id, record_type, type_version, fields, transcript, audio_ref, author, committee, resident_id, state, revision, event_date, created_at, updated_at FROM records",
            "no history",
        ),
    ];
    for (tamper, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let catalog = Catalog::builtin();
        let rt = catalog.record_type("home-visit").unwrap();
        let mut store = Store::open(&path).unwrap();
        let r = store
            .insert_record(
                rt,
                visit(json!({"visit_date": "2026-11-03", "bp_systolic": 150})),
                "李敏",
                "口述录入",
            )
            .unwrap();
        let mut fields = r.fields.clone();
        fields.insert("health".into(), json!("精神好"));
        store
            .update_record(
                rt,
                &r.id,
                RecordUpdate {
                    fields: Some(fields),
                    ..Default::default()
                },
                "李敏",
                "补充",
            )
            .unwrap();
        assert!(store.verify().unwrap().is_intact());
        drop(store);

        Connection::open(&path)
            .unwrap()
            .execute_batch(tamper)
            .unwrap();
        let report = Store::open(&path).unwrap().verify().unwrap();
        assert!(
            report.problems.iter().any(|p| p.problem.contains(expected)),
            "{tamper}: {:?}",
            report.problems
        );
    }
}

#[test]
fn revisions_refuse_updates_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let catalog = Catalog::builtin();
    let mut store = Store::open(&path).unwrap();
    store
        .insert_record(
            catalog.record_type("home-visit").unwrap(),
            visit(json!({"visit_date": "2026-11-03"})),
            "李敏",
            "口述录入",
        )
        .unwrap();
    let err = store
        .connection()
        .execute("DELETE FROM revisions", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[test]
fn migrations_apply_to_fresh_and_existing_databases() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");

    // Fresh file: every migration applied.
    let store = Store::open(&path).unwrap();
    assert_eq!(
        schema_version(store.connection()).unwrap(),
        MIGRATIONS.len() as i64
    );
    drop(store);

    // Existing database at version 1 with data: later migrations apply, data stays.
    let old = dir.path().join("old");
    let conn = Connection::open(&old).unwrap();
    conn.execute_batch(MIGRATIONS[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    conn.execute(
        "INSERT INTO residents (id, name, address, tags, updated_at) VALUES ('r1', '王秀英', '彭浦新村3号楼502室', '[]', '2026-01-01T00:00:00Z')",
        [],
    )
    .unwrap();
    drop(conn);
    let store = Store::open(&old).unwrap();
    assert_eq!(
        schema_version(store.connection()).unwrap(),
        MIGRATIONS.len() as i64
    );
    assert_eq!(store.residents().unwrap()[0].name, "王秀英");
    drop(store);

    // Reopening is a no-op; a newer database is refused with a clear message.
    Store::open(&old).unwrap();
    Connection::open(&old)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&old).err().unwrap().to_string();
    assert!(
        err.contains("newer") && err.contains("install the newer"),
        "{err}"
    );
}

#[test]
fn masked_ledgers_hide_phone_and_id_numbers_in_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut catalog = Catalog::builtin();
    catalog
        .add_text(
            "masked.toml",
            r#"[[ledgers]]
id = "visit-contacts-masked"
code = "ZH-09"
title = "走访联系台账（对外）"
department = "社区综合"
mask = ["phone", "id_number"]
governance = { status = "draft" }
sources = [{ record_type = "home-visit" }]
columns = [
  { title = "姓名", value = "{resident}" },
  { title = "电话", value = "{phone}" },
  { title = "身份证号", value = "{id_number}" },
  { title = "登记电话", value = "{resident.phone}" },
]"#,
        )
        .unwrap();
    let mut store = Store::open(&dir.path().join("db")).unwrap();
    store
        .upsert_residents(&[Resident {
            name: "王秀英".into(),
            address: "彭浦新村3号楼502室".into(),
            phone: Some("13912345678".into()),
            ..Resident::default()
        }])
        .unwrap();
    let resident = store.residents().unwrap().remove(0);
    let mut new = visit(
        json!({"visit_date": "2026-11-03", "resident": "王秀英", "phone": "13812345678", "id_number": "11010519491231002X"}),
    );
    new.resident_id = Some(resident.id.clone());
    store
        .insert_record(
            catalog.record_type("home-visit").unwrap(),
            new,
            "李敏",
            "口述录入",
        )
        .unwrap();

    let records = store.records(&RecordQuery::default()).unwrap();
    let residents = HashMap::from([(resident.id.clone(), resident)]);
    let rows = ledger_rows(
        &catalog,
        catalog.ledger("visit-contacts-masked").unwrap(),
        &records,
        &residents,
        day("2026-11-01"),
        day("2026-11-30"),
    );
    assert_eq!(
        rows.rows[0].cells,
        ["王秀英", "138****5678", "1101**********002X", "139****5678"]
    );

    let open = ledger_rows(
        &catalog,
        catalog.ledger("elderly-visit").unwrap(),
        &records,
        &HashMap::new(),
        day("2026-11-01"),
        day("2026-11-30"),
    );
    assert!(open.rows.is_empty() || open.rows[0].cells.contains(&"13812345678".to_string()));
}
