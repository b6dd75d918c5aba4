//! Encryption at rest: the database through SQLCipher and recordings with
//! XChaCha20-Poly1305, both under one random data key per data folder.
//!
//! The data key is kept in the operating system's credential store when
//! one answers, otherwise wrapped with a passphrase (Argon2id) in the data
//! folder's `encryption.toml`. A new data folder is always encrypted; a
//! folder made before encryption existed (a database but no
//! `encryption.toml`) keeps working unencrypted until [`encrypt_folder`]
//! converts it.

mod key;
mod keystore;
mod migrate;
pub mod recording;
mod settings;

use std::path::{Path, PathBuf};

pub use key::{DataKey, KEY_LEN, Passphrase};
pub use migrate::{EncryptReport, encrypt_folder};
pub use settings::{KeySettings, Protection, WrappedKey};

use crate::paths::DataDir;
use crate::store::{Store, StoreError};
use crate::sync::KeyringUse;
use settings::UnwrapError;

/// Environment variable holding the passphrase for non-interactive use.
pub const PASSPHRASE_ENV: &str = "VOICE_LEDGER_PASSPHRASE";

/// The file in a data folder that says how its key is kept.
pub const SETTINGS_FILE: &str = "encryption.toml";

/// Errors unlocking or encrypting a data folder.
#[derive(Debug, thiserror::Error)]
pub enum EncryptionError {
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// `encryption.toml` is damaged.
    #[error(
        "`{path}` cannot be read ({problem}); restore it from a backup: without it the encrypted data cannot be opened"
    )]
    Settings {
        /// The settings file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The folder is protected by a passphrase and none was given.
    #[error(
        "the data folder `{folder}` is encrypted with a passphrase; set {PASSPHRASE_ENV} to it"
    )]
    PassphraseNeeded {
        /// The data folder.
        folder: PathBuf,
    },
    /// The passphrase given does not unlock the folder.
    #[error(
        "the passphrase does not unlock the data folder `{folder}`; check {PASSPHRASE_ENV}: it must be the passphrase set when the folder or backup was made, letter case included"
    )]
    WrongPassphrase {
        /// The data folder.
        folder: PathBuf,
    },
    /// The folder's key should be in the credential store but is not there.
    #[error(
        "the key of the data folder `{folder}` is not in this computer's credential store ({reason}); a folder from another computer is moved with a backup made with a passphrase: `voice-ledger restore` it with {PASSPHRASE_ENV} set"
    )]
    KeyNotInKeyring {
        /// The data folder.
        folder: PathBuf,
        /// What the credential store said.
        reason: String,
    },
    /// A new folder cannot be protected: no credential store, no passphrase.
    #[error(
        "cannot encrypt the new data folder `{folder}`: no credential store answers on this computer ({reason}) and no passphrase was given; set {PASSPHRASE_ENV} to a passphrase and keep it safe, it cannot be recovered"
    )]
    NoKeyStore {
        /// The data folder.
        folder: PathBuf,
        /// What the credential store said.
        reason: String,
    },
    /// A recording could not be decrypted.
    #[error(
        "cannot decrypt the recording `{path}`: it was sealed with another data folder's key or is damaged; restore it from a backup"
    )]
    Recording {
        /// The recording.
        path: PathBuf,
    },
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> EncryptionError + 'a {
    move |source| EncryptionError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The secrets available to unlock a data folder.
#[derive(Debug, Clone)]
pub struct KeySource {
    /// A passphrase, if the user gave one.
    pub passphrase: Option<Passphrase>,
    /// Whether the OS credential store may be used.
    pub keyring: KeyringUse,
}

impl KeySource {
    /// The passphrase from `VOICE_LEDGER_PASSPHRASE` (if set and not empty)
    /// and the credential store unless `VOICE_LEDGER_NO_KEYRING` is set.
    pub fn from_env() -> KeySource {
        let passphrase = std::env::var(PASSPHRASE_ENV)
            .ok()
            .map(Passphrase::new)
            .filter(|p| !p.is_empty());
        KeySource {
            passphrase,
            keyring: KeyringUse::from_env(),
        }
    }

    /// Only this passphrase; the credential store is not consulted.
    pub fn passphrase(text: &str) -> KeySource {
        KeySource {
            passphrase: Some(Passphrase::new(text)),
            keyring: KeyringUse::FileOnly,
        }
    }
}

/// How a data folder is protected, for `voice-ledger security status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FolderProtection {
    /// Nothing stored yet: the first open encrypts it.
    New,
    /// Made before encryption existed; not encrypted.
    Unencrypted,
    /// Encrypted, key in the credential store.
    Keyring,
    /// Encrypted, key wrapped with a passphrase.
    Passphrase,
}

/// How `data` is protected, without unlocking it.
pub fn protection(data: &DataDir) -> Result<FolderProtection, EncryptionError> {
    Ok(match read_settings(data)? {
        Some(s) if s.protection == Protection::Keyring => FolderProtection::Keyring,
        Some(_) => FolderProtection::Passphrase,
        None if data.database().exists() => FolderProtection::Unencrypted,
        None => FolderProtection::New,
    })
}

/// The key of `data`, making one for a new folder. `None` for a folder
/// made before encryption existed.
pub fn unlock(data: &DataDir, source: &KeySource) -> Result<Option<DataKey>, EncryptionError> {
    migrate::resume(data)?;
    match read_settings(data)? {
        Some(settings) => unlock_with(data.root(), &settings, source).map(Some),
        None if data.database().exists() => Ok(None),
        None => initialise(data, source).map(Some),
    }
}

/// Unlocks and opens the database of `data`.
pub fn open_store(data: &DataDir, source: &KeySource) -> Result<Store, EncryptionError> {
    let key = unlock(data, source)?;
    Ok(Store::open_with_key(&data.database(), key.as_ref())?)
}

