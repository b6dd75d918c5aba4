//! Where the device token is kept: the OS keyring when there is one,
//! otherwise a file in the data folder that only the user can read.
//!
//! The token is a bearer credential: whoever has it can write the
//! committee's records to the hub. It never appears in logs, `Debug`
//! output or error messages.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use super::SyncError;
use crate::paths::DataDir;

/// Keyring service name; the keyring user is the device id.
const KEYRING_SERVICE: &str = "voice-ledger-sync";

/// How long a keyring call may take. A secret service that waits for an
/// unlock prompt nobody will answer (a headless box, a remote session) must
/// not stall sync forever.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// The file fallback, inside the data folder.
const TOKEN_FILE: &str = "sync-token";

/// A device's bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken(String);

impl DeviceToken {
    /// Wraps a token received from the hub.
    pub fn new(token: String) -> DeviceToken {
        DeviceToken(token)
    }

    /// The token text, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(<redacted>)")
    }
}

/// Whether to try the OS keyring before the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyringUse {
    /// Use the keyring when one answers, else the file.
    Auto,
    /// Only the file (tests, and machines where the keyring misbehaves).
    FileOnly,
}

impl KeyringUse {
    /// `FileOnly` when `VOICE_LEDGER_NO_KEYRING` is set to anything but
    /// empty or `0`, else `Auto`.
    pub fn from_env() -> KeyringUse {
        match std::env::var("VOICE_LEDGER_NO_KEYRING") {
            Ok(v) if !v.is_empty() && v != "0" => KeyringUse::FileOnly,
            _ => KeyringUse::Auto,
        }
    }
}

/// Where a token ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenLocation {
    /// The OS keyring.
    Keyring,
    /// A file readable only by the user.
    File(PathBuf),
}

/// Saves the token for `device_id`, preferring the keyring.
pub fn save_token(
    data: &DataDir,
    device_id: &str,
    token: &DeviceToken,
    keyring: KeyringUse,
) -> Result<TokenLocation, SyncError> {
    let path = token_file(data);
    if keyring == KeyringUse::Auto {
        let secret = token.0.clone();
        match with_keyring(device_id, move |entry| entry.set_password(&secret)) {
            Ok(()) => {
                // A token left in a file from an earlier enrolment would
                // otherwise outlive the keyring copy.
                remove_file(&path)?;
                tracing::info!(device_id, "device token saved in the OS keyring");
                return Ok(TokenLocation::Keyring);
            }
            Err(reason) => tracing::info!(
                device_id,
                "no usable OS keyring ({reason}); saving the device token in `{}`, readable only by this user",
                path.display()
            ),
        }
    }
    write_private(&path, token.expose())?;
    Ok(TokenLocation::File(path))
}

/// Loads the token for `device_id`: keyring first, then the file.
pub fn load_token(
    data: &DataDir,
    device_id: &str,
    keyring: KeyringUse,
) -> Result<DeviceToken, SyncError> {
    let path = token_file(data);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            return Ok(DeviceToken(text.trim().to_string()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(SyncError::Io { path, source }),
    }
    if keyring == KeyringUse::Auto {
        match with_keyring(device_id, |entry| entry.get_password()) {
            Ok(token) => return Ok(DeviceToken(token)),
            Err(reason) => tracing::debug!(device_id, "device token not in the keyring: {reason}"),
        }
    }
    Err(SyncError::NoToken {
        device_id: device_id.to_string(),
    })
}

/// Removes the token from the keyring and the file.
pub fn forget_token(data: &DataDir, device_id: &str, keyring: KeyringUse) -> Result<(), SyncError> {
    if keyring == KeyringUse::Auto
        && let Err(reason) = with_keyring(device_id, |entry| entry.delete_credential())
    {
        tracing::debug!(device_id, "no keyring entry removed: {reason}");
    }
    remove_file(&token_file(data))
}

fn token_file(data: &DataDir) -> PathBuf {
    data.root().join(TOKEN_FILE)
}

/// Runs one keyring call on its own thread with a time limit.
fn with_keyring<T: Send + 'static>(
    device_id: &str,
    call: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
) -> Result<T, String> {
    let device_id = device_id.to_string();
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let result = keyring::Entry::new(KEYRING_SERVICE, &device_id).and_then(|e| call(&e));
            let _ = send.send(result.map_err(|e| e.to_string()));
        })
        .map_err(|e| format!("cannot start the keyring thread: {e}"))?;
    receive
        .recv_timeout(KEYRING_TIMEOUT)
        .map_err(|_| format!("the keyring did not answer within {KEYRING_TIMEOUT:?}"))?
}

/// Writes `text` to `path` so that only the owner can read it, replacing
/// the file atomically.
fn write_private(path: &Path, text: &str) -> Result<(), SyncError> {
    use std::io::Write as _;

    let io = |source| SyncError::Io {
        path: path.to_path_buf(),
        source,
    };
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary).map_err(io)?;
    // The mode above applies only to a new file; a left-over temporary file
    // keeps its old mode, so set it again.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io)
}

fn remove_file(path: &Path) -> Result<(), SyncError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SyncError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_fallback_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::at(dir.path());
        let token = DeviceToken::new("tok-123".into());

        let location = save_token(&data, "dev-1", &token, KeyringUse::FileOnly).unwrap();
        let TokenLocation::File(path) = location else {
            panic!("expected a file, got {location:?}");
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            load_token(&data, "dev-1", KeyringUse::FileOnly).unwrap(),
            token
        );
        assert!(!format!("{token:?}").contains("tok-123"));

        forget_token(&data, "dev-1", KeyringUse::FileOnly).unwrap();
        assert!(matches!(
            load_token(&data, "dev-1", KeyringUse::FileOnly),
            Err(SyncError::NoToken { .. })
        ));
    }
}
