//! Shared pieces of the sync tests: a real hub on loopback, a proxy that
//! injects network faults, and enrolled desktop data folders.

#![allow(dead_code, reason = "each test file uses a different part")]

pub mod proxy;
pub mod scenario;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::oneshot;
use voice_ledger::ledger::{Catalog, FieldValues, Record, RecordState};
use voice_ledger::paths::DataDir;
use voice_ledger::store::{NewRecord, RecordUpdate, Store};
use voice_ledger::sync::wire::{Committee, RevisionContent, RevisionUpload, Role};
use voice_ledger::sync::{self, ClientOptions, EnrolOptions, HubClient, KeyringUse};
use voice_ledger_hub::{Hub, admin};

/// The built-in templates, parsed once.
pub fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::LazyLock<Catalog> = std::sync::LazyLock::new(Catalog::builtin);
    &CATALOG
}

/// A hub serving on 127.0.0.1 from its own runtime thread.
pub struct TestHub {
    pub hub: Hub,
    pub addr: SocketAddr,
    pub runtime: Arc<tokio::runtime::Runtime>,
    stop: Option<oneshot::Sender<()>>,
}

impl TestHub {
    /// A hub on a fresh SQLite file in `dir`.
    pub fn sqlite(dir: &Path) -> TestHub {
        TestHub::start(&dir.join("hub.sqlite3").display().to_string(), None)
    }

