//! Templates at the hub: the record types and ledgers the sub-district has
//! approved (准入), the bundle devices download, and the catalog uploads are
//! checked against.
//!
//! The hub's catalog is the built-in templates plus what is stored here,
//! combined exactly as a desktop combines its built-in templates with the
//! files in its templates folder — the stored items are those files.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use voice_ledger::ledger::{Catalog, GovernanceStatus, Ledger, RecordType, TemplateError};
use voice_ledger::sync::wire::{PROTOCOL, PublishedType, TemplateBundle, TemplateFile};

use crate::db::Conn;
use crate::{HubError, now_text};

/// The catalog as of one change number, with its bundle.
#[derive(Debug)]
pub struct CatalogState {
    /// The `template_changes` number it reflects.
    pub version: i64,
    /// Built-in plus approved templates.
    pub catalog: Catalog,
    /// Record type versions uploads may use.
    pub published: BTreeSet<PublishedType>,
    /// What devices download.
    pub bundle: TemplateBundle,
}

impl CatalogState {
    /// Whether `(id, version)` is published.
    pub fn is_published(&self, id: &str, version: u32) -> bool {
        self.published.contains(&PublishedType {
            id: id.to_string(),
            version,
        })
    }
}

/// The current catalog, rebuilt only when an approval or retirement (maybe
/// by the admin command line, in another process) changed it.
#[derive(Debug, Default)]
pub struct CatalogCache {
    current: RwLock<Option<Arc<CatalogState>>>,
}

impl CatalogCache {
    /// The catalog as the database has it now.
    pub fn get(&self, conn: &mut dyn Conn) -> Result<Arc<CatalogState>, HubError> {
        let version = conn
            .query_opt("SELECT COALESCE(MAX(seq), 0) FROM template_changes", &[])?
            .map(|row| row.int(0))
            .transpose()?
            .unwrap_or(0);
        if let Some(state) = &*self.current.read().unwrap_or_else(|e| e.into_inner())
            && state.version == version
        {
            return Ok(Arc::clone(state));
        }
        let state = Arc::new(load_state(conn, version)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&state));
        tracing::debug!(version, "catalog reloaded");
        Ok(state)
    }
}

#[derive(Serialize)]
struct RecordTypeFile<'a> {
    record_type: &'a RecordType,
}

#[derive(Serialize)]
struct LedgerFile<'a> {
    ledgers: [&'a Ledger; 1],
}

/// A template file as an administrator hands it in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmittedFile {
    record_type: Option<RecordType>,
    #[serde(default)]
    ledgers: Vec<Ledger>,
}

fn record_type_file_name(id: &str, version: u32) -> String {
    format!("hub-record-type-{id}-v{version}.toml")
}

fn ledger_file_name(id: &str) -> String {
    format!("hub-ledger-{id}.toml")
}

/// The stored templates as the files devices receive.
fn stored_files(conn: &mut dyn Conn) -> Result<Vec<TemplateFile>, HubError> {
    let mut files = Vec::new();
    for row in conn.query(
        "SELECT id, version, toml FROM record_types ORDER BY id, version",
        &[],
    )? {
        files.push(TemplateFile {
            name: record_type_file_name(&row.text(0)?, row.int(1)? as u32),
            toml: row.text(2)?,
        });
    }
    for row in conn.query("SELECT id, toml FROM ledgers ORDER BY id", &[])? {
        files.push(TemplateFile {
            name: ledger_file_name(&row.text(0)?),
            toml: row.text(1)?,
        });
    }
    Ok(files)
}

