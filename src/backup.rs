//! One-file backups of a data folder and their verified restore.
//!
//! A backup is a tar file holding `manifest.json`, a consistent copy of the
//! database taken with SQLite's online backup (so it can run while the app
//! is writing), the recordings, the user templates and the settings files.
//! Speech models and logs are left out: models are re-installed, logs stay
//! with the PC. Restore unpacks into an empty data folder and checks the
//! record counts and the history hash chain before reporting success.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::encryption::{
    self, EncryptionError, KeySettings, KeySource, Passphrase, Protection, SETTINGS_FILE,
    WrappedKey,
};
use crate::paths::DataDir;
use crate::store::{Store, StoreError};

/// File name prefix and extension of backups.
const PREFIX: &str = "voice-ledger-backup-";
const EXTENSION: &str = "vlbackup";
/// Manifest format understood by this version.
const FORMAT: u32 = 1;
/// Top-level files of the data folder never put in a backup.
const SKIPPED: &[&str] = &[
    "ledger.sqlite3",
    "ledger.sqlite3-wal",
    "ledger.sqlite3-shm",
    "ledger.sqlite3.encrypting",
    "ledger.sqlite3.unencrypted",
    "encryption.toml.new",
    "models",
    "logs",
    "backups",
];

/// Errors making or restoring a backup.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The database could not be copied or checked.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The backup's key could not be unlocked or wrapped.
    #[error(transparent)]
    Encryption(#[from] EncryptionError),
    /// SQLite's online backup failed.
    #[error("cannot copy the database for the backup: {0}")]
    Snapshot(#[from] rusqlite::Error),
    /// The file is not a Voice Ledger backup.
    #[error("`{0}` is not a Voice Ledger backup (no manifest); choose a .vlbackup file")]
    NotABackup(PathBuf),
    /// The restore target already has data.
    #[error(
        "`{0}` already holds a ledger database; restore into an empty folder, or move that folder away first"
    )]
    TargetNotEmpty(PathBuf),
    /// The restored data does not match what the backup recorded.
    #[error(
        "the restored data does not match the backup ({0}); the backup file is damaged — try an older backup"
    )]
    Mismatch(String),
}

/// What a backup holds, written as `manifest.json` inside it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BackupManifest {
    /// Manifest format version.
    pub format: u32,
    /// When the backup was made (RFC 3339).
    pub created_at: String,
    /// Program version that made it.
    pub program_version: String,
    /// Number of records.
    pub records: usize,
    /// Number of revisions.
    pub revisions: usize,
    /// Number of registry residents.
    pub residents: usize,
    /// Files besides the database (recordings, templates, settings).
    pub files: usize,
    /// Whether the database and recordings in it are encrypted.
    #[serde(default)]
    pub encrypted: bool,
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> BackupError + 'a {
    move |source| BackupError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a backup of `data` (whose database is open as `store`) to `out`.
/// The file appears under its final name only when complete. An encrypted
/// folder's backup stays encrypted with the same key and carries the
/// folder's `encryption.toml`: see [`create_with_passphrase`] for a backup
/// that restores on another computer.
pub fn create(data: &DataDir, store: &Store, out: &Path) -> Result<BackupManifest, BackupError> {
    create_with_passphrase(data, store, out, None)
}

