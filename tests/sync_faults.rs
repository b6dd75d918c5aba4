//! 10,000 records from 33 committees reach the hub through a network that
//! drops, delays, duplicates and reorders requests, answers 500s and shows
//! captive-portal pages: every revision arrives exactly once, nothing is
//! lost, and conflicts and refusals end where the protocol says.

#![allow(
    clippy::print_stderr,
    reason = "the test reports the fault counts it ran through"
)]

mod sync_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::json;
use sync_support::proxy::{FaultPlan, FaultProxy};
use sync_support::{Desk, TestHub, fast_client, inject_unchecked, visit_fields};
use voice_ledger::ledger::Record;
use voice_ledger::paths::DataDir;
use voice_ledger::store::Store;
use voice_ledger::sync::wire::{Committee, RevisionContent};
use voice_ledger::sync::{
    self, Backoff, EnrolOptions, EntryState, KeyringUse, PassOptions, RunnerOptions, SyncRunner,
};
use voice_ledger_hub::records::receipt_number;

const COMMITTEES: usize = 33;
const RECORDS: usize = 10_000;
/// Committees whose data folder was copied to a second computer before
/// syncing, and on both of which the same record was then edited.
const CLONED: usize = 2;
/// Committees with one record the hub's checks refuse.
const REFUSED: usize = 4;

/// Every revision a desk holds, with its content hash and sync state.
fn local_revisions(desk: &Desk) -> Vec<(String, u32, String, EntryState, Option<String>)> {
    let status = sync::status(&desk.store, true).unwrap();
    status
        .entries
        .iter()
        .map(|entry| {
            let revision = desk
                .store
                .history(&entry.record_id)
                .unwrap()
                .into_iter()
                .find(|r| r.revision == entry.revision)
                .unwrap();
            let hash = RevisionContent {
                record: &revision.snapshot,
                who: &revision.who,
                why: &revision.why,
                at: &revision.at,
            }
            .hash();
            (
                entry.record_id.clone(),
                entry.revision,
                hash,
                entry.state,
                entry.receipt.clone(),
            )
        })
        .collect()
}

/// A copy of a desk's data folder on a second computer, enrolled as its
/// own device of the same committee.
fn clone_desk(desk: &Desk, root: &std::path::Path, hub: &TestHub) -> Desk {
    let data = DataDir::at(root);
    data.ensure().unwrap();
    desk.store
        .connection()
        .execute("VACUUM INTO ?1", [data.database().display().to_string()])
        .unwrap();
    let store = Store::open(&data.database()).unwrap();
    let enrolled = sync::enrol(
        &store,
        &data,
        &EnrolOptions {
            hub_url: hub.url(),
            code: hub.code(&desk.committee),
            device_name: "备用电脑".into(),
            force: true,
            keyring: KeyringUse::FileOnly,
            client: fast_client(),
        },
    )
    .unwrap();
    Desk {
        data,
        store,
        committee: desk.committee.clone(),
        device_id: enrolled.device_id,
    }
}

