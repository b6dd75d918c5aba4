//! Data keys in the operating system's credential store.

use std::sync::mpsc;
use std::time::Duration;

use super::key::{DataKey, KEY_LEN};

/// Credential-store service name; the user name is the folder's store id.
const SERVICE: &str = "voice-ledger-data";

/// A credential store that waits for an unlock prompt nobody answers (a
/// headless machine, a remote session) must not hang the program.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Saves `key` under `store_id` and reads it back: some stores accept a
/// secret they cannot keep, and a key that is not really kept would lock
/// the data away at the next start.
pub(super) fn save(store_id: &str, key: &DataKey) -> Result<(), String> {
    let secret = hex::encode(key.expose());
    call(store_id, move |entry| entry.set_password(&secret))?;
    let back = load(store_id)?;
    if back.expose() != key.expose() {
        forget(store_id);
        return Err("the credential store did not keep the key".into());
    }
    tracing::info!("data key saved in the OS credential store");
    Ok(())
}

/// The key saved under `store_id`.
pub(super) fn load(store_id: &str) -> Result<DataKey, String> {
    let secret = zeroize::Zeroizing::new(call(store_id, |entry| entry.get_password())?);
    let bytes = zeroize::Zeroizing::new(
        hex::decode(secret.as_str()).map_err(|_| "the stored key is malformed".to_string())?,
    );
    let bytes: [u8; KEY_LEN] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| "the stored key has the wrong length".to_string())?;
    Ok(DataKey::from_bytes(bytes))
}

/// Removes the key saved under `store_id`, if any.
pub(super) fn forget(store_id: &str) {
    if let Err(reason) = call(store_id, |entry| entry.delete_credential()) {
        tracing::debug!("no credential removed: {reason}");
    }
}

/// Runs one credential-store call on its own thread with a time limit.
fn call<T: Send + 'static>(
    store_id: &str,
    work: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
) -> Result<T, String> {
    let user = store_id.to_string();
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .name("credential-store".into())
        .spawn(move || {
            let result = keyring::Entry::new(SERVICE, &user).and_then(|e| work(&e));
            let _ = send.send(result.map_err(|e| e.to_string()));
        })
        .map_err(|e| format!("cannot start the credential-store thread: {e}"))?;
    receive
        .recv_timeout(TIMEOUT)
        .map_err(|_| format!("the credential store did not answer within {TIMEOUT:?}"))?
}