    /// A hub on `address` (SQLite path or postgres:// URL), optionally over TLS.
    pub fn start(address: &str, tls: Option<Arc<voice_ledger_hub::ServerConfig>>) -> TestHub {
        let hub = Hub::open(address).expect("hub database opens");
        let runtime = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        );
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = hub.clone();
        runtime.spawn(async move {
            voice_ledger_hub::serve(serving, listener, tls, async {
                let _ = stopped.await;
            })
            .await
            .expect("hub serves");
        });
        TestHub {
            hub,
            addr,
            runtime,
            stop: Some(stop),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn committee(&self, name: &str) -> Committee {
        self.hub
            .admin(|conn| admin::add_committee(conn, name))
            .unwrap()
    }

    pub fn code(&self, committee: &Committee) -> String {
        self.hub
            .admin(|conn| admin::issue_code(conn, Role::Committee, Some(committee), 7))
            .unwrap()
    }

    pub fn admin_code(&self) -> String {
        self.hub
            .admin(|conn| admin::issue_code(conn, Role::Admin, None, 7))
            .unwrap()
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One committee's desktop: a data folder enrolled with a hub.
pub struct Desk {
    pub data: DataDir,
    pub store: Store,
    pub committee: Committee,
    pub device_id: String,
}

pub fn fast_client() -> ClientOptions {
    ClientOptions {
        request_timeout: std::time::Duration::from_secs(20),
        connect_timeout: std::time::Duration::from_secs(5),
        ca_cert: None,
    }
}

impl Desk {
    /// Enrols a fresh data folder at `root` with the hub at `url`.
    pub fn enrol(root: &Path, url: &str, code: &str, committee: &Committee) -> Desk {
        let data = DataDir::at(root);
        data.ensure().unwrap();
        let store = Store::open(&data.database()).unwrap();
        let enrolled = sync::enrol(
            &store,
            &data,
            &EnrolOptions {
                hub_url: url.to_string(),
                code: code.to_string(),
                device_name: format!("{} 电脑", committee.name),
                force: false,
                keyring: KeyringUse::FileOnly,
                client: fast_client(),
            },
        )
        .expect("enrolment succeeds");
        Desk {
            data,
            store,
            committee: committee.clone(),
            device_id: enrolled.device_id,
        }
    }

    pub fn client(&self) -> HubClient {
        sync::enrolment(&self.store)
            .unwrap()
            .unwrap()
            .client(&self.data, &fast_client(), KeyringUse::FileOnly)
            .unwrap()
    }

    /// A client of the same device that talks to `url` instead (a proxy).
    pub fn client_via(&self, url: &str) -> HubClient {
        let token = sync::load_token(&self.data, &self.device_id, KeyringUse::FileOnly).unwrap();
        HubClient::new(url, &fast_client())
            .unwrap()
            .with_token(token)
    }

    /// Saves a final home visit with values derived from `n`.
    pub fn visit(&mut self, n: usize) -> Record {
        let home_visit = catalog().record_type("home-visit").unwrap();
        self.store
            .insert_record(
                home_visit,
                NewRecord {
                    fields: visit_fields(n),
                    transcript: Some(format!("第{n}次走访")),
                    audio_ref: None,
                    author: "李敏".into(),
                    committee: self.committee.name.clone(),
                    resident_id: None,
                    state: RecordState::Final,
                },
                "李敏",
                "口述录入",
            )
            .unwrap()
    }

    /// Edits a visit's blood pressure: a new revision.
    pub fn edit(&mut self, id: &str, systolic: i64) -> Record {
        let home_visit = catalog().record_type("home-visit").unwrap();
        let mut fields = self.store.record(id).unwrap().unwrap().fields;
        fields.insert("bp_systolic".into(), json!(systolic));
        self.store
            .update_record(
                home_visit,
                id,
                RecordUpdate {
                    fields: Some(fields),
                    ..RecordUpdate::default()
                },
                "李敏",
                "更正血压",
            )
            .unwrap()
    }
}

pub fn values(v: Value) -> FieldValues {
    v.as_object().unwrap().clone().into_iter().collect()
}

pub fn visit_fields(n: usize) -> FieldValues {
    values(json!({
        "visit_date": format!("2026-11-{:02}", 1 + n % 28),
        "visit_mode": "入户",
        "resident": format!("居民{n}"),
        "address": format!("彭浦新村{}号{}室", 1 + n % 90, 101 + n % 20),
        "age": 60 + (n % 40) as i64,
        "bp_systolic": 110 + (n % 60) as i64,
        "bp_diastolic": 70 + (n % 25) as i64,
    }))
}

/// The upload of one stored revision, as the outbox would build it.
pub fn upload_of(
    store: &Store,
    id: &str,
    revision: u32,
    base_hash: Option<String>,
) -> RevisionUpload {
    let stored = store
        .history(id)
        .unwrap()
        .into_iter()
        .find(|r| r.revision == revision)
        .unwrap();
    let mut upload = RevisionUpload {
        record: stored.snapshot,
        who: stored.who,
        why: stored.why,
        at: stored.at,
        base_revision: revision - 1,
        base_hash,
        content_hash: String::new(),
    };
    rehash(&mut upload);
    upload
}

pub fn rehash(upload: &mut RevisionUpload) {
    upload.content_hash = RevisionContent {
        record: &upload.record,
        who: &upload.who,
        why: &upload.why,
        at: &upload.at,
    }
    .hash();
}

/// Saves a record whose values the hub's checks refuse, bypassing the
/// store's own checks, as a record made by a lenient older version would be.
pub fn inject_unchecked(store: &Store, record: &Record) {
    let conn = store.connection();
    conn.execute(
        "INSERT INTO records (id, record_type, type_version, fields, author, committee, state,
             revision, event_date, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'final', 1, ?7, ?8, ?8)",
        rusqlite::params![
            record.id,
            record.record_type,
            record.type_version,
            serde_json::to_string(&record.fields).unwrap(),
            record.author,
            record.committee,
            record.fields["visit_date"].as_str(),
            record.created_at.to_rfc3339(),
        ],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO revisions (record_id, revision, at, who, why, snapshot, prev_hash, hash)
         VALUES (?1, 1, ?2, '旧版本', '导入', ?3, 'x', 'x')",
        rusqlite::params![
            record.id,
            record.created_at.to_rfc3339(),
            serde_json::to_string(record).unwrap()
        ],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO outbox (record_id, revision) VALUES (?1, 1)",
        [&record.id],
    )
    .unwrap();
}
