//! The sync protocol against a real hub on loopback: replays, conflicts,
//! invalid content, batches, captive portals, authentication, committee
//! boundaries, enrolment codes and templates flowing down.

mod sync_support;

use serde_json::{Value, json};
use sync_support::proxy::{FaultPlan, FaultProxy};
use sync_support::{Desk, TestHub, fast_client, inject_unchecked, rehash, upload_of};
use voice_ledger::ledger::{Catalog, GovernanceStatus, RecordState};
use voice_ledger::store::Store;
use voice_ledger::sync::wire::{Outcome, RevisionUpload};
use voice_ledger::sync::{
    self, EntryState, HubClient, KeyringUse, PassOptions, SyncError, sync_once,
};

fn receipt_of(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Created { receipt } | Outcome::Replayed { receipt } => receipt.number.clone(),
        other => panic!("expected a receipt, got {other:?}"),
    }
}

/// A raw request, for what the typed client hides: status codes and bodies.
fn raw(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut response = match (method, body) {
        ("GET", _) => {
            let mut request = agent.get(url);
            if let Some(b) = &bearer {
                request = request.header("authorization", b);
            }
            request.call().unwrap()
        }
        (_, body) => {
            let mut request = match method {
                "PUT" => agent.put(url),
                _ => agent.post(url),
            };
            if let Some(b) = &bearer {
                request = request.header("authorization", b);
            }
            request
                .header("content-type", "application/json")
                .send(serde_json::to_vec(&body.unwrap_or(json!({}))).unwrap())
                .unwrap()
        }
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn token(desk: &Desk) -> String {
    sync::load_token(&desk.data, &desk.device_id, KeyringUse::FileOnly)
        .unwrap()
        .expose()
        .to_string()
}

fn pass(desk: &Desk, client: &HubClient) -> Result<sync::PassReport, SyncError> {
    sync_once(&desk.store, &desk.data, client, &PassOptions::default())
}

fn state_of(desk: &Desk, record_id: &str, revision: u32) -> (EntryState, Option<String>) {
    let status = sync::status(&desk.store, true).unwrap();
    let entry = status
        .entries
        .iter()
        .find(|e| e.record_id == record_id && e.revision == revision)
        .unwrap_or_else(|| panic!("no outbox entry for {record_id} rev {revision}"));
    (entry.state, entry.error.clone())
}

#[test]
fn a_replay_gets_the_same_receipt_and_other_content_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("彭浦新村第一居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );
    let client = desk.client();
    let record = desk.visit(1);
    let upload = upload_of(&desk.store, &record.id, 1, None);

    let first = client.upload(&upload).unwrap();
    assert!(
        matches!(first.outcome, Outcome::Created { .. }),
        "{first:?}"
    );
    let again = client.upload(&upload).unwrap();
    assert!(
        matches!(again.outcome, Outcome::Replayed { .. }),
        "{again:?}"
    );
    assert_eq!(receipt_of(&first.outcome), receipt_of(&again.outcome));

    let mut changed = upload.clone();
    changed
        .record
        .fields
        .insert("bp_systolic".into(), json!(141));
    rehash(&mut changed);
    let conflict = client.upload(&changed).unwrap();
    let Outcome::Conflict { conflict: notice } = &conflict.outcome else {
        panic!("expected a conflict, got {conflict:?}");
    };
    assert!(notice.reason.contains("different content"), "{notice:?}");
    let repeated = client.upload(&changed).unwrap();
    assert_eq!(
        repeated.outcome, conflict.outcome,
        "same conflict, same number"
    );

    // The raw statuses the protocol document promises.
    let url = format!("{}/v1/records/{}/revisions/1", hub.url(), record.id);
    let tok = token(&desk);
    let body = serde_json::to_value(&upload).unwrap();
    assert_eq!(raw("PUT", &url, Some(&tok), Some(body)).0, 200);
    let body = serde_json::to_value(&changed).unwrap();
    assert_eq!(raw("PUT", &url, Some(&tok), Some(body)).0, 409);
}

#[test]
fn a_stale_or_diverged_base_is_a_conflict_never_an_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("彭浦新村第二居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );
    let client = desk.client();
    let record = desk.visit(2);
    desk.edit(&record.id, 150);
    desk.edit(&record.id, 151);
    let first = upload_of(&desk.store, &record.id, 1, None);
    client.upload(&first).unwrap();

    let check = |upload: RevisionUpload, expected: &str| {
        let result = client.upload(&upload).unwrap();
        let Outcome::Conflict { conflict } = &result.outcome else {
            panic!("expected a conflict for {expected}, got {result:?}");
        };
        assert!(conflict.reason.contains(expected), "{}", conflict.reason);
        assert_eq!(conflict.hub_revision, 1);
    };
    check(
        upload_of(&desk.store, &record.id, 3, Some(first.content_hash.clone())),
        "the hub's latest is 1",
    );
    check(
        upload_of(&desk.store, &record.id, 2, Some("0".repeat(64))),
        "differs from the hub's",
    );

    let page = client.records(None, None, 10).unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(
        page.records[0].record.revision, 1,
        "nothing was overwritten"
    );
    assert_eq!(client.conflicts().unwrap().conflicts.len(), 2);

    // In order and on the right base, the same revisions go through.
    let second = upload_of(&desk.store, &record.id, 2, Some(first.content_hash.clone()));
    assert!(matches!(
        client.upload(&second).unwrap().outcome,
        Outcome::Created { .. }
    ));
}

#[test]
fn invalid_content_is_refused_with_a_reason_and_quarantined_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("共和新路居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );
    let client = desk.client();

    let good = desk.visit(3);
    let mut upload = upload_of(&desk.store, &good.id, 1, None);
    upload.record.type_version = 9;
    rehash(&mut upload);
    let check = |upload: &RevisionUpload, code: &str, reason: &str| {
        let result = client.upload(upload).unwrap();
        let Outcome::Invalid {
            code: got,
            reason: why,
        } = &result.outcome
        else {
            panic!("expected invalid, got {result:?}");
        };
        assert_eq!(got, code);
        assert!(why.contains(reason), "{why}");
    };
    check(&upload, "unknown_template", "version 9 is not published");
    let mut upload = upload_of(&desk.store, &good.id, 1, None);
    upload
        .record
        .fields
        .insert("bp_systolic".into(), json!(999));
    rehash(&mut upload);
    check(&upload, "bad_value", "bp_systolic");
    let mut tampered = upload_of(&desk.store, &good.id, 1, None);
    tampered.who = "别人".into();
    check(&tampered, "hash_mismatch", "content hash");
    let url = format!("{}/v1/records/{}/revisions/1", hub.url(), good.id);
    let body = serde_json::to_value(&upload).unwrap();
    let (status, body) = raw("PUT", &url, Some(&token(&desk)), Some(body));
    assert_eq!(status, 422);
    assert_eq!(body["result"]["status"], "invalid");

    // Through the outbox: refused once, kept with the reason, never resent.
    let mut bad = desk.visit(4);
    bad.id = uuid::Uuid::now_v7().to_string();
    bad.fields.insert("bp_systolic".into(), json!(999));
    inject_unchecked(&desk.store, &bad);
    let report = pass(&desk, &client).unwrap();
    assert_eq!((report.created, report.quarantined), (2, 1), "{report:?}");
    let (state, reason) = state_of(&desk, &bad.id, 1);
    assert_eq!(state, EntryState::Quarantined);
    assert!(reason.unwrap().contains("bp_systolic"));
    let again = pass(&desk, &client).unwrap();
    assert_eq!((again.created, again.quarantined, again.batches), (0, 0, 0));
}

#[test]
fn one_bad_revision_does_not_block_the_rest_of_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("临汾路居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );
    let client = desk.client();
    let mut uploads: Vec<RevisionUpload> = (0..4)
        .map(|n| {
            let record = desk.visit(n);
            upload_of(&desk.store, &record.id, 1, None)
        })
        .collect();
    uploads[1].record.fields.insert("age".into(), json!(300));
    rehash(&mut uploads[1]);

    let response = client.upload_batch(&uploads).unwrap();
    let statuses: Vec<&str> = response
        .results
        .iter()
        .map(|r| match r.outcome {
            Outcome::Created { .. } => "created",
            Outcome::Invalid { .. } => "invalid",
            _ => "other",
        })
        .collect();
    assert_eq!(statuses, ["created", "invalid", "created", "created"]);
    for (upload, result) in uploads.iter().zip(&response.results) {
        assert_eq!(result.record_id, upload.record.id);
    }

    let too_many = vec![uploads[0].clone(); 501];
    match client.upload_batch(&too_many) {
        Err(SyncError::Rejected {
            status: 413, code, ..
        }) => assert_eq!(code, "batch_too_large"),
        other => panic!("expected 413, got {other:?}"),
    }
}

#[test]
fn a_captive_portal_page_is_not_a_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("大宁路居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );
    let record = desk.visit(5);
    let portal = FaultProxy::start(
        hub.addr,
        FaultPlan {
            captive_portal: 1.0,
            ..FaultPlan::none()
        },
    );

    let error = pass(&desk, &desk.client_via(&portal.url())).unwrap_err();
    assert!(
        matches!(error, SyncError::NotAHub { status: 200, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("sign-in page"), "{error}");
    let (state, _) = state_of(&desk, &record.id, 1);
    assert_eq!(state, EntryState::Pending);
    assert!(sync::receipts(&desk.store).unwrap().is_empty());

    let report = pass(&desk, &desk.client()).unwrap();
    assert_eq!(report.created, 1);
    assert_eq!(state_of(&desk, &record.id, 1).0, EntryState::Sent);
}

#[test]
fn unknown_and_revoked_devices_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("芷江西路居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );

    let (status, body) = raw("GET", &format!("{}/v1/whoami", hub.url()), None, None);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let stranger = HubClient::new(&hub.url(), &fast_client())
        .unwrap()
        .with_token(sync::DeviceToken::new("f".repeat(64)));
    assert!(matches!(
        stranger.whoami(),
        Err(SyncError::Unauthorized { .. })
    ));
    assert_eq!(desk.client().whoami().unwrap().device_id, desk.device_id);

    hub.hub
        .admin(|conn| voice_ledger_hub::admin::revoke_device(conn, &desk.device_id))
        .unwrap();
    let record = desk.visit(6);
    let error = pass(&desk, &desk.client()).unwrap_err();
    assert!(matches!(error, SyncError::Revoked { .. }), "{error}");
    assert!(error.needs_enrolment());
    assert_eq!(state_of(&desk, &record.id, 1).0, EntryState::Pending);
    let status = sync::status(&desk.store, false).unwrap();
    assert!(status.last_error.unwrap().contains("revoked"));
}

#[test]
fn committees_read_and_write_only_their_own_records_and_the_sub_district_reads_all() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let east = hub.committee("东居委会");
    let west = hub.committee("西居委会");
    let mut a = Desk::enrol(&dir.path().join("a"), &hub.url(), &hub.code(&east), &east);
    let mut b = Desk::enrol(&dir.path().join("b"), &hub.url(), &hub.code(&west), &west);
    let record = a.visit(7);
    a.edit(&record.id, 160);
    b.visit(8);
    pass(&a, &a.client()).unwrap();
    pass(&b, &b.client()).unwrap();

    let b_client = b.client();
    let page = b_client.records(None, None, 100).unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].committee_id, west.id);
    match b_client.revisions(&record.id) {
        Err(SyncError::Rejected { status: 404, .. }) => {}
        other => panic!("another committee's record must look absent, got {other:?}"),
    }
    match b_client.records(Some(&east.id), None, 100) {
        Err(SyncError::Rejected { status: 403, .. }) => {}
        other => panic!("expected 403, got {other:?}"),
    }

    // Writing someone else's record: replaying it, or revising it.
    let theirs = upload_of(&a.store, &record.id, 1, None);
    let next = upload_of(&a.store, &record.id, 2, Some(theirs.content_hash.clone()));
    for upload in [&theirs, &next] {
        let result = b_client.upload(upload).unwrap();
        assert!(
            matches!(result.outcome, Outcome::Forbidden { .. }),
            "{result:?}"
        );
    }

    let admin = Desk::enrol(
        &dir.path().join("admin"),
        &hub.url(),
        &hub.admin_code(),
        &east,
    );
    let admin_client = admin.client();
    assert_eq!(
        admin_client.records(None, None, 100).unwrap().records.len(),
        2
    );
    let east_only = admin_client.records(Some(&east.name), None, 100).unwrap();
    assert_eq!(east_only.records.len(), 1);
    assert_eq!(
        admin_client.revisions(&record.id).unwrap().revisions.len(),
        2
    );
    let write = admin_client.upload(&theirs).unwrap();
    assert!(matches!(write.outcome, Outcome::Forbidden { .. }));
}

#[test]
fn an_enrolment_code_enrols_exactly_one_device() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("宝山路居委会");
    let code = hub.code(&committee);
    let url = hub.url();

    let outcomes: Vec<Result<_, SyncError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|n| {
                let (code, url, root) =
                    (code.clone(), url.clone(), dir.path().join(format!("d{n}")));
                scope.spawn(move || {
                    let data = voice_ledger::paths::DataDir::at(&root);
                    data.ensure().unwrap();
                    let store = Store::open(&data.database()).unwrap();
                    // Typed the way people type codes from paper.
                    let typed = code.to_lowercase().replace('-', " ");
                    sync::enrol(
                        &store,
                        &data,
                        &sync::EnrolOptions {
                            hub_url: url,
                            code: typed,
                            device_name: format!("电脑{n}"),
                            force: false,
                            keyring: KeyringUse::FileOnly,
                            client: fast_client(),
                        },
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
    for error in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(
            matches!(error, SyncError::Rejected { status: 403, code, .. } if code == "bad_code"),
            "{error}"
        );
    }
}

const NOTE_TYPE: &str = r#"
[record_type]
id = "street-note"
version = 1
title = "街面巡查记录"
date_field = "day"
fields = [
  { key = "day", title = "日期", type = "date", required = true },
  { key = "place", title = "地点", type = "address" },
  { key = "issue", title = "问题", type = "text" },
]

[[ledgers]]
id = "street-patrol"
code = "CG-01"
title = "街面巡查台账"
department = "城管"
governance = { status = "draft" }
sources = [{ record_type = "street-note" }]
columns = [{ title = "日期", value = "{day}" }, { title = "地点", value = "{place}" }]
"#;

#[test]
fn templates_flow_down_and_gate_what_may_be_submitted() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("天目西路居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );
    let client = desk.client();

    // The committee made its own record type before the hub approved it.
    std::fs::write(
        desk.data.templates_dir().join("street-note.toml"),
        NOTE_TYPE,
    )
    .unwrap();
    let catalog = Catalog::load(&desk.data.templates_dir()).unwrap();
    let note_type = catalog.record_type("street-note").unwrap();
    let note = desk
        .store
        .insert_record(
            note_type,
            voice_ledger::store::NewRecord {
                fields: sync_support::values(json!({"day": "2026-11-05", "issue": "占道经营"})),
                transcript: None,
                audio_ref: None,
                author: "李敏".into(),
                committee: committee.name.clone(),
                resident_id: None,
                state: RecordState::Final,
            },
            "李敏",
            "手工录入",
        )
        .unwrap();
    let visit = desk.visit(9);

    let report = pass(&desk, &client).unwrap();
    assert!(report.templates_updated);
    assert_eq!((report.created, report.held), (1, 1), "{report:?}");
    let (state, reason) = state_of(&desk, &note.id, 1);
    assert_eq!(state, EntryState::Held);
    assert!(reason.unwrap().contains("not published"));
    assert_eq!(state_of(&desk, &visit.id, 1).0, EntryState::Sent);

    // 准入 at the sub-district, and a built-in ledger retired.
    let file = dir.path().join("street-note.toml");
    std::fs::write(&file, NOTE_TYPE).unwrap();
    let approval = voice_ledger_hub::templates::Approval {
        approved_by: Some("江宁路街道办事处".into()),
        document: Some("江宁街〔2026〕12号".into()),
        on: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    };
    hub.hub
        .admin(|conn| voice_ledger_hub::templates::approve(conn, &file, &approval))
        .unwrap();
    let retired = Catalog::builtin().ledgers_for("home-visit")[0].id.clone();
    hub.hub
        .admin(|conn| {
            voice_ledger_hub::templates::retire(conn, hub.hub.catalog(), &retired, approval.on)
        })
        .unwrap();

    let report = pass(&desk, &client).unwrap();
    assert!(report.templates_updated);
    assert_eq!(report.created, 1, "{report:?}");
    assert_eq!(state_of(&desk, &note.id, 1).0, EntryState::Sent);

    let catalog = Catalog::load(&desk.data.templates_dir()).unwrap();
    let patrol = catalog.ledger("street-patrol").unwrap();
    assert_eq!(patrol.governance.status, GovernanceStatus::Active);
    assert_eq!(
        patrol.governance.approved_by.as_deref(),
        Some("江宁路街道办事处")
    );
    assert_eq!(
        catalog.ledger(&retired).unwrap().governance.status,
        GovernanceStatus::Retired
    );
    assert!(
        catalog
            .ledgers_for("home-visit")
            .iter()
            .all(|l| l.id != retired),
        "a retired ledger leaves capture"
    );

    // Unchanged templates are not downloaded again.
    assert!(!pass(&desk, &client).unwrap().templates_updated);
}

#[test]
fn the_hub_serves_tls_and_devices_verify_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = dir.path().join("hub.crt");
    let key = dir.path().join("hub.key");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let tls = voice_ledger_hub::tls::load_tls(&cert, &key).unwrap();
    let hub = TestHub::start(
        &dir.path().join("hub.sqlite3").display().to_string(),
        Some(tls),
    );
    let committee = hub.committee("江宁路居委会");
    let url = format!("https://{}", hub.addr);

    let data = voice_ledger::paths::DataDir::at(dir.path().join("a"));
    data.ensure().unwrap();
    let store = Store::open(&data.database()).unwrap();
    let options = |ca_cert| sync::EnrolOptions {
        hub_url: url.clone(),
        code: hub.code(&committee),
        device_name: "前台".into(),
        force: false,
        keyring: KeyringUse::FileOnly,
        client: sync::ClientOptions {
            ca_cert,
            ..fast_client()
        },
    };
    let untrusted = sync::enrol(&store, &data, &options(None)).unwrap_err();
    assert!(
        matches!(untrusted, SyncError::Network { .. }),
        "{untrusted}"
    );

    sync::enrol(&store, &data, &options(Some(cert.clone()))).unwrap();
    let enrolled = sync::enrolment(&store).unwrap().unwrap();
    let client = enrolled
        .client(&data, &fast_client(), KeyringUse::FileOnly)
        .unwrap();
    assert_eq!(
        client.whoami().unwrap().committee.unwrap().name,
        "江宁路居委会"
    );
}

#[test]
fn the_background_runner_sends_new_records_and_stops_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("宜川路居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );
    for n in 0..20 {
        desk.visit(n);
    }
    let (events, received) = std::sync::mpsc::channel();
    let runner = sync::SyncRunner::start(
        desk.data.clone(),
        sync::RunnerOptions {
            interval: std::time::Duration::from_secs(3600),
            keyring: KeyringUse::FileOnly,
            client: fast_client(),
            ..sync::RunnerOptions::default()
        },
        move |event| {
            let _ = events.send(event);
        },
    )
    .unwrap();
    let first = received.recv().unwrap();
    assert!(
        matches!(&first, sync::RunnerEvent::Passed(report) if report.created == 20),
        "{first:?}"
    );

    desk.visit(21);
    runner.wake();
    let second = received.recv().unwrap();
    assert!(
        matches!(&second, sync::RunnerEvent::Passed(report) if report.created == 1),
        "{second:?}"
    );
    runner.stop();
    assert_eq!(sync::receipts(&desk.store).unwrap().len(), 21);
}

#[test]
fn the_hub_rules_hold_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    sync_support::scenario::hub_rules_hold(&hub, dir.path());
}

#[test]
fn templates_that_clash_with_the_committees_own_are_reported_and_uploads_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let committee = hub.committee("曹家渡居委会");
    let mut desk = Desk::enrol(
        &dir.path().join("a"),
        &hub.url(),
        &hub.code(&committee),
        &committee,
    );
    let file = dir.path().join("street-note.toml");
    std::fs::write(&file, NOTE_TYPE).unwrap();
    let approval = voice_ledger_hub::templates::Approval {
        approved_by: Some("街道办".into()),
        document: None,
        on: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    };
    hub.hub
        .admin(|conn| voice_ledger_hub::templates::approve(conn, &file, &approval))
        .unwrap();
    // The committee's own version 1 of the same record type says otherwise.
    let own = NOTE_TYPE.replace("街面巡查记录", "我们的巡查记录");
    std::fs::write(desk.data.templates_dir().join("street-note.toml"), own).unwrap();
    desk.visit(1);

    let report = pass(&desk, &desk.client()).unwrap();
    assert_eq!(report.created, 1, "{report:?}");
    let error = report.templates_error.unwrap();
    assert!(error.contains("street-note"), "{error}");
    assert!(
        std::fs::read_dir(desk.data.templates_dir())
            .unwrap()
            .all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("zz-hub-")),
        "nothing of the bundle was installed"
    );
}
