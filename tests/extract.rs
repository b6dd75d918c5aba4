//! Extraction as a user of the library sees it: corrected names keep what
//! was heard, values point at their words and audio, template constraints
//! become warnings, and a new record type needs only a template.

use chrono::NaiveDate;
use voice_ledger::extract::{CorrectionKind, Gazetteer, Origin, Segment, extract};
use voice_ledger::ledger::{Catalog, Resident, check_value};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
}

fn registry() -> Vec<Resident> {
    vec![
        Resident {
            id: "r01".into(),
            name: "王秀英".into(),
            address: "彭浦新村3号楼502室".into(),
            phone: Some("13916258743".into()),
            ..Resident::default()
        },
        Resident {
            id: "r02".into(),
            name: "王建华".into(),
            address: "彭浦新村13号楼502室".into(),
            ..Resident::default()
        },
    ]
}

#[test]
fn misheard_name_of_a_registered_resident_is_corrected_and_kept() {
    let catalog = Catalog::builtin();
    let home_visit = catalog.record_type("home-visit").unwrap();
    let text = "今天上午走访了汪秀英阿姨，她反映楼道灯坏了。";

    let extraction = extract(
        home_visit,
        text,
        &[],
        day(),
        &registry(),
        &Gazetteer::builtin(),
    );

    let resident = extraction.field("resident").unwrap();
    assert_eq!(resident.value, "王秀英");
    assert_eq!(resident.original.as_deref(), Some("汪秀英阿姨"));
    assert_eq!(resident.span.as_ref().unwrap().text, "汪秀英阿姨");
    let correction = &extraction.corrections[0];
    assert_eq!(
        (correction.from.as_str(), correction.to.as_str()),
        ("汪秀英", "王秀英")
    );
    assert_eq!(correction.kind, CorrectionKind::ResidentName);
    assert_eq!(
        &text.chars().collect::<Vec<_>>()[correction.start..correction.end]
            .iter()
            .collect::<String>(),
        "汪秀英"
    );
    assert_eq!(extraction.resident.as_ref().unwrap().id, "r01");
}

#[test]
fn surname_and_address_link_the_right_resident_of_two() {
    let catalog = Catalog::builtin();
    let home_visit = catalog.record_type("home-visit").unwrap();
    let text = "今天去彭浦新村十三号楼五零二室看望王叔叔。";

    let extraction = extract(
        home_visit,
        text,
        &[],
        day(),
        &registry(),
        &Gazetteer::builtin(),
    );

    assert_eq!(extraction.resident.as_ref().unwrap().id, "r02");
    let resident = extraction.field("resident").unwrap();
    assert_eq!(resident.value, "王建华");
    assert_eq!(resident.original.as_deref(), Some("王叔叔"));
}

#[test]
fn values_point_at_their_words_and_audio() {
    let catalog = Catalog::builtin();
    let home_visit = catalog.record_type("home-visit").unwrap();
    let segments = [
        Segment {
            start_ms: 0,
            end_ms: 3000,
            text: "今天上午走访了王秀英阿姨".into(),
        },
        Segment {
            start_ms: 3000,
            end_ms: 6000,
            text: "血压一百三十五比八十五".into(),
        },
    ];
    let text = "今天上午走访了王秀英阿姨，血压一百三十五比八十五";

    let extraction = extract(
        home_visit,
        text,
        &segments,
        day(),
        &registry(),
        &Gazetteer::builtin(),
    );

    let systolic = extraction.field("bp_systolic").unwrap();
    assert_eq!(systolic.value, 135);
    let span = systolic.span.as_ref().unwrap();
    assert_eq!(span.text, "血压一百三十五");
    assert_eq!(
        text.chars()
            .skip(span.start)
            .take(span.end - span.start)
            .collect::<String>(),
        span.text
    );
    let audio = systolic.audio.unwrap();
    assert!(audio.start_ms >= 3000 && audio.end_ms <= 6000, "{audio:?}");
    let date = extraction.field("visit_date").unwrap();
    assert_eq!(date.origin, Origin::Transcript);
    assert!(date.audio.unwrap().end_ms <= 3000);
}

