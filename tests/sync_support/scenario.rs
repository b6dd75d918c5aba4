//! One run through the hub's rules, written once and run against both
//! databases: concurrent identical and competing uploads, ordinary sync
//! passes, refusals, committee boundaries, revocation, enrolment races,
//! template approval and the sub-district export.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;
use voice_ledger::export::{Format, ReportPeriod};
use voice_ledger::sync::wire::{Outcome, RevisionUpload};
use voice_ledger::sync::{self, EntryState, PassOptions, SyncError, sync_once};
use voice_ledger_hub::admin;

use super::{Desk, TestHub, fast_client, rehash, upload_of};

/// Runs the whole scenario; panics on the first rule that does not hold.
pub fn hub_rules_hold(hub: &TestHub, dir: &Path) {
    let east = hub.committee("东新路居委会");
    let west = hub.committee("西康路居委会");
    let mut a = Desk::enrol(&dir.join("a"), &hub.url(), &hub.code(&east), &east);
    let mut b = Desk::enrol(&dir.join("b"), &hub.url(), &hub.code(&west), &west);
    let mut a_ids = Vec::new();
    for n in 0..200 {
        let record = a.visit(n);
        if n % 5 == 0 {
            a.edit(&record.id, 140);
        }
        a_ids.push(record.id);
    }
    let b_ids: Vec<String> = (0..150).map(|n| b.visit(1000 + n).id).collect();

    // 1. The same batch sent four times at once: each revision stored once,
    //    every copy answered with the same receipts.
    let batch: Vec<RevisionUpload> = a_ids
        .iter()
        .map(|id| upload_of(&a.store, id, 1, None))
        .collect();
    let client = a.client();
    let answers: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| client.upload_batch(&batch).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut created: BTreeMap<String, usize> = BTreeMap::new();
    let mut receipts: BTreeMap<String, String> = BTreeMap::new();
    for answer in &answers {
        for result in &answer.results {
            let (receipt, is_new) = match &result.outcome {
                Outcome::Created { receipt } => (receipt, true),
                Outcome::Replayed { receipt } => (receipt, false),
                other => panic!("{other:?}"),
            };
            *created.entry(result.record_id.clone()).or_default() += usize::from(is_new);
            let first = receipts
                .entry(result.record_id.clone())
                .or_insert_with(|| receipt.number.clone());
            assert_eq!(first, &receipt.number, "one receipt per revision");
        }
    }
    assert_eq!(created.len(), a_ids.len());
    assert!(
        created.values().all(|n| *n == 1),
        "each stored exactly once"
    );

    // 2. Two different revision 2s of one record at once: one wins, the
    //    other is a conflict.
    // Edited on the desk too (every fifth record is), with other values.
    let contested = &a_ids[0];
    let base = Some(batch[0].content_hash.clone());
    let candidates: Vec<RevisionUpload> = [151, 152]
        .into_iter()
        .map(|systolic| {
            let mut upload = upload_of(&a.store, contested, 1, None);
            upload.record.revision = 2;
            upload.base_revision = 1;
            upload.base_hash = base.clone();
            upload.why = "复测".into();
            upload
                .record
                .fields
                .insert("bp_systolic".into(), json!(systolic));
            rehash(&mut upload);
            upload
        })
        .collect();
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = candidates
            .iter()
            .map(|upload| scope.spawn(|| client.upload(upload).unwrap().outcome))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wins = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Created { .. }))
        .count();
    let conflicts = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Conflict { .. }))
        .count();
    assert_eq!((wins, conflicts), (1, 1), "{outcomes:?}");

    // 3. Ordinary passes: what was already stored replays; the desk's own
    //    revision 2 of the contested record now conflicts.
    let options = PassOptions::default();
    let revised = a_ids
        .iter()
        .filter(|id| a.store.record(id).unwrap().unwrap().revision == 2)
        .count();
    let report = sync_once(&a.store, &a.data, &client, &options).unwrap();
    assert_eq!(
        (report.replayed, report.created, report.conflicts),
        (200, revised - 1, 1),
        "{report:?}"
    );
    let report = sync_once(&b.store, &b.data, &b.client(), &options).unwrap();
    assert_eq!(report.created, 150, "{report:?}");
    let status = sync::status(&a.store, false).unwrap();
    assert_eq!(status.count(EntryState::Pending), 0);
    assert_eq!(
        status.count(EntryState::Conflict),
        1,
        "{:?}",
        status.entries
    );
    assert_eq!(status.entries[0].record_id, *contested);

    // 4. Refusals and boundaries.
    let mut invalid = upload_of(&b.store, &b_ids[0], 1, None);
    invalid.record.id = uuid::Uuid::now_v7().to_string();
    invalid.record.fields.insert("age".into(), json!(150));
    rehash(&mut invalid);
    let refused = b.client().upload(&invalid).unwrap();
    assert!(
        matches!(&refused.outcome, Outcome::Invalid { code, .. } if code == "bad_value"),
        "{refused:?}"
    );
    let foreign = b.client().upload(&batch[0]).unwrap();
    assert!(matches!(foreign.outcome, Outcome::Forbidden { .. }));
    assert_eq!(
        b.client().records(None, None, 1000).unwrap().records.len(),
        150
    );
    let admin_desk = Desk::enrol(&dir.join("admin"), &hub.url(), &hub.admin_code(), &east);
    let admin_client = admin_desk.client();
    let mut everyone = 0;
    let mut after: Option<String> = None;
    loop {
        let page = admin_client.records(None, after.as_deref(), 120).unwrap();
        everyone += page.records.len();
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(
        everyone, 350,
        "the sub-district reads every committee, page by page"
    );
    assert_eq!(admin_client.conflicts().unwrap().conflicts.len(), 2);

    hub.hub
        .admin(|conn| admin::revoke_device(conn, &b.device_id))
        .unwrap();
    b.visit(5000);
    let revoked = sync_once(&b.store, &b.data, &b.client(), &options).unwrap_err();
    assert!(matches!(revoked, SyncError::Revoked { .. }), "{revoked}");

    // 5. One code, six devices racing: one enrolment.
    let code = hub.code(&east);
    let enrolled = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|n| {
                let (code, url, root) = (code.clone(), hub.url(), dir.join(format!("race{n}")));
                scope.spawn(move || {
                    let data = voice_ledger::paths::DataDir::at(&root);
                    data.ensure().unwrap();
                    let store = voice_ledger::store::Store::open(&data.database()).unwrap();
                    sync::enrol(
                        &store,
                        &data,
                        &sync::EnrolOptions {
                            hub_url: url,
                            code,
                            device_name: format!("电脑{n}"),
                            force: false,
                            keyring: sync::KeyringUse::FileOnly,
                            client: fast_client(),
                        },
                    )
                    .is_ok()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count()
    });
    assert_eq!(enrolled, 1);

    // 6. A retired ledger reaches the desks.
    let retired = "concerns-log";
    hub.hub
        .admin(|conn| {
            voice_ledger_hub::templates::retire(
                conn,
                hub.hub.catalog(),
                retired,
                chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            )
        })
        .unwrap();
    let report = sync_once(&a.store, &a.data, &client, &options).unwrap();
    assert!(report.templates_updated);
    let catalog = voice_ledger::ledger::Catalog::load(&a.data.templates_dir()).unwrap();
    assert!(!catalog.ledger(retired).unwrap().accepts_entries());

    // 7. The sub-district ledger holds both committees.
    let csv = dir.join("bp.csv");
    let summary = voice_ledger_hub::export::export_ledger(
        &hub.hub,
        "visit-general",
        &ReportPeriod::parse("2026-11").unwrap(),
        Format::Csv,
        &csv,
        "东西街道",
        None,
    )
    .unwrap();
    assert_eq!((summary.rows, summary.committees), (350, 2));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("东新路居委会") && text.contains("西康路居委会"));
}
