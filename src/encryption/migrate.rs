//! Converting a data folder made before encryption existed: the database
//! is exported into an encrypted copy that then takes its place, and each
//! recording kept with a record is sealed.
//!
//! The swap is ordered so that an interruption never leaves a database
//! nobody can open: the new key file waits as `encryption.toml.new` until
//! the encrypted database is in place, and [`resume`] finishes or drops a
//! conversion that was cut short.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::settings::{FORMAT, KeySettings, Protection, WrappedKey};
use super::{
    DataKey, EncryptionError, KeySource, SETTINGS_FILE, io, keystore, recording, settings_path,
};
use crate::ledger::Catalog;
use crate::paths::DataDir;
use crate::store::{RecordQuery, RecordUpdate, Store};
use crate::sync::KeyringUse;

/// What [`encrypt_folder`] did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EncryptReport {
    /// Whether the database was converted (false: it already was encrypted).
    pub database: bool,
    /// Recordings sealed.
    pub recordings: usize,
}

/// Who the revisions that point records at their sealed recordings are
/// attributed to.
const AUTHOR: &str = "系统（加密）";

fn pending_settings(data: &DataDir) -> PathBuf {
    data.root().join(format!("{SETTINGS_FILE}.new"))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Encrypts the database of `data` (when it is not yet) and seals every
/// plain recording kept with a record. Run it with the desktop app closed.
pub fn encrypt_folder(
    data: &DataDir,
    catalog: &Catalog,
    source: &KeySource,
) -> Result<EncryptReport, EncryptionError> {
    resume(data)?;
    let mut report = EncryptReport::default();
    let key = match super::unlock(data, source)? {
        Some(key) => key,
        None => {
            report.database = true;
            convert_database(data, source)?
        }
    };

    let mut store = Store::open_with_key(&data.database(), Some(&key))?;
    for record in store.records(&RecordQuery::default())? {
        let Some(audio_ref) = record.audio_ref.clone() else {
            continue;
        };
        let path = data.audio_dir().join(&audio_ref);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Some(record_type) = catalog.record_type(&record.record_type) else {
            continue;
        };
        if recording::is_sealed(&bytes) {
            continue;
        }
        let sealed_ref = format!("{audio_ref}.{}", recording::SEALED_EXTENSION);
        let sealed_path = data.audio_dir().join(&sealed_ref);
        super::write_bytes_synced(&sealed_path, &recording::seal(&key, &bytes))?;
        let update = RecordUpdate {
            audio_ref: Some(Some(sealed_ref)),
            ..RecordUpdate::default()
        };
        store.update_record(record_type, &record.id, update, AUTHOR, "录音加密保存")?;
        crate::retention::shred(&path).map_err(io("remove the unencrypted recording", &path))?;
        report.recordings += 1;
    }
    tracing::info!(
        database = report.database,
        recordings = report.recordings,
        "data folder encrypted"
    );
    Ok(report)
}

/// Exports the plain database into an encrypted copy and swaps it in.
fn convert_database(data: &DataDir, source: &KeySource) -> Result<DataKey, EncryptionError> {
    let database = data.database();
    let key = DataKey::generate();
    let store_id = uuid::Uuid::now_v7().to_string();
    let settings = match &source.passphrase {
        Some(passphrase) => KeySettings {
            format: FORMAT,
            protection: Protection::Passphrase,
            store_id,
            wrapped: Some(WrappedKey::wrap(&key, passphrase)),
        },
        None if source.keyring == KeyringUse::Auto => {
            keystore::save(&store_id, &key).map_err(|reason| EncryptionError::NoKeyStore {
                folder: data.root().to_path_buf(),
                reason,
            })?;
            KeySettings {
                format: FORMAT,
                protection: Protection::Keyring,
                store_id,
                wrapped: None,
            }
        }
        None => {
            return Err(EncryptionError::NoKeyStore {
                folder: data.root().to_path_buf(),
                reason: "it is switched off by VOICE_LEDGER_NO_KEYRING".into(),
            });
        }
    };
    super::replace_file(&pending_settings(data), &settings.to_text())?;

    let encrypting = sibling(&database, ".encrypting");
    let _ = std::fs::remove_file(&encrypting);
    {
        // Opening through the store applies pending migrations first, so
        // the copy carries the current schema version.
        let plain = Store::open(&database)?;
        let conn = plain.connection();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(crate::store::StoreError::from)?;
        conn.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![
                encrypting.display().to_string(),
                key.database_pragma().as_str()
            ],
        )
        .map_err(crate::store::StoreError::from)?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
            .map_err(crate::store::StoreError::from)?;
        // sqlcipher_export copies tables, not the header's schema version.
        conn.execute_batch(&format!(
            "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
        ))
        .map_err(crate::store::StoreError::from)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(crate::store::StoreError::from)?;
    }
    // Check the copy opens with the key before anything is swapped.
    drop(Store::open_with_key(&encrypting, Some(&key))?);

    let unencrypted = sibling(&database, ".unencrypted");
    std::fs::rename(&database, &unencrypted).map_err(io("rename", &database))?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(&database, suffix));
    }
    std::fs::rename(&encrypting, &database).map_err(io("rename into place", &database))?;
    resume(data)?;
    Ok(key)
}

/// Finishes or drops a conversion that was interrupted, and removes the
/// unencrypted database a finished one left behind.
pub(super) fn resume(data: &DataDir) -> Result<(), EncryptionError> {
    let database = data.database();
    let pending = pending_settings(data);
    let encrypting = sibling(&database, ".encrypting");
    let unencrypted = sibling(&database, ".unencrypted");

    if pending.exists() && !settings_path(data).exists() {
        if !database.exists() && encrypting.exists() {
            std::fs::rename(&encrypting, &database).map_err(io("rename into place", &database))?;
        }
        if database.exists() && super::is_plain_database(&database) {
            // Cut short before the swap: the plain database is still the
            // real one.
            let _ = std::fs::remove_file(&encrypting);
            std::fs::remove_file(&pending).map_err(io("remove", &pending))?;
            return Ok(());
        }
        std::fs::rename(&pending, settings_path(data))
            .map_err(io("rename into place", &pending))?;
    }
    if unencrypted.exists() && settings_path(data).exists() && database.exists() {
        crate::retention::shred(&unencrypted)
            .map_err(io("remove the unencrypted copy", &unencrypted))?;
    }
    Ok(())
}