/// The key `settings` describe, from the credential store or by
/// unwrapping it with the passphrase. `folder` names the data folder (or
/// backup) in errors.
pub fn unlock_with(
    folder: &Path,
    settings: &KeySettings,
    source: &KeySource,
) -> Result<DataKey, EncryptionError> {
    let folder = folder.to_path_buf();
    match (settings.protection, &settings.wrapped) {
        (Protection::Passphrase, Some(wrapped)) => {
            let passphrase =
                source
                    .passphrase
                    .as_ref()
                    .ok_or_else(|| EncryptionError::PassphraseNeeded {
                        folder: folder.clone(),
                    })?;
            wrapped.unwrap_key(passphrase).map_err(|e| match e {
                UnwrapError::WrongPassphrase => EncryptionError::WrongPassphrase { folder },
                UnwrapError::Malformed(problem) => EncryptionError::Settings {
                    path: folder.join(SETTINGS_FILE),
                    problem,
                },
            })
        }
        (Protection::Passphrase, None) => Err(EncryptionError::Settings {
            path: folder.join(SETTINGS_FILE),
            problem: "no wrapped key".into(),
        }),
        (Protection::Keyring, _) => {
            if source.keyring == KeyringUse::FileOnly {
                return Err(EncryptionError::KeyNotInKeyring {
                    folder,
                    reason: "the credential store is switched off by VOICE_LEDGER_NO_KEYRING"
                        .into(),
                });
            }
            keystore::load(&settings.store_id)
                .map_err(|reason| EncryptionError::KeyNotInKeyring { folder, reason })
        }
    }
}

/// Makes the key of a new data folder and records where it is kept: with
/// the passphrase when one is given, else in the credential store.
fn initialise(data: &DataDir, source: &KeySource) -> Result<DataKey, EncryptionError> {
    let key = DataKey::generate();
    let store_id = uuid::Uuid::now_v7().to_string();
    let settings = match &source.passphrase {
        Some(passphrase) => KeySettings {
            format: settings::FORMAT,
            protection: Protection::Passphrase,
            store_id,
            wrapped: Some(WrappedKey::wrap(&key, passphrase)),
        },
        None => {
            let refused = |reason: String| EncryptionError::NoKeyStore {
                folder: data.root().to_path_buf(),
                reason,
            };
            if source.keyring == KeyringUse::FileOnly {
                return Err(refused(
                    "it is switched off by VOICE_LEDGER_NO_KEYRING".into(),
                ));
            }
            keystore::save(&store_id, &key).map_err(refused)?;
            KeySettings {
                format: settings::FORMAT,
                protection: Protection::Keyring,
                store_id,
                wrapped: None,
            }
        }
    };

    // Two programs opening a new folder at once must agree on one key: the
    // file is linked into place only if no other program got there first.
    let path = settings_path(data);
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    write_synced(&temporary, &settings.to_text())?;
    let linked = std::fs::hard_link(&temporary, &path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            tracing::info!(protection = ?settings.protection, "new data folder encrypted");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if settings.protection == Protection::Keyring {
                keystore::forget(&settings.store_id);
            }
            unlock(data, source)?.ok_or_else(|| EncryptionError::Settings {
                path,
                problem: "disappeared while being created".into(),
            })
        }
        Err(e) => Err(io("create", &path)(e)),
    }
}

/// The settings file of `data`.
pub fn settings_path(data: &DataDir) -> PathBuf {
    data.root().join(SETTINGS_FILE)
}

/// Reads the settings file of `data`, if any.
pub fn read_settings(data: &DataDir) -> Result<Option<KeySettings>, EncryptionError> {
    let path = settings_path(data);
    KeySettings::read(&path).map_err(|problem| EncryptionError::Settings { path, problem })
}

/// Writes `text` to `path` and syncs it, readable only by the owner.
fn write_synced(path: &Path, text: &str) -> Result<(), EncryptionError> {
    use std::io::Write as _;

    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io("create", path))?;
    file.write_all(text.as_bytes()).map_err(io("write", path))?;
    file.sync_all().map_err(io("write", path))
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
pub(crate) fn write_bytes_synced(path: &Path, bytes: &[u8]) -> Result<(), EncryptionError> {
    use std::io::Write as _;

    let temporary = path.with_extension("partial");
    let mut file = std::fs::File::create(&temporary).map_err(io("create", &temporary))?;
    file.write_all(bytes).map_err(io("write", &temporary))?;
    file.sync_all().map_err(io("write", &temporary))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io("rename into place", path))
}

/// Whether the file at `path` is an unencrypted SQLite database.
pub(crate) fn is_plain_database(path: &Path) -> bool {
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .is_ok_and(|()| &header == b"SQLite format 3\0")
}

/// Writes `text` to `path` through a synced temporary file and a rename.
pub(crate) fn replace_file(path: &Path, text: &str) -> Result<(), EncryptionError> {
    let temporary = path.with_extension("tmp");
    write_synced(&temporary, text)?;
    std::fs::rename(&temporary, path).map_err(io("rename into place", path))
}

/// The bytes of a recording kept with a record (`audio_ref` is relative to
/// the audio folder), decrypted with `key` when it is sealed.
pub fn read_recording(
    data: &DataDir,
    key: Option<&DataKey>,
    audio_ref: &str,
) -> Result<Vec<u8>, EncryptionError> {
    let path = data.audio_dir().join(audio_ref);
    let bytes = std::fs::read(&path).map_err(io("read", &path))?;
    if !recording::is_sealed(&bytes) {
        return Ok(bytes);
    }
    key.and_then(|key| recording::open(key, &bytes))
        .ok_or(EncryptionError::Recording { path })
}