#[test]
fn constraints_become_warnings_and_missing_fields_are_listed() {
    let catalog = Catalog::builtin();
    let home_visit = catalog.record_type("home-visit").unwrap();
    let text = "看望了李大爷，大爷八十多岁，高压三百低压八十五，身份证号110105194912310021。";

    let extraction = extract(home_visit, text, &[], day(), &[], &Gazetteer::builtin());

    let warned: Vec<&str> = extraction
        .warnings
        .iter()
        .filter_map(|w| w.key.as_deref())
        .collect();
    assert!(warned.contains(&"bp_systolic"), "{:?}", extraction.warnings);
    assert!(warned.contains(&"age"), "{:?}", extraction.warnings);
    assert!(warned.contains(&"id_number"), "{:?}", extraction.warnings);
    assert!(extraction.field("bp_systolic").is_none());
    assert_eq!(extraction.field("bp_diastolic").unwrap().value, 85);
    let missing: Vec<&str> = extraction
        .missing_required
        .iter()
        .map(|m| m.key.as_str())
        .collect();
    assert_eq!(missing, ["address"]);
    let date = extraction.field("visit_date").unwrap();
    assert_eq!(date.origin, Origin::RecordingDate);
    assert_eq!(date.value, "2026-12-03");
}

#[test]
fn every_value_is_in_stored_form() {
    let catalog = Catalog::builtin();
    let text = "昨天下午三点在居委会会议室召开居委会例会，张书记主持，应到十五人，实到十三人，议题是加装电梯。";
    let meeting = catalog.record_type("meeting").unwrap();

    let extraction = extract(meeting, text, &[], day(), &[], &Gazetteer::builtin());

    for field in &extraction.fields {
        let spec = meeting.field(&field.key).unwrap();
        assert_eq!(
            check_value(spec, &field.value).unwrap().as_ref(),
            Some(&field.value),
            "{}",
            field.key
        );
    }
    let json = serde_json::to_value(&extraction).unwrap();
    assert_eq!(json["fields"][0]["key"], "meeting_date");
    assert_eq!(json["fields"][0]["value"], "2026-12-02");
    assert_eq!(json["fields"][0]["span"]["text"], "昨天");
}

#[test]
fn a_new_record_type_needs_only_a_template() {
    let mut catalog = Catalog::builtin();
    catalog
        .add_text(
            "meals.toml",
            r#"
[record_type]
id = "meal-delivery"
version = 1
title = "助餐送餐记录"
date_field = "day"
fields = [
  { key = "day", title = "日期", type = "date", required = true },
  { key = "who", title = "老人", type = "person", required = true, cues = ["给", "阿姨", "老伯"] },
  { key = "meals", title = "份数", type = "integer", unit = "份", cues = ["送了"] },
  { key = "phone", title = "电话", type = "phone", cues = ["电话"] },
  { key = "kind", title = "餐别", type = "choice", choices = ["午餐", "晚餐"], choice_cues = { "午餐" = ["中午", "午饭"], "晚餐" = ["晚上", "晚饭"] } },
  { key = "note", title = "备注", type = "text", cues = ["反映"] },
]
"#,
        )
        .unwrap();
    let meals = catalog.record_type("meal-delivery").unwrap();
    let text = "昨天中午给陈老伯送了两份午饭，电话13801762245，老伯反映饭菜偏咸。";

    let extraction = extract(meals, text, &[], day(), &[], &Gazetteer::builtin());

    let values = extraction.values();
    assert_eq!(values["day"], "2026-12-02");
    assert_eq!(values["who"], "陈老伯");
    assert_eq!(values["meals"], 2);
    assert_eq!(values["phone"], "13801762245");
    assert_eq!(values["kind"], "午餐");
    assert_eq!(values["note"], "饭菜偏咸");
}
