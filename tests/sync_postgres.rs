//! The hub on PostgreSQL: the same rules as on SQLite, with requests that
//! really run in parallel on several database connections.
//!
//! Needs a server: `eval "$(tests/support/start-postgres.sh)"` starts a
//! private one and sets `VOICE_LEDGER_TEST_POSTGRES`.

mod sync_support;

use sync_support::TestHub;

const ENV: &str = "VOICE_LEDGER_TEST_POSTGRES";

/// A fresh, empty database on the test server, as a URL.
fn fresh_database() -> String {
    let Ok(server) = std::env::var(ENV) else {
        panic!(
            "{ENV} is not set, so the PostgreSQL tests cannot run. Start a private server with \
             `eval \"$(tests/support/start-postgres.sh)\"` (it installs PostgreSQL with apt-get if \
             needed and prints the variable) and run the tests again"
        );
    };
    let name = format!("hub_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = postgres::Client::connect(&server, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {ENV}={server}: {e}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = server.rsplit_once('/').expect("the URL names a database");
    format!("{base}/{name}")
}

#[test]
fn the_hub_rules_hold_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(&fresh_database(), None);
    sync_support::scenario::hub_rules_hold(&hub, dir.path());
}

#[test]
fn a_postgres_hub_reopens_with_its_data() {
    let url = fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let committee = {
        let hub = TestHub::start(&url, None);
        let committee = hub.committee("长寿路居委会");
        let mut desk = sync_support::Desk::enrol(
            &dir.path().join("a"),
            &hub.url(),
            &hub.code(&committee),
            &committee,
        );
        desk.visit(1);
        voice_ledger::sync::sync_once(&desk.store, &desk.data, &desk.client(), &Default::default())
            .unwrap();
        committee
    };
    let reopened = voice_ledger_hub::Hub::open(&url).unwrap();
    let count = reopened
        .admin(|conn| {
            Ok(conn.query(
                "SELECT COUNT(*) FROM records WHERE committee_id = $1",
                &[committee.id.as_str().into()],
            )?[0]
                .int(0)?)
        })
        .unwrap();
    assert_eq!(count, 1);
}