/// Like [`create`], but when `passphrase` is given the backup's key is
/// wrapped with it, so the backup restores on any computer with that
/// passphrase, whether this folder keeps its key in the credential store or
/// under another passphrase.
pub fn create_with_passphrase(
    data: &DataDir,
    store: &Store,
    out: &Path,
    passphrase: Option<&Passphrase>,
) -> Result<BackupManifest, BackupError> {
    let folder = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(io("create folder", folder))?;
    let snapshot = folder.join(format!(".{PREFIX}{}.sqlite3", std::process::id()));
    let partial = out.with_extension("partial");

    let result = (|| {
        snapshot_database(store, &snapshot)?;
        let copy = Store::open_with_key(&snapshot, store.key())?;
        let report = copy.verify()?;
        let residents = copy.residents()?.len();
        drop(copy);

        let files = data_files(data.root())?;
        let manifest = BackupManifest {
            format: FORMAT,
            created_at: chrono::Utc::now().to_rfc3339(),
            program_version: env!("CARGO_PKG_VERSION").to_string(),
            records: report.records,
            revisions: report.revisions,
            residents,
            files: files.len(),
            encrypted: store.key().is_some(),
        };
        let key_file = match (store.key(), passphrase) {
            (Some(key), Some(passphrase)) => {
                let current = encryption::read_settings(data)?;
                let settings = KeySettings {
                    format: 1,
                    protection: Protection::Passphrase,
                    store_id: current
                        .map_or_else(|| uuid::Uuid::now_v7().to_string(), |s| s.store_id),
                    wrapped: Some(WrappedKey::wrap(key, passphrase)),
                };
                Some(settings.to_text())
            }
            _ => None,
        };

        let file = File::create(&partial).map_err(io("create", &partial))?;
        let mut tar = tar::Builder::new(BufWriter::new(file));
        let manifest_json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest_json.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, "manifest.json", manifest_json.as_slice())
            .map_err(io("write", &partial))?;
        tar.append_path_with_name(&snapshot, "ledger.sqlite3")
            .map_err(io("write", &partial))?;
        for relative in &files {
            if let Some(text) = key_file
                .as_ref()
                .filter(|_| relative == Path::new(SETTINGS_FILE))
            {
                let mut header = tar::Header::new_gnu();
                header.set_size(text.len() as u64);
                header.set_mode(0o600);
                header.set_cksum();
                tar.append_data(&mut header, relative, text.as_bytes())
                    .map_err(io("write", &partial))?;
                continue;
            }
            tar.append_path_with_name(data.root().join(relative), relative)
                .map_err(io("write", &partial))?;
        }
        let mut writer = tar.into_inner().map_err(io("write", &partial))?;
        writer.flush().map_err(io("write", &partial))?;
        writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .map_err(io("write", &partial))?;
        std::fs::rename(&partial, out).map_err(io("rename into place", out))?;
        Ok(manifest)
    })();

    let _ = std::fs::remove_file(&snapshot);
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Copies the database with SQLite's online backup, so the copy is
/// consistent while the app writes. The copy is keyed like the original:
/// SQLCipher copies pages only between databases with the same key.
fn snapshot_database(store: &Store, snapshot: &Path) -> Result<(), BackupError> {
    let _ = std::fs::remove_file(snapshot);
    let mut copy = rusqlite::Connection::open(snapshot)?;
    if let Some(key) = store.key() {
        copy.pragma_update(None, "key", key.database_pragma().as_str())?;
    }
    rusqlite::backup::Backup::new(store.connection(), &mut copy)?.run_to_completion(
        256,
        Duration::ZERO,
        None,
    )?;
    Ok(())
}