/// Loads the built-in templates plus `files`, checking every link, as a
/// desktop would load its templates folder.
fn load_catalog(files: &[TemplateFile]) -> Result<Catalog, HubError> {
    let dir = tempfile::tempdir().map_err(|source| HubError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    for file in files {
        let path = dir.path().join(&file.name);
        std::fs::write(&path, &file.toml).map_err(|source| HubError::Io { path, source })?;
    }
    Catalog::load(dir.path()).map_err(|mut e| {
        // Name the stored item, not the scratch folder.
        if let Some(name) = Path::new(&e.file).file_name() {
            e.file = format!("hub:{}", name.to_string_lossy());
        }
        HubError::Template(e)
    })
}

fn load_state(conn: &mut dyn Conn, version: i64) -> Result<CatalogState, HubError> {
    let files = stored_files(conn)?;
    let catalog = load_catalog(&files)?;
    let mut published = BTreeSet::new();
    for id in catalog.record_type_ids() {
        let newest = catalog.record_type(id).map_or(0, |rt| rt.version);
        for version in 1..=newest {
            if catalog.record_type_version(id, version).is_some() {
                published.insert(PublishedType {
                    id: id.to_string(),
                    version,
                });
            }
        }
    }
    let published_list: Vec<PublishedType> = published.iter().cloned().collect();
    let digest =
        Sha256::digest(serde_json::to_vec(&(&published_list, &files)).expect("bundle serialises"));
    let etag = format!("\"{}\"", &hex::encode(digest)[..32]);
    Ok(CatalogState {
        version,
        catalog,
        published,
        bundle: TemplateBundle {
            protocol: PROTOCOL.to_string(),
            etag,
            published: published_list,
            files,
        },
    })
}

/// Who approved a template, recorded in each ledger's governance.
#[derive(Debug, Clone)]
pub struct Approval {
    /// The approving office or person; kept from the file when absent.
    pub approved_by: Option<String>,
    /// The approval document number.
    pub document: Option<String>,
    /// The approval date.
    pub on: NaiveDate,
}

/// What an approval published.
#[derive(Debug, Clone, Serialize)]
pub struct Approved {
    /// The record type and version, if the file had one.
    pub record_type: Option<PublishedType>,
    /// The ledgers, now active.
    pub ledgers: Vec<String>,
}

/// Approves a template file: its record type is published (versions never
/// change once published) and its ledgers become active.
pub fn approve(
    conn: &mut dyn Conn,
    path: &Path,
    approval: &Approval,
) -> Result<Approved, HubError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| HubError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let template_error = |item: &str, problem: String, fix: &str| {
        HubError::Template(TemplateError {
            file: file.clone(),
            item: item.to_string(),
            problem,
            fix: fix.to_string(),
        })
    };
    let submitted: SubmittedFile = toml::from_str(&text).map_err(|e| {
        template_error(
            "file",
            e.message().to_string(),
            "check it with `voice-ledger templates check FILE`",
        )
    })?;

    let mut new_files = Vec::new();
    if let Some(rt) = &submitted.record_type {
        new_files.push(TemplateFile {
            name: record_type_file_name(&rt.id, rt.version),
            toml: toml::to_string(&RecordTypeFile { record_type: rt })
                .expect("record types serialise"),
        });
    }
    let mut ledgers = Vec::new();
    for mut ledger in submitted.ledgers {
        let governance = &mut ledger.governance;
        governance.status = GovernanceStatus::Active;
        if let Some(by) = &approval.approved_by {
            governance.approved_by = Some(by.clone());
        }
        if governance.approved_by.is_none() {
            return Err(template_error(
                &format!("ledger `{}`", ledger.id),
                "says nothing about who approved it".into(),
                "pass --approved-by, e.g. --approved-by 江川路街道办事处",
            ));
        }
        if let Some(document) = &approval.document {
            governance.approval_document = Some(document.clone());
        }
        governance.approved_on = Some(approval.on);
        new_files.push(TemplateFile {
            name: ledger_file_name(&ledger.id),
            toml: toml::to_string(&LedgerFile { ledgers: [&ledger] }).expect("ledgers serialise"),
        });
        ledgers.push(ledger);
    }

    conn.transaction(|conn| {
        let mut files = stored_files(conn)?;
        for new in &new_files {
            match files.iter_mut().find(|f| f.name == new.name) {
                Some(old) if new.name.starts_with("hub-record-type-") && old.toml != new.toml => {
                    return Err(template_error(
                        "record type",
                        format!("`{}` is already published with different content", new.name),
                        "published record type versions never change: raise `version`",
                    ));
                }
                Some(old) => old.toml = new.toml.clone(),
                None => files.push(new.clone()),
            }
        }
        load_catalog(&files).map_err(|e| match e {
            HubError::Template(mut t) => {
                t.file = format!("{file} (with the hub's approved templates: {})", t.file);
                HubError::Template(t)
            }
            other => other,
        })?;

        let now = now_text();
        if let Some(rt) = &submitted.record_type {
            conn.execute(
                "INSERT INTO record_types (id, version, toml, approved_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id, version) DO NOTHING",
                &[
                    rt.id.as_str().into(),
                    rt.version.into(),
                    new_files[0].toml.as_str().into(),
                    now.as_str().into(),
                ],
            )?;
        }
        for ledger in &ledgers {
            let toml = &new_files
                .iter()
                .find(|f| f.name == ledger_file_name(&ledger.id))
                .expect("every ledger has its file")
                .toml;
            store_ledger(conn, &ledger.id, toml, "active")?;
        }
        conn.execute(
            "INSERT INTO template_changes (what, at) VALUES ($1, $2)",
            &[format!("approve {file}").into(), now.into()],
        )?;
        Ok(Approved {
            record_type: submitted.record_type.as_ref().map(|rt| PublishedType {
                id: rt.id.clone(),
                version: rt.version,
            }),
            ledgers: ledgers.iter().map(|l| l.id.clone()).collect(),
        })
    })
}

fn store_ledger(conn: &mut dyn Conn, id: &str, toml: &str, status: &str) -> Result<(), HubError> {
    conn.execute(
        "INSERT INTO ledgers (id, toml, status, changed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET toml = excluded.toml, status = excluded.status,
             changed_at = excluded.changed_at",
        &[id.into(), toml.into(), status.into(), now_text().into()],
    )?;
    Ok(())
}

/// Retires a ledger on every device: no new entries, history stays.
pub fn retire(
    conn: &mut dyn Conn,
    cache: &CatalogCache,
    id: &str,
    on: NaiveDate,
) -> Result<(), HubError> {
    let state = cache.get(conn)?;
    let Some(ledger) = state.catalog.ledger(id) else {
        let hint = if state.catalog.record_type(id).is_some() {
            format!("`{id}` is a record type; retire the ledgers that draw on it")
        } else {
            "see `voice-ledger-hub template list`".to_string()
        };
        return Err(HubError::NotFound(format!("ledger `{id}`; {hint}")));
    };
    let mut ledger = ledger.clone();
    ledger.governance.status = GovernanceStatus::Retired;
    ledger.governance.review_on = Some(on);
    let toml = toml::to_string(&LedgerFile { ledgers: [&ledger] }).expect("ledgers serialise");
    conn.transaction(|conn| {
        store_ledger(conn, id, &toml, "retired")?;
        conn.execute(
            "INSERT INTO template_changes (what, at) VALUES ($1, $2)",
            &[format!("retire {id}").into(), now_text().into()],
        )?;
        Ok(())
    })
}
