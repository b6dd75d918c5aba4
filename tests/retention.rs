//! Recordings are deleted when their retention period has passed, and
//! nothing else is touched.

use chrono::{Duration, Utc};
use serde_json::json;
use voice_ledger::ledger::{Catalog, RecordState};
use voice_ledger::paths::DataDir;
use voice_ledger::retention;
use voice_ledger::store::{NewRecord, Store};

fn new_record(date: &str, audio: &str, state: RecordState) -> NewRecord {
    NewRecord {
        fields: json!({"visit_date": date})
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .collect(),
        transcript: Some("今天走访了王阿姨".into()),
        audio_ref: Some(audio.into()),
        author: "李敏".into(),
        committee: "第一居委会".into(),
        resident_id: None,
        state,
    }
}

#[test]
fn due_recordings_are_shredded_and_transcripts_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    data.ensure().unwrap();
    let catalog = Catalog::builtin();
    let home_visit = catalog.record_type("home-visit").unwrap();
    let mediation = catalog.record_type("mediation").unwrap();
    let mut store = Store::open(&data.database()).unwrap();

    let mut add = |rt, fields: NewRecord| {
        let audio = data.audio_dir().join(fields.audio_ref.as_ref().unwrap());
        std::fs::write(&audio, vec![7u8; 100_000]).unwrap();
        store.insert_record(rt, fields, "李敏", "口述录入").unwrap()
    };
    let final_visit = add(
        home_visit,
        new_record("2026-11-03", "a.wav", RecordState::Final),
    );
    let draft_visit = add(
        home_visit,
        new_record("2026-11-04", "b.wav", RecordState::Draft),
    );
    let mut mediation_record = new_record("2026-11-05", "c.wav", RecordState::Final);
    mediation_record.fields = json!({"accepted_date": "2026-11-05"})
        .as_object()
        .unwrap()
        .clone()
        .into_iter()
        .collect();
    let mediation_case = add(mediation, mediation_record);

    let in_31_days = Utc::now() + Duration::days(31);
    let schedule = retention::schedule(&store, &catalog, in_31_days).unwrap();
    assert_eq!(
        schedule.len(),
        2,
        "drafts have no deletion date: {schedule:?}"
    );
    assert_eq!(schedule.iter().filter(|i| i.due).count(), 1);

    let deleted = retention::apply(&data, &mut store, &catalog, in_31_days).unwrap();
    assert_eq!(
        deleted
            .iter()
            .map(|d| d.record_id.as_str())
            .collect::<Vec<_>>(),
        [final_visit.id.as_str()]
    );
    assert!(!data.audio_dir().join("a.wav").exists());
    assert!(
        data.audio_dir().join("b.wav").exists(),
        "drafts keep their recording"
    );
    assert!(
        data.audio_dir().join("c.wav").exists(),
        "mediation recordings are kept for a year"
    );

    let kept = store.record(&final_visit.id).unwrap().unwrap();
    assert_eq!(kept.audio_ref, None);
    assert_eq!(kept.transcript.as_deref(), Some("今天走访了王阿姨"));
    let history = store.history(&final_visit.id).unwrap();
    assert_eq!(history.last().unwrap().who, retention::RETENTION_AUTHOR);
    assert!(history.last().unwrap().why.contains("30 天"));
    assert!(store.verify().unwrap().is_intact());

    // Running again deletes nothing more; the untouched records are unchanged.
    assert!(
        retention::apply(&data, &mut store, &catalog, in_31_days)
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.record(&draft_visit.id).unwrap().unwrap().revision, 1);
    assert_eq!(
        store.record(&mediation_case.id).unwrap().unwrap().revision,
        1
    );
}