/// Files of the data folder to back up, relative to it, sorted.
fn data_files(root: &Path) -> Result<Vec<PathBuf>, BackupError> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        for entry in std::fs::read_dir(&dir).map_err(io("read folder", &dir))? {
            let entry = entry.map_err(io("read folder", &dir))?;
            let name = entry.file_name();
            if relative.as_os_str().is_empty() && SKIPPED.iter().any(|s| name == *s) {
                continue;
            }
            let path = relative.join(&name);
            let kind = entry.file_type().map_err(io("read", &entry.path()))?;
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Restores `backup` into `target`, which must not hold a database yet,
/// and verifies it, unlocking an encrypted backup with the credential
/// store or `VOICE_LEDGER_PASSPHRASE`. Returns the manifest.
pub fn restore(backup: &Path, target: &DataDir) -> Result<BackupManifest, BackupError> {
    restore_with(backup, target, &KeySource::from_env())
}

/// Like [`restore`], with the secrets to unlock an encrypted backup.
pub fn restore_with(
    backup: &Path,
    target: &DataDir,
    keys: &KeySource,
) -> Result<BackupManifest, BackupError> {
    if target.database().exists() {
        return Err(BackupError::TargetNotEmpty(target.root().to_path_buf()));
    }
    let root = target.root();
    std::fs::create_dir_all(root).map_err(io("create folder", root))?;
    let staging = root.join(".restoring");
    let _ = std::fs::remove_dir_all(&staging);

    let file = File::open(backup).map_err(io("open", backup))?;
    tar::Archive::new(file)
        .unpack(&staging)
        .map_err(|_| BackupError::NotABackup(backup.to_path_buf()))?;
    let manifest_path = staging.join("manifest.json");
    let manifest: BackupManifest = std::fs::read(&manifest_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| BackupError::NotABackup(backup.to_path_buf()))?;

    let key = match KeySettings::read(&staging.join(SETTINGS_FILE)) {
        Ok(Some(settings)) => match encryption::unlock_with(backup, &settings, keys) {
            Ok(key) => Some(key),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(e.into());
            }
        },
        Ok(None) => None,
        Err(_) => return Err(BackupError::NotABackup(backup.to_path_buf())),
    };
    let store = Store::open_with_key(&staging.join("ledger.sqlite3"), key.as_ref())?;
    let report = store.verify()?;
    let residents = store.residents()?.len();
    drop(store);
    if !report.is_intact() {
        return Err(BackupError::Mismatch(format!(
            "{} history problems",
            report.problems.len()
        )));
    }
    if (report.records, report.revisions, residents)
        != (manifest.records, manifest.revisions, manifest.residents)
    {
        return Err(BackupError::Mismatch(format!(
            "{} records, {} revisions, {} residents instead of {}, {}, {}",
            report.records,
            report.revisions,
            residents,
            manifest.records,
            manifest.revisions,
            manifest.residents
        )));
    }

    std::fs::remove_file(&manifest_path).map_err(io("remove", &manifest_path))?;
    for entry in std::fs::read_dir(&staging).map_err(io("read folder", &staging))? {
        let entry = entry.map_err(io("read folder", &staging))?;
        let destination = root.join(entry.file_name());
        if destination.is_dir() {
            // Standard sub-folders may already exist (empty); merge into them.
            for inner in
                std::fs::read_dir(entry.path()).map_err(io("read folder", &entry.path()))?
            {
                let inner = inner.map_err(io("read folder", &entry.path()))?;
                let to = destination.join(inner.file_name());
                std::fs::rename(inner.path(), &to).map_err(io("move into place", &to))?;
            }
        } else {
            std::fs::rename(entry.path(), &destination)
                .map_err(io("move into place", &destination))?;
        }
    }
    let _ = std::fs::remove_dir_all(&staging);
    tracing::info!(records = manifest.records, "backup restored");
    Ok(manifest)
}

/// The automatic-backup folder of a data directory.
pub fn backups_dir(data: &DataDir) -> PathBuf {
    data.root().join("backups")
}

/// Makes a backup in the backups folder if the newest one is older than
/// `every`, then keeps only the newest `keep`. Returns the new file, if any.
pub fn automatic(
    data: &DataDir,
    store: &Store,
    every: Duration,
    keep: usize,
) -> Result<Option<PathBuf>, BackupError> {
    let dir = backups_dir(data);
    std::fs::create_dir_all(&dir).map_err(io("create folder", &dir))?;
    let mut existing = list_backups(&dir)?;
    let newest = existing
        .last()
        .and_then(|p| p.metadata().ok()?.modified().ok());
    let due =
        newest.is_none_or(|t| SystemTime::now().duration_since(t).unwrap_or_default() >= every);

    let mut made = None;
    if due {
        let name = format!(
            "{PREFIX}{}.{EXTENSION}",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let path = dir.join(name);
        create(data, store, &path)?;
        existing.push(path.clone());
        made = Some(path);
    }
    let excess = existing.len().saturating_sub(keep.max(1));
    for old in existing.drain(..excess) {
        std::fs::remove_file(&old).map_err(io("remove old backup", &old))?;
    }
    Ok(made)
}

/// Backups in `dir`, oldest first (names sort by time).
pub fn list_backups(dir: &Path) -> Result<Vec<PathBuf>, BackupError> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io("read folder", dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX))
                && p.extension().is_some_and(|e| e == EXTENSION)
        })
        .collect();
    found.sort();
    Ok(found)
}