/// A record saved the way an old, laxer program version would have stored
/// it: with a value the hub's checks refuse.
fn refused_record(desk: &mut Desk) -> Record {
    let mut fields = visit_fields(0);
    fields.insert("bp_systolic".into(), json!(999));
    let now = chrono::Utc::now();
    let record = Record {
        id: uuid::Uuid::now_v7().to_string(),
        record_type: "home-visit".into(),
        type_version: 1,
        fields,
        transcript: None,
        audio_ref: None,
        author: "李敏".into(),
        committee: desk.committee.name.clone(),
        resident_id: None,
        state: voice_ledger::ledger::RecordState::Final,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    inject_unchecked(&desk.store, &record);
    record
}

#[test]
fn ten_thousand_records_from_33_committees_arrive_exactly_once_through_a_hostile_network() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::sqlite(dir.path());
    let proxy = FaultProxy::start(hub.addr, FaultPlan::hostile(2026));
    let started = Instant::now();

    // Set-up: 33 committee desktops with 10,000 records, some edited.
    let committees: Vec<Committee> = (0..COMMITTEES)
        .map(|i| hub.committee(&format!("第{:02}居委会", i + 1)))
        .collect();
    let codes: Vec<String> = committees.iter().map(|c| hub.code(c)).collect();
    let url = hub.url();
    let mut desks: Vec<Desk> = std::thread::scope(|scope| {
        let handles: Vec<_> = committees
            .iter()
            .zip(&codes)
            .enumerate()
            .map(|(i, (committee, code))| {
                let root = dir.path().join(format!("desk{i:02}"));
                let url = url.clone();
                scope.spawn(move || {
                    let mut desk = Desk::enrol(&root, &url, code, committee);
                    // Set-up speed only; durability is not what this test is about.
                    desk.store
                        .connection()
                        .pragma_update(None, "synchronous", "OFF")
                        .unwrap();
                    let count = RECORDS / COMMITTEES + usize::from(i < RECORDS % COMMITTEES);
                    for n in 0..count {
                        let record = desk.visit(i * 1000 + n);
                        if n % 7 == 3 {
                            desk.edit(&record.id, 120 + (n % 50) as i64);
                        }
                        if n % 31 == 5 {
                            desk.edit(&record.id, 121 + (n % 50) as i64);
                            desk.edit(&record.id, 122 + (n % 50) as i64);
                        }
                    }
                    desk
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut refused = BTreeSet::new();
    for desk in desks.iter_mut().take(REFUSED) {
        refused.insert(refused_record(desk).id);
    }
    // The same record edited differently on two computers of one committee.
    let mut contested = BTreeSet::new();
    let mut clones = Vec::new();
    for (i, desk) in desks.iter_mut().enumerate().take(CLONED) {
        let mut clone = clone_desk(desk, &dir.path().join(format!("clone{i}")), &hub);
        let first = desk
            .store
            .records(&Default::default())
            .unwrap()
            .into_iter()
            .find(|r| r.revision == 1)
            .unwrap();
        desk.edit(&first.id, 171);
        clone.edit(&first.id, 172);
        contested.insert(first.id);
        clones.push(clone);
    }
    desks.extend(clones);
    let set_up = started.elapsed();

    // Sync: every desk's background runner, all through the faulty proxy.
    let syncing = Instant::now();
    let runners: Vec<SyncRunner> = desks
        .iter()
        .map(|desk| {
            // The runner reads the enrolment from the database: point it at the proxy.
            desk.store
                .connection()
                .execute(
                    "UPDATE sync_settings SET value = ?1 WHERE key = 'hub_url'",
                    [proxy.url()],
                )
                .unwrap();
            let backoff = Backoff {
                base: Duration::from_millis(20),
                max: Duration::from_millis(400),
            };
            SyncRunner::start(
                desk.data.clone(),
                RunnerOptions {
                    interval: Duration::from_millis(100),
                    backoff,
                    pass: PassOptions {
                        backoff,
                        ..PassOptions::default()
                    },
                    client: fast_client(),
                    keyring: KeyringUse::FileOnly,
                },
                |_| {},
            )
            .unwrap()
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let waiting: usize = desks
            .iter()
            .map(|d| {
                let status = sync::status(&d.store, false).unwrap();
                status.count(EntryState::Pending) + status.count(EntryState::Held)
            })
            .sum();
        if waiting == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} revisions still waiting; proxy: {}",
            proxy.counts.summary()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let sync_time = syncing.elapsed();
    for runner in runners {
        runner.stop();
    }
    proxy.counts.settle();

    // What the hub holds.
    let hub_revisions: BTreeMap<(String, u32), (String, String)> = hub
        .hub
        .admin(|conn| {
            conn.query(
                "SELECT record_id, revision, content_hash, seq FROM revisions",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok((
                    (r.text(0)?, r.int(1)? as u32),
                    (r.text(2)?, receipt_number(r.int(3)?)),
                ))
            })
            .collect()
        })
        .unwrap();
    let hub_records: usize = hub
        .hub
        .admin(|conn| Ok(conn.query("SELECT COUNT(*) FROM records", &[])?[0].int(0)? as usize))
        .unwrap();
    let hub_conflicts: Vec<(String, u32)> = hub
        .hub
        .admin(|conn| {
            conn.query("SELECT record_id, revision FROM conflicts", &[])?
                .iter()
                .map(|r| Ok((r.text(0)?, r.int(1)? as u32)))
                .collect()
        })
        .unwrap();

    // Every revision a desk holds is at the hub with the same content and
    // receipt, or is one of the expected conflicts or refusals.
    let mut sent = BTreeSet::new();
    let mut conflicted = Vec::new();
    let mut quarantined = BTreeSet::new();
    for desk in &desks {
        let receipts = sync::receipts(&desk.store).unwrap();
        let mut desk_sent = 0;
        for (record_id, revision, hash, state, receipt) in local_revisions(desk) {
            match state {
                EntryState::Sent => {
                    let (hub_hash, hub_receipt) = hub_revisions
                        .get(&(record_id.clone(), revision))
                        .unwrap_or_else(|| {
                            panic!("{record_id} rev {revision} marked sent but not at the hub")
                        });
                    assert_eq!(
                        hub_hash, &hash,
                        "{record_id} rev {revision} differs at the hub"
                    );
                    assert_eq!(receipt.as_ref(), Some(hub_receipt));
                    sent.insert((record_id, revision));
                    desk_sent += 1;
                }
                EntryState::Conflict => conflicted.push((record_id, revision)),
                EntryState::Quarantined => {
                    assert_eq!(revision, 1);
                    quarantined.insert(record_id);
                }
                other => panic!("{record_id} rev {revision} left {other:?}"),
            }
        }
        assert_eq!(receipts.len(), desk_sent, "one receipt per sent revision");
    }
    assert_eq!(
        sent.len(),
        hub_revisions.len(),
        "the hub holds exactly what the desks sent"
    );
    assert_eq!(
        hub_records, RECORDS,
        "every record once, the refused ones not at all"
    );
    assert_eq!(quarantined, refused);
    let conflicted_records: BTreeSet<String> =
        conflicted.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(conflicted.len(), CLONED, "{conflicted:?}");
    assert_eq!(conflicted_records, contested);
    assert!(conflicted.iter().all(|(_, revision)| *revision == 2));
    let hub_conflict_set: BTreeSet<(String, u32)> = hub_conflicts.into_iter().collect();
    assert_eq!(
        hub_conflict_set,
        conflicted.iter().cloned().collect::<BTreeSet<_>>()
    );
    assert!(
        proxy.counts.every_kind_happened(),
        "{}",
        proxy.counts.summary()
    );

    eprintln!(
        "sync faults: {} records, {} revisions from {} devices of {} committees; set-up {:.1?}, sync {:.1?}",
        hub_records,
        hub_revisions.len(),
        desks.len(),
        COMMITTEES,
        set_up,
        sync_time
    );
    eprintln!(
        "sync faults: {} faults injected; {}",
        proxy.counts.faults(),
        proxy.counts.summary()
    );
    eprintln!(
        "sync faults: {} conflicts, {} quarantined, as expected",
        conflicted.len(),
        quarantined.len()
    );
}
